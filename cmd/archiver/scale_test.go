package main

import (
	"bufio"
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

// BenchmarkScale runs archiver on an archive of many posts, beside git
// itself on the same repository, and prints the figures against the
// targets of issue 15:
//
//	go test ./cmd/archiver -run '^$' -bench Scale -benchtime 3x
//	ARCHIVER_BENCH_POSTS=1000000 ARCHIVER_BENCH_DIR=/var/tmp/archiver-bench go test ./cmd/archiver -run '^$' -bench Scale -benchtime 3x -timeout 2h
//
// The archive ($ARCHIVER_BENCH_POSTS posts, 100,000 by default, in the
// sample format, in year and month folders) is built once with git
// fast-import, in $ARCHIVER_BENCH_DIR when it is set, and used again by
// the next runs: a million posts take minutes to build. Each round
// measures, with archiver's peak memory:
//
// - a sync with nothing new: the feed answering 304, or anew with the
// same entries;
// - a sync that adds 10 posts, and the bytes of the objects it adds;
// against the same sync into an archive of 1,000 posts plus 1.5 times
// git add and git commit of 10 posts in the large one;
// - the first sync of a fresh clone (a store archiver has not seen);
// - a backfill of 2,000 stories from a loopback content API into that
// clone;
// - archiver verify.
func BenchmarkScale(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("ARCHIVER_BENCH_POSTS")); err == nil && v > 0 {
		n = v
	}
	site := feedstest.NewSite(b)
	site.ListStories(0)
	stories := feedstest.ArcStories(2000)
	for i := range stories { // an hour apart: a month's window holds hundreds, as RFA's do
		stories[i].Date = time.Date(2020, 1, 3, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
		stories[i].Path = feedstest.ArcPath(stories[i].Date, fmt.Sprintf("story-%d", i))
	}
	site.SetArcStories("rfa-mandarin", stories)
	big, small := scaleArchive(b, site, "/big.xml", n), scaleArchive(b, site, "/small.xml", 1000)
	var r scaleRounds
	round := 0
	for b.Loop() {
		round++
		r.nothing.add(measured(b, big, "sync"))
		site.SetFeedTitle("/big.xml", fmt.Sprint("feedstest ", round, time.Now().UnixNano()))
		r.same.add(measured(b, big, "sync"))
		r.status = append(r.status, timedGit(b, filepath.Join(big, "archive"), "status", "--porcelain"))
		addStories(site, "/big.xml", round)
		loose := looseBytes(b, filepath.Join(big, "archive"))
		r.ten.add(measured(b, big, "sync"))
		r.objects = append(r.objects, float64(looseBytes(b, filepath.Join(big, "archive"))-loose))
		addStories(site, "/small.xml", round)
		r.tenSmall.add(measured(b, small, "sync"))
		r.gitTen = append(r.gitTen, gitAddCommit(b, filepath.Join(big, "archive"), round))
		clone := freshClone(b, big)
		r.fresh.add(measured(b, clone, "sync"))
		start := time.Now()
		r.backfill.add(measured(b, clone, "backfill", "--since", "2020-01-01", "--until", "2020-12-31"))
		r.rate = append(r.rate, float64(len(stories))/time.Since(start).Seconds())
		os.RemoveAll(clone)
		r.verify.add(measured(b, big, "verify"))
		measured(b, big, "sync") // catches up with git's commit: the next round starts steady
	}
	r.report(b, n, round)
}

// scaleRounds are the figures of BenchmarkScale's rounds.
type scaleRounds struct {
	nothing, same, ten, tenSmall, fresh, backfill, verify runs
	status, gitTen                                        []time.Duration
	objects, rate                                         []float64
}

// runs are the durations and peak memory of runs of archiver.
type runs struct {
	times []time.Duration
	rss   []int64
}

func (r *runs) add(d time.Duration, rss int64) {
	r.times = append(r.times, d)
	r.rss = append(r.rss, rss)
}

func (r *runs) s() float64 { return median(r.times).Seconds() }
func (r *runs) mb() int64  { return slices.Max(r.rss) >> 20 }

func median[T time.Duration | float64](xs []T) T {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return xs[len(xs)/2]
}

func (r *scaleRounds) report(b *testing.B, n, rounds int) {
	budget := r.tenSmall.s() + 1.5*median(r.gitTen).Seconds()
	b.ReportMetric(r.nothing.s(), "s/nothing-new")
	b.ReportMetric(r.same.s(), "s/same-entries")
	b.ReportMetric(r.ten.s(), "s/ten-new")
	b.ReportMetric(budget, "s/ten-new-budget")
	b.ReportMetric(median(r.objects)/1024, "KB/ten-new")
	b.ReportMetric(r.fresh.s(), "s/fresh-clone")
	b.ReportMetric(r.verify.s(), "s/verify")
	b.ReportMetric(median(r.rate), "stories/s-backfill")
	check := func(ok bool) string { return map[bool]string{true: "ok", false: "MISSED"}[ok] }
	mem := func(x *runs) string { return fmt.Sprintf("%4d MB %s", x.mb(), check(x.mb() <= 300)) }
	// Printed, not logged: a benchmark's log is cut after ten lines.
	fmt.Printf("\nOn %d posts (medians of %d rounds; peak memory the most of any round, target 300 MB):\n"+
		"  git status                         %7.3f s\n"+
		"  git add + commit of 10 posts       %7.3f s\n"+
		"  sync, nothing new (feed: 304)      %7.3f s   target 0.500 s   %-6s %s\n"+
		"  sync, nothing new (the same feed)  %7.3f s   target 0.500 s   %-6s %s\n"+
		"  sync, 10 new posts                 %7.3f s   target %.3f s   %-6s %s\n"+
		"    (the same into 1,000 posts       %7.3f s; 1.5 × git's 10 posts + that: %.3f s; 1 s at most)\n"+
		"    new objects                      %7.0f KB  target 200 KB    %s\n"+
		"  first sync of a fresh clone        %7.3f s   target 10.000 s  %-6s %s\n"+
		"  backfill into the clone            %7.0f stories/s  target 200  %-6s %s\n"+
		"  verify                             %7.3f s   target 180 s     %-6s %s",
		n, rounds, median(r.status).Seconds(), median(r.gitTen).Seconds(),
		r.nothing.s(), check(r.nothing.s() <= 0.5), mem(&r.nothing), r.same.s(), check(r.same.s() <= 0.5), mem(&r.same),
		r.ten.s(), min(budget, 1), check(r.ten.s() <= min(budget, 1)), mem(&r.ten), r.tenSmall.s(), budget,
		median(r.objects)/1024, check(median(r.objects) <= 200<<10),
		r.fresh.s(), check(r.fresh.s() <= 10), mem(&r.fresh), median(r.rate), check(median(r.rate) >= 200), mem(&r.backfill),
		r.verify.s(), check(r.verify.s() <= 180), mem(&r.verify))
	fmt.Println()
}

// scaleArchive makes a directory with an archive of n posts, committed,
// and a config of the feed at path; archiver has synced it once. A large
// one is kept in $ARCHIVER_BENCH_DIR, if set, for the next run.
func scaleArchive(b *testing.B, site *feedstest.Site, path string, n int) string {
	b.Helper()
	dir := b.TempDir()
	if keep := os.Getenv("ARCHIVER_BENCH_DIR"); keep != "" && n > 1000 {
		dir = filepath.Join(keep, fmt.Sprint(n))
	}
	archive := filepath.Join(dir, "archive")
	if _, err := os.Stat(filepath.Join(archive, ".git", "bench-complete")); err != nil {
		os.RemoveAll(archive)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			b.Fatal(err)
		}
		buildArchive(b, archive, n)
	}
	addStories(site, path, 0)
	storetest.WriteFile(b, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.URL+path+"', arc_website: rfa-mandarin}]\nlisten: 'off'\n")
	measured(b, dir, "sync")
	return dir
}

// buildArchive makes the git repository of an archive of n posts at dir
// with git fast-import: posts in the sample format, in year and month
// folders from 1998 on, packed, as an archive of that size is.
func buildArchive(b *testing.B, dir string, n int) {
	b.Helper()
	start := time.Now()
	storetest.Git(b, filepath.Dir(dir), "init", "--quiet", "--initial-branch=main", dir)
	cmd := exec.Command("git", "-C", dir, "fast-import", "--quiet")
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(in, 1<<20)
	fmt.Fprintf(w, "commit refs/heads/main\ncommitter Bench <bench@example.org> %d +0000\ndata 11\nAn archive\n", time.Now().Unix())
	for i := range n {
		year, month, day := 1998+i*28/n, 1+i%12, 1+i%28
		url := fmt.Sprintf("https://www.rfa.org/mandarin/shehui/%d/story-%07d/", year, i)
		data := fmt.Sprintf("---\nlayout: post\ntitle: \"第%d篇：官员回应网民质疑\"\ndate: %04d-%02d-%02dT00:00:00.000Z\nauthor: 自由亚洲电台\nfrom: %s\n"+
			"tags: [自由亚洲电台]\ncomments: True\ncategories: [自由亚洲电台]\nsource_id: ID%07d\n---\n[第%d篇](%s)\n------\n\n正文 %d。\n",
			i, year, month, day, url, i, i, url, i)
		fmt.Fprintf(w, "M 100644 inline _posts/%04d/%02d/%04d-%02d-%02d-story-%07d.md\ndata %d\n%s\n", year, month, year, month, day, i, len(data), data)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		b.Fatalf("git fast-import: %v", err)
	}
	storetest.Git(b, dir, "checkout", "--quiet", "--force", "main")
	storetest.Git(b, dir, "gc", "--quiet")
	storetest.WriteFile(b, filepath.Join(dir, ".git", "bench-complete"), "")
	b.Logf("built an archive of %d posts in %v", n, time.Since(start).Round(time.Second))
}

// addStories adds 10 stories to the feed at path.
func addStories(site *feedstest.Site, path string, round int) {
	for i := range 10 {
		page := fmt.Sprintf("/news%s/%d-%d-%d.html", path, time.Now().UnixNano(), round, i)
		site.SetPage(page, feedstest.PathStory(page))
		site.AddEntries(path, feedstest.Entry{Title: "新报道 " + page, Link: site.URL + page, Published: time.Date(2025, 6, 1, round, i, 0, 0, time.UTC)})
	}
}

// measured runs the binary in dir, and returns how long it took and its
// peak memory.
func measured(b *testing.B, dir string, args ...string) (time.Duration, int64) {
	b.Helper()
	start := time.Now()
	code, stderr, rss := runMeasured(b, dir, args...)
	if code != 0 {
		b.Fatalf("archiver %v: exit %d\n%s", args, code, stderr)
	}
	return time.Since(start), rss
}

// timedGit runs git in dir and returns how long it took.
func timedGit(b *testing.B, dir string, args ...string) time.Duration {
	b.Helper()
	start := time.Now()
	storetest.Git(b, dir, args...)
	return time.Since(start)
}

// looseBytes is the size of the loose objects of the repository at dir.
func looseBytes(b *testing.B, dir string) int64 {
	b.Helper()
	for line := range strings.SplitSeq(storetest.Git(b, dir, "count-objects", "-v"), "\n") {
		if v, ok := strings.CutPrefix(line, "size: "); ok {
			kib, _ := strconv.ParseInt(v, 10, 64)
			return kib << 10
		}
	}
	b.Fatal("git count-objects gave no size")
	return 0
}

// gitAddCommit writes 10 posts into the archive at dir and returns how
// long git add and git commit of them take (without the gc it may start
// in the background, which a clone would trip over).
func gitAddCommit(b *testing.B, dir string, round int) time.Duration {
	b.Helper()
	var names []string
	for i := range 10 {
		name := fmt.Sprintf("_posts/2031/01/2031-01-01-git-%d-%d-%d.md", time.Now().UnixNano(), round, i)
		storetest.WriteFile(b, filepath.Join(dir, name), fmt.Sprintf("---\nlayout: post\ntitle: \"git %d %d\"\ndate: 2031-01-01T00:00:00.000Z\nfrom: https://example.org/git/%s/\n---\n正文。\n", round, i, name))
		names = append(names, name)
	}
	return timedGit(b, dir, append([]string{"add", "--"}, names...)...) + timedGit(b, dir, "-c", "gc.auto=0", "commit", "--quiet", "-m", "ten")
}

// freshClone clones the archive in dir, with its config, and returns the
// clone's directory.
func freshClone(b *testing.B, dir string) string {
	b.Helper()
	clone, err := os.MkdirTemp(filepath.Dir(dir), "clone-")
	if err != nil {
		b.Fatal(err)
	}
	if out, err := exec.Command("git", "clone", "--quiet", filepath.Join(dir, "archive"), filepath.Join(clone, "archive")).CombinedOutput(); err != nil {
		b.Fatalf("git clone: %v\n%s", err, out)
	}
	config, _ := os.ReadFile(filepath.Join(dir, "config.yaml"))
	storetest.WriteFile(b, filepath.Join(clone, "config.yaml"), string(config))
	return clone
}
