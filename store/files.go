package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// The work tree holds what anyone who can push put there: a post may be a
// symlink to /dev/zero, a pipe, a directory. Archiver reads only regular
// files, never through a symlink, never waiting on one, and never more of
// one than it can hold.

// errNotRegular means a file of the work tree is not a regular file.
var errNotRegular = errors.New("not a regular file (a symlink, a directory, a device or a pipe): archiver reads only regular files")

// Bounds on what is read of a file of the work tree.
const (
	maxPostSize = 32 << 20 // a post: a story of a few hundred KiB is long
	maxListSize = 64 << 20 // ForgottenFile: a million URLs
)

// openRegular opens the regular file at path for reading; anything else,
// a symlink too, is errNotRegular.
func openRegular(path string) (*os.File, error) {
	f, err := openNoFollow(path)
	if err != nil {
		if st, lerr := os.Lstat(path); lerr == nil && !st.Mode().IsRegular() {
			return nil, fmt.Errorf("%s: %w", path, errNotRegular)
		}
		return nil, err
	}
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, errNotRegular)
	}
	return f, nil
}

// readRegular reads the regular file at path, of at most max bytes.
func readRegular(path string, max int64) ([]byte, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err == nil && int64(len(data)) > max {
		err = fmt.Errorf("%s is larger than %d MiB: archiver does not read it", path, max>>20)
	}
	return data, err
}

// symlinked is the first of the directories archiver writes in (PostsDir,
// MediaDir, the directory of ForgottenFile) that is a symlink in the store
// at dir, "" if none is: writing through it would write outside the store.
func symlinked(dir string) string {
	for _, d := range []string{PostsDir, MediaDir, filepath.Dir(ForgottenFile)} {
		if st, err := os.Lstat(filepath.Join(dir, d)); err == nil && st.Mode()&fs.ModeSymlink != 0 {
			return d
		}
	}
	return ""
}
