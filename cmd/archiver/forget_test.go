package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestForgetRefuses: archiver forget takes only http(s) URLs; anything
// else is a usage error, and nothing is forgotten.
func TestForgetRefuses(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	archive := filepath.Join(dir, "archive")
	head := storetest.Head(t, archive)
	for _, arg := range []string{"", "-", "javascript:alert(1)", "../../etc/passwd", "http://a b/c d", "ftp://x.org/a",
		site.StoryURL(1) + "\n" + site.StoryURL(2), "https://", "mailto:a@example.org"} {
		code, stdout, stderr := runCommand(t, dir, "forget", arg)
		if code != exitUsage || !strings.Contains(stderr, "http") {
			t.Errorf("forget %q: exit %d, want 2 and what it takes\n%s%s", arg, code, stdout, stderr)
		}
	}
	if code, _, _ := runCommand(t, dir, "forget", site.StoryURL(1), "javascript:alert(1)"); code != exitUsage {
		t.Errorf("forget of a good URL and a bad one: exit %d, want 2", code)
	}
	if storetest.Head(t, archive) != head || len(storetest.PostFiles(t, archive)) != 2 {
		t.Errorf("a refused forget changed the archive: %q", storetest.Subjects(t, archive))
	}
	if _, err := os.Stat(filepath.Join(archive, store.ForgottenFile)); err == nil {
		t.Error("a refused forget wrote the list of forgotten articles")
	}
}

// TestTakedownsUnreadable: a list of forgotten articles that cannot be
// read (here a directory, as a pull may bring) stops the pass: exit 1,
// the list named; the stories taken down are not archived again.
func TestTakedownsUnreadable(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	archive := filepath.Join(dir, "archive")
	name := storetest.Posts(t, archive)[site.StoryURL(1)]
	storetest.Git(t, archive, "rm", "--quiet", "_posts/"+name)
	storetest.WriteFile(t, filepath.Join(archive, store.ForgottenFile, "oops"), site.StoryURL(1)+"\n")
	storetest.Git(t, archive, "add", ".archiver")
	storetest.Git(t, archive, "commit", "--quiet", "-m", "Take story 1 down, and a list that is a directory")
	site.EditStory(1, "第1篇报道（更新）")
	code, _, stderr := runCommand(t, dir, "sync")
	if code != exitFailed || !strings.Contains(stderr, store.ForgottenFile) {
		t.Errorf("sync with a list that is a directory: exit %d, want 1 naming it\n%s", code, stderr)
	}
	if _, ok := storetest.Posts(t, archive)[site.StoryURL(1)]; ok {
		t.Error("the story taken down was archived again")
	}
}

// TestPostsSymlinkRefused: a _posts that is a symlink out of the store is
// refused before anything is fetched: exit 2, one line.
func TestPostsSymlinkRefused(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	dir, elsewhere := t.TempDir(), t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	os.MkdirAll(filepath.Join(dir, "archive"), 0o755)
	os.Symlink(elsewhere, filepath.Join(dir, "archive", store.PostsDir))
	code, _, stderr := runCommand(t, dir, "sync")
	if code != exitUsage || !strings.Contains(stderr, "symlink") || site.TotalHits() != 0 {
		t.Errorf("sync with _posts a symlink: exit %d, %d requests, want 2 and none\n%s", code, site.TotalHits(), stderr)
	}
}
