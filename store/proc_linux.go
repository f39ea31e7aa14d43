package store

import "syscall"

// dieWithParent makes a child process get SIGKILL when archiver dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
