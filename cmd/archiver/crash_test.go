package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestKilledSyncs kills a sync with SIGKILL at random moments, eight times
// in a row, and then checks that the next sync completes the archive:
// every article exactly once, git fsck clean, work tree clean, no
// temporary file and no stale lock. The seed is logged; set
// ARCHIVER_CRASH_SEED to replay a run.
func TestKilledSyncs(t *testing.T) {
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
	var listed atomic.Int32
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/rss.xml" {
			var items strings.Builder
			for i := range int(listed.Load()) {
				fmt.Fprintf(&items, "<item><title>第%d篇</title><link>%s/p/story-%03d/</link><pubDate>Mon, 02 Jun 2025 %02d:%02d:00 +0000</pubDate></item>", i, srv.URL, i, i/60%24, i%60)
			}
			fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>crash</title>%s</channel></rss>`, items.String())
			return
		}
		time.Sleep(time.Duration(10+len(r.URL.Path)*7%20) * time.Millisecond) // a site of some latency
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, storyPage(r.URL.Path))
	}))
	defer srv.Close()

	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("store: {path: archive}\nfeeds: [{url: '"+srv.URL+"/rss.xml'}]\nhttp: {concurrency: 2, per_host: 2}\n"), 0o644)
	archive := filepath.Join(dir, "archive")

	for i := range rounds {
		listed.Add(perRound)
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
		n := 0
		if entries, err := os.ReadDir(filepath.Join(archive, "_posts")); err == nil {
			n = len(entries)
		}
		t.Logf("kill %d after %v: %d files in _posts", i+1, wait, n)
	}

	listed.Add(perRound)
	articles := int(listed.Load())
	code, _, stderr := runBinary(t, dir, "sync")
	if code != 0 {
		t.Fatalf("the sync after the kills: exit %d\n%s", code, stderr)
	}
	froms := postsFrom(t, archive)
	for _, name := range froms {
		if fm := readPost(t, archive, name); !strings.Contains(string(fm.Body), "完整的正文：") {
			t.Errorf("%s is incomplete:\n%s", name, fm.Body)
		}
	}
	if len(froms) != articles {
		t.Errorf("%d articles archived, want %d", len(froms), articles)
	}
	checkRepo(t, archive)
	leftovers, _ := filepath.Glob(filepath.Join(archive, "_posts", ".archiver-tmp-*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	for _, lock := range []string{".git/index.lock", ".git/HEAD.lock", ".git/refs/heads/main.lock"} {
		if _, err := os.Stat(filepath.Join(archive, lock)); err == nil {
			t.Errorf("stale %s", lock)
		}
	}
	head := gitOut(t, archive, "rev-parse", "HEAD")
	if code, _, stderr := runBinary(t, dir, "sync"); code != 0 {
		t.Fatalf("one more sync: exit %d\n%s", code, stderr)
	}
	if gitOut(t, archive, "rev-parse", "HEAD") != head {
		t.Error("one more sync made a commit")
	}
	if code, stdout, _ := runBinary(t, dir, "verify"); code != 0 {
		t.Errorf("verify: exit %d\n%s", code, stdout)
	}
}
