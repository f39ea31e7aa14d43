package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// faultPages are the pages of the /f/pages feed: path → what it does
// before the site heals. After, each answers with a story naming its path.
var faultPages = map[string]string{
	"/p/healthy/":       "ok",
	"/p/throttled/":     "429 once, Retry-After 1", // heals within the run
	"/p/chain/":         "three redirects",         // fine
	"/p/timeout/":       "hangs past http.timeout",
	"/p/unavailable/":   "503 Retry-After 3600",
	"/p/truncated/":     "body shorter than Content-Length",
	"/p/huge/":          "30 MB",
	"/p/bomb/":          "gzip bomb",
	"/p/loop/":          "redirect loop",
	"/p/gbk-meta/":      "GBK declared in <meta>",
	"/p/big5-header/":   "Big5 declared in Content-Type",
	"/p/gone-no-story/": "404, no story in the feed",
}

// faultTransient are the pages that fail with faults that may heal; the
// test heals them. faultPermanent are those that will not heal without a
// change on the site: they stay, and are parked.
var (
	faultTransient = []string{"/p/timeout/", "/p/unavailable/", "/p/truncated/"}
	faultPermanent = []string{"/p/huge/", "/p/bomb/", "/p/loop/", "/p/gone-no-story/"}
)

// faultFeeds fail until healed, then list one story each.
var faultFeeds = map[string]feedstest.Fault{
	"/f/500":     feedstest.Status(500),
	"/f/hang":    feedstest.Hang,
	"/f/half":    feedstest.Answer("", `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>半截`),
	"/f/botwall": feedstest.Answer("", `<!DOCTYPE html><html><body><h1>Checking your browser…</h1></body></html>`),
	"/f/badutf8": feedstest.Answer("", "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>bad \xff\xfe</title></channel></rss>"),
}

// newFaultSite is a site that fails in every way a news site does until
// healed (HealAll): feeds that error, hang, are cut off, are not feeds or
// are not UTF-8, or refuse connections (at refused); pages that time out,
// throttle, are cut off, are huge, are gzip bombs, loop; and feed entries
// that point where they must not (other, a host not trusted).
func newFaultSite(t *testing.T, other string) (site *feedstest.Site, refused string) {
	site = feedstest.NewSite(t)
	base := site.URL
	refused = site.Unreachable() + "/f/refused"
	at := func(day, hour int) time.Time { return time.Date(2025, 6, day, hour, 0, 0, 0, time.UTC) }
	entry := func(title, link string, published time.Time, content string) feedstest.Entry {
		return feedstest.Entry{Title: title, Link: link, GUID: link, Published: published, Content: content}
	}
	for path, fault := range faultFeeds {
		name := strings.TrimPrefix(path, "/f/")
		site.SetFeed(path, feedstest.Feed{Title: "故障", Entries: []feedstest.Entry{entry("订阅源恢复："+name, base+"/p/from-feed-"+name+"/", at(2, 8), "")}})
		site.SetPage("/p/from-feed-"+name+"/", feedstest.PathStory("/p/from-feed-"+name+"/"))
		site.Fail(path, fault)
	}
	site.SetFeed("/f/refused", feedstest.Feed{Title: "故障", Entries: []feedstest.Entry{entry("订阅源恢复：refused", base+"/p/from-feed-refused/", at(2, 8), "")}})
	site.SetPage("/p/from-feed-refused/", feedstest.PathStory("/p/from-feed-refused/"))

	var pages []feedstest.Entry
	i := 0
	for path := range faultPages {
		i++
		teaser := "<p>摘要（不是全文）</p>"
		if path == "/p/gone-no-story/" {
			teaser = ""
		}
		pages = append(pages, entry("故障页面 "+path, base+path, at(3, i), teaser))
		site.SetPage(path, feedstest.PathStory(path))
	}
	site.SetFeed("/f/pages", feedstest.Feed{Title: "故障", Entries: pages})
	site.Fail("/p/throttled/", feedstest.Status(429).RetryAfter("1").Times(1))
	site.Redirect("/p/chain/", "/p/chain-2/")
	site.Redirect("/p/chain-2/", "/p/chain-3/")
	site.SetPage("/p/chain-3/", feedstest.PathStory("/p/chain-3/"))
	site.Fail("/p/timeout/", feedstest.Hang)
	site.Fail("/p/unavailable/", feedstest.Status(503).RetryAfter("3600"))
	site.Fail("/p/truncated/", feedstest.Truncated)
	site.Fail("/p/huge/", feedstest.Huge(30<<20))
	site.Fail("/p/bomb/", feedstest.GzipBomb)
	site.Fail("/p/loop/", feedstest.RedirectLoop)
	site.Fail("/p/gone-no-story/", feedstest.Status(404))
	gbkPage, _ := simplifiedchinese.GBK.NewEncoder().String(strings.Replace(feedstest.PathStory("/p/gbk-meta/"), `<meta charset="utf-8">`, `<meta charset="gbk">`, 1))
	site.SetFile("/p/gbk-meta/", "text/html", []byte(gbkPage))
	big5Page, _ := traditionalchinese.Big5.NewEncoder().String(strings.Replace(feedstest.PathStory("/p/big5-header/"), `<meta charset="utf-8">`, "", 1))
	site.SetFile("/p/big5-header/", "text/html; charset=big5", []byte(big5Page))

	// Feeds in GBK (declared only in the HTTP header) and in Big5
	// (declared only in the XML declaration), whose pages have no
	// headline, so that their posts take the feed's title.
	gbk := feedstest.Feed{Title: "故障", Entries: []feedstest.Entry{entry("简体中文订阅源：编码为GBK", base+"/p/healthy-gbk/", at(4, 8), "")}}
	gbkFeed, _ := simplifiedchinese.GBK.NewEncoder().String(gbk.XML())
	site.SetFile("/f/gbk", "application/rss+xml; charset=gbk", []byte(gbkFeed))
	big5 := feedstest.Feed{Title: "故障", Entries: []feedstest.Entry{entry("繁體中文訂閱源：編碼為Big5", base+"/p/healthy-big5/", at(4, 9), "")}}
	big5Feed, _ := traditionalchinese.Big5.NewEncoder().String(strings.Replace(big5.XML(), `encoding="UTF-8"`, `encoding="big5"`, 1))
	site.SetFile("/f/big5", "application/xml", []byte(big5Feed))
	for _, p := range []string{"/p/healthy-gbk/", "/p/healthy-big5/"} {
		site.SetPage(p, feedstest.StoryPage("", feedstest.PathText(p), "第二段。"))
	}

	site.SetFeed("/f/entries", feedstest.Feed{Title: "故障", Entries: []feedstest.Entry{
		{Title: "没有链接的条目", Description: "x"},
		{Link: base + "/p/no-title/", GUID: base + "/p/no-title/", Published: at(5, 8)},
		{Title: "没有日期的条目", Link: base + "/p/no-date/", GUID: base + "/p/no-date/"},
		entry("链接到别的主机", other+"/p/elsewhere/", at(5, 9), "<p>x</p>"),
		entry("链接到云元数据", "http://169.254.169.254/latest/meta-data/", at(5, 10), "<p>x</p>"),
		entry("链接到内网地址", "http://10.0.0.1/admin/", at(5, 11), "<p>x</p>"),
		entry("跳转到别的主机", base+"/p/away/", at(5, 12), ""),
	}})
	site.Redirect("/p/away/", other+"/p/elsewhere/") // a redirect off the trusted hosts
	for _, p := range []string{"/p/no-title/", "/p/no-date/"} {
		site.SetPage(p, feedstest.PathStory(p))
	}
	return site, refused
}

// TestFaults is issue 4's acceptance, end to end, with issue 8's parked
// failures: a first sync against a site failing in every way exits 1
// naming each failure, archives what is healthy, fetches nothing from
// untrusted hosts and stays within 300 MB; once the faults that may heal
// have, a second sync exits 0, archives the rest in full and parks the
// pages that will not heal, which archiver failures lists; a third gets
// 304s and commits nothing.
func TestFaults(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	other := feedstest.NewSite(t) // a host that is not trusted
	site, refused := newFaultSite(t, other.URL)

	dir := t.TempDir()
	var feedsYAML strings.Builder
	for _, f := range append(slices.Sorted(maps.Keys(faultFeeds)), "/f/pages", "/f/gbk", "/f/big5", "/f/entries") {
		fmt.Fprintf(&feedsYAML, "  - url: %s%s\n", site.URL, f)
	}
	fmt.Fprintf(&feedsYAML, "  - url: %s\n", refused)
	cfg := "store: {path: archive}\nfeeds:\n" + feedsYAML.String() + "http:\n  timeout: 1s\n  retry_backoff: 10ms\n  max_retry_wait: 2s\n  concurrency: 8\n  per_host: 4\n"
	os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o644)
	archive := filepath.Join(dir, "archive")

	code, stderr, rss := runMeasured(t, dir, "sync")
	if code != 1 {
		t.Fatalf("first sync: exit %d, want 1\n%s", code, stderr)
	}
	t.Logf("first sync: peak memory %d MB", rss>>20)
	if rss > 300<<20 {
		t.Errorf("first sync used %d MB, more than 300", rss>>20)
	}
	for f := range faultFeeds {
		if !strings.Contains(stderr, "FAILED "+site.URL+f+": ") {
			t.Errorf("stderr does not name the failed feed %s", f)
		}
	}
	if !strings.Contains(stderr, "FAILED "+refused+": ") || !strings.Contains(stderr, "connection refused") {
		t.Errorf("stderr does not name the refused feed")
	}
	for feed, reason := range map[string]string{"/f/botwall": "not a feed", "/f/badutf8": "UTF-8", "/f/hang": "timed out", "/f/half": "malformed", "/f/500": "HTTP 500"} {
		if !strings.Contains(stderr, site.URL+feed+": ") || !lineHas(stderr, site.URL+feed+": ", reason) {
			t.Errorf("the failure of %s does not say %q", feed, reason)
		}
	}
	for _, p := range append(faultTransient, faultPermanent...) {
		if !strings.Contains(stderr, "FAILED "+site.URL+p+": ") {
			t.Errorf("stderr does not name the failed page %s", p)
		}
	}
	for page, reason := range map[string]string{"/p/huge/": "size limit", "/p/bomb/": "size limit", "/p/loop/": "redirect loop", "/p/truncated/": "before its declared length", "/p/unavailable/": "Retry-After", "/p/timeout/": "timed out"} {
		if !lineHas(stderr, site.URL+page+": ", reason) {
			t.Errorf("the failure of %s does not say %q:\n%s", page, reason, linesWith(stderr, site.URL+page+": "))
		}
	}
	if n := other.TotalHits(); n != 0 {
		t.Errorf("the untrusted host got %d requests", n)
	}
	if strings.Contains(stderr, "FAILED "+site.URL+"/p/away/") {
		t.Error("a page that redirects to an untrusted host is a failure, not a skipped entry")
	}
	for _, warn := range []string{"no link", "not on a trusted host", "redirects to a host that is not trusted"} {
		if !strings.Contains(stderr, warn) {
			t.Errorf("no warning about entries with %q", warn)
		}
	}
	healthy := map[string]string{
		"/p/healthy/": "完整的正文：/p/healthy/。", "/p/throttled/": "完整的正文：/p/throttled/。", "/p/chain/": "完整的正文：/p/chain-3/。",
		"/p/gbk-meta/": "完整的正文：/p/gbk-meta/。繁體與簡體都要原樣保存。", "/p/big5-header/": "完整的正文：/p/big5-header/。繁體與簡體都要原樣保存。",
		"/p/healthy-gbk/": "完整的正文：/p/healthy-gbk/。", "/p/healthy-big5/": "完整的正文：/p/healthy-big5/。",
		"/p/no-title/": "完整的正文：/p/no-title/。", "/p/no-date/": "完整的正文：/p/no-date/。",
	}
	posts := storetest.Bodies(t, archive)
	for p, text := range healthy {
		from := site.URL + p
		if p == "/p/chain/" {
			from = site.URL + "/p/chain-3/"
		}
		body, ok := posts[from]
		if !ok {
			t.Errorf("healthy page %s not archived", p)
		} else if !strings.Contains(body, text) {
			t.Errorf("post of %s lacks %q", p, text)
		}
	}
	if len(posts) != len(healthy) {
		t.Errorf("%d posts after the first sync, want %d", len(posts), len(healthy))
	}
	titles := postTitles(t, archive)
	for _, want := range []string{"简体中文订阅源：编码为GBK", "繁體中文訂閱源：編碼為Big5"} {
		if !titles[want] {
			t.Errorf("no post titled %q (feed charset decoding): %v", want, titles)
		}
	}
	storetest.CheckRepo(t, archive)

	// Heal what may heal: everything else answers, and is archived in
	// full; the pages that will not heal are parked.
	for path := range faultFeeds {
		site.Heal(path)
	}
	for _, path := range faultTransient {
		site.Heal(path)
	}
	site.Reachable()
	code, stderr, _ = runMeasured(t, dir, "sync")
	if code != 0 || !strings.Contains(stderr, fmt.Sprintf("0 failed, %d parked", len(faultPermanent))) {
		t.Fatalf("second sync: exit %d, want 0 and %d parked\n%s", code, len(faultPermanent), stderr)
	}
	posts = storetest.Bodies(t, archive)
	for _, p := range faultTransient {
		body, ok := posts[site.URL+p]
		switch {
		case !ok:
			t.Errorf("%s not archived after healing", p)
		case strings.Contains(body, "摘要（不是全文）") || !strings.Contains(body, "完整的正文："+p+"。"):
			t.Errorf("%s archived from the feed's teaser, not its page:\n%s", p, body)
		}
	}
	for _, f := range append(slices.Collect(maps.Keys(faultFeeds)), "/f/refused") {
		if _, ok := posts[site.URL+"/p/from-feed-"+strings.TrimPrefix(f, "/f/")+"/"]; !ok {
			t.Errorf("the story of healed feed %s was not archived", f)
		}
	}
	if n := other.TotalHits(); n != 0 {
		t.Errorf("the untrusted host got %d requests", n)
	}
	storetest.CheckRepo(t, archive)
	_, failures, _ := runCommand(t, dir, "failures")
	for _, p := range faultPermanent {
		if _, archived := posts[site.URL+p]; archived || !lineHas(failures, site.URL+p, "(permanent)") {
			t.Errorf("%s is archived, or not listed as a permanent failure:\n%s", p, failures)
		}
	}
	if strings.Count(strings.TrimSpace(failures), "\n") != len(faultPermanent) {
		t.Errorf("archiver failures lists more than the %d parked pages:\n%s", len(faultPermanent), failures)
	}

	// Nothing changed: every feed answers 304, and there is no commit.
	head := storetest.Head(t, archive)
	code, stderr, _ = runMeasured(t, dir, "sync")
	if code != 0 {
		t.Fatalf("third sync: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "polled (10 unchanged)") {
		t.Errorf("the third sync did not get 304 for every feed:\n%s", stderr)
	}
	if storetest.Head(t, archive) != head {
		t.Error("the third sync made a commit")
	}
}

// runMeasured runs archiver and returns its exit status, stderr and peak
// resident memory in bytes.
//
// The peak is measured by a copy of this test binary, started afresh,
// that runs archiver and reports its rusage: Linux counts in a process's
// peak the memory of the process that started it, up to its exec, and
// Go starts processes sharing its memory (vfork), so archiver started
// by the tests themselves would be charged with all of theirs.
func runMeasured(t testing.TB, dir string, args ...string) (int, string, int64) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), measureEnv+"="+binary)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	rss, err := strconv.ParseInt(strings.TrimSpace(stdout.String()), 10, 64)
	if err != nil {
		t.Fatalf("measuring archiver %s: %q: %v\n%s", strings.Join(args, " "), stdout.String(), err, stderr.String())
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), rss
}

// measureEnv, set to the archiver binary, makes this test binary
// runMeasured's measurer: it runs that binary with its arguments and
// prints its peak resident memory in bytes, exiting as it did.
const measureEnv = "ARCHIVER_TEST_MEASURE"

// measure is the measurer: see runMeasured.
func measure(binary string, args []string) int {
	cmd := exec.Command(binary, args...)
	cmd.Env = slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, measureEnv+"=") })
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		return 125
	}
	rss := int64(0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // KiB on Linux
	}
	fmt.Println(rss)
	return cmd.ProcessState.ExitCode()
}

// lineHas reports whether a line of s holds both prefix and want.
func lineHas(s, prefix, want string) bool {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, prefix) && strings.Contains(line, want) {
			return true
		}
	}
	return false
}

func linesWith(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func postTitles(t *testing.T, archive string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, name := range storetest.PostFiles(t, archive) {
		out[storetest.ReadPost(t, archive, name).Title] = true
	}
	return out
}
