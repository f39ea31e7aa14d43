package store_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// These tests do to the repository what people do, while archiver works
// in it or between its runs, and check that their work survives and that
// archiver's rules hold.

// withRemote is a store's options with an empty remote beside it.
func withRemote(t *testing.T) (root, remote string, opts store.Options) {
	t.Helper()
	root = t.TempDir()
	remote = filepath.Join(root, "remote.git")
	storetest.Git(t, root, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	opts = options(filepath.Join(root, "archive"))
	opts.Remote = remote
	return root, remote, opts
}

// onTheForge commits change in a clone of remote and pushes it.
func onTheForge(t *testing.T, root, remote string, change func(clone string)) {
	t.Helper()
	clone := filepath.Join(root, "clone")
	if _, err := os.Stat(clone); err != nil {
		storetest.Git(t, root, "clone", "--quiet", remote, clone)
	} else {
		storetest.Git(t, clone, "pull", "--quiet")
	}
	change(clone)
	storetest.Git(t, clone, "commit", "--quiet", "-am", "on the forge")
	storetest.Git(t, clone, "push", "--quiet", "origin", "main")
}

func mustOpen(t *testing.T, opts store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func writeCommit(t *testing.T, s *store.Store, name, from string) {
	t.Helper()
	if err := s.Write(name, post(from)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(context.Background(), "Archive "+name); err != nil {
		t.Fatal(err)
	}
}

// pushedForgettingX is a store with a remote, that archived a and x,
// forgot x, and pushed; it is closed.
func pushedForgettingX(t *testing.T) (root, remote string, opts store.Options) {
	t.Helper()
	root, remote, opts = withRemote(t)
	ctx := context.Background()
	s := mustOpen(t, opts)
	writeCommit(t, s, "2025-01-01-a.md", "https://example.org/a")
	writeCommit(t, s, "2025-01-01-x.md", "https://example.org/x")
	if err := s.Forget(ctx, []string{"https://example.org/x"}, []string{"2025-01-01-x.md"}, "Forget x\n"); err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	return root, remote, opts
}

// TestTakedownPulledInRebase: a post taken down on the forge, pulled by
// a rebase (the store has a commit not pushed), is remembered.
func TestTakedownPulledInRebase(t *testing.T) {
	t.Parallel()
	root, remote, opts := withRemote(t)
	ctx := context.Background()
	s := mustOpen(t, opts)
	writeCommit(t, s, "2025-01-01-a.md", "https://example.org/a")
	writeCommit(t, s, "2025-01-01-b.md", "https://example.org/b")
	if err := s.Push(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()
	onTheForge(t, root, remote, func(clone string) { storetest.Git(t, clone, "rm", "--quiet", "_posts/2025-01-01-a.md") })

	s = mustOpen(t, opts)
	writeCommit(t, s, "2025-01-02-c.md", "https://example.org/c")
	if err := s.Push(ctx); err != nil { // rejected, pulled with a rebase, pushed
		t.Fatal(err)
	}
	s.Close()
	if got, _ := open(t, opts.Path).Forgotten(); !slices.Equal(got, []string{"https://example.org/a"}) {
		t.Errorf("forgotten %q, want the post taken down on the forge", got)
	}
}

// TestTakedownRememberedLater: a takedown pulled while a person's change
// to the list of forgotten articles is not committed cannot be written to
// the list yet; it is taken down meanwhile, and remembered once the
// person commits.
func TestTakedownRememberedLater(t *testing.T) {
	t.Parallel()
	root, remote, opts := pushedForgettingX(t)
	ctx := context.Background()
	onTheForge(t, root, remote, func(clone string) { storetest.Git(t, clone, "rm", "--quiet", "_posts/2025-01-01-a.md") })
	// A person takes x back by hand, not committed yet.
	list := filepath.Join(opts.Path, store.ForgottenFile)
	data, _ := os.ReadFile(list)
	storetest.WriteFile(t, list, strings.ReplaceAll(string(data), "https://example.org/x\n", ""))

	s := mustOpen(t, opts)
	s.Pull(ctx)
	if down, err := s.TakenDown(); err != nil || !slices.Contains(down, "https://example.org/a") {
		t.Errorf("taken down %q (%v) while the takedown waits, want a: a pass would archive it again", down, err)
	}
	s.Close()
	storetest.Git(t, opts.Path, "commit", "--quiet", "-am", "Take x back")
	s = open(t, opts.Path)
	if got, _ := s.Forgotten(); !slices.Equal(got, []string{"https://example.org/a"}) {
		t.Errorf("forgotten %q, want a remembered and x taken back", got)
	}
}

// TestManualUnforgetKept: the README's way to take a forgotten article
// back (delete its line, commit) is not undone.
func TestManualUnforgetKept(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	s := open(t, dir)
	if err := s.Forget(context.Background(), []string{"https://example.org/a"}, []string{"2024-01-01-a.md"}, "Forget a\n"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	list := filepath.Join(dir, store.ForgottenFile)
	data, _ := os.ReadFile(list)
	storetest.WriteFile(t, list, strings.ReplaceAll(string(data), "https://example.org/a\n", ""))
	storetest.Git(t, dir, "commit", "--quiet", "-am", "archive a again")
	if got, _ := open(t, dir).Forgotten(); len(got) != 0 {
		t.Errorf("the manual undo was undone: forgotten %q; last commit %q", got, storetest.LastMessage(t, dir))
	}
}

// TestForgetRefusesEdited: forget does not remove a post with a person's
// change not committed.
func TestForgetRefusesEdited(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	p := filepath.Join(dir, store.PostsDir, "2024-01-01-a.md")
	edit := string(post("https://example.org/a")) + "A person's note.\n"
	storetest.WriteFile(t, p, edit)
	s := open(t, dir)
	if err := s.Forget(context.Background(), []string{"https://example.org/a"}, []string{"2024-01-01-a.md"}, "Forget a\n"); err == nil {
		t.Error("Forget removed a post with a person's change")
	}
	if data, _ := os.ReadFile(p); string(data) != edit {
		t.Error("the person's change is gone")
	}
}

// TestRecoverNotAPersonsEdit: a post a killed run wrote, then edited by a
// person, is theirs now: not committed under archiver's name.
func TestRecoverNotAPersonsEdit(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	if err := s.Write("2025-01-01-a.md", post("https://example.org/a")); err != nil {
		t.Fatal(err)
	}
	s.Crash()
	p := filepath.Join(dir, store.PostsDir, "2025-01-01-a.md")
	data, _ := os.ReadFile(p)
	storetest.WriteFile(t, p, strings.Replace(string(data), "The story", "A person's fix of the story", 1))
	open(t, dir)
	if n := storetest.Commits(dir); n != 1 {
		t.Errorf("%d commits: the person's edit was committed as archiver's (%q)", n, storetest.LastMessage(t, dir))
	}
}

// TestBranchSwitchedDuringPass: a person checks out another branch while
// a pass runs: archiver commits nothing on it, and pushes nothing of it.
func TestBranchSwitchedDuringPass(t *testing.T) {
	t.Parallel()
	_, remote, opts := withRemote(t)
	ctx := context.Background()
	s := mustOpen(t, opts)
	defer s.Close()
	if err := s.Push(ctx); err != nil {
		t.Fatal(err)
	}
	storetest.Git(t, opts.Path, "checkout", "--quiet", "-b", "experiment")
	storetest.WriteFile(t, filepath.Join(opts.Path, "DRAFT.md"), "a person's draft\n")
	storetest.Git(t, opts.Path, "add", "DRAFT.md")
	storetest.Git(t, opts.Path, "commit", "--quiet", "-m", "draft")
	if err := s.Write("2025-01-02-c.md", post("https://example.org/c")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, "Archive c"); !errors.Is(err, store.ErrState) {
		t.Errorf("Commit on a person's branch = %v, want ErrState", err)
	}
	if err := s.Push(ctx); err == nil {
		t.Error("Push on a person's branch succeeded")
	}
	if log := storetest.Git(t, remote, "log", "--format=%s", "main"); strings.Contains(log, "draft") {
		t.Error("the person's branch was pushed to the remote's main")
	}
	if log := storetest.Git(t, opts.Path, "log", "--format=%s", "experiment"); strings.Contains(log, "Archive c") {
		t.Error("archiver committed on the person's branch")
	}
}

// TestRebaseStartedDuringPass: a person's interactive rebase stops at an
// edit while a pass runs: archiver commits nothing into it, and leaves it
// as it is.
func TestRebaseStartedDuringPass(t *testing.T) {
	t.Parallel()
	_, remote, opts := withRemote(t)
	ctx := context.Background()
	s := mustOpen(t, opts)
	defer s.Close()
	writeCommit(t, s, "2025-01-01-a.md", "https://example.org/a")
	writeCommit(t, s, "2025-01-01-b.md", "https://example.org/b")
	if err := s.Push(ctx); err != nil {
		t.Fatal(err)
	}
	remoteHead := storetest.BranchHead(remote, "main")
	rebase := exec.Command("git", "rebase", "-i", "HEAD~2")
	rebase.Dir = opts.Path
	rebase.Env = append(os.Environ(), "GIT_SEQUENCE_EDITOR=sed -i 1s/^pick/edit/",
		"GIT_AUTHOR_NAME=p", "GIT_AUTHOR_EMAIL=p@example.org", "GIT_COMMITTER_NAME=p", "GIT_COMMITTER_EMAIL=p@example.org")
	if out, err := rebase.CombinedOutput(); err != nil {
		t.Fatalf("rebase -i: %v %s", err, out)
	}
	if err := s.Write("2025-01-02-c.md", post("https://example.org/c")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, "Archive c"); !errors.Is(err, store.ErrState) {
		t.Errorf("Commit during a person's rebase = %v, want ErrState", err)
	}
	s.Push(ctx)
	if _, err := os.Stat(filepath.Join(opts.Path, ".git", "rebase-merge")); err != nil {
		t.Error("the person's rebase is gone")
	}
	if got := storetest.BranchHead(remote, "main"); got != remoteHead {
		t.Error("the remote moved")
	}
}

// TestStaleRebaseMark: the mark of a rebase of archiver's long over does
// not make a person's rebase archiver's.
func TestStaleRebaseMark(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	conflicting(t, dir)
	storetest.TryGit(dir, "rebase", "other")
	if err := store.MarkRebasingStale(dir); err != nil {
		t.Fatal(err)
	}
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024-01-01-b.md"), "the person's resolution\n")
	storetest.Git(t, dir, "add", ".")
	if _, err := store.Open(context.Background(), options(dir)); !errors.Is(err, store.ErrState) {
		t.Errorf("Open = %v, want ErrState", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "rebase-merge")); err != nil {
		t.Error("the person's rebase was aborted, their resolution lost")
	}
}

// TestOpenLockOfLiveGit: the lock of a person's git commit, its editor
// open, is left alone however old it looks, through a symlinked path too.
func TestOpenLockOfLiveGit(t *testing.T) {
	t.Parallel()
	for _, viaLink := range []bool{false, true} {
		t.Run(map[bool]string{false: "path", true: "symlink"}[viaLink], func(t *testing.T) {
			t.Parallel()
			dir := archived(t)
			storetest.WriteFile(t, filepath.Join(dir, "NOTES.md"), "n\n")
			storetest.Git(t, dir, "add", "NOTES.md")
			storetest.Git(t, dir, "commit", "--quiet", "-m", "notes")
			storetest.WriteFile(t, filepath.Join(dir, "NOTES.md"), "n2\n")
			person := exec.Command("git", "commit", "-a")
			person.Dir = dir
			person.Env = append(os.Environ(), "GIT_EDITOR=sleep 3; true",
				"GIT_AUTHOR_NAME=p", "GIT_AUTHOR_EMAIL=p@example.org", "GIT_COMMITTER_NAME=p", "GIT_COMMITTER_EMAIL=p@example.org")
			var out strings.Builder
			person.Stdout, person.Stderr = &out, &out
			if err := person.Start(); err != nil {
				t.Fatal(err)
			}
			defer person.Wait()
			lock := filepath.Join(dir, ".git", "index.lock")
			for i := 0; i < 200; i++ {
				if _, err := os.Stat(lock); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(lock, old, old); err != nil {
				person.Wait()
				t.Fatalf("git commit -a holds no index.lock: %v; git: %s", err, out.String())
			}
			path := dir
			if viaLink {
				path = filepath.Join(t.TempDir(), "link")
				os.Symlink(dir, path)
			}
			if _, err := store.Open(context.Background(), options(path)); err == nil || !strings.Contains(err.Error(), "a git command running in the store") {
				t.Errorf("Open = %v, want the lock left to the git holding it", err)
			}
			if _, err := os.Stat(lock); err != nil {
				t.Error("the live index.lock of a person's git commit was removed")
			}
		})
	}
}

// TestAdoptedSiteBesideRemote: a directory of a person's site, adopted
// with a store.remote that holds an archive, is not replaced by it.
func TestAdoptedSiteBesideRemote(t *testing.T) {
	t.Parallel()
	root, remote, opts := withRemote(t)
	first := options(filepath.Join(root, "first"))
	first.Remote = remote
	s := mustOpen(t, first)
	writeCommit(t, s, "2025-01-01-a.md", "https://example.org/a")
	if err := s.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	storetest.WriteFile(t, filepath.Join(opts.Path, "_posts", ".keep"), "")
	storetest.WriteFile(t, filepath.Join(opts.Path, "about.md"), "---\ntitle: About\n---\nMy site.\n")
	storetest.WriteFile(t, filepath.Join(opts.Path, "_config.yml"), "title: My own site\n")
	s = mustOpen(t, opts)
	defer s.Close()
	if err := s.Pull(context.Background()); err == nil || !strings.Contains(err.Error(), "another history") {
		t.Errorf("Pull = %v, want it refused", err)
	}
	if data, err := os.ReadFile(filepath.Join(opts.Path, "about.md")); err != nil || !strings.Contains(string(data), "My site.") {
		t.Errorf("the person's about.md: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(opts.Path, "_config.yml")); string(data) != "title: My own site\n" {
		t.Errorf("the person's _config.yml is now %q", data)
	}
}

// TestUntrackedForgottenLeftAlone: a person's own
// .archiver/forgotten, not yet added to git, is not committed under
// archiver's name when a takedown is remembered.
func TestUntrackedForgottenLeftAlone(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	list := filepath.Join(dir, store.ForgottenFile)
	storetest.WriteFile(t, list, "https://example.org/draft-of-mine\n")
	storetest.Git(t, dir, "rm", "--quiet", "_posts/2024-01-01-a.md")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "Take a down")
	open(t, dir)
	if got := storetest.Git(t, dir, "ls-tree", "-r", "HEAD", "--", store.ForgottenFile); got != "" {
		t.Errorf("the person's uncommitted list was committed by archiver (%q)", storetest.LastMessage(t, dir))
	}
	if data, _ := os.ReadFile(list); string(data) != "https://example.org/draft-of-mine\n" {
		t.Errorf("the person's list was changed:\n%s", data)
	}
}

// TestTakedownCacheLost: a takedown committed between passes is
// remembered even when the table of posts (only a speed-up, says
// saveTable) is lost.
func TestTakedownCacheLost(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	storetest.Git(t, dir, "rm", "--quiet", "_posts/2024-01-01-a.md")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "Take a down")
	os.Remove(filepath.Join(dir, ".git", "archiver", "posts.table"))
	os.Remove(filepath.Join(dir, ".git", "archiver", "posts.delta"))
	if got, _ := open(t, dir).Forgotten(); !slices.Equal(got, []string{"https://example.org/a"}) {
		t.Errorf("forgotten %q, want the post taken down", got)
	}
}

// TestForgetBesideRemoteUnforget: archiver forgets a (a commit of
// its own, not pushed) while a person took x back on the forge: the pull
// replays archiver's commit; the list keeps a and not x.
func TestForgetBesideRemoteUnforget(t *testing.T) {
	t.Parallel()
	root, remote, opts := pushedForgettingX(t)
	ctx := context.Background()
	onTheForge(t, root, remote, func(clone string) {
		list := filepath.Join(clone, store.ForgottenFile)
		data, _ := os.ReadFile(list)
		storetest.WriteFile(t, list, strings.ReplaceAll(string(data), "https://example.org/x\n", ""))
	})
	s := mustOpen(t, opts)
	defer s.Close()
	if err := s.Forget(ctx, []string{"https://example.org/a"}, []string{"2025-01-01-a.md"}, "Forget a\n"); err != nil {
		t.Fatal(err)
	}
	if err := s.Push(ctx); err != nil {
		t.Errorf("Push = %v", err)
	}
	if got, _ := s.Forgotten(); !slices.Equal(got, []string{"https://example.org/a"}) {
		t.Errorf("forgotten %q, want a only", got)
	}
}

// TestOpenLockOfKilledGit: a lock made by the git a killed run was killed
// with (kill -9 of them both) does not stop the next run, however young;
// a young lock with no such mark does.
func TestOpenLockOfKilledGit(t *testing.T) {
	t.Parallel()
	for _, killed := range []bool{true, false} {
		dir := archived(t)
		if killed {
			if err := store.KillGit(dir); err != nil {
				t.Fatal(err)
			}
		}
		storetest.WriteFile(t, filepath.Join(dir, ".git", "index.lock"), "")
		s, err := store.Open(context.Background(), options(dir))
		if killed && err != nil {
			t.Errorf("Open after git was killed with archiver = %v, want the lock removed", err)
		}
		if !killed && (err == nil || !strings.Contains(err.Error(), "index.lock")) {
			t.Errorf("Open with a young lock of nobody known = %v, want it left alone", err)
		}
		if s != nil {
			s.Close()
		}
	}
}
