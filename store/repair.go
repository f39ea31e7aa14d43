package store

import (
	"github.com/rfa-archive/archiver/store/jekyll"

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
//
// A lock file is removed only when no live git can be holding it: no git
// runs in the repository, and the lock is older than lockAge, or was made
// while the git of a killed run ran (gitRunningFile). A lock of a
// person's git, which may run where archiver cannot see it (outside its
// container), is left alone, and the pass fails until it is gone. (When
// archiver alone is killed its git gets SIGTERM, on which git removes its
// own locks; killed together, git leaves them.)
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
		st, err := os.Stat(l)
		if err != nil {
			continue
		}
		if held := s.lockHeld(st); held != "" {
			if vanishes(l, 500*time.Millisecond) {
				continue // its git was finishing as archiver looked
			}
			return fmt.Errorf("store: %s is held by %s: try again once it has finished (archiver removes a lock only when no git can be holding it)", l, held)
		}
		if err := os.Remove(l); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("store: removing stale %s: %w", l, err)
		}
		s.log.Warn("store: removed a git lock file left by an interrupted run", slog.String("file", l))
	}
	patterns := []string{
		filepath.Join(s.meta, tempPrefix+"*"),
		filepath.Join(s.dir, tempPrefix+"*"),
		filepath.Join(s.dir, "_layouts", tempPrefix+"*"), // seed's
	}
	if !s.journalEmpty() { // listing a large archive's posts takes a while: the folders written to are journaled
		dirs := map[string]bool{PostsDir: true, MediaDir: true}
		for path := range s.journaled() {
			dirs[filepath.Dir(filepath.FromSlash(path))] = true
		}
		for dir := range dirs {
			patterns = append(patterns, filepath.Join(s.dir, dir, tempPrefix+"*"))
		}
	}
	for _, pattern := range patterns {
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

// vanishes reports whether the file at path is gone within d: a git
// lock whose git was finishing.
func vanishes(path string, d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Lstat(path); os.IsNotExist(err) {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// lockAge is how old a git lock must be for archiver to take it for a
// leftover.
const lockAge = 10 * time.Minute

// gitRunningFile exists while archiver runs a git command.
const gitRunningFile = "git-running"

// lockHeld says who may hold a git lock file: a git running in the
// repository, a gc that gc.pid names, or, for a lock younger than lockAge,
// a git archiver cannot see. "" when nothing can.
func (s *Store) lockHeld(lock os.FileInfo) string {
	dir := s.dir
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real // as /proc/*/cwd shows it
	}
	if p := gitRunningIn(dir); p != "" {
		return "a git command running in the store (" + p + ")"
	}
	if p := gcRunning(filepath.Dir(s.meta)); p != "" {
		return "git gc (" + p + ", in gc.pid)"
	}
	if !s.killedGit.IsZero() && !lock.ModTime().Before(s.killedGit.Add(-2*time.Second)) {
		return "" // made by the git a killed run was killed with
	}
	if age := time.Since(lock.ModTime()); age < lockAge {
		return fmt.Sprintf("a git command that archiver cannot see, it seems: the lock is %s old (archiver takes a lock older than %s for a leftover)",
			age.Round(time.Second), lockAge)
	}
	return ""
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

// rebaseFile marks a rebase of Pull's: the commits it replays (orig-head)
// and the one it replays them onto. A rebase in progress is archiver's
// own only when git's record of it names the same two.
const rebaseFile = "rebasing"

// finishRebase undoes a rebase of Pull's that a killed run interrupted,
// which would leave HEAD detached from the branch: the branch is as it
// was before the pull, and the next Pull does it again. A rebase that is
// not archiver's is a person's, left alone (checkState says so).
func (s *Store) finishRebase(ctx context.Context) error {
	gitDir, mark := filepath.Dir(s.meta), filepath.Join(s.meta, rebaseFile)
	ours, err := os.ReadFile(mark)
	if err != nil {
		return nil
	}
	defer os.Remove(mark)
	for _, dir := range []string{"rebase-merge", "rebase-apply"} {
		orig, err1 := os.ReadFile(filepath.Join(gitDir, dir, "orig-head"))
		onto, err2 := os.ReadFile(filepath.Join(gitDir, dir, "onto"))
		if err1 != nil || err2 != nil || strings.TrimSpace(string(ours)) != strings.TrimSpace(string(orig))+" "+strings.TrimSpace(string(onto)) {
			continue // none, or a person's
		}
		if _, err := s.git.run(ctx, nil, "rebase", "--abort"); err != nil {
			return fmt.Errorf("store: undoing a rebase an interrupted run left: %w; "+
				"finish it by hand in %s (git status; git rebase --abort)", err, s.dir)
		}
		s.log.Warn("store: undid a pull an interrupted run left half done; the next pull does it again")
	}
	return nil
}

// repair commits the posts an interrupted run of archiver wrote (its
// journal lists them) and did not commit. Any other change in PostsDir
// not committed is a person's: left as it is, reported, and never
// written over (see Write).
func (s *Store) repair(ctx context.Context) error {
	if s.journalEmpty() {
		// Nothing of archiver's to commit. A person's changes need no
		// git status of a large archive to be safe: Write asks git of
		// each post it writes over (see theirs).
		return nil
	}
	changed, err := s.changedPosts(ctx)
	if err != nil {
		return err
	}
	var recovered []string
	for _, path := range changed {
		if !s.ours(path) {
			s.others = append(s.others, path)
			continue
		}
		if data, err := readRegular(filepath.Join(s.dir, path), maxPostSize); err == nil && strings.HasPrefix(path, PostsDir+"/") {
			if _, err := jekyll.Parse(data); err != nil {
				s.log.Warn("store: a post an interrupted run wrote does not read back; it is left uncommitted: run archiver verify",
					slog.String("file", path), slog.String("reason", err.Error()))
				s.others = append(s.others, path)
				continue
			}
		}
		recovered = append(recovered, path)
	}
	if len(s.others) > 0 {
		s.log.Warn("store: changes that archiver did not make are not committed; archiver leaves them alone",
			slog.Int("files", len(s.others)), slog.String("first", s.others[0]))
	}
	if len(recovered) > 0 {
		msg := fmt.Sprintf("Recover %d %s an earlier archiver run wrote and did not commit\n", len(recovered), plural(len(recovered), "file", "files"))
		if countPosts(recovered) == len(recovered) {
			msg = fmt.Sprintf("Recover %d %s an earlier archiver run wrote and did not commit\n", len(recovered), plural(len(recovered), "post", "posts"))
		}
		if label := s.journalLabel(); label != "" {
			n := countPosts(recovered)
			msg = fmt.Sprintf("%s: %d %s (recovered: an earlier run was stopped before it committed them)\n", label, n, plural(n, "post", "posts"))
		}
		if _, err := s.commitFiles(ctx, recovered, msg); err != nil {
			return err
		}
		s.log.Info("store: committed what an interrupted run had written", slog.Int("files", len(recovered)))
	}
	return s.clearJournal()
}

// countPosts counts the posts among paths of the store.
func countPosts(paths []string) int {
	n := 0
	for _, p := range paths {
		if strings.HasPrefix(p, PostsDir+"/") {
			n++
		}
	}
	return n
}

// changedPosts lists the files archiver writes (posts, media, ForgottenFile) that
// differ from HEAD: staged, modified, removed or untracked, by their paths
// in the store. A broken index, which git cannot read, is rebuilt from
// HEAD first.
func (s *Store) changedPosts(ctx context.Context) ([]string, error) {
	status := func() ([]byte, error) {
		return s.git.run(ctx, nil, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", PostsDir, ForgottenFile, MediaDir)
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
	var paths []string
	for _, rec := range bytes.Split(out, []byte{0}) {
		if len(rec) < 4 {
			continue
		}
		if path := string(rec[3:]); !strings.HasSuffix(path, "/.gitkeep") {
			paths = append(paths, path)
		}
	}
	return paths, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
