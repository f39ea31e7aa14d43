package store_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestRepair leaves a store as a run killed at its worst moments would,
// beside a person's work not yet committed, and checks that the next Open
// puts right what is archiver's and leaves the person's as it was.
func TestRepair(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	ctx := context.Background()
	if err := s.Write("2024-01-01-kept.md", post("https://example.org/kept")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, "Archive kept"); err != nil {
		t.Fatal(err)
	}
	// (a) posts a run wrote and did not commit, one of them staged, and
	// the run killed.
	untracked, staged := post("https://example.org/untracked"), post("https://example.org/staged")
	for name, data := range map[string][]byte{"2024-01-02-untracked.md": untracked, "2024-01-03-staged.md": staged} {
		if err := s.Write(name, data); err != nil {
			t.Fatal(err)
		}
	}
	storetest.Git(t, dir, "add", "_posts/2024-01-03-staged.md")
	s.Crash()
	postsDir := filepath.Join(dir, store.PostsDir)
	gitDir := filepath.Join(dir, ".git")

	// (d) a person's work: a hand edit of a post, a post of their own, a
	// file with a post's name that is no post, and a change staged.
	handEdit := strings.Replace(string(post("https://example.org/kept")), "date: 2024-07-26T19:35:21.442Z", "date: yesterday", 1)
	theirs := map[string]string{
		"_posts/2024-01-01-kept.md":   handEdit,
		"_posts/2024-01-07-theirs.md": string(post("https://example.org/theirs")),
		"_posts/2024-01-04-broken.md": "Not a post: no front matter.\n",
		"_config.yml":                 "title: Their archive\n",
	}
	for path, data := range theirs {
		storetest.WriteFile(t, filepath.Join(dir, path), data)
	}
	storetest.Git(t, dir, "add", "_config.yml")
	status := storetest.Git(t, dir, "status", "--porcelain", "--untracked-files=all", "--", ".", ":(exclude)_posts/2024-01-02-untracked.md", ":(exclude)_posts/2024-01-03-staged.md")
	// (b) temporary files of atomic writes never renamed
	tmps := []string{
		filepath.Join(postsDir, ".archiver-tmp-2024-01-05-x.md-123"),
		filepath.Join(dir, ".archiver-tmp-x-1"),
		filepath.Join(gitDir, "archiver", ".archiver-tmp-state.json-9"),
	}
	for _, tmp := range tmps {
		storetest.WriteFile(t, tmp, "---\ntitle: half")
	}
	// (c) a lock a git left when it was killed, long ago
	stale(t, filepath.Join(gitDir, "index.lock"))

	s = open(t, dir)

	for _, tmp := range tmps {
		if _, err := os.Stat(tmp); err == nil {
			t.Errorf("%s is still there", tmp)
		}
	}
	if _, err := os.Stat(filepath.Join(gitDir, "index.lock")); err == nil {
		t.Error("index.lock is still there")
	}
	if n := storetest.Commits(dir); n != 3 {
		t.Errorf("%d commits, want 3 (seed, Archive kept, Recover)", n)
	}
	if m := storetest.LastMessage(t, dir); m != "Recover 2 posts an earlier archiver run wrote and did not commit" {
		t.Errorf("last commit %q, want the Recover commit", m)
	}
	changed := strings.Fields(storetest.Git(t, dir, "show", "--name-only", "--format=", "HEAD"))
	if !slices.Equal(changed, []string{"_posts/2024-01-02-untracked.md", "_posts/2024-01-03-staged.md"}) {
		t.Errorf("the Recover commit changed %v, want only the two posts the killed run wrote", changed)
	}
	if c := storetest.Git(t, dir, "show", "HEAD:_posts/2024-01-02-untracked.md"); c != string(untracked) {
		t.Errorf("committed %q", c)
	}
	// The person's work is as they left it: not committed, not moved.
	if got := storetest.Git(t, dir, "status", "--porcelain", "--untracked-files=all"); got != status {
		t.Errorf("git status after Open:\n%s\nwant the person's changes as they were:\n%s", got, status)
	}
	for path, data := range theirs {
		if got, err := os.ReadFile(filepath.Join(dir, path)); err != nil || string(got) != data {
			t.Errorf("%s changed: %v", path, err)
		}
	}
	if err := s.Write("2024-01-01-kept.md", post("https://example.org/kept")); err == nil || !strings.Contains(err.Error(), "did not commit") {
		t.Errorf("Write over a person's uncommitted edit = %v, want it refused", err)
	}
	got := map[string]string{}
	s.Posts(func(p store.Post) { got[p.Name] = p.From })
	want := map[string]string{
		"2024-01-01-kept.md":      "https://example.org/kept",
		"2024-01-02-untracked.md": "https://example.org/untracked",
		"2024-01-03-staged.md":    "https://example.org/staged",
	}
	if !maps.Equal(got, want) {
		t.Errorf("Posts() = %v, want %v", got, want)
	}

	// (c) git works again: the next Commit is made, of archiver's post
	// alone; the person's staged change stays staged.
	if err := s.Write("2024-01-06-next.md", post("https://example.org/next")); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(ctx, "Archive next"); err != nil || !made {
		t.Errorf("Commit after repair = %v, %v", made, err)
	}
	if changed := strings.Fields(storetest.Git(t, dir, "show", "--name-only", "--format=", "HEAD")); !slices.Equal(changed, []string{"_posts/2024-01-06-next.md"}) {
		t.Errorf("archiver's commit changed %v", changed)
	}
	if got := storetest.Git(t, dir, "status", "--porcelain", "--untracked-files=all"); got != status {
		t.Errorf("git status after a commit:\n%s\nwant the person's changes as they were:\n%s", got, status)
	}
	storetest.Git(t, dir, "fsck", "--strict", "--no-progress")

	// Nothing left to repair: another Open commits nothing.
	s.Close()
	open(t, dir)
	if n := storetest.Commits(dir); n != 4 {
		t.Errorf("%d commits, want 4", n)
	}
}

// TestRepairFirstCommit is a run killed while it made the repository's
// first commit: git init done, a file written, git's index locked.
func TestRepairFirstCommit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storetest.Git(t, dir, "init", "--quiet", "--initial-branch=main")
	storetest.WriteFile(t, filepath.Join(dir, "_posts", "2024-01-01-a.md"), string(post("https://example.org/a")))
	storetest.WriteFile(t, filepath.Join(dir, ".git", "index.lock"), "")
	stale(t, filepath.Join(dir, ".git", "index.lock")) // a killed git's, long ago
	tmps := []string{
		filepath.Join(dir, ".archiver-tmp-_config.yml-1"),
		filepath.Join(dir, "_layouts", ".archiver-tmp-post.html-2"),
	}
	for _, tmp := range tmps {
		storetest.WriteFile(t, tmp, "half")
	}

	s := open(t, dir)
	if n := storetest.Commits(dir); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
	committed := storetest.HeadFiles(t, dir)
	for _, want := range []string{"_config.yml", "_posts/2024-01-01-a.md"} {
		if !slices.Contains(committed, want) {
			t.Errorf("the first commit lacks %s: %v", want, committed)
		}
	}
	for _, f := range committed {
		if strings.Contains(f, ".archiver-tmp-") {
			t.Errorf("the first commit holds the temporary file %s", f)
		}
	}
	for _, tmp := range tmps {
		if _, err := os.Stat(tmp); err == nil {
			t.Errorf("%s is still there", tmp)
		}
	}
	if p, ok := s.Post("2024-01-01-a.md"); !ok || p.From != "https://example.org/a" {
		t.Errorf("Post = %+v, %v", p, ok)
	}
	storetest.CheckRepo(t, dir)
}

// TestRepairInterruptedPull: a rebase of Pull's that a killed run left
// half done (HEAD detached, a commit not yet replayed) is undone at the
// next Open, and the stale locks of a killed fetch go too; the commits
// are all on the branch again.
func TestRepairInterruptedPull(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	ctx := context.Background()
	for _, u := range []string{"https://example.org/a", "https://example.org/b"} {
		if err := s.Write("2024-01-01-"+u[len(u)-1:]+".md", post(u)); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, "Archive "+u); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	head := storetest.Git(t, dir, "rev-parse", "HEAD")
	// A rebase that stops halfway: onto a commit that conflicts with the
	// second of the two commits.
	storetest.Git(t, dir, "checkout", "--quiet", "-b", "other", "HEAD~1")
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024-01-01-b.md"), "conflict\n")
	storetest.Git(t, dir, "add", ".")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "other")
	storetest.Git(t, dir, "checkout", "--quiet", "main")
	if out, err := storetest.TryGit(dir, "rebase", "other"); err == nil {
		t.Fatalf("the rebase did not stop: %s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "rebase-merge")); err != nil {
		t.Fatalf("no rebase in progress: %v", err)
	}
	gitDir := filepath.Join(dir, ".git")
	locks := []string{filepath.Join(gitDir, "config.lock"), filepath.Join(gitDir, "refs", "remotes", "archive-remote", "main.lock")}
	for _, l := range locks {
		stale(t, l)
	}
	// The rebase is a killed archiver's.
	if err := store.MarkRebasing(dir); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	defer s.Close()
	if got := storetest.Git(t, dir, "symbolic-ref", "HEAD"); got != "refs/heads/main\n" {
		t.Errorf("HEAD is %q, want refs/heads/main", got)
	}
	if got := storetest.Git(t, dir, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD is %s, want the commit before the pull, %s", got, head)
	}
	for _, l := range locks {
		if _, err := os.Stat(l); err == nil {
			t.Errorf("%s is still there", l)
		}
	}
	if n := len(posts(s)); n != 2 {
		t.Errorf("%d posts, want 2", n)
	}
	storetest.CheckRepo(t, dir)
}

// stale makes a lock file a git left long ago.
func stale(t *testing.T, path string) {
	t.Helper()
	storetest.WriteFile(t, path, "")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
}

// TestRepairLabelled: posts written under a label (a backfill's window)
// and not committed when the run was killed are recovered in a commit that
// says what they were for.
func TestRepairLabelled(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	s.Label("Backfill 2021-07")
	for _, name := range []string{"2021-07-01-a.md", "2021-07-02-b.md"} {
		if err := s.Write(name, post("https://example.org/"+name)); err != nil {
			t.Fatal(err)
		}
	}
	s.Crash()
	open(t, dir)
	if m := storetest.LastMessage(t, dir); m != "Backfill 2021-07: 2 posts (recovered: an earlier run was stopped before it committed them)" {
		t.Errorf("last commit %q, want the window's", m)
	}
	storetest.CheckRepo(t, dir)
}
