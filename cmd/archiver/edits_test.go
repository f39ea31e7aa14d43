package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestSyncEdits: an article listed twice in one feed (the second time
// with a trailing slash and tracking parameters) is archived once and never rewritten; an
// edited story is archived again in a commit of its own; an edit whose
// page fails is a failure like any other (stderr, exit 1) and is tried
// again at the next run even when the feed has not changed since.
func TestSyncEdits(t *testing.T) {
	site := newNewsSite(t, 2)
	site.dup = true
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	writeFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.feedURL()+"'}]\nhttp: {retry_backoff: 10ms}\n")
	sync := func(wantCode int, wantSummary string) string {
		t.Helper()
		code, _, stderr := runBinary(t, dir, "sync")
		if code != wantCode || !strings.Contains(stderr, wantSummary) {
			t.Fatalf("sync: exit %d, want %d and %q:\n%s", code, wantCode, wantSummary, stderr)
		}
		return stderr
	}
	lastCommit := func() string { return gitOut(t, archive, "show", "--format=%s", "--name-status", "HEAD") }

	sync(0, "sync: 2 new, 0 updated, 0 failed")
	site.add(3) // the feed changes; story 1 is still listed twice
	sync(0, "sync: 1 new, 0 updated, 0 failed")
	if c := lastCommit(); !strings.HasPrefix(c, "Archive 1 new post\n") || strings.Count(c, "\nA\t") != 1 || strings.Contains(c, "\nM\t") {
		t.Errorf("the second run's commit is not the one new post:\n%s", c)
	}
	if n := site.hitCount("/news/story-001.html") + site.hitCount("/news/story-001.html/"); n != 1 {
		t.Errorf("story 1's page was fetched %d times, want once: its second entry in the feed is taken for an edit", n)
	}

	name := postsFrom(t, archive)[site.storyURL(2)]
	before := readPost(t, archive, name)
	site.edit(2, "第2篇报道（更正）")
	site.breakPage(2, true)
	stderr := sync(1, "0 updated, 1 failed")
	if !lineHas(stderr, "FAILED "+site.storyURL(2)+": ", "HTTP 500") {
		t.Errorf("the failed edit is not named:\n%s", stderr)
	}
	if after := readPost(t, archive, name); string(after.Body) != string(before.Body) {
		t.Error("a failed edit changed the post")
	}

	site.breakPage(2, false) // the feed is unchanged: it answers 304
	sync(0, "sync: 0 new, 1 updated, 0 failed")
	after := readPost(t, archive, name)
	if !strings.Contains(string(after.Body), "更正") {
		t.Errorf("the edit is not archived:\n%s", after.Body)
	}
	if c := lastCommit(); !strings.HasPrefix(c, "Update 1 post\n") || !strings.Contains(c, "M\t_posts/"+name) {
		t.Errorf("the edit's commit:\n%s", c)
	}
	if log := gitOut(t, archive, "log", "--format=%s", "--", "_posts/"+name); strings.Count(log, "\n") != 2 {
		t.Errorf("the post's history has other than its first version and its edit:\n%s", log)
	}

	head := gitOut(t, archive, "rev-parse", "HEAD")
	sync(0, "nothing to commit")
	if gitOut(t, archive, "rev-parse", "HEAD") != head {
		t.Error("a run with nothing new made a commit")
	}
	if n := len(postsFrom(t, archive)); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
	checkRepo(t, archive)
}
