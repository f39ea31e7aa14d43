package store_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// The repository is shared with people: these tests leave it in the
// states a person does, and check that archiver writes nothing where it
// must not, and says what to do.

// archived makes a store with two committed posts and closes it.
func archived(t *testing.T) string {
	t.Helper()
	s, dir := newStore(t)
	for _, u := range []string{"https://example.org/a", "https://example.org/b"} {
		if err := s.Write("2024-01-01-"+u[len(u)-1:]+".md", post(u)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(context.Background(), "Archive "+u); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	return dir
}

// conflicting makes a branch other whose change to post b conflicts with
// main's last commit.
func conflicting(t *testing.T, dir string) {
	t.Helper()
	storetest.Git(t, dir, "checkout", "--quiet", "-b", "other", "HEAD~1")
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024-01-01-b.md"), "a person's b\n")
	storetest.Git(t, dir, "add", ".")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "other")
	storetest.Git(t, dir, "checkout", "--quiet", "main")
}

func TestOpenRefusesStates(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		leave func(t *testing.T, dir string) // the repository as a person leaves it
		want  string                         // in the error
	}{
		{"rebase", func(t *testing.T, dir string) {
			conflicting(t, dir)
			storetest.TryGit(dir, "rebase", "other")
		}, "a rebase is in progress in"},
		{"merge --no-commit", func(t *testing.T, dir string) {
			storetest.Git(t, dir, "checkout", "--quiet", "-b", "side", "HEAD~1")
			storetest.WriteFile(t, filepath.Join(dir, "NOTES.md"), "notes\n")
			storetest.Git(t, dir, "add", ".")
			storetest.Git(t, dir, "commit", "--quiet", "-m", "notes")
			storetest.Git(t, dir, "checkout", "--quiet", "main")
			storetest.Git(t, dir, "merge", "--quiet", "--no-commit", "--no-ff", "side")
		}, "a merge is in progress in"},
		{"cherry-pick", func(t *testing.T, dir string) {
			conflicting(t, dir)
			storetest.TryGit(dir, "cherry-pick", "other")
		}, "a cherry-pick is in progress in"},
		{"revert", func(t *testing.T, dir string) {
			storetest.Git(t, dir, "revert", "--no-commit", "HEAD")
		}, "a revert is in progress in"},
		{"another branch", func(t *testing.T, dir string) {
			storetest.Git(t, dir, "checkout", "--quiet", "-b", "experiment")
		}, "has branch experiment checked out, not the archive's branch main"},
		{"detached HEAD", func(t *testing.T, dir string) {
			storetest.Git(t, dir, "checkout", "--quiet", "--detach", "HEAD~1")
		}, "is not on a branch (detached)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := archived(t)
			tt.leave(t, dir)
			head, _ := storetest.TryGit(dir, "rev-parse", "HEAD")
			status := storetest.Git(t, dir, "status", "--porcelain", "--untracked-files=all")
			files := storetest.Git(t, dir, "ls-files", "--stage")

			s, err := store.Open(context.Background(), options(dir))
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, store.ErrState) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "archiver wrote nothing") {
				t.Fatalf("Open = %v, want ErrState saying %q", err, tt.want)
			}
			if got, _ := storetest.TryGit(dir, "rev-parse", "HEAD"); got != head {
				t.Errorf("HEAD moved from %s to %s", head, got)
			}
			if got := storetest.Git(t, dir, "status", "--porcelain", "--untracked-files=all"); got != status {
				t.Errorf("git status changed:\n%s\nwas:\n%s", got, status)
			}
			if got := storetest.Git(t, dir, "ls-files", "--stage"); got != files {
				t.Error("the index changed")
			}
		})
	}
}

// TestOpenBranch: a store whose configuration names no branch keeps the
// one checked out when it was first opened, and refuses another.
func TestOpenBranch(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storetest.Git(t, dir, "init", "--quiet", "--initial-branch=trunk")
	storetest.WriteFile(t, filepath.Join(dir, "_posts", "2024-01-01-a.md"), string(post("https://example.org/a")))
	storetest.Git(t, dir, "add", ".")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "The earlier tool's archive")
	s := open(t, dir)
	s.Close()
	storetest.Git(t, dir, "checkout", "--quiet", "-b", "experiment")
	if _, err := store.Open(context.Background(), options(dir)); !errors.Is(err, store.ErrState) || !strings.Contains(err.Error(), "not the archive's branch trunk") {
		t.Errorf("Open on another branch = %v, want ErrState naming trunk", err)
	}
	storetest.Git(t, dir, "checkout", "--quiet", "trunk")
	open(t, dir)
}

// TestOpenLocks: a git lock is removed only when no git can be holding it.
func TestOpenLocks(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	lock := filepath.Join(dir, ".git", "index.lock")
	storetest.WriteFile(t, lock, "")

	// A person's git runs in the repository (here, one reading its input).
	person := exec.Command("git", "hash-object", "--stdin")
	person.Dir = dir
	stdin, _ := person.StdinPipe()
	if err := person.Start(); err != nil {
		t.Fatal(err)
	}
	_, err := store.Open(context.Background(), options(dir))
	if err == nil || !strings.Contains(err.Error(), "a git command running in the store (pid") {
		t.Errorf("Open with a git running = %v, want the lock left to it", err)
	}
	stdin.Close()
	person.Wait()

	// No git runs now, but the lock is new and archiver's last run ended
	// well: a git that archiver cannot see may hold it.
	if _, err := store.Open(context.Background(), options(dir)); err == nil || !strings.Contains(err.Error(), "cannot see") {
		t.Errorf("Open with a new lock = %v, want it left alone", err)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Fatalf("the lock was removed: %v", err)
	}
	// An old one is a leftover.
	old := time.Now().Add(-11 * time.Minute)
	os.Chtimes(lock, old, old)
	open(t, dir).Close()
	if _, err := os.Stat(lock); err == nil {
		t.Error("an old lock with no git running is still there")
	}
	// A new lock whose git finishes as archiver looks (no process left to
	// see, the lock about to go) is waited for, a moment.
	storetest.WriteFile(t, lock, "")
	go func() { time.Sleep(300 * time.Millisecond); os.Remove(lock) }()
	open(t, dir)
}

// TestMaintainForeground: git gc runs within Maintain, not detached after
// it: when Maintain returns, the packs are packed and no gc.pid is left.
func TestMaintainForeground(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	storetest.Git(t, dir, "config", "gc.autoPackLimit", "1")
	for i := range 3 {
		storetest.WriteFile(t, filepath.Join(dir, "f"+string(rune('a'+i))), strings.Repeat("x", i+1))
		storetest.Git(t, dir, "add", ".")
		storetest.Git(t, dir, "-c", "gc.auto=0", "commit", "--quiet", "-m", "x") // no gc of the commit's own
		storetest.Git(t, dir, "repack", "--quiet")
	}
	if packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack")); len(packs) < 2 {
		t.Fatalf("%d packs: the test needs more than gc.autoPackLimit", len(packs))
	}
	s := open(t, dir)
	if err := s.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
	packs, _ := filepath.Glob(filepath.Join(dir, ".git", "objects", "pack", "*.pack"))
	if len(packs) != 1 {
		t.Errorf("%d packs when Maintain returned, want 1: gc ran detached", len(packs))
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "gc.pid")); err == nil {
		t.Error("gc.pid is left")
	}
}

// TestMaintainLooseBytes: loose objects of more bytes than Maintain
// leaves are packed, however few they are.
func TestMaintainLooseBytes(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	for i := range 20 { // 20 files of 64 KiB, that do not compress
		data := make([]byte, 64<<10)
		rand.Read(data)
		storetest.WriteFile(t, filepath.Join(dir, "big", fmt.Sprint(i)), string(data))
	}
	storetest.Git(t, dir, "add", "big")
	storetest.Git(t, dir, "-c", "gc.auto=0", "commit", "--quiet", "-m", "Big")
	loose := func() string {
		for line := range strings.SplitSeq(storetest.Git(t, dir, "count-objects", "-v"), "\n") {
			if v, ok := strings.CutPrefix(line, "size: "); ok {
				return v
			}
		}
		return ""
	}
	if kib, _ := strconv.Atoi(loose()); kib < 1200 {
		t.Fatalf("%s KiB of loose objects: the test needs more", loose())
	}
	s.SetMaxLoose(2 << 20)
	if err := s.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if kib, _ := strconv.Atoi(loose()); kib < 1200 {
		t.Errorf("%s KiB of loose objects, under the bound, were packed", loose())
	}
	s.SetMaxLoose(1 << 20)
	if err := s.Maintain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if kib, _ := strconv.Atoi(loose()); kib > 64 {
		t.Errorf("%s KiB of loose objects left, more than the bound", loose())
	}
	storetest.Git(t, dir, "fsck", "--strict", "--no-progress")
}

// TestTuneIndex: a large archive's git index is split and compressed from
// the next commit on, and works as any: committed posts are clean, the
// repository is sound. A key a person set stays as it is.
func TestTuneIndex(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	storetest.Git(t, dir, "config", "core.untrackedCache", "false")
	for i := range 3 {
		if err := s.Write(fmt.Sprintf("2024/01/2024-01-0%d-a.md", i+1), post(fmt.Sprint("https://example.org/", i))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Commit(context.Background(), "Three"); err != nil {
		t.Fatal(err)
	}
	s.TuneIndex(context.Background(), 4)
	if got, _ := storetest.TryGit(dir, "config", "--get-regexp", "core.splitindex|index.version"); got != "" {
		t.Errorf("a store of 3 posts configured as a large one:\n%s", got)
	}
	s.TuneIndex(context.Background(), 3)
	if got := storetest.Git(t, dir, "config", "--get-regexp", "core.splitindex|index.version|core.untrackedcache"); got != "core.untrackedcache false\nindex.version 4\ncore.splitindex true\n" &&
		got != "core.untrackedcache false\ncore.splitindex true\nindex.version 4\n" {
		t.Errorf("the configuration of a large archive:\n%s", got)
	}
	if err := s.Write("2024/01/2024-01-09-b.md", post("https://example.org/b")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(context.Background(), "One more"); err != nil {
		t.Fatal(err)
	}
	if shared, _ := filepath.Glob(filepath.Join(dir, ".git", "sharedindex.*")); len(shared) == 0 {
		t.Error("the index is not split after a commit")
	}
	storetest.CheckRepo(t, dir)
}

// TestForgetOneLineEach: a URL that would not be one line of the list of
// forgotten articles is refused; the list is as it was.
func TestForgetOneLineEach(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	for _, u := range []string{"https://x.org/a\nhttps://x.org/b", "https://x.org/a b", "", "# https://x.org/c", "https://x.org/\x00"} {
		if err := s.Forget(context.Background(), []string{u}, nil, "Forget\n"); err == nil {
			t.Errorf("Forget(%q) succeeded", u)
		}
	}
	if got, _ := s.Forgotten(); len(got) != 0 {
		t.Errorf("forgotten %q", got)
	}
	storetest.CheckRepo(t, dir)
}
