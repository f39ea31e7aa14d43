package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// faultSite fails in every way a news site does until healed: feeds that
// error, hang, are cut off, are not feeds or are not UTF-8; pages that time
// out, throttle, are cut off, are huge, are gzip bombs, loop; and feed
// entries that point where they must not.
type faultSite struct {
	*httptest.Server
	healed  atomic.Bool
	mu      sync.Mutex
	hits    map[string]int
	refused string // a feed URL on a port nothing listens on, until healed
	refLn   net.Listener
}

// faultPages are the pages of the /pages feed: path → what it does
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

// faultTransient are the pages that fail until healed.
var faultTransient = []string{"/p/timeout/", "/p/unavailable/", "/p/truncated/", "/p/huge/", "/p/bomb/", "/p/loop/", "/p/gone-no-story/"}

// faultFeeds fail until healed, then list one story each.
var faultFeeds = []string{"/f/500", "/f/hang", "/f/half", "/f/botwall", "/f/badutf8"}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gzipBomb is a small gzip stream of 256 MiB of zeros.
func gzipBomb() []byte {
	bombOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zeros := make([]byte, 1<<20)
		for range 256 {
			zw.Write(zeros)
		}
		zw.Close()
		bomb = buf.Bytes()
	})
	return bomb
}

func newFaultSite(t *testing.T) *faultSite {
	s := &faultSite{hits: map[string]int{}}
	gzipBomb() // made before any request: it takes a while, longer still under -race
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.refused = "http://" + ln.Addr().String() + "/f/refused"
	ln.Close() // refused until heal listens again
	return s
}

// heal makes every feed and page answer, and the refused port listen.
func (s *faultSite) heal(t *testing.T) {
	s.healed.Store(true)
	ln, err := net.Listen("tcp", strings.TrimPrefix(strings.TrimSuffix(s.refused, "/f/refused"), "http://"))
	if err != nil {
		t.Fatalf("re-listening on the refused port: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(s.serve)}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

func (s *faultSite) hit(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.hits[path]
	s.hits[path]++
	return n
}

func (s *faultSite) serve(w http.ResponseWriter, r *http.Request) {
	n := s.hit(r.URL.Path)
	healed := s.healed.Load()
	base := "http://" + r.Host
	if strings.HasPrefix(r.URL.Path, "/f/") && r.URL.Path != "/f/pages" && r.URL.Path != "/f/gbk" && r.URL.Path != "/f/big5" && r.URL.Path != "/f/entries" {
		if !healed {
			switch r.URL.Path {
			case "/f/500":
				http.Error(w, "internal error", 500)
			case "/f/hang":
				hang(r)
			case "/f/half":
				fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title><item><title>半截`)
			case "/f/botwall":
				fmt.Fprint(w, `<!DOCTYPE html><html><body><h1>Checking your browser…</h1></body></html>`)
			case "/f/badutf8":
				fmt.Fprint(w, "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>bad \xff\xfe</title></channel></rss>")
			}
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/f/")
		serveFeed(w, r, "", rssDoc(rssItem("订阅源恢复："+name, base+"/p/from-feed-"+name+"/", "Mon, 02 Jun 2025 08:00:00 +0000", "")))
		return
	}
	switch {
	case r.URL.Path == "/f/pages":
		var items []string
		i := 0
		for path := range faultPages {
			i++
			teaser := "<p>摘要（不是全文）</p>"
			if path == "/p/gone-no-story/" {
				teaser = ""
			}
			items = append(items, rssItem("故障页面 "+path, base+path, fmt.Sprintf("Tue, 03 Jun 2025 %02d:00:00 +0000", i), teaser))
		}
		serveFeed(w, r, "", rssDoc(items...))
	case r.URL.Path == "/f/gbk": // GBK, declared only in the HTTP header
		doc := rssDoc(rssItem("简体中文订阅源：编码为GBK", base+"/p/healthy-gbk/", "Wed, 04 Jun 2025 08:00:00 +0000", ""))
		enc, _ := simplifiedchinese.GBK.NewEncoder().String(doc)
		serveFeed(w, r, "application/rss+xml; charset=gbk", enc)
	case r.URL.Path == "/f/big5": // Big5, declared only in the XML declaration
		doc := strings.Replace(rssDoc(rssItem("繁體中文訂閱源：編碼為Big5", base+"/p/healthy-big5/", "Wed, 04 Jun 2025 09:00:00 +0000", "")), `encoding="UTF-8"`, `encoding="big5"`, 1)
		enc, _ := traditionalchinese.Big5.NewEncoder().String(doc)
		serveFeed(w, r, "application/xml", enc)
	case r.URL.Path == "/f/entries":
		untrusted := r.URL.Query().Get("untrusted")
		serveFeed(w, r, "", rssDoc(
			`<item><title>没有链接的条目</title><description>x</description></item>`,
			`<item><link>`+base+`/p/no-title/</link><pubDate>Thu, 05 Jun 2025 08:00:00 +0000</pubDate></item>`,
			`<item><title>没有日期的条目</title><link>`+base+`/p/no-date/</link></item>`,
			rssItem("链接到别的主机", untrusted+"/p/elsewhere/", "Thu, 05 Jun 2025 09:00:00 +0000", "<p>x</p>"),
			rssItem("链接到云元数据", "http://169.254.169.254/latest/meta-data/", "Thu, 05 Jun 2025 10:00:00 +0000", "<p>x</p>"),
			rssItem("链接到内网地址", "http://10.0.0.1/admin/", "Thu, 05 Jun 2025 11:00:00 +0000", "<p>x</p>"),
			rssItem("跳转到别的主机", base+"/p/away/?to="+url.QueryEscape(untrusted+"/p/elsewhere/"), "Thu, 05 Jun 2025 12:00:00 +0000", ""),
		))
	case strings.HasPrefix(r.URL.Path, "/p/"):
		s.page(w, r, n, healed)
	default:
		http.NotFound(w, r)
	}
}

func (s *faultSite) page(w http.ResponseWriter, r *http.Request, n int, healed bool) {
	path := r.URL.Path
	story := storyPage(path)
	if !healed {
		switch path {
		case "/p/throttled/":
			if n == 0 {
				w.Header().Set("Retry-After", "1")
				http.Error(w, "slow down", http.StatusTooManyRequests)
				return
			}
		case "/p/chain/":
			w.Header().Set("Location", "/p/chain-2/")
			w.WriteHeader(http.StatusFound)
			return
		case "/p/timeout/":
			hang(r)
			return
		case "/p/unavailable/":
			w.Header().Set("Retry-After", "3600")
			http.Error(w, "maintenance", http.StatusServiceUnavailable)
			return
		case "/p/truncated/":
			w.Header().Set("Content-Length", fmt.Sprint(len(story)+1000))
			w.Write([]byte(story))
			return // the server closes the connection short
		case "/p/huge/":
			w.Header().Set("Content-Type", "text/html")
			chunk := []byte("<p>" + strings.Repeat("大", 1000) + "</p>\n")
			for written := 0; written < 30<<20; written += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
			return
		case "/p/bomb/":
			w.Header().Set("Content-Type", "text/html")
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(gzipBomb())
			return
		case "/p/loop/":
			http.Redirect(w, r, "/p/loop-2/", http.StatusFound)
			return
		case "/p/loop-2/":
			http.Redirect(w, r, "/p/loop/", http.StatusFound)
			return
		case "/p/gone-no-story/":
			http.NotFound(w, r)
			return
		}
	}
	switch path {
	case "/p/away/": // a redirect off the trusted hosts
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	case "/p/chain-2/":
		http.Redirect(w, r, "/p/chain-3/", http.StatusMovedPermanently)
	case "/p/gbk-meta/":
		enc, _ := simplifiedchinese.GBK.NewEncoder().String(strings.Replace(story, `<meta charset="utf-8">`, `<meta charset="gbk">`, 1))
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte(enc))
	case "/p/big5-header/":
		enc, _ := traditionalchinese.Big5.NewEncoder().String(strings.Replace(story, `<meta charset="utf-8">`, "", 1))
		w.Header().Set("Content-Type", "text/html; charset=big5")
		w.Write([]byte(enc))
	default:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, story)
	}
}

// hang answers nothing for longer than the client waits.
func hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// storyPage is a Plone-shaped page whose story names its path, so that a
// post shows which page it came from. It is in traditional characters,
// which GBK and Big5 both have. The pages of the GBK and Big5 feeds have
// no headline, so that their posts take the feed's title.
func storyPage(path string) string {
	h1 := "<h1>頁面標題 " + path + "</h1>"
	if strings.Contains(path, "healthy-gbk") || strings.Contains(path, "healthy-big5") {
		h1 = ""
	}
	return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>頁面</title></head><body>
<div id="storypagemaincol">` + h1 + `
<div id="storytext"><p>完整的正文：` + path + `。繁體與簡體都要原樣保存。</p><p>第二段。</p></div></div></body></html>`
}

func rssDoc(items ...string) string {
	return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>故障</title>` +
		strings.Join(items, "") + `</channel></rss>`
}

func rssItem(title, link, pubDate, content string) string {
	x := "<item><title>" + title + "</title><link>" + link + "</link><guid>" + link + "</guid><pubDate>" + pubDate + "</pubDate>"
	if content != "" {
		x += "<content:encoded><![CDATA[" + content + "]]></content:encoded>"
	}
	return x + "</item>"
}

func serveFeed(w http.ResponseWriter, r *http.Request, contentType, body string) {
	etag := fmt.Sprintf(`"%x"`, len(body))
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if contentType == "" {
		contentType = "application/rss+xml; charset=utf-8"
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Content-Type", contentType)
	fmt.Fprint(w, body)
}

// TestFaults is issue 4's acceptance, end to end: a first sync against a
// site failing in every way exits 1 naming each failure, archives what is
// healthy, fetches nothing from untrusted hosts and stays within 300 MB;
// once the site heals, a second sync archives the rest in full; a third
// gets 304s and commits nothing.
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	site := newFaultSite(t)
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { otherHits.Add(1) }))
	defer other.Close()

	dir := t.TempDir()
	var feedsYAML strings.Builder
	for _, f := range append(faultFeeds, "/f/pages", "/f/gbk", "/f/big5") {
		fmt.Fprintf(&feedsYAML, "  - url: %s%s\n", site.URL, f)
	}
	fmt.Fprintf(&feedsYAML, "  - url: %s\n  - url: %s/f/entries?untrusted=%s\n", site.refused, site.URL, other.URL)
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
	for _, f := range faultFeeds {
		if !strings.Contains(stderr, "FAILED "+site.URL+f+": ") {
			t.Errorf("stderr does not name the failed feed %s", f)
		}
	}
	if !strings.Contains(stderr, "FAILED "+site.refused+": ") || !strings.Contains(stderr, "connection refused") {
		t.Errorf("stderr does not name the refused feed")
	}
	for feed, reason := range map[string]string{"/f/botwall": "not a feed", "/f/badutf8": "UTF-8", "/f/hang": "timed out", "/f/half": "malformed", "/f/500": "HTTP 500"} {
		if !strings.Contains(stderr, site.URL+feed+": ") || !lineHas(stderr, site.URL+feed+": ", reason) {
			t.Errorf("the failure of %s does not say %q", feed, reason)
		}
	}
	for _, p := range faultTransient {
		if !strings.Contains(stderr, "FAILED "+site.URL+p+": ") {
			t.Errorf("stderr does not name the failed page %s", p)
		}
	}
	for page, reason := range map[string]string{"/p/huge/": "size limit", "/p/bomb/": "size limit", "/p/loop/": "redirect loop", "/p/truncated/": "before its declared length", "/p/unavailable/": "Retry-After", "/p/timeout/": "timed out"} {
		if !lineHas(stderr, site.URL+page+": ", reason) {
			t.Errorf("the failure of %s does not say %q:\n%s", page, reason, linesWith(stderr, site.URL+page+": "))
		}
	}
	if n := otherHits.Load(); n != 0 {
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
	posts := postsByFrom(t, archive)
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
	checkRepo(t, archive)

	// Heal: everything answers, and is archived in full.
	site.heal(t)
	code, stderr, _ = runMeasured(t, dir, "sync")
	if code != 0 {
		t.Fatalf("second sync: exit %d, want 0\n%s", code, stderr)
	}
	posts = postsByFrom(t, archive)
	for _, p := range faultTransient {
		body, ok := posts[site.URL+p]
		switch {
		case !ok:
			t.Errorf("%s not archived after healing", p)
		case strings.Contains(body, "摘要（不是全文）") || !strings.Contains(body, "完整的正文："+p+"。"):
			t.Errorf("%s archived from the feed's teaser, not its page:\n%s", p, body)
		}
	}
	for _, f := range append(faultFeeds, "/f/refused") {
		if _, ok := posts[site.URL+"/p/from-feed-"+strings.TrimPrefix(f, "/f/")+"/"]; !ok && f != "/f/refused" {
			t.Errorf("the story of healed feed %s was not archived", f)
		}
	}
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the untrusted host got %d requests", n)
	}
	checkRepo(t, archive)

	// Nothing changed: every feed answers 304, and there is no commit.
	head := gitOut(t, archive, "rev-parse", "HEAD")
	code, stderr, _ = runMeasured(t, dir, "sync")
	if code != 0 {
		t.Fatalf("third sync: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "polled (10 unchanged)") {
		t.Errorf("the third sync did not get 304 for every feed:\n%s", stderr)
	}
	if gitOut(t, archive, "rev-parse", "HEAD") != head {
		t.Error("the third sync made a commit")
	}
}

// runMeasured runs archiver and returns its exit status, stderr and peak
// resident memory in bytes.
func runMeasured(t *testing.T, dir string, args ...string) (int, string, int64) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	rss := int64(0)
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss * 1024 // KiB on Linux
	}
	return cmd.ProcessState.ExitCode(), stderr.String(), rss
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

// postsByFrom maps each post's from: URL to its body.
func postsByFrom(t *testing.T, archive string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range postFiles(t, archive) {
		fm := readPost(t, archive, name)
		out[fm.From] = string(fm.Body)
	}
	return out
}

func postTitles(t *testing.T, archive string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, name := range postFiles(t, archive) {
		out[readPost(t, archive, name).Title] = true
	}
	return out
}
