package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
)

// git runs the git command in the store. The git CLI is used rather than a
// library because it is what users have, it updates the index and refs
// atomically (lock file and rename), and it is as fast as git gets.
type git struct {
	dir string
	env []string
}

// ErrNoGit means the git command is not installed.
var ErrNoGit = errors.New("the git command was not found: install git (e.g. apt-get install git) or put it on PATH")

func newGit(dir, name, email string) (*git, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNoGit
	}
	env := append(os.Environ(),
		"GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email,
		"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email,
		"GIT_TERMINAL_PROMPT=0", // never wait for a password nobody types
		"LC_ALL=C",              // messages we can match
	)
	return &git{dir: dir, env: env}, nil
}

// with returns a git with env added to its environment.
func (g *git) with(env []string) *git {
	return &git{dir: g.dir, env: append(slices.Clone(g.env), env...)}
}

// run runs git with args, stdin as its input, and returns its output.
func (g *git) run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	full := append([]string{
		"-C", g.dir,
		"-c", "safe.directory=" + g.dir, // the store is ours even on a volume owned by another user
		"-c", "core.hooksPath=/dev/null", // no hooks: they are not ours to run
		"-c", "commit.gpgSign=false",
		"-c", "core.autocrlf=false",
		"-c", "core.quotePath=false",
		"-c", "gc.autoDetach=false", "-c", "maintenance.autoDetach=false",
		"-c", "core.fsync=committed,index", // a commit survives a power cut, not only a crash
	}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = g.env
	cmd.Stdin = stdin
	// A git left running by a killed archiver would hold the index lock
	// against the next run: it dies with us.
	cmd.SysProcAttr = dieWithParent()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil { // killed, or never started: say why
			return stdout.Bytes(), fmt.Errorf("git %s: %w", args[0], ctx.Err())
		}
		msg := oneLine(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.Bytes(), fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.Bytes(), nil
}

// oneLine joins the lines of git's message, for a log or an error line.
func oneLine(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "; ")
}
