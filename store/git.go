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
	"time"
)

// git runs the git command in the store. The git CLI is used rather than a
// library because it is what users have, it updates the index and refs
// atomically (lock file and rename), and it is as fast as git gets.
type git struct {
	dir     string
	env     []string
	running string // a file that exists while a git command runs, if not ""
}

// ErrNoGit means the git command is not installed.
var ErrNoGit = errors.New("the git command was not found: install git (e.g. apt-get install git) or put it on PATH")

func newGit(dir, name, email string) (*git, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, ErrNoGit
	}
	env := append(cleanEnv(os.Environ()),
		"GIT_AUTHOR_NAME="+name, "GIT_AUTHOR_EMAIL="+email,
		"GIT_COMMITTER_NAME="+name, "GIT_COMMITTER_EMAIL="+email,
		"GIT_TERMINAL_PROMPT=0",   // never wait for a password nobody types
		"GIT_LITERAL_PATHSPECS=1", // a post's name is a name, never a pattern
		"LC_ALL=C",                // messages we can match
	)
	return &git{dir: dir, env: env}, nil
}

// repoVars are the environment variables that point git at another
// repository than the one -C names (set, say, when archiver runs from a
// git hook).
var repoVars = []string{"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
	"GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_PREFIX"}

// cleanEnv is env without repoVars.
func cleanEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(repoVars, k)
	})
}

// getenv is the value of key in git's environment.
func (g *git) getenv(key string) string {
	for _, kv := range slices.Backward(g.env) {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v
		}
	}
	return ""
}

// with returns a git with env added to its environment.
func (g *git) with(env []string) *git {
	return &git{dir: g.dir, env: append(slices.Clone(g.env), env...), running: g.running}
}

// run runs git with args, stdin as its input, and returns its output.
func (g *git) run(ctx context.Context, stdin io.Reader, args ...string) ([]byte, error) {
	cmd := g.cmd(ctx, args)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if g.running != "" {
		// Should archiver and its git be killed together (kill -9 of the
		// container), the next run knows the locks made since are theirs.
		os.WriteFile(g.running, nil, 0o644)
		defer os.Remove(g.running)
	}
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil { // killed, or never started: say why
			return stdout.Bytes(), fmt.Errorf("git %s: %w", command(args), ctx.Err())
		}
		msg := oneLine(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.Bytes(), fmt.Errorf("git %s: %s", command(args), msg)
	}
	return stdout.Bytes(), nil
}

// cmd is the command that runs git with args, as run runs it.
func (g *git) cmd(ctx context.Context, args []string) *exec.Cmd {
	full := append([]string{
		"-C", g.dir,
		"-c", "safe.directory=" + g.dir, // the store is ours even on a volume owned by another user
		"-c", "core.hooksPath=/dev/null", // no hooks: they are not ours to run
		"-c", "commit.gpgSign=false",
		"-c", "core.autocrlf=false",
		"-c", "core.quotePath=false",
		// No garbage collection inside a commit, where a stopping
		// archiver could not wait for it: Maintain runs it.
		"-c", "gc.auto=0", "-c", "maintenance.auto=false",
		"-c", "core.fsync=committed,index", // a commit survives a power cut, not only a crash
		// A remote that stalls fails the transfer rather than the pass.
		"-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=30",
	}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = g.env
	// Cancelled, git and its helpers (git-remote-https, ssh) get SIGTERM,
	// on which git removes its lock files; whatever still runs a moment
	// later is killed, and its output no longer waited for.
	cmd.Cancel = func() error { return terminate(cmd.Process) }
	cmd.WaitDelay = 2 * time.Second
	// A git left running by a killed archiver would hold the index lock
	// against the next run: it dies with us.
	cmd.SysProcAttr = childAttr()
	return cmd
}

// command is the git command in args, past any -c settings.
func command(args []string) string {
	for i := 0; i < len(args); i++ {
		switch {
		case args[i] == "-c":
			i++
		case !strings.HasPrefix(args[i], "-"):
			return args[i]
		}
	}
	return "git"
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
