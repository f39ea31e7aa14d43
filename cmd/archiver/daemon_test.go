package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// newsSite is a small news site on loopback: one RSS feed listing stories
// 1..n, each a Plone-shaped page; a story can be made slow (its page
// answers nothing until released, or the client gives up), and the
// feed answers 304 while it is unchanged.
type newsSite struct {
	*httptest.Server
	mu      sync.Mutex
	n       int
	dup     bool                  // list story 1 twice, the second time with a trailing slash and tracking parameters
	titles  map[int]string        // story → its title when edited
	broken  map[int]bool          // story → its page answers 500
	slow    map[int]chan struct{} // story → closed when released
	hits    map[string]int
	pending map[int]bool // slow stories whose page was asked for
}

func newNewsSite(t *testing.T, n int) *newsSite {
	s := &newsSite{n: n, slow: map[int]chan struct{}{}, hits: map[string]int{}, pending: map[int]bool{}, titles: map[int]string{}, broken: map[int]bool{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.slow {
			select {
			case <-c:
			default:
				close(c)
			}
		}
		s.mu.Unlock()
		s.Close()
	})
	return s
}

func (s *newsSite) feedURL() string { return s.URL + "/rss.xml" }

func (s *newsSite) storyURL(i int) string { return fmt.Sprintf("%s/news/story-%03d.html", s.URL, i) }

func (s *newsSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.hits[r.URL.Path]++
	if r.URL.Path == "/rss.xml" {
		var items []string
		for i := 1; i <= s.n; i++ {
			title := cmp.Or(s.titles[i], fmt.Sprintf("第%d篇报道", i))
			date := time.Date(2025, 6, 1, 0, i, 0, 0, time.UTC).Format(time.RFC1123Z)
			items = append(items, rssItem(title, s.storyURL(i), date, ""))
			if i == 1 && s.dup {
				items = append(items, rssItem(title, s.storyURL(i)+"/?utm_source=rss&amp;utm_medium=feed#comments", date, ""))
			}
		}
		s.mu.Unlock()
		serveFeed(w, r, "", rssDoc(items...))
		return
	}
	var i int
	_, err := fmt.Sscanf(r.URL.Path, "/news/story-%03d.html", &i)
	exists := err == nil && i >= 1 && i <= s.n
	broken, title := s.broken[i], s.titles[i]
	release, slow := s.slow[i]
	if slow {
		s.pending[i] = true
	}
	s.mu.Unlock()

	switch {
	case !exists:
		http.NotFound(w, r)
		return
	case broken:
		http.Error(w, "broken", http.StatusInternalServerError)
		return
	case slow:
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	page := storyPage(r.URL.Path)
	if title != "" {
		page = strings.Replace(page, "第二段。", "第二段（"+title+"）。", 1)
	}
	fmt.Fprint(w, page)
}

// edit gives story i a new title, in the feed and on its page.
func (s *newsSite) edit(i int, title string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.titles[i] = title
}

// breakPage makes story i's page answer 500, or answer again.
func (s *newsSite) breakPage(i int, broken bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.broken[i] = broken
}

// add lists stories up to n; those in slow hang until released.
func (s *newsSite) add(n int, slow ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, i := range slow {
		s.slow[i] = make(chan struct{})
	}
	s.n = n
}

func (s *newsSite) release(i int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.slow[i])
	delete(s.slow, i)
}

func (s *newsSite) hitCount(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *newsSite) asked(i int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending[i]
}

// daemonProc is a running `archiver daemon`.
type daemonProc struct {
	cmd  *exec.Cmd
	addr string // of /healthz and /metrics
	done chan struct{}
	code int

	mu   sync.Mutex
	logs []map[string]any
	raw  strings.Builder
}

// startDaemon runs `archiver daemon` with JSON logs in dir, and waits
// until it serves /healthz (when want is true).
func startDaemon(t *testing.T, dir string, env []string, args ...string) *daemonProc {
	t.Helper()
	d := &daemonProc{done: make(chan struct{})}
	d.cmd = exec.Command(binary, append([]string{"daemon", "--log-format", "json"}, args...)...)
	d.cmd.Dir = dir
	d.cmd.Env = env
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		d.read(stderr)
		d.cmd.Wait()
		d.code = d.cmd.ProcessState.ExitCode()
		close(d.done)
	}()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.rawLog())
		}
	})
	return d
}

// read collects the daemon's log lines.
func (d *daemonProc) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var rec map[string]any
		d.mu.Lock()
		d.raw.WriteString(sc.Text() + "\n")
		if json.Unmarshal(sc.Bytes(), &rec) == nil {
			d.logs = append(d.logs, rec)
			if rec["msg"] == "serving /healthz and /metrics" {
				d.addr, _ = rec["address"].(string)
			}
		}
		d.mu.Unlock()
	}
}

func (d *daemonProc) rawLog() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.raw.String()
}

// records are the log records with that message.
func (d *daemonProc) records(msg string) []map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []map[string]any
	for _, r := range d.logs {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

func (d *daemonProc) address() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.addr
}

// stop sends SIGTERM and returns the exit status and how long it took.
func (d *daemonProc) stop(t *testing.T) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
		t.Fatal("the daemon did not stop within 30 s of SIGTERM")
	}
	return d.code, time.Since(start)
}

// eventually waits until cond holds, failing the test after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get fetches a URL and returns its status and body; status 0 when it
// cannot be reached.
func get(u string) (int, string) {
	resp, err := http.Get(u)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// metric is the value of a sample in /metrics, e.g.
// `archiver_feed_polls_total{feed="news",outcome="new"}`; -1 when absent.
func metric(t *testing.T, addr, sample string) float64 {
	t.Helper()
	code, body := get("http://" + addr + "/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d %s", code, body)
	}
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, sample+" "); ok {
			v, err := strconv.ParseFloat(rest, 64)
			if err != nil {
				t.Fatalf("/metrics: %q", line)
			}
			return v
		}
	}
	return -1
}

// postsFrom maps the from: URL of each post in an archive to its file,
// failing on a duplicate.
func postsFrom(t *testing.T, archive string) map[string]string {
	t.Helper()
	froms := map[string]string{}
	for _, name := range postFiles(t, archive) {
		fm := readPost(t, archive, name)
		if other, dup := froms[fm.From]; dup {
			t.Errorf("%s archived twice: %s and %s", fm.From, other, name)
		}
		froms[fm.From] = name
	}
	return froms
}

// countPosts counts the committed posts of an archive.
func countPosts(archive string) int {
	out, err := exec.Command("git", "-C", archive, "ls-tree", "--name-only", "HEAD", "_posts/").Output()
	if err != nil {
		return -1
	}
	return strings.Count(string(out), ".md\n")
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDaemon is issue 3's acceptance: a daemon on a short schedule
// archives a site, polls it again and archives what appears later, serves
// /healthz and /metrics with counts that match the archive, shares the
// store with a sync (which waits its turn or says the store is busy), and
// stops within 10 s of SIGTERM in the middle of a pass and when idle,
// leaving a clean store.
func TestDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	site := newNewsSite(t, 4)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	feeds := "feeds: [{url: '" + site.feedURL() + "', name: news}]\nhttp: {retry_backoff: 10ms, timeout: 20s}\n"
	writeFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\n"+feeds+"schedule: 300ms\nlisten: 127.0.0.1:0\n")
	d := startDaemon(t, dir, os.Environ())

	// The first pass archives what the feed lists; later passes find what
	// is added.
	eventually(t, 20*time.Second, "the first pass archives 4 stories", func() bool { return countPosts(archive) == 4 })
	addr := d.address()
	if addr == "" {
		t.Fatal("the daemon did not log the address it serves")
	}
	if code, body := get("http://" + addr + "/healthz"); code != 200 || !strings.HasPrefix(body, "ok") {
		t.Errorf("/healthz after a pass: %d %q", code, body)
	}
	site.add(7)
	eventually(t, 20*time.Second, "later passes archive the 3 new stories", func() bool { return countPosts(archive) == 7 })
	eventually(t, 10*time.Second, "/metrics counts 7 posts", func() bool { return metric(t, addr, "archiver_store_posts") == 7 })
	eventually(t, 10*time.Second, "another pass finds nothing new", func() bool {
		return metric(t, addr, `archiver_feed_polls_total{feed="news",outcome="unchanged"}`) >= 1
	})
	for sample, want := range map[string]float64{
		"archiver_articles_archived_total":                       7,
		`archiver_feed_articles_archived_total{feed="news"}`:     7,
		`archiver_feed_polls_total{feed="news",outcome="new"}`:   2,
		`archiver_feed_polls_total{feed="news",outcome="error"}`: 0,
		`archiver_failures_total{kind="fetch"}`:                  0,
		"archiver_failing_articles":                              0,
		`archiver_passes_total{result="store_error"}`:            0,
	} {
		if got := metric(t, addr, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
	passes := metric(t, addr, "archiver_pass_duration_seconds_count")
	if passes < 3 || metric(t, addr, `archiver_passes_total{result="ok"}`) < 3 {
		t.Errorf("%v passes counted, want at least 3", passes)
	}
	if last := metric(t, addr, "archiver_last_success_timestamp_seconds"); time.Since(time.Unix(int64(last), 0)) > time.Minute {
		t.Errorf("archiver_last_success_timestamp_seconds = %v, not a moment ago", last)
	}
	// One summary line per pass, with its numbers.
	finished := d.records("pass finished")
	if len(finished) < 3 {
		t.Fatalf("%d pass summaries logged, want one per pass", len(finished))
	}
	newTotal := 0.0
	for _, r := range finished {
		for _, k := range []string{"new", "updated", "failed", "duration"} {
			if _, ok := r[k]; !ok {
				t.Errorf("a pass summary has no %q: %v", k, r)
			}
		}
		newTotal += r["new"].(float64)
	}
	if newTotal != 7 {
		t.Errorf("the pass summaries add up to %v new, want 7", newTotal)
	}

	// A store that cannot be written turns /healthz to 503, and the
	// image's health check with it; a pass that writes it again, to 200.
	writeFile(t, filepath.Join(dir, "health.yaml"), "store: {path: archive}\n"+feeds+"listen: "+addr+"\n")
	headFile := filepath.Join(archive, ".git", "HEAD")
	goodHead, err := os.ReadFile(headFile)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, headFile, "not a ref\n")
	eventually(t, 10*time.Second, "/healthz turns 503 when the store cannot be read", func() bool {
		code, _ := get("http://" + addr + "/healthz")
		return code == http.StatusServiceUnavailable
	})
	if _, body := get("http://" + addr + "/healthz"); !strings.Contains(body, "the last pass failed: store:") {
		t.Errorf("/healthz does not say why: %q", body)
	}
	if code, stdout, _ := runBinary(t, dir, "healthcheck", "--config", "health.yaml"); code != 1 || !strings.Contains(stdout, "unhealthy") {
		t.Errorf("healthcheck of an unhealthy daemon: exit %d, want 1\n%s", code, stdout)
	}
	if metric(t, addr, `archiver_passes_total{result="store_error"}`) < 1 {
		t.Error("the failed pass is not counted")
	}
	writeFile(t, headFile, string(goodHead))
	eventually(t, 10*time.Second, "/healthz is 200 again", func() bool {
		code, _ := get("http://" + addr + "/healthz")
		return code == http.StatusOK
	})
	if code, stdout, _ := runBinary(t, dir, "healthcheck", "--config", "health.yaml"); code != 0 {
		t.Errorf("healthcheck of a healthy daemon: exit %d\n%s", code, stdout)
	}

	// A sync beside the daemon: while a pass holds the store, a sync
	// that cannot wait long says the store is busy; one that can waits
	// its turn. Either way the archive holds each story once.
	site.add(8, 8)
	eventually(t, 20*time.Second, "a pass fetches the slow story", func() bool { return site.asked(8) })
	polls := site.hitCount("/rss.xml")
	time.Sleep(time.Second) // three intervals
	writeFile(t, filepath.Join(dir, "busy.yaml"), "store: {path: archive, lock_timeout: 300ms}\n"+feeds)
	code, _, stderr := runBinary(t, dir, "sync", "--config", "busy.yaml")
	if code != exitBusy || !strings.Contains(stderr, "busy") {
		t.Errorf("sync while the daemon is mid-pass: exit %d, want %d and a busy message:\n%s", code, exitBusy, stderr)
	}
	// The pass has outlasted its interval: the next waits, no pass
	// starts beside it to wait for the store, nor polls the feed. (The
	// busy sync gave up before polling.)
	if n := site.hitCount("/rss.xml"); n != polls {
		t.Errorf("the feed was polled %d times while a pass was running: passes overlap", n-polls)
	}
	if w := d.records("store: waiting for another archiver to finish"); len(w) > 0 {
		t.Errorf("a pass of the daemon waited for the store: passes overlap")
	}
	writeFile(t, filepath.Join(dir, "wait.yaml"), "store: {path: archive, lock_timeout: 1m}\n"+feeds)
	waiting := make(chan error, 1)
	var syncOut strings.Builder
	go func() {
		cmd := exec.Command(binary, "sync", "--config", "wait.yaml")
		cmd.Dir = dir
		cmd.Stderr = &syncOut
		waiting <- cmd.Run()
	}()
	time.Sleep(200 * time.Millisecond) // the sync is waiting for the lock
	site.release(8)
	select {
	case err := <-waiting:
		if err != nil {
			t.Errorf("a sync that waits its turn: %v\n%s", err, syncOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a sync waiting for the daemon never ran")
	}
	eventually(t, 20*time.Second, "story 8 is archived", func() bool { return countPosts(archive) == 8 })

	// SIGTERM in the middle of a pass: story 10 hangs, story 9 does not;
	// the stopping daemon commits story 9.
	site.add(10, 10)
	eventually(t, 20*time.Second, "a pass archives story 9 and fetches the hanging story 10", func() bool {
		for _, r := range d.records("archived") {
			if r["url"] == site.storyURL(9) {
				return site.asked(10)
			}
		}
		return false
	})
	code, took := d.stop(t)
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM mid-pass: exit %d after %v, want 0 within 10 s", code, took)
	}
	t.Logf("stopped mid-pass in %v", took.Round(time.Millisecond))
	checkRepo(t, archive)
	if n := countPosts(archive); n != 9 {
		t.Errorf("%d posts committed after SIGTERM mid-pass, want 9: what was complete", n)
	}
	if len(d.records("daemon stopped")) != 1 {
		t.Error(`no "daemon stopped" in the log`)
	}
	site.release(10)

	// Idle: a daemon whose next pass is an hour away stops at once too;
	// its first pass archives what the stopped one left.
	writeFile(t, filepath.Join(dir, "hourly.yaml"), "store: {path: archive}\n"+feeds+"schedule: '0 * * * *'\nlisten: 'off'\n")
	d = startDaemon(t, dir, os.Environ(), "--config", "hourly.yaml")
	eventually(t, 20*time.Second, "the hourly daemon's first pass", func() bool { return len(d.records("pass finished")) == 1 })
	code, took = d.stop(t)
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM when idle: exit %d after %v, want 0 within 10 s", code, took)
	}
	t.Logf("stopped idle in %v", took.Round(time.Millisecond))
	checkRepo(t, archive)
	froms := postsFrom(t, archive)
	for i := 1; i <= 10; i++ {
		if froms[site.storyURL(i)] == "" {
			t.Errorf("story %d is not archived", i)
		}
	}
	if len(froms) != 10 {
		t.Errorf("%d posts, want 10", len(froms))
	}
	if code, stdout, _ := runBinary(t, dir, "verify"); code != 0 {
		t.Errorf("verify: exit %d\n%s", code, stdout)
	}
}
