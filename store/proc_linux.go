package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// childAttr makes git a process group of its own, with its helpers, and
// makes it get SIGTERM when archiver dies, on which git removes its lock
// files and ends.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM, Setpgid: true}
}

// terminate sends SIGTERM to git's process group: git and its helpers.
func terminate(p *os.Process) error {
	return syscall.Kill(-p.Pid, syscall.SIGTERM)
}

// gitRunningIn is a git process whose working directory is dir or below
// it, as "pid N: its command line"; "" if there is none.
func gitRunningIn(dir string) string {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		comm, err := os.ReadFile(p + "/comm")
		if c := strings.TrimSpace(string(comm)); err != nil || (c != "git" && !strings.HasPrefix(c, "git-")) {
			continue
		}
		cwd, err := os.Readlink(p + "/cwd")
		if err != nil || (cwd != dir && !strings.HasPrefix(cwd, dir+"/")) {
			continue
		}
		cmdline, _ := os.ReadFile(p + "/cmdline")
		return "pid " + filepath.Base(p) + ": " + strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))
	}
	return ""
}

// gcRunning is the git gc that gitDir/gc.pid names, as "pid N", if it
// runs on this machine; "".
func gcRunning(gitDir string) string {
	data, err := os.ReadFile(filepath.Join(gitDir, "gc.pid"))
	if err != nil {
		return ""
	}
	var pid int
	var host string
	fmt.Sscan(string(data), &pid, &host)
	if me, _ := os.Hostname(); pid <= 0 || host != me || syscall.Kill(pid, 0) != nil {
		return ""
	}
	return "pid " + strconv.Itoa(pid)
}
