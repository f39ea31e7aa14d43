package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A store may have a remote: a git URL or path it pulls from before a pass
// and pushes to after. Credentials never come from the configuration: an
// HTTPS remote takes a token from $ARCHIVER_GIT_TOKEN (sent as HTTP basic
// auth, user $ARCHIVER_GIT_USER, default x-access-token), an SSH remote a
// key file from $ARCHIVER_SSH_KEY; git's own settings and environment
// (credential helpers, GIT_SSH_COMMAND, ~/.ssh) work too.

const remoteName = "archive-remote"

// localOpTimeout bounds the local git work of a pull (rebase, reset),
// which runs even when the pass is stopping, so as not to leave it half
// done.
const localOpTimeout = time.Minute

// remoteEnv is the environment git needs to reach the remote with the
// credentials of the environment, passed so that they never show in a
// process list or a log.
func (s *Store) remoteEnv() []string {
	var env []string
	if token := os.Getenv("ARCHIVER_GIT_TOKEN"); token != "" && isHTTP(s.remote) {
		user := os.Getenv("ARCHIVER_GIT_USER")
		if user == "" {
			user = "x-access-token"
		}
		// Scoped to the remote's URL: a redirect elsewhere gets no token.
		// Added after any GIT_CONFIG_* settings of the user's own.
		n, _ := strconv.Atoi(os.Getenv("GIT_CONFIG_COUNT"))
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
		env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(n+1),
			fmt.Sprintf("GIT_CONFIG_KEY_%d=http.%s.extraHeader", n, s.remote),
			fmt.Sprintf("GIT_CONFIG_VALUE_%d=Authorization: Basic %s", n, auth))
	}
	if key := os.Getenv("ARCHIVER_SSH_KEY"); key != "" && os.Getenv("GIT_SSH_COMMAND") == "" {
		// Host keys are remembered in the store: in a container there is
		// no home directory to keep them in.
		quote := func(p string) string { return "'" + strings.ReplaceAll(p, "'", "") + "'" }
		env = append(env, "GIT_SSH_COMMAND=ssh -i "+quote(key)+" -o IdentitiesOnly=yes -o BatchMode=yes"+
			" -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="+quote(filepath.Join(s.meta, "known_hosts")))
	}
	return env
}

func isHTTP(remote string) bool {
	return strings.HasPrefix(remote, "https://") || strings.HasPrefix(remote, "http://")
}

// Redact hides the user and password of a URL, for logs.
func Redact(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil || !isHTTP(remote) {
		return remote
	}
	u.User = nil
	return u.String()
}

// setRemote points the store's git remote at store.remote; Open calls it.
func (s *Store) setRemote(ctx context.Context) error {
	out, err := s.git.run(ctx, nil, "remote", "get-url", remoteName)
	switch {
	case err != nil:
		_, err = s.git.run(ctx, nil, "remote", "add", remoteName, s.remote)
	case strings.TrimSpace(string(out)) != s.remote:
		_, err = s.git.run(ctx, nil, "remote", "set-url", remoteName, s.remote)
	}
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Pull brings in what the remote's branch has that the store has not,
// replaying the store's unpushed commits on top. A remote without the
// branch yet is not an error.
func (s *Store) Pull(ctx context.Context) error {
	if s.remote == "" {
		return nil
	}
	g := s.git.with(s.remoteEnv())
	if _, err := g.run(ctx, nil, "fetch", "--quiet", "--no-tags", remoteName, s.branch); err != nil {
		if strings.Contains(err.Error(), "couldn't find remote ref") {
			return nil // an empty remote: the first push creates the branch
		}
		return fmt.Errorf("store: pulling from %s: %w", Redact(s.remote), err)
	}
	// What follows is local and quick: it runs to its end even when the
	// pass is stopping.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), localOpTimeout)
	defer cancel()
	if _, err := s.git.run(ctx, nil, "merge-base", "--is-ancestor", "FETCH_HEAD", "HEAD"); err == nil {
		return nil // nothing new there
	}
	if _, err := s.git.run(ctx, nil, "merge-base", "HEAD", "FETCH_HEAD"); err != nil {
		// Unrelated histories: a store just created beside an existing
		// archive takes the archive; a store with a history of its own is
		// never thrown away.
		if !s.justSeeded(ctx) {
			return fmt.Errorf("store: %s holds another history than the store: point store.remote at this archive's repository, "+
				"or start from a clone of the remote (git clone %s %s)", Redact(s.remote), Redact(s.remote), s.dir)
		}
		if _, err := s.git.run(ctx, nil, "reset", "--quiet", "--hard", "FETCH_HEAD"); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		s.log.Info("store: started from the remote's archive", "remote", Redact(s.remote))
		return s.loadPosts(ctx)
	}
	if _, err := s.git.run(ctx, nil, "rebase", "--quiet", "FETCH_HEAD"); err != nil {
		s.git.run(ctx, nil, "rebase", "--abort")
		return fmt.Errorf("store: the store and %s have diverged and the store's commits do not apply on top: "+
			"resolve it by hand in %s (git pull --rebase %s %s): %w", Redact(s.remote), s.dir, remoteName, s.branch, err)
	}
	return s.loadPosts(ctx)
}

// justSeeded reports whether the store holds nothing but the first commit
// Open made.
func (s *Store) justSeeded(ctx context.Context) bool {
	out, err := s.git.run(ctx, nil, "log", "--max-count=2", "--format=%s")
	return err == nil && strings.TrimSpace(string(out)) == strings.TrimSpace(seedMessage) && len(s.posts) == 0
}

// Push pushes the store's commits to the remote's branch. When it fails,
// the commits stay, and the next Push sends them.
func (s *Store) Push(ctx context.Context) error {
	if s.remote == "" {
		return nil
	}
	g := s.git.with(s.remoteEnv())
	if _, err := g.run(ctx, nil, "push", "--quiet", remoteName, "HEAD:refs/heads/"+s.branch); err != nil {
		return fmt.Errorf("store: pushing to %s: %w (the commits are kept and pushed at the next pass)", Redact(s.remote), err)
	}
	return nil
}
