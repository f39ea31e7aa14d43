package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// BenchmarkScale runs archiver on an archive of 100,000 posts
// ($ARCHIVER_BENCH_POSTS), beside git itself on the same repository, and
// prints the figures against the targets:
//
//	go test ./cmd/archiver -run '^$' -bench Scale -benchtime 3x
//
// - a sync with nothing new, under 0.3 s: the feed answering 304, or
// anew with the same entries;
// - a sync that adds 10 posts, no slower than the same sync into an
// archive of 1,000 posts plus 1.5 times git add and git commit of 10
// posts in the large one;
// - the first sync of a fresh clone (a store archiver has not seen), under
// 3 s.
//
// Making the archive takes a minute or so, once.
func BenchmarkScale(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ARCHIVER_BENCH_POSTS")); err == nil && v > 0 {
		n = v
	}
	site := feedstest.NewSite(b)
	site.ListStories(0)
	big, small := scaleArchive(b, site, "/big.xml", n), scaleArchive(b, site, "/small.xml", 1000)
	var nothing, same, status, ten, tenSmall, gitTen, fresh []time.Duration
	round := 0
	for b.Loop() {
		round++
		nothing = append(nothing, timed(b, big, "sync"))
		site.SetFeedTitle("/big.xml", fmt.Sprint("feedstest ", round))
		same = append(same, timed(b, big, "sync"))
		status = append(status, timedGit(b, filepath.Join(big, "archive"), "status", "--porcelain"))
		addStories(site, "/big.xml", round)
		ten = append(ten, timed(b, big, "sync"))
		addStories(site, "/small.xml", round)
		tenSmall = append(tenSmall, timed(b, small, "sync"))
		gitTen = append(gitTen, gitAddCommit(b, filepath.Join(big, "archive"), round))
		fresh = append(fresh, freshClone(b, big))
		timed(b, big, "sync") // catches up with git's commit: the next round starts steady
	}
	med := func(ds []time.Duration) float64 {
		ds = slices.Clone(ds)
		slices.Sort(ds)
		return ds[len(ds)/2].Seconds()
	}
	budget := med(tenSmall) + 1.5*med(gitTen)
	b.ReportMetric(med(nothing), "s/nothing-new")
	b.ReportMetric(med(same), "s/same-entries")
	b.ReportMetric(med(ten), "s/ten-new")
	b.ReportMetric(budget, "s/ten-new-budget")
	b.ReportMetric(med(fresh), "s/fresh-clone")
	check := func(ok bool) string { return map[bool]string{true: "ok", false: "MISSED"}[ok] }
	b.Logf("\nOn %d posts (medians of %d rounds):\n"+
		"  git status                         %.3f s\n"+
		"  sync, nothing new (feed: 304)      %.3f s   target < 0.300 s   %s\n"+
		"  sync, nothing new (the same feed)  %.3f s   target < 0.300 s   %s\n"+
		"  sync, 10 new posts                 %.3f s   target < %.3f s   %s\n"+
		"    (the same into 1,000 posts       %.3f s;  git add + commit of 10 posts %.3f s)\n"+
		"  first sync of a fresh clone        %.3f s   target < 3.000 s   %s",
		n, round, med(status), med(nothing), check(med(nothing) < 0.3), med(same), check(med(same) < 0.3), med(ten), budget, check(med(ten) <= budget),
		med(tenSmall), med(gitTen), med(fresh), check(med(fresh) < 3))
}

// scaleArchive makes a directory with an archive of n posts, as archiver
// writes them, committed, and a config of the feed at path; archiver has
// synced it once.
func scaleArchive(b *testing.B, site *feedstest.Site, path string, n int) string {
	b.Helper()
	dir := b.TempDir()
	if keep := os.Getenv("ARCHIVER_BENCH_KEEP"); keep != "" { // to look into
		dir = filepath.Join(keep, strings.TrimSuffix(path[1:], ".xml"))
	}
	posts := filepath.Join(dir, "archive", "_posts")
	if err := os.MkdirAll(posts, 0o755); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		name := fmt.Sprintf("%04d-%02d-%02d-story-%06d.md", 1998+i*28/n, 1+i%12, 1+i%28, i)
		url := fmt.Sprintf("https://www.rfa.org/mandarin/shehui/%d/story-%06d/", 1998+i*28/n, i)
		data := fmt.Sprintf("---\nlayout: post\ntitle: \"第%d篇：官员回应网民质疑\"\ndate: 2020-01-01T00:00:00.000Z\nauthor: 自由亚洲电台\nfrom: %s\n"+
			"tags: [自由亚洲电台]\ncomments: True\ncategories: [自由亚洲电台]\nsource_id: ID%06d\n---\n[第%d篇](%s)\n------\n\n正文 %d。\n",
			i, url, i, i, url, i)
		if err := os.WriteFile(filepath.Join(posts, name), []byte(data), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	archive := filepath.Join(dir, "archive")
	storetest.Git(b, archive, "init", "--quiet", "--initial-branch=main")
	storetest.Git(b, archive, "add", "--all")
	storetest.Git(b, archive, "-c", "gc.auto=0", "commit", "--quiet", "-m", "An archive")
	storetest.Git(b, archive, "gc", "--quiet") // packed, as an archive of that size is
	addStories(site, path, 0)
	storetest.WriteFile(b, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.URL+path+"'}]\nlisten: 'off'\n")
	timed(b, dir, "sync")
	return dir
}

// addStories adds 10 stories to the feed at path.
func addStories(site *feedstest.Site, path string, round int) {
	for i := range 10 {
		page := fmt.Sprintf("/news%s/%d-%d.html", path, round, i)
		site.SetPage(page, feedstest.PathStory(page))
		site.AddEntries(path, feedstest.Entry{Title: "新报道 " + page, Link: site.URL + page, Published: time.Date(2025, 6, 1, round, i, 0, 0, time.UTC)})
	}
}

// timed runs the binary in dir and returns how long it took.
func timed(b *testing.B, dir string, args ...string) time.Duration {
	b.Helper()
	start := time.Now()
	if code, _, stderr := runBinary(b, dir, args...); code != 0 {
		b.Fatalf("archiver %v: exit %d\n%s", args, code, stderr)
	}
	return time.Since(start)
}

// timedGit runs git in dir and returns how long it took.
func timedGit(b *testing.B, dir string, args ...string) time.Duration {
	b.Helper()
	start := time.Now()
	storetest.Git(b, dir, args...)
	return time.Since(start)
}

// gitAddCommit writes 10 posts into the archive at dir and returns how
// long git add and git commit of them take (without the gc it may start
// in the background, which a clone would trip over).
func gitAddCommit(b *testing.B, dir string, round int) time.Duration {
	b.Helper()
	var names []string
	for i := range 10 {
		name := fmt.Sprintf("_posts/2031-01-01-git-%d-%d.md", round, i)
		storetest.WriteFile(b, filepath.Join(dir, name), fmt.Sprintf("---\ntitle: \"git %d %d\"\nfrom: https://example.org/git/%d/%d/\n---\n正文。\n", round, i, round, i))
		names = append(names, name)
	}
	return timedGit(b, dir, append([]string{"add", "--"}, names...)...) + timedGit(b, dir, "-c", "gc.auto=0", "commit", "--quiet", "-m", "ten")
}

// freshClone clones the archive in dir and returns how long archiver's
// first sync of the clone takes.
func freshClone(b *testing.B, dir string) time.Duration {
	b.Helper()
	clone := b.TempDir()
	if out, err := exec.Command("git", "clone", "--quiet", filepath.Join(dir, "archive"), filepath.Join(clone, "archive")).CombinedOutput(); err != nil {
		b.Fatalf("git clone: %v\n%s", err, out)
	}
	config, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	storetest.WriteFile(b, filepath.Join(clone, "config.yaml"), string(config))
	return timed(b, clone, "sync")
}
