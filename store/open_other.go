//go:build !unix

package store

import (
	"os"
)

// openNoFollow opens path for reading, failing for a symlink.
func openNoFollow(path string) (*os.File, error) {
	if st, err := os.Lstat(path); err != nil || !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	return os.Open(path)
}

// syncAll makes what was written durable where the system can (see the
// unix version).
func syncAll() {}
