//go:build !linux

package store

import (
	"os"
	"syscall"
)

// childAttr is Linux only; elsewhere a stale index.lock is left to the
// repair at the next Open.
func childAttr() *syscall.SysProcAttr { return nil }

// terminate ends git.
func terminate(p *os.Process) error { return p.Kill() }

// gitRunningIn cannot see processes here: locks are left to lockAge.
func gitRunningIn(dir string) string { return "" }

// gcRunning cannot see processes here.
func gcRunning(gitDir string) string { return "" }
