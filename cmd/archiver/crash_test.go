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
