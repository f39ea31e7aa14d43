//go:build unix

package store

import (
	"os"
	"syscall"
)

// openNoFollow opens path for reading, failing for a symlink, and without
// waiting for a pipe's writer.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
}

// syncAll makes what was written to files, and the names of files,
// durable, all at once: cheaper than a sync of each of thousands.
func syncAll() { syscall.Sync() }
