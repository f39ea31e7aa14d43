//go:build !linux

package store

import (
	"syscall"
	"time"
)

// dieWithParent is Linux only; elsewhere a stale index.lock is left to
// the repair at the next Open.
func dieWithParent() *syscall.SysProcAttr { return nil }

// staleLockWait is how long a git lock file found at Open may still belong
// to a git that a killed archiver left running.
const staleLockWait = time.Second
