package store

import (
	"os"
	"syscall"
)

// childAttr makes git a process group of its own, with its helpers, and
// makes it get SIGKILL when archiver dies.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// terminate sends SIGTERM to git's process group: git and its helpers.
func terminate(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGTERM)
}

// staleLockWait is how long a git lock file found at Open may still belong
// to a live git. On Linux our git processes die with us (Pdeathsig), so
// none can: a lock found under our own lock is stale.
const staleLockWait = 0
