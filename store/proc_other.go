//go:build !linux

package store

import (
	"os"
	"syscall"
	"time"
)

// childAttr is Linux only; elsewhere a stale index.lock is left to the
// repair at the next Open.
func childAttr() *syscall.SysProcAttr { return nil }

// terminate ends git.
func terminate(p *os.Process) error { return p.Kill() }

// staleLockWait is how long a git lock file found at Open may still belong
// to a git that a killed archiver left running.
const staleLockWait = time.Second
