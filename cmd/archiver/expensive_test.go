package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// expensivePages are pages within the size limit (10 MiB) built to be
// expensive to read: a million tiny elements, deep nesting, elements
// that are each a word, and a wall of attributes.
func expensivePages() []string {
	var attrs strings.Builder
	for i := range 300 {
		attrs.WriteString("<p")
		for j := range 1000 {
			fmt.Fprintf(&attrs, " a%d-%d=1", i, j)
		}
		attrs.WriteString(">字</p>")
	}
	return []string{
		feedstest.StoryPage("许多元素", "正文。"+strings.Repeat("<b>x</b>", 1_150_000)),
		feedstest.StoryPage("很深", "正文。"+strings.Repeat("<div>", 1_500_000)),
		feedstest.StoryPage("每字一元素", "正文。"+strings.Repeat("<span>字</span>", 600_000)),
		feedstest.StoryPage("属性", "正文。"+attrs.String()),
	}
}

// TestExpensivePages: a sync over four such pages refuses each as a
// failure within bounds: at most 300 MB, a few seconds.
func TestExpensivePages(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(5)
	for i, page := range expensivePages() {
		site.SetPage(feedstest.StoryPath(i+1), page)
	}
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	start := time.Now()
	code, stderr, rss := runMeasured(t, dir, "sync")
	t.Logf("sync over 4 expensive pages: %v, peak memory %d MB", time.Since(start).Round(time.Millisecond), rss>>20)
	if code != 1 || strings.Count(linesWith(stderr, "FAILED "), "built of more elements than a story page has") != 4 {
		t.Errorf("exit %d, want 1 and the 4 pages failed:\n%s", code, stderr)
	}
	if rss > 300<<20 {
		t.Errorf("the sync used %d MB, more than 300", rss>>20)
	}
	if n := storetest.Committed(filepath.Join(dir, "archive")); n != 1 {
		t.Errorf("%d posts, want the 1 sound page's", n)
	}
}

// TestStopWhileConverting: SIGTERM while the daemon, or a sync, converts
// large pages (each as large as a page is read), or is given cheap pages
// that cost a lot, ends it with exit 0 within 5 s, the posts it finished
// committed.
func TestStopWhileConverting(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"daemon", "sync"} {
		t.Run(command, func(t *testing.T) {
			t.Parallel()
			site := feedstest.NewSite(t)
			site.ListStories(8)
			large := feedstest.StoryPage("很长", "正文。"+strings.Repeat("<b>字</b>", 45_000))
			for i, page := range append([]string{large, large}, cheapPages()[2:]...) { // the oldest, fetched last
				site.SetPage(feedstest.StoryPath(i+1), page)
			}
			dir := t.TempDir()
			archive := filepath.Join(dir, "archive")
			storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\nhttp: {concurrency: 2}\nschedule: 1h\nlisten: 'off'\n")
			d := startCommand(t, dir, nil, command)
			eventually(t, 20*time.Second, "a large page is fetched", func() bool { return site.Hits(feedstest.StoryPath(4)) > 0 })
			code, took := d.stop(t)
			t.Logf("%s stopped while converting in %v", command, took.Round(time.Millisecond))
			if code != 0 || took > 5*time.Second {
				t.Errorf("SIGTERM while converting: exit %d after %v, want 0 within 5 s", code, took)
			}
			storetest.CheckRepo(t, archive)
			if n := storetest.Committed(archive); n < 4 {
				t.Errorf("%d posts committed, want at least the 4 finished before the large pages", n)
			}
			if code, stdout, _ := runCommand(t, dir, "verify"); code != 0 {
				t.Errorf("verify: exit %d\n%s", code, stdout)
			}
		})
	}
}

// cheapPages are pages within the size limit with few start tags, built
// of what else makes a parser work: stray end tags, empty comments, tags
// in an SVG's style.
func cheapPages() []string {
	return []string{
		feedstest.StoryPage("结束标签", "正文。"+strings.Repeat("</p>", 2_000_000)),
		feedstest.StoryPage("换行", "正文。"+strings.Repeat("</br>", 1_800_000)),
		feedstest.StoryPage("注释", "正文。"+strings.Repeat("a<!---->", 1_200_000)),
		feedstest.StoryPage("矢量图", "正文。<svg><style>"+strings.Repeat("<b>x</b>", 1_100_000)+"</style></svg>"),
	}
}

// TestCheapPages: a sync over four such pages refuses each as a failure
// within bounds: at most 300 MB, a few seconds, no post of "aaaa".
func TestCheapPages(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(5)
	for i, page := range cheapPages() {
		site.SetPage(feedstest.StoryPath(i+1), page)
	}
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	start := time.Now()
	code, stderr, rss := runMeasured(t, dir, "sync")
	t.Logf("sync over 4 cheap pages that cost a lot: %v, peak memory %d MB", time.Since(start).Round(time.Millisecond), rss>>20)
	if code != 1 || strings.Count(linesWith(stderr, "FAILED "), "built of more elements than a story page has") != 4 {
		t.Errorf("exit %d, want 1 and the 4 pages failed:\n%s", code, linesWith(stderr, "FAILED"))
	}
	if rss > 300<<20 {
		t.Errorf("the sync used %d MB, more than 300", rss>>20)
	}
	if n := storetest.Committed(filepath.Join(dir, "archive")); n != 1 {
		t.Errorf("%d posts, want the 1 sound page's", n)
	}
}
