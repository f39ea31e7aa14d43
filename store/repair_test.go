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
		writeFile(t, tmp, []byte("---\ntitle: half"))
	}
	// (b) posts written but not committed: one untracked, one staged
	untracked, staged := post("https://example.org/untracked"), post("https://example.org/staged")
	writeFile(t, filepath.Join(postsDir, "2024-01-02-untracked.md"), untracked)
	writeFile(t, filepath.Join(postsDir, "2024-01-03-staged.md"), staged)
	gitOut(t, dir, "add", "_posts/2024-01-03-staged.md")
	// (c) a lock git left when it was killed
	writeFile(t, filepath.Join(gitDir, "index.lock"), nil)
	// (d) a file with a post's name that is no post
	broken := []byte("Not a post: no front matter.\n")
	writeFile(t, filepath.Join(postsDir, "2024-01-04-broken.md"), broken)

	s = open(t, dir)

	for _, tmp := range tmps {
		if _, err := os.Stat(tmp); err == nil {
			t.Errorf("%s is still there", tmp)
		}
	}
	if _, err := os.Stat(filepath.Join(gitDir, "index.lock")); err == nil {
		t.Error("index.lock is still there")
	}
	if n := commitCount(t, dir); n != 3 {
		t.Errorf("%d commits, want 3 (seed, Archive kept, Recover)", n)
	}
	if m := lastMessage(t, dir); !strings.HasPrefix(m, "Recover ") {
		t.Errorf("last commit %q, want a Recover commit", m)
	}
	changed := strings.Fields(gitOut(t, dir, "show", "--name-only", "--format=", "HEAD"))
	if !slices.Equal(changed, []string{"_posts/2024-01-02-untracked.md", "_posts/2024-01-03-staged.md"}) {
		t.Errorf("the Recover commit changed %v", changed)
	}
	if c := gitOut(t, dir, "show", "HEAD:_posts/2024-01-02-untracked.md"); c != string(untracked) {
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
	checkRepo(t, dir)

	// (c) git works again: the next Commit is made.
	if err := s.Write("2024-01-06-next.md", post("https://example.org/next")); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(ctx, "Archive next"); err != nil || !made {
		t.Errorf("Commit after repair = %v, %v", made, err)
	}
	checkRepo(t, dir)

	// Nothing left to repair: another Open commits nothing.
	s.Close()
	open(t, dir)
	if n := commitCount(t, dir); n != 4 {
		t.Errorf("%d commits, want 4", n)
	}
}

// TestRepairFirstCommit is a run killed while it made the repository's
// first commit: git init done, a file written, git's index locked.
func TestRepairFirstCommit(t *testing.T) {
	cleanEnv(t)
	dir := t.TempDir()
	gitOut(t, dir, "init", "--quiet", "--initial-branch=main")
	writeFile(t, filepath.Join(dir, "_posts", "2024-01-01-a.md"), post("https://example.org/a"))
	writeFile(t, filepath.Join(dir, ".git", "index.lock"), nil)
	tmps := []string{
		filepath.Join(dir, ".archiver-tmp-_config.yml-1"),
		filepath.Join(dir, "_layouts", ".archiver-tmp-post.html-2"),
	}
	for _, tmp := range tmps {
		writeFile(t, tmp, []byte("half"))
	}

	s := open(t, dir)
	if n := commitCount(t, dir); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
	committed := headFiles(t, dir)
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
	checkRepo(t, dir)
}
