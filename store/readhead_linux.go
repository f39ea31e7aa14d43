//go:build linux

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// dirs is the folder the last file a reader read was in, open: the
// next file in it is opened relative to it, without a walk of its path.
type dirs struct {
	dir string
	fd  int
}

// close closes the folder.
func (d *dirs) close() {
	if d.dir != "" {
		syscall.Close(d.fd)
		d.dir = ""
	}
}

// readHeadAt reads the start of the regular file at path into buf: as
// much of it as fits. Opening a fresh clone reads a million posts this
// way, in four system calls each (open, fstat, read, close), where
// os.Open and io.ReadFull make six; the file is opened relative to its
// folder, open in d, without a walk of its path.
func readHeadAt(d *dirs, path string, buf []byte) (int, error) {
	dir, base := filepath.Split(path)
	if d.dir != dir {
		d.close()
		fd, err := syscall.Open(dir, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != nil {
			return 0, &os.PathError{Op: "open", Path: dir, Err: err}
		}
		d.dir, d.fd = dir, fd
	}
	fd, err := syscall.Openat(d.fd, base, syscall.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err == syscall.ELOOP {
		return 0, fmt.Errorf("%s: %w", path, errNotRegular)
	} else if err != nil {
		return 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return 0, fmt.Errorf("%s: %w", path, errNotRegular)
	}
	want, n := int(min(int64(len(buf)), st.Size)), 0
	for n < want {
		m, err := syscall.Read(fd, buf[n:want])
		if err == syscall.EINTR {
			continue
		} else if err != nil {
			return n, &os.PathError{Op: "read", Path: path, Err: err}
		} else if m == 0 {
			break
		}
		n += m
	}
	return n, nil
}
