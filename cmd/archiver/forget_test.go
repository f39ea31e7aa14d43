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
