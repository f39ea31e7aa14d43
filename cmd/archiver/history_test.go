package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestHistory: archiver history lists every archived version of a story,
// by its URL or its file, one line each starting with its date and
// commit, with what changed; --diff (before or after the argument) marks
// the characters of the text that changed; a post taken down is a version
// too.
func TestHistory(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	sync := func() {
		t.Helper()
		if code, _, stderr := runCommand(t, dir, "sync"); code != 0 {
			t.Fatalf("sync: exit %d\n%s", code, stderr)
		}
	}
	sync()
	site.EditStory(1, "更新")
	site.ListStories(3)
	sync()
	file := filepath.Join("archive", "_posts", storetest.Posts(t, archive)[site.StoryURL(1)])

	// The edit is a commit of its own, before the new story's, its
	// trailers the story's URL and the number of its version.
	if log := storetest.Git(t, archive, "log", "-2", "--format=%s"); log != "Archive 1 new post\nEdited on the site: 頁面標題 /news/story-001.html\n" {
		t.Errorf("the commits of a sync with an edit and a new story:\n%s", log)
	}
	if trailers := storetest.Git(t, archive, "log", "-1", "--format=%(trailers:only,unfold)", "HEAD~1"); strings.TrimSpace(trailers) != "Story: "+site.StoryURL(1)+"\nRevision: 2" {
		t.Errorf("the edit's trailers, as git reads them: %q", trailers)
	}
	if revs := storetest.Git(t, archive, "log", "--follow", "--format=%(trailers:key=Revision,valueonly)", "--", strings.TrimPrefix(filepath.ToSlash(file), "archive/")); strings.TrimSpace(revs) != "2" {
		t.Errorf("git log --follow reads the revisions %q, want 2", revs)
	}

	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ [0-9a-f]{12} (.*)$`)
	history := func(args ...string) []string {
		t.Helper()
		code, stdout, stderr := runCommand(t, dir, append([]string{"history"}, args...)...)
		if code != 0 {
			t.Fatalf("history %q: exit %d\n%s", args, code, stderr)
		}
		return strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	}
	lines := history(site.StoryURL(1))
	if len(lines) != 2 || !line.MatchString(lines[0]) || !line.MatchString(lines[1]) ||
		line.FindStringSubmatch(lines[0])[1] != "archived: 頁面標題 /news/story-001.html" || line.FindStringSubmatch(lines[1])[1] != "text" {
		t.Errorf("history of the URL:\n%s\nwant the first version and one of text", strings.Join(lines, "\n"))
	}
	for _, args := range [][]string{{"--diff", file}, {file, "--diff"}} {
		got := history(args...)
		if len(got) != 3 || got[2] != "    第二段{+（更新）+}。" {
			t.Errorf("history %q:\n%s\nwant the changed characters alone marked", args, strings.Join(got, "\n"))
		}
	}

	// Taken down from the site, then back.
	site.EditStory(1, "撤下")
	site.Fail(feedstest.StoryPath(1), feedstest.Status(404))
	sync()
	site.Heal(feedstest.StoryPath(1))
	site.EditStory(1, "恢复")
	sync()
	if got := history(file); len(got) != 4 || !strings.HasSuffix(got[2], " removed from the site") || !strings.HasSuffix(got[3], " back on the site, text") {
		t.Errorf("history of a story removed from the site and back:\n%s", strings.Join(got, "\n"))
	}
	if trailers := storetest.Git(t, archive, "log", "-1", "--format=%s%n%(trailers:only,unfold)"); strings.TrimSpace(trailers) != "Back on the site: 頁面標題 /news/story-001.html\nStory: "+site.StoryURL(1)+"\nRevision: 4" {
		t.Errorf("the commit of the story back: %q", trailers)
	}

	storetest.Git(t, archive, "rm", "--quiet", strings.TrimPrefix(filepath.ToSlash(file), "archive/"))
	storetest.Git(t, archive, "commit", "--quiet", "-m", "Take it down")
	if got := history(file); len(got) != 5 || !strings.HasSuffix(got[4], " removed from the archive") {
		t.Errorf("history of a post taken down:\n%s", strings.Join(got, "\n"))
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "name one article's URL or one post's file"},
		{[]string{"a", "b"}, exitUsage, "name one article's URL or one post's file"},
		{[]string{site.StoryURL(9)}, exitFailed, "no post of " + site.StoryURL(9)},
		{[]string{"_posts/2025/06/2025-06-01-none.md"}, exitFailed, "has no post in the archive's history"},
		{[]string{"../x.txt"}, exitFailed, "neither an article's URL nor a post's file"},
	} {
		if code, _, stderr := runCommand(t, dir, append([]string{"history"}, c.args...)...); code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("history %q: exit %d, want %d and %q\n%s", c.args, code, c.code, c.want, stderr)
		}
	}
}

// TestRevisitCommand: archiver revisit makes a story due at once; the
// next sync looks at it again, commits its edit, and says so.
func TestRevisitCommand(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	// The page changes; the feed does not say so.
	site.SetPage(feedstest.StoryPath(1), feedstest.StoryPage("頁面標題 "+feedstest.StoryPath(1), feedstest.PathText(feedstest.StoryPath(1)), "第二段，已更正。"))
	if code, stdout, stderr := runCommand(t, dir, "revisit", site.StoryURL(1)); code != 0 || !strings.Contains(stdout, "revisit: 1 stories are due") {
		t.Fatalf("revisit: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr := runCommand(t, dir, "sync")
	if code != 0 || !strings.Contains(stderr, "; 1 revisited (1 revised)") {
		t.Errorf("the sync after revisit: exit %d, want it to count the revisit\n%s", code, stderr)
	}
	if log := storetest.Git(t, archive, "log", "-1", "--format=%s"); log != "Edited on the site: 頁面標題 /news/story-001.html\n" {
		t.Errorf("the revisit's commit: %q", log)
	}
	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 || strings.Contains(stderr, "revisited") {
		t.Errorf("a sync after: exit %d, want no revisit\n%s", code, stderr)
	}
	if code, _, stderr := runCommand(t, dir, "revisit", site.StoryURL(9)); code != exitUsage || !strings.Contains(stderr, "have no post") {
		t.Errorf("revisit of a URL not archived: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := runCommand(t, dir, "revisit"); code != 0 || !strings.Contains(stdout, "every archived story is due") {
		t.Errorf("revisit of every story: exit %d\n%s", code, stdout)
	}
	if _, _, stderr := runCommand(t, dir, "sync"); !strings.Contains(stderr, "; 2 revisited") {
		t.Errorf("the sync after revisit of every story:\n%s", stderr)
	}
	storetest.WriteFile(t, filepath.Join(dir, "off.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\nrevisit: off\n")
	if code, _, stderr := runCommand(t, dir, "revisit", "--config", "off.yaml"); code == 0 || !strings.Contains(stderr, "revisit: off") {
		t.Errorf("revisit with revisits off: exit %d\n%s", code, stderr)
	}
}
