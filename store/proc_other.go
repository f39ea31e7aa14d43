//go:build !linux

package store

import "syscall"

// dieWithParent is Linux only; elsewhere a stale index.lock is left to
// the repair at the next Open.
func dieWithParent() *syscall.SysProcAttr { return nil }
