package store

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// removeLeftovers removes what a run killed at any moment can leave
// behind: git's lock files and our temporary files. It runs before the
// first commit is made, which a lock left by a killed `git add` would
// stop, and into which a temporary file would be committed.
func (s *Store) removeLeftovers(ctx context.Context) error {
	gitDir := filepath.Dir(s.meta)
	var locks []string
	filepath.WalkDir(filepath.Join(gitDir, "refs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".lock") {
			locks = append(locks, path)
		}
		return nil
	})
	for _, name := range []string{"index.lock", "HEAD.lock", "ORIG_HEAD.lock", "FETCH_HEAD.lock", "packed-refs.lock", "config.lock", "shallow.lock"} {
		locks = append(locks, filepath.Join(gitDir, name))
	}
	for _, l := range locks {
		removed, err := removeStaleLock(ctx, l)
		if err != nil {
			return err
		}
		if removed {
			s.log.Warn("store: removed a git lock file left by an interrupted run", slog.String("file", l))
		}
	}
	for _, pattern := range []string{
		filepath.Join(s.dir, PostsDir, tempPrefix+"*"),
		filepath.Join(s.meta, tempPrefix+"*"),
		filepath.Join(s.dir, tempPrefix+"*"),
		filepath.Join(s.dir, "_layouts", tempPrefix+"*"), // seed's
	} {
		tmps, _ := filepath.Glob(pattern)
		for _, t := range tmps {
			if initInProgress(t) {
				continue
			}
			if err := os.RemoveAll(t); err != nil {
				return fmt.Errorf("store: removing %s: %w", t, err)
			}
		}
	}
	return nil
}

// initInProgress reports whether path is a directory in which another
// archiver may be creating the repository now (initRepo runs before the
// lock can be taken): one made less than a minute ago. An older one is
// what a killed run left.
func initInProgress(path string) bool {
	if !strings.HasPrefix(filepath.Base(path), tempPrefix+"init-") {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && time.Since(st.ModTime()) < time.Minute
}

// finishRebase undoes a rebase of Pull's that a killed run interrupted,
// which would leave HEAD detached from the branch: the branch is as it
// was before the pull, and the next Pull does it again.
func (s *Store) finishRebase(ctx context.Context) error {
	gitDir := filepath.Dir(s.meta)
	for _, dir := range []string{"rebase-merge", "rebase-apply"} {
		if _, err := os.Stat(filepath.Join(gitDir, dir)); err != nil {
			continue
		}
		if _, err := s.git.run(ctx, nil, "rebase", "--abort"); err != nil {
			return fmt.Errorf("store: undoing a rebase an interrupted run left: %w; "+
				"finish it by hand in %s (git status; git rebase --abort)", err, s.dir)
		}
		s.log.Warn("store: undid a pull an interrupted run left half done; the next pull does it again")
		return nil
	}
	if _, err := s.git.run(ctx, nil, "symbolic-ref", "--quiet", "HEAD"); err != nil {
		return fmt.Errorf("store: HEAD in %s is not on a branch (detached): check out the archive's branch "+
			"(git -C %s checkout main, keeping any commits made since with git branch) and run again", s.dir, s.dir)
	}
	return nil
}

// repair commits the posts a killed run wrote but did not commit. A file
// in PostsDir that is not a post is moved aside to the quarantine, never
// deleted.
func (s *Store) repair(ctx context.Context) error {
	changed, err := s.changedPosts(ctx)
	if err != nil {
		return err
	}
	var recovered []string
	for _, name := range changed {
		path := filepath.Join(s.dir, PostsDir, name)
		data, err := os.ReadFile(path)
		if err != nil {
			continue // deleted: the user's doing, not ours to undo
		}
		if _, err := ParseFrontMatter(data); err != nil {
			if !validName.MatchString(name) {
				s.log.Warn("store: a file in _posts is not a valid post; leaving it uncommitted",
					slog.String("file", path), slog.String("reason", err.Error()))
				continue
			}
			if err := s.quarantine(path); err != nil {
				return err
			}
			s.log.Warn("store: moved a file that is not a valid post out of the way",
				slog.String("file", path), slog.String("reason", err.Error()), slog.String("now_at", filepath.Join(s.meta, "quarantine")))
			continue
		}
		recovered = append(recovered, name)
	}
	if len(recovered) == 0 {
		return nil
	}
	msg := fmt.Sprintf("Recover %d %s left uncommitted by an interrupted run\n", len(recovered), plural(len(recovered), "post", "posts"))
	if _, err := s.commitPaths(ctx, recovered, msg); err != nil {
		return err
	}
	s.log.Info("store: committed posts an interrupted run had written", slog.Int("posts", len(recovered)))
	return nil
}

// removeStaleLock removes a git lock file once no git process can be
// holding it (see staleLockWait).
func removeStaleLock(ctx context.Context, path string) (bool, error) {
	for deadline := time.Now().Add(staleLockWait); time.Now().Before(deadline); {
		if _, err := os.Stat(path); err != nil {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	if err := os.Remove(path); err != nil {
		if os.IsNotExist(err) {
			return false, nil
		}
		return false, fmt.Errorf("store: removing stale %s: %w", path, err)
	}
	return true, nil
}

// changedPosts lists the posts (names in PostsDir) that differ from HEAD:
// staged, modified or untracked. A broken index, which git cannot read, is
// rebuilt from HEAD first.
func (s *Store) changedPosts(ctx context.Context) ([]string, error) {
	status := func() ([]byte, error) {
		return s.git.run(ctx, nil, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", PostsDir)
	}
	out, err := status()
	if err != nil && strings.Contains(err.Error(), "index") {
		s.log.Warn("store: rebuilding git's index, which an interrupted run broke", slog.String("error", err.Error()))
		os.Remove(filepath.Join(filepath.Dir(s.meta), "index"))
		if _, err := s.git.run(ctx, nil, "reset", "--quiet"); err != nil {
			return nil, fmt.Errorf("store: rebuilding the index: %w", err)
		}
		out, err = status()
	}
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	var names []string
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) < 4 {
			continue
		}
		path := string(rec[3:])
		name, ok := strings.CutPrefix(path, PostsDir+"/")
		if !ok || strings.HasSuffix(name, "/.gitkeep") || name == ".gitkeep" {
			continue
		}
		names = append(names, name)
	}
	return names, nil
}

// quarantine moves a file out of PostsDir into the store's quarantine.
func (s *Store) quarantine(path string) error {
	dir := filepath.Join(s.meta, "quarantine")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	dst := filepath.Join(dir, time.Now().UTC().Format("20060102T150405")+"-"+filepath.Base(path))
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("store: moving %s aside: %w", path, err)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
