package store

import (
	"slices"

	"github.com/rfa-archive/archiver/store/jekyll"

	"bytes"
	"cmp"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// A store may have a remote: a git URL or path it pulls from before a pass
// and pushes to after. Credentials never come from the configuration: an
// HTTPS remote takes a token (sent as HTTP basic auth), an SSH remote a
// key file, both given in Options.Credentials; git's own settings and
// environment (credential helpers, GIT_SSH_COMMAND, ~/.ssh) work too.

const remoteName = "archive-remote"

// Credentials are what the store reaches its remote with.
type Credentials struct {
	Token  string // for an HTTPS remote
	User   string // the user name sent with Token; default x-access-token
	SSHKey string // a private key file, for an SSH remote
}

// localOpTimeout bounds the local git work of a pull (rebase, reset),
// which runs even when the pass is stopping, so as not to leave it half
// done.
const localOpTimeout = time.Minute

// remoteEnv is the environment git needs to reach the remote with the
// store's credentials, passed so that they never show in a process list
// or a log.
func (s *Store) remoteEnv() []string {
	var env []string
	if c := s.creds; c.Token != "" && isHTTP(s.remote) {
		user := cmp.Or(c.User, "x-access-token")
		// Scoped to the remote's URL: a redirect elsewhere gets no token.
		// Added after any GIT_CONFIG_* settings of the user's own.
		n, _ := strconv.Atoi(s.git.getenv("GIT_CONFIG_COUNT"))
		auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + c.Token))
		env = append(env, "GIT_CONFIG_COUNT="+strconv.Itoa(n+1),
			fmt.Sprintf("GIT_CONFIG_KEY_%d=http.%s.extraHeader", n, s.remote),
			fmt.Sprintf("GIT_CONFIG_VALUE_%d=Authorization: Basic %s", n, auth))
	}
	if key := s.creds.SSHKey; key != "" && s.git.getenv("GIT_SSH_COMMAND") == "" {
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

// RemoteError is a pull or a push that failed.
type RemoteError struct{ Err error }

func (e *RemoteError) Error() string { return "store: " + e.Err.Error() }

// Reason is the error as a user reads it beside the remote's URL.
func (e *RemoteError) Reason() string { return e.Err.Error() }

func (e *RemoteError) Unwrap() error { return e.Err }

// Pull brings in what the remote's branch has that the store has not,
// replaying the store's unpushed commits on top. A remote without the
// branch yet is not an error. It fails with a *RemoteError.
func (s *Store) Pull(ctx context.Context) error {
	if s.remote == "" {
		return nil
	}
	if err := s.pull(ctx); err != nil {
		return &RemoteError{err}
	}
	return nil
}

func (s *Store) pull(ctx context.Context) error {
	g := s.git.with(s.remoteEnv())
	if _, err := g.run(ctx, nil, "fetch", "--quiet", "--no-tags", remoteName, s.branch); err != nil {
		if strings.Contains(err.Error(), "couldn't find remote ref") {
			return nil // an empty remote: the first push creates the branch
		}
		return fmt.Errorf("pulling from %s: %w", Redact(s.remote), err)
	}
	// What follows is local and quick: it runs to its end even when the
	// pass is stopping.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), localOpTimeout)
	defer cancel()
	if _, err := s.git.run(ctx, nil, "merge-base", "--is-ancestor", "FETCH_HEAD", "HEAD"); err == nil {
		return nil // nothing new there
	}
	if err := s.checkState(ctx); err != nil {
		return err // a person's branch or rebase since Open: nothing is pulled into it
	}
	base, err := s.git.run(ctx, nil, "merge-base", "HEAD", "FETCH_HEAD")
	if err != nil {
		return s.takeRemote(ctx)
	}
	// Takedowns in what comes: remembered whether it fast-forwards or is
	// rebased onto (which loadPosts cannot tell from its cache).
	base = bytes.TrimSpace(base)
	removed := s.removedBetween(ctx, string(base), "FETCH_HEAD")
	if _, err := s.git.run(ctx, nil, "merge-base", "--is-ancestor", "HEAD", "FETCH_HEAD"); err == nil {
		// Nothing of the store's to replay: the branch moves on, and the
		// changes in the work tree stay, unless the pull would change the
		// same files.
		if _, err := s.git.run(ctx, nil, "merge", "--ff-only", "--quiet", "FETCH_HEAD"); err != nil {
			return fmt.Errorf("pulling from %s: %w: commit or stash the changes it names in %s, and archiver pulls at the next pass",
				Redact(s.remote), err, s.dir)
		}
	} else if err := s.rebase(ctx); err != nil {
		return err
	}
	if err := s.loadPosts(ctx); err != nil {
		return err
	}
	return s.forgetRemoved(ctx, removed, string(base))
}

// removedBetween are the posts that the commits from..to remove, as the
// store knows them or as commit from has them.
func (s *Store) removedBetween(ctx context.Context, from, to string) []Post {
	out, err := s.git.run(ctx, nil, "diff-tree", "-r", "-z", "--no-renames", "--name-status", "--diff-filter=D", from, to, "--", PostsDir)
	if err != nil {
		return nil
	}
	var removed []Post
	fields := bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0})
	for i := 0; i+1 < len(fields); i += 2 {
		path := string(fields[i+1])
		name := strings.TrimPrefix(path, PostsDir+"/")
		if p, ok := s.table.get(name); ok {
			removed = append(removed, p)
			continue
		}
		data, err := s.git.run(ctx, nil, "show", from+":"+path)
		if err != nil {
			continue
		}
		if fm, err := jekyll.Parse(data); err == nil && fm.From != "" {
			removed = append(removed, PostOf(name, fm))
		}
	}
	return removed
}

// rebase replays the store's commits on the remote's (FETCH_HEAD). It
// replays only archiver's own: a person's commits not pushed are theirs
// to replay, and a rebase needs a clean work tree; either stops it, and
// the error says what to do.
func (s *Store) rebase(ctx context.Context) error {
	authors, err := s.git.run(ctx, nil, "log", "--format=%ae", "FETCH_HEAD..HEAD")
	if err != nil {
		return err
	}
	for _, a := range strings.Fields(string(authors)) {
		if a != s.email {
			return fmt.Errorf("the store and %s have both moved on, and the branch has commits not pushed that archiver did not make (by %s): "+
				"replay them on the remote's yourself (git -C %s pull --rebase %s %s), and archiver pulls at the next pass",
				Redact(s.remote), a, s.dir, remoteName, s.branch)
		}
	}
	out, err := s.git.run(ctx, nil, "status", "--porcelain=v1", "--untracked-files=no")
	if err != nil {
		return err
	}
	if dirty := strings.TrimSpace(string(out)); dirty != "" {
		var files []string
		for _, line := range strings.Split(dirty, "\n") {
			files = append(files, strings.TrimSpace(line[2:]))
		}
		return fmt.Errorf("the store and %s have both moved on, and changes not committed in the work tree stop the store's "+
			"commits from being replayed on the remote's: %s; commit or stash them in %s, and archiver pulls at the next pass",
			Redact(s.remote), strings.Join(files, ", "), s.dir)
	}
	orig, err1 := s.git.run(ctx, nil, "rev-parse", "HEAD")
	onto, err2 := s.git.run(ctx, nil, "rev-parse", "FETCH_HEAD")
	if err1 != nil || err2 != nil {
		return errors.Join(err1, err2)
	}
	mark := filepath.Join(s.meta, rebaseFile)
	if err := writeAtomic(mark, []byte(strings.TrimSpace(string(orig))+" "+strings.TrimSpace(string(onto))+"\n")); err != nil {
		return err
	}
	defer os.Remove(mark)
	_, err = s.git.run(ctx, nil, "rebase", "--quiet", "FETCH_HEAD")
	for err != nil {
		// checkState saw no rebase before this one: the one in progress
		// is ours.
		step, ok := s.resolveConflicts(ctx)
		if !ok {
			s.git.run(ctx, nil, "rebase", "--abort")
			return fmt.Errorf("the store and %s have diverged and the store's commits do not apply on top: "+
				"resolve it by hand in %s (git pull --rebase %s %s): %w", Redact(s.remote), s.dir, remoteName, s.branch, err)
		}
		_, err = s.git.run(ctx, nil, "-c", "core.editor=true", "rebase", step)
	}
	return nil
}

// resolveConflicts resolves the conflicts of a rebase of Pull's that
// archiver can: a list of forgotten articles changed on both sides is
// merged line by line (mergeForgotten); a post of one story on both sides
// (two archivers whose feeds overlap) is the remote's (samePost). It
// returns the rebase's next step, --continue or (nothing left of the
// commit) --skip; not ok for any other conflict, which stops the rebase.
func (s *Store) resolveConflicts(ctx context.Context) (step string, ok bool) {
	out, err := s.git.run(ctx, nil, "diff", "--name-only", "-z", "--diff-filter=U")
	if err != nil || len(out) == 0 {
		return "", false
	}
	for _, path := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		switch {
		case path == ForgottenFile && s.mergeForgotten(ctx):
		case strings.HasPrefix(path, PostsDir+"/") && s.takeRemotePost(ctx, path):
		default:
			return "", false
		}
	}
	if _, err := s.git.run(ctx, nil, "diff", "--cached", "--quiet", "HEAD"); err == nil {
		return "--skip", true
	}
	return "--continue", true
}

// takeRemotePost resolves a conflict in the post at path that both sides
// hold of one story: the remote's is kept, and archiver's own gives way
// (the remote's may be a person's edit, and is never lost). A post the
// remote removed (taken down) stays removed.
func (s *Store) takeRemotePost(ctx context.Context, path string) bool {
	remote, rerr := s.git.run(ctx, nil, "show", ":2:"+path) // in a rebase, 2 is the remote's side
	ours, oerr := s.git.run(ctx, nil, "show", ":3:"+path)
	switch {
	case oerr != nil:
		return false // archiver's commit removed it, the remote changed it: a person's to decide
	case rerr != nil:
		_, err := s.git.run(ctx, nil, "rm", "--quiet", "--", path)
		return err == nil
	}
	fr, err1 := jekyll.Parse(remote)
	fo, err2 := jekyll.Parse(ours)
	if err1 != nil || err2 != nil || fr.From == "" || fr.From != fo.From && !slices.Contains(fr.Also, fo.From) {
		return false // not one story: a person's to decide
	}
	if err := writeAtomic(filepath.Join(s.dir, filepath.FromSlash(path)), remote); err != nil {
		return false
	}
	if _, err := s.git.run(ctx, nil, "add", "--", path); err != nil {
		return false
	}
	s.log.Info("store: the remote has a post of a story archiver archived too; the remote's is kept", slog.String("file", path))
	return true
}

// takeRemote starts the store from the remote's history, unrelated to
// its own: a store just created beside an existing archive takes the
// archive; a store with a history of its own, or whose first commit holds
// files of a person's, is never thrown away.
func (s *Store) takeRemote(ctx context.Context) error {
	if !s.justSeeded(ctx) {
		return fmt.Errorf("%s holds another history than the store: point store.remote at this archive's repository, "+
			"or start from a clone of the remote (git clone %s %s)", Redact(s.remote), Redact(s.remote), s.dir)
	}
	if _, err := s.git.run(ctx, nil, "reset", "--quiet", "--hard", "FETCH_HEAD"); err != nil {
		return err
	}
	s.log.Info("store: started from the remote's archive", "remote", Redact(s.remote))
	return s.loadPosts(ctx)
}

// justSeeded reports whether the store holds nothing but the first commit
// Open made, of archiver's own site files alone.
func (s *Store) justSeeded(ctx context.Context) bool {
	out, err := s.git.run(ctx, nil, "log", "--max-count=2", "--format=%s")
	if err != nil || strings.TrimSpace(string(out)) != strings.TrimSpace(seedMessage) || s.table != nil && s.Len() > 0 {
		return false
	}
	files, err := s.git.run(ctx, nil, "ls-tree", "-r", "-z", "--name-only", "HEAD")
	if err != nil {
		return false
	}
	for _, f := range strings.Split(strings.TrimSuffix(string(files), "\x00"), "\x00") {
		if _, err := fs.Stat(site, "site/"+f); err != nil {
			return false // a file of a person's
		}
	}
	return true
}

// Push pushes the store's commits to the remote's branch. A push the
// remote rejects because it moved on meanwhile (another archiver pushed)
// is tried again, pushAttempts times at most, after pulling what it got;
// a push is never forced. When it fails, with a *RemoteError, the commits
// stay, and the next Push sends them.
func (s *Store) Push(ctx context.Context) error {
	if s.remote == "" {
		return nil
	}
	g := s.git.with(s.remoteEnv())
	for attempt := 1; ; attempt++ {
		if err := s.checkState(ctx); err != nil {
			return &RemoteError{err} // a person's branch checked out: it is not the archive's to push
		}
		ref := "refs/heads/" + s.branch
		_, err := g.run(ctx, nil, "push", "--quiet", remoteName, ref+":"+ref)
		if err == nil {
			return nil
		}
		if !rejected(err) || attempt == pushAttempts || ctx.Err() != nil {
			return &RemoteError{fmt.Errorf("pushing to %s: %w (the commits are kept and pushed at the next pass)", Redact(s.remote), err)}
		}
		s.log.Info("store: the remote moved on during the pass; pulling, then pushing again", slog.Int("attempt", attempt))
		// Archivers that collided wait apart, longer each time.
		if err := sleep(ctx, rand.N(min(100*time.Millisecond<<attempt, 5*time.Second))); err != nil {
			return err
		}
		if err := s.pull(ctx); err != nil {
			return &RemoteError{err}
		}
	}
}

// pushAttempts bounds the pushes of one Push.
const pushAttempts = 10

// rejected reports whether git push failed because the remote's branch
// has commits the store has not, or was moved by another push while this
// one tried to.
func rejected(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "[rejected]") || strings.Contains(msg, "non-fast-forward") || strings.Contains(msg, "fetch first") ||
		strings.Contains(msg, "[remote rejected]") && strings.Contains(msg, "cannot lock ref")
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
