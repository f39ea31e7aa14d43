package store

import "syscall"

// dieWithParent makes a child process get SIGKILL when archiver dies.
func dieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// staleLockWait is how long a git lock file found at Open may still belong
// to a live git. On Linux our git processes die with us (Pdeathsig), so
// none can: a lock found under our own lock is stale.
const staleLockWait = 0
