package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// A store may have a remote: a git URL or path it pulls from before a pass
// and pushes to after. Credentials never come from the configuration: an
// HTTPS remote takes a token from $ARCHIVER_GIT_TOKEN (sent as HTTP basic
// auth, user $ARCHIVER_GIT_USER, default x-access-token), an SSH remote a
// key file from $ARCHIVER_SSH_KEY; git's own settings and environment
// (credential helpers, GIT_SSH_COMMAND, ~/.ssh) work too.

const remoteName = "archive-remote"

// remoteEnv is the environment git needs to reach the remote with the
// credentials of the environment, passed so they never show in a process
// list or a log.
func remoteEnv() []string {
	var env []string
	if token := os.Getenv("ARCHIVER_GIT_TOKEN"); token != "" {
		user := os.Getenv("ARCHIVER_GIT_USER")
		if user == "" {
			user = "x-access-token"
		}
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + token))
		env = append(env, "GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.extraHeader",
			"GIT_CONFIG_VALUE_0=Authorization: Basic "+auth)
	}
	if key := os.Getenv("ARCHIVER_SSH_KEY"); key != "" && os.Getenv("GIT_SSH_COMMAND") == "" {
		env = append(env, "GIT_SSH_COMMAND=ssh -i '"+strings.ReplaceAll(key, "'", "")+"' -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=accept-new")
	}
	return env
}

// Redact hides the password of a URL, for logs.
func Redact(remote string) string {
	u, err := url.Parse(remote)
	if err != nil || u.User == nil {
		return remote
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// setRemote points the store's remote at url.
func (s *Store) setRemote(ctx context.Context, remote string) error {
	if _, err := s.git.run(ctx, nil, "remote", "get-url", remoteName); err == nil {
		_, err = s.git.run(ctx, nil, "remote", "set-url", remoteName, remote)
		return err
	}
	_, err := s.git.run(ctx, nil, "remote", "add", remoteName, remote)
	return err
}

// Pull brings in what the remote's branch has that the store has not,
// replaying the store's unpushed commits on top. A remote without the
// branch yet is not an error.
func (s *Store) Pull(ctx context.Context) error {
	if s.remote == "" {
		return nil
	}
	if err := s.setRemote(ctx, s.remote); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	g := s.git.with(remoteEnv())
	if _, err := g.run(ctx, nil, "fetch", "--quiet", "--no-tags", remoteName, s.branch); err != nil {
		if strings.Contains(err.Error(), "couldn't find remote ref") {
			return nil // an empty remote: the first push creates the branch
		}
		return fmt.Errorf("store: pulling from %s: %w", Redact(s.remote), err)
	}
	if _, err := g.run(ctx, nil, "merge-base", "--is-ancestor", "FETCH_HEAD", "HEAD"); err == nil {
		return nil // nothing new there
	}
	if _, err := g.run(ctx, nil, "merge-base", "HEAD", "FETCH_HEAD"); err != nil {
		// Unrelated histories: a store just created beside an existing
		// archive takes the archive; a store with posts of its own is not
		// thrown away.
		if len(s.posts) > 0 {
			return fmt.Errorf("store: %s holds another history than the store: point store.remote at this archive's repository, "+
				"or start from a clone of the remote (git clone %s %s)", Redact(s.remote), Redact(s.remote), s.dir)
		}
		if _, err := g.run(ctx, nil, "reset", "--quiet", "--hard", "FETCH_HEAD"); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return s.loadPosts(ctx)
	}
	if _, err := g.run(ctx, nil, "rebase", "--quiet", "FETCH_HEAD"); err != nil {
		g.run(context.WithoutCancel(ctx), nil, "rebase", "--abort")
		return fmt.Errorf("store: the store and %s have diverged and the store's commits do not apply on top: "+
			"resolve it by hand in %s (git pull --rebase %s %s): %w", Redact(s.remote), s.dir, remoteName, s.branch, err)
	}
	return s.loadPosts(ctx)
}

// Push pushes the store's commits to the remote's branch. When it fails,
// the commits stay, and the next Push sends them.
func (s *Store) Push(ctx context.Context) error {
	if s.remote == "" {
		return nil
	}
	if err := s.setRemote(ctx, s.remote); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	g := s.git.with(remoteEnv())
	if _, err := g.run(ctx, nil, "push", "--quiet", remoteName, "HEAD:refs/heads/"+s.branch); err != nil {
		return fmt.Errorf("store: pushing to %s: %w (the commits are kept and pushed at the next pass)", Redact(s.remote), err)
	}
	return nil
}
