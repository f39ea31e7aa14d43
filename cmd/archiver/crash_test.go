package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestKilledSyncs kills a sync with SIGKILL at random moments, eight times
// in a row, and then checks that the next sync completes the archive:
// every article exactly once, git fsck clean, work tree clean, no
// temporary file and no stale lock. The seed is logged; set
// ARCHIVER_CRASH_SEED to replay a run.
func TestKilledSyncs(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ARCHIVER_CRASH_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (ARCHIVER_CRASH_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	// Each run finds new articles, so that every kill interrupts work:
	// fetching, writing posts, committing, or the recovery of the last.
	const perRound, rounds = 25, 8
	site := feedstest.NewSite(t)
	site.SetLatency(15 * time.Millisecond) // a site of some latency
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\nhttp: {concurrency: 2, per_host: 2}\n")
	archive := filepath.Join(dir, "archive")

	for i := range rounds {
		site.ListStories((i + 1) * perRound)
		cmd := exec.Command(binary, "sync")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The first run also creates the repository; later ones start
		// with recovery. Anything from at once to most of a run.
		wait := time.Duration(rng.IntN(500)) * time.Millisecond
		time.Sleep(wait)
		cmd.Process.Kill()
		cmd.Wait()
		t.Logf("kill %d after %v: %d files in _posts", i+1, wait, len(storetest.PostFiles(t, archive)))
	}

	articles := (rounds + 1) * perRound
	site.ListStories(articles)
	code, _, stderr := runBinary(t, dir, "sync")
	if code != 0 {
		t.Fatalf("the sync after the kills: exit %d\n%s", code, stderr)
	}
	froms := storetest.Posts(t, archive)
	for _, name := range froms {
		if fm := storetest.ReadPost(t, archive, name); !strings.Contains(string(fm.Body), "完整的正文：") {
			t.Errorf("%s is incomplete:\n%s", name, fm.Body)
		}
	}
	if len(froms) != articles {
		t.Errorf("%d articles archived, want %d", len(froms), articles)
	}
	storetest.CheckRepo(t, archive)
	leftovers, _ := filepath.Glob(filepath.Join(archive, "_posts", ".archiver-tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	for _, lock := range []string{".git/index.lock", ".git/HEAD.lock", ".git/refs/heads/main.lock"} {
		if _, err := os.Stat(filepath.Join(archive, lock)); err == nil {
			t.Errorf("stale %s", lock)
		}
	}
	head := storetest.Head(t, archive)
	if code, _, stderr := runBinary(t, dir, "sync"); code != 0 {
		t.Fatalf("one more sync: exit %d\n%s", code, stderr)
	}
	if storetest.Head(t, archive) != head {
		t.Error("one more sync made a commit")
	}
	if code, stdout, _ := runCommand(t, dir, "verify"); code != 0 {
		t.Errorf("verify: exit %d\n%s", code, stdout)
	}
}

// TestKilledRelayout kills archiver relayout with SIGKILL at random
// moments of moving a flat archive of posts and media, and runs it again
// each time: in the end every post and media file is where the layout
// puts it, moved in one commit each, the history of each post followed
// across it, and nothing is lost or left.
func TestKilledRelayout(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("ARCHIVER_CRASH_SEED"); s != "" {
		fmt.Sscan(s, &seed)
	}
	t.Logf("seed %d (ARCHIVER_CRASH_SEED=%d replays it)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	const n, images = 800, 80
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: 'https://www.rfa.org/arc/outboundfeeds/mandarin/rss/'}]\n")
	for i := range n {
		img := fmt.Sprintf("%032x.png", i%images)
		storetest.WriteFile(t, filepath.Join(archive, "_posts", fmt.Sprintf("20%02d-%02d-01-story-%d.md", 10+i%15, 1+i%12, i)),
			fmt.Sprintf("---\nlayout: post\ntitle: 第%d篇\ndate: 2020-01-01T00:00:00.000Z\nfrom: https://www.rfa.org/mandarin/story-%d.html\n---\n[![图](/media/%s)](https://img.example.org/%d.png)\n", i, i, img, i))
	}
	for i := range images {
		storetest.WriteFile(t, filepath.Join(archive, "media", fmt.Sprintf("%032x.png", i)), fmt.Sprint("image ", i))
	}
	storetest.Git(t, dir, "init", "--quiet", "--initial-branch=main", archive)
	storetest.Git(t, archive, "add", "--all")
	storetest.Git(t, archive, "commit", "--quiet", "-m", "A flat archive")

	for i := range 4 {
		cmd := exec.Command(binary, "relayout")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wait := time.Duration(rng.IntN(450)) * time.Millisecond
		time.Sleep(wait)
		cmd.Process.Kill()
		cmd.Wait()
		_, err := os.Stat(filepath.Join(archive, ".git", "archiver", "relayout"))
		t.Logf("kill %d after %v: %d relayout commits, a plan left: %v", i+1, wait,
			strings.Count(storetest.Git(t, archive, "log", "--format=%s"), "Relayout:"), err == nil)
	}
	if code, stdout, stderr := runBinary(t, dir, "relayout"); code != 0 {
		t.Fatalf("the relayout after the kills: exit %d\n%s%s", code, stdout, stderr)
	}
	if log := storetest.Git(t, archive, "log", "--format=%s"); strings.Count(log, "Relayout: move") != 2 ||
		strings.Count(log, fmt.Sprintf("Relayout: move %d posts", n)) != 1 || strings.Count(log, fmt.Sprintf("Relayout: move %d media files", images)) != 1 {
		t.Errorf("the history is not one commit of each relayout:\n%s", log)
	}
	posts := storetest.PostFiles(t, archive)
	for i := range n {
		name := fmt.Sprintf("20%02d/%02d/20%02d-%02d-01-story-%d.md", 10+i%15, 1+i%12, 10+i%15, 1+i%12, i)
		img := fmt.Sprintf("%032x.png", i%images)
		want := fmt.Sprintf("](/media/%s/%s/%s)", img[:2], img[2:4], img)
		if fm := storetest.ReadPost(t, archive, name); fm.From != fmt.Sprintf("https://www.rfa.org/mandarin/story-%d.html", i) || !strings.Contains(string(fm.Body), want) {
			t.Fatalf("%s: from %s, body %q: want it to show %s", name, fm.From, fm.Body, want)
		}
	}
	if len(posts) != n || len(storetest.MediaFiles(t, archive)) != images {
		t.Errorf("%d posts and %d media files, want %d and %d", len(posts), len(storetest.MediaFiles(t, archive)), n, images)
	}
	if log := storetest.Git(t, archive, "log", "--follow", "--format=%s", "--", "_posts/2010/01/2010-01-01-story-0.md"); log != fmt.Sprintf("Relayout: move %d media files into folders by hash\nRelayout: move %d posts into {year}/{month}\nA flat archive\n", images, n) {
		t.Errorf("git log --follow of a post:\n%s", log)
	}
	storetest.CheckRepo(t, archive)
	if code, stdout, _ := runCommand(t, dir, "verify"); code != 0 {
		t.Errorf("verify: exit %d\n%s", code, stdout)
	}
}
