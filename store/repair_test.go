package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestRepair leaves a store as a run killed at its worst moments would,
// and checks the next Open puts everything right.
func TestRepair(t *testing.T) {
	s, dir := newStore(t)
	ctx := context.Background()
	if err := s.Write("2024-01-01-kept.md", post("https://example.org/kept")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, "Archive kept"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	postsDir := filepath.Join(dir, store.PostsDir)
	gitDir := filepath.Join(dir, ".git")

	// (a) temporary files of atomic writes never renamed
	tmps := []string{
		filepath.Join(postsDir, ".archiver-tmp-2024-01-05-x.md-123"),
		filepath.Join(dir, ".archiver-tmp-x-1"),
		filepath.Join(gitDir, "archiver", ".archiver-tmp-state.json-9"),
	}
	for _, tmp := range tmps {
		storetest.WriteFile(t, tmp, "---\ntitle: half")
	}
	// (b) posts written but not committed: one untracked, one staged
	untracked, staged := post("https://example.org/untracked"), post("https://example.org/staged")
	storetest.WriteFile(t, filepath.Join(postsDir, "2024-01-02-untracked.md"), string(untracked))
	storetest.WriteFile(t, filepath.Join(postsDir, "2024-01-03-staged.md"), string(staged))
	storetest.Git(t, dir, "add", "_posts/2024-01-03-staged.md")
	// (c) a lock git left when it was killed
	storetest.WriteFile(t, filepath.Join(gitDir, "index.lock"), "")
	// (d) a file with a post's name that is no post
	broken := []byte("Not a post: no front matter.\n")
	storetest.WriteFile(t, filepath.Join(postsDir, "2024-01-04-broken.md"), string(broken))

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
	if m := storetest.LastMessage(t, dir); !strings.HasPrefix(m, "Recover ") {
		t.Errorf("last commit %q, want a Recover commit", m)
	}
	changed := strings.Fields(storetest.Git(t, dir, "show", "--name-only", "--format=", "HEAD"))
	if !slices.Equal(changed, []string{"_posts/2024-01-02-untracked.md", "_posts/2024-01-03-staged.md"}) {
		t.Errorf("the Recover commit changed %v", changed)
	}
	if c := storetest.Git(t, dir, "show", "HEAD:_posts/2024-01-02-untracked.md"); c != string(untracked) {
		t.Errorf("committed %q", c)
	}
	got := map[string]string{}
	s.Posts(func(p store.Post) { got[p.Name] = p.From })
	want := map[string]string{
		"2024-01-01-kept.md":      "https://example.org/kept",
		"2024-01-02-untracked.md": "https://example.org/untracked",
		"2024-01-03-staged.md":    "https://example.org/staged",
	}
	if len(got) != len(want) {
		t.Errorf("Posts() = %v, want %v", got, want)
	}
	for name, from := range want {
		if got[name] != from {
			t.Errorf("%s is from %q, want %q", name, got[name], from)
		}
	}

	// (d) the broken file is set aside, as it was.
	if _, err := os.Stat(filepath.Join(postsDir, "2024-01-04-broken.md")); err == nil {
		t.Error("the broken post is still in _posts")
	}
	q, _ := filepath.Glob(filepath.Join(gitDir, "archiver", "quarantine", "*2024-01-04-broken.md"))
	if len(q) != 1 {
		t.Fatalf("quarantine holds %v", q)
	}
	if data, err := os.ReadFile(q[0]); err != nil || !bytes.Equal(data, broken) {
		t.Errorf("quarantined file holds %q, %v", data, err)
	}

	// (e) a sound repository.
	storetest.CheckRepo(t, dir)

	// (c) git works again: the next Commit is made.
	if err := s.Write("2024-01-06-next.md", post("https://example.org/next")); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(ctx, "Archive next"); err != nil || !made {
		t.Errorf("Commit after repair = %v, %v", made, err)
	}
	storetest.CheckRepo(t, dir)

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
	storetest.CleanEnv(t)
	dir := t.TempDir()
	storetest.Git(t, dir, "init", "--quiet", "--initial-branch=main")
	storetest.WriteFile(t, filepath.Join(dir, "_posts", "2024-01-01-a.md"), string(post("https://example.org/a")))
	storetest.WriteFile(t, filepath.Join(dir, ".git", "index.lock"), "")
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
	stale := []string{filepath.Join(gitDir, "config.lock"), filepath.Join(gitDir, "refs", "remotes", "archive-remote", "main.lock")}
	for _, l := range stale {
		storetest.WriteFile(t, l, "")
	}

	s = open(t, dir)
	defer s.Close()
	if got := storetest.Git(t, dir, "symbolic-ref", "HEAD"); got != "refs/heads/main\n" {
		t.Errorf("HEAD is %q, want refs/heads/main", got)
	}
	if got := storetest.Git(t, dir, "rev-parse", "HEAD"); got != head {
		t.Errorf("HEAD is %s, want the commit before the pull, %s", got, head)
	}
	for _, l := range stale {
		if _, err := os.Stat(l); err == nil {
			t.Errorf("%s is still there", l)
		}
	}
	if n := len(posts(s)); n != 2 {
		t.Errorf("%d posts, want 2", n)
	}
	storetest.CheckRepo(t, dir)
}
