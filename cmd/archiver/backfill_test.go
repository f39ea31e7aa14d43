package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestBackfillCommand: archiver backfill, killed (kill -9) midway and run
// again, archives every story once, the sample post of the earlier tool
// included (it gains the Arc URL); run once more, it asks nothing and
// commits nothing.
func TestBackfillCommand(t *testing.T) {
	t.Parallel()
	stories := feedstest.ArcStories(200)
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetArcStories("rfa-mandarin", stories)
	site.SetLatency(5 * time.Millisecond)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"', arc_website: rfa-mandarin}]\n")
	sample := "2024-07-26-hx2-southeast-asian-diplomats-meet-07262024084201.md"
	storetest.WriteFile(t, filepath.Join(archive, store.PostsDir, sample), storetest.SamplePost)

	args := []string{"backfill", "--since", "2020-01-01", "--until", "2024-12-31"}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the backfill commits a few windows", func() bool {
		out, _ := storetest.TryGit(archive, "log", "--oneline", "--grep=^Backfill")
		return strings.Count(out, "\n") >= 5
	})
	cmd.Process.Kill()
	cmd.Wait()
	if n := len(storetest.PostFiles(t, archive)); n >= len(stories) {
		t.Fatalf("the backfill was done before it was killed (%d posts): the test proves nothing", n)
	} else {
		t.Logf("killed with %d posts", n)
	}

	code, _, stderr := runBinary(t, dir, args...)
	if code != 0 || !strings.Contains(stderr, "backfill window") {
		t.Fatalf("the backfill after the kill: exit %d\n%s", code, stderr)
	}
	posts := storetest.Posts(t, archive)
	for _, s := range stories {
		if s.ID != feedstest.SampleStory.ID && posts[site.URL+s.Path] == "" {
			t.Errorf("%s is not archived", s.Path)
		}
	}
	if len(posts) != len(stories) {
		t.Errorf("%d posts, want %d", len(posts), len(stories))
	}
	if fm := storetest.ReadPost(t, archive, sample); len(fm.Also) != 1 || fm.Also[0] != site.URL+feedstest.SampleStory.Path {
		t.Errorf("the sample post is known by %q", fm.Also)
	}
	storetest.CheckRepo(t, archive)
	var windows []string // of the Backfill commits, oldest first
	for _, subject := range slices.Backward(storetest.Subjects(t, archive)) {
		if strings.HasPrefix(subject, "Recover") {
			t.Errorf("a commit of the window the kill cut short does not say so: %q", subject)
		}
		if w, ok := strings.CutPrefix(subject, "Backfill "); ok {
			windows = append(windows, w[:7])
		}
	}
	if !slices.IsSorted(windows) {
		t.Errorf("the windows' commits are not in order: %q", windows)
	}

	head, asked := storetest.Git(t, archive, "rev-parse", "HEAD"), len(site.ArcQueries())
	code, _, stderr = runBinary(t, dir, args...)
	if code != 0 || !strings.Contains(stderr, "backfill: 0 new") || storetest.Git(t, archive, "rev-parse", "HEAD") != head || len(site.ArcQueries()) != asked {
		t.Errorf("run again: exit %d, %d queries, HEAD %s\n%s", code, len(site.ArcQueries())-asked, storetest.Subjects(t, archive)[0], stderr)
	}
	if code, _, stderr := runCommand(t, dir, "backfill"); code != 2 || !strings.Contains(stderr, "--since") {
		t.Errorf("no --since: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runCommand(t, dir, "backfill", "--since", "2999-01-01"); code != 2 || !strings.Contains(stderr, "after today") {
		t.Errorf("--since after today: exit %d\n%s", code, stderr)
	}
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n"), 0o644)
	if code, _, stderr := runCommand(t, dir, args...); code != 2 || !strings.Contains(stderr, "arc_website") {
		t.Errorf("no arc_website: exit %d\n%s", code, stderr)
	}
}
