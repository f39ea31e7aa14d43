package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

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
	return startCommand(t, dir, env, "daemon", args...)
}

// startCommand starts the binary's command (daemon, or sync) in dir, its
// log JSON.
func startCommand(t *testing.T, dir string, env []string, command string, args ...string) *daemonProc {
	t.Helper()
	d := &daemonProc{done: make(chan struct{})}
	d.cmd = exec.Command(binary, append([]string{command, "--log-format", "json"}, args...)...)
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

// TestDaemon is issue 3's acceptance: a daemon on a short schedule
// archives a site, polls it again and archives what appears later, serves
// /healthz and /metrics with counts that match the archive, shares the
// store with a sync (which waits its turn or says the store is busy), and
// stops within 10 s of SIGTERM in the middle of a pass and when idle,
// leaving a clean store.
func TestDaemon(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	site := feedstest.NewSite(t)
	site.ListStories(4)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	feeds := "feeds: [{url: '" + site.StoriesURL() + "', name: news}]\nhttp: {retry_backoff: 10ms, timeout: 20s}\n"
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\n"+feeds+"schedule: 300ms\nlisten: 127.0.0.1:0\n")
	d := startDaemon(t, dir, os.Environ())

	// The first pass archives what the feed lists; later passes find what
	// is added.
	eventually(t, 20*time.Second, "the first pass archives 4 stories", func() bool { return storetest.Committed(archive) == 4 })
	addr := d.address()
	if addr == "" {
		t.Fatal("the daemon did not log the address it serves")
	}
	if code, body := get("http://" + addr + "/healthz"); code != 200 || !strings.HasPrefix(body, "ok") {
		t.Errorf("/healthz after a pass: %d %q", code, body)
	}
	site.ListStories(7)
	eventually(t, 20*time.Second, "later passes archive the 3 new stories", func() bool { return storetest.Committed(archive) == 7 })
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
		`archiver_failing_articles{kind="fetch"}`:                0,
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
	storetest.WriteFile(t, filepath.Join(dir, "health.yaml"), "store: {path: archive}\n"+feeds+"listen: "+addr+"\n")
	headFile := filepath.Join(archive, ".git", "HEAD")
	goodHead, err := os.ReadFile(headFile)
	if err != nil {
		t.Fatal(err)
	}
	storetest.WriteFile(t, headFile, "not a ref\n")
	eventually(t, 10*time.Second, "/healthz turns 503 when the store cannot be read", func() bool {
		code, _ := get("http://" + addr + "/healthz")
		return code == http.StatusServiceUnavailable
	})
	if _, body := get("http://" + addr + "/healthz"); !strings.Contains(body, "the last pass failed: store:") {
		t.Errorf("/healthz does not say why: %q", body)
	}
	if code, stdout, _ := runCommand(t, dir, "healthcheck", "--config", "health.yaml"); code != 1 || !strings.Contains(stdout, "unhealthy") {
		t.Errorf("healthcheck of an unhealthy daemon: exit %d, want 1\n%s", code, stdout)
	}
	if metric(t, addr, `archiver_passes_total{result="store_error"}`) < 1 {
		t.Error("the failed pass is not counted")
	}
	storetest.WriteFile(t, headFile, string(goodHead))
	eventually(t, 10*time.Second, "/healthz is 200 again", func() bool {
		code, _ := get("http://" + addr + "/healthz")
		return code == http.StatusOK
	})
	if code, stdout, _ := runCommand(t, dir, "healthcheck", "--config", "health.yaml"); code != 0 {
		t.Errorf("healthcheck of a healthy daemon: exit %d\n%s", code, stdout)
	}

	// A sync beside the daemon: while a pass holds the store, a sync
	// that cannot wait long says the store is busy; one that can waits
	// its turn. Either way the archive holds each story once.
	release8 := site.Hold(feedstest.StoryPath(8))
	site.ListStories(8)
	eventually(t, 20*time.Second, "a pass fetches the slow story", func() bool { return site.Hits(feedstest.StoryPath(8)) > 0 })
	polls := site.Hits(feedstest.StoriesFeed)
	time.Sleep(time.Second) // three intervals
	storetest.WriteFile(t, filepath.Join(dir, "busy.yaml"), "store: {path: archive, lock_timeout: 300ms}\n"+feeds)
	code, _, stderr := runCommand(t, dir, "sync", "--config", "busy.yaml")
	if code != exitBusy || !strings.Contains(stderr, "busy") {
		t.Errorf("sync while the daemon is mid-pass: exit %d, want %d and a busy message:\n%s", code, exitBusy, stderr)
	}
	// The pass has outlasted its interval: the next waits, no pass
	// starts beside it to wait for the store, nor polls the feed. (The
	// busy sync gave up before polling.)
	if n := site.Hits(feedstest.StoriesFeed); n != polls {
		t.Errorf("the feed was polled %d times while a pass was running: passes overlap", n-polls)
	}
	if w := d.records("store: waiting for another archiver to finish"); len(w) > 0 {
		t.Errorf("a pass of the daemon waited for the store: passes overlap")
	}
	storetest.WriteFile(t, filepath.Join(dir, "wait.yaml"), "store: {path: archive, lock_timeout: 1m}\n"+feeds)
	waiting := make(chan error, 1)
	var syncOut strings.Builder
	go func() {
		cmd := exec.Command(binary, "sync", "--config", "wait.yaml")
		cmd.Dir = dir
		cmd.Stderr = &syncOut
		waiting <- cmd.Run()
	}()
	time.Sleep(200 * time.Millisecond) // the sync is waiting for the lock
	release8()
	select {
	case err := <-waiting:
		if err != nil {
			t.Errorf("a sync that waits its turn: %v\n%s", err, syncOut.String())
		}
	case <-time.After(60 * time.Second):
		t.Fatal("a sync waiting for the daemon never ran")
	}
	eventually(t, 20*time.Second, "story 8 is archived", func() bool { return storetest.Committed(archive) == 8 })

	// SIGTERM in the middle of a pass: story 10 hangs, story 9 does not;
	// the stopping daemon commits story 9.
	release10 := site.Hold(feedstest.StoryPath(10))
	site.ListStories(10)
	eventually(t, 20*time.Second, "a pass archives story 9 and fetches the hanging story 10", func() bool {
		for _, r := range d.records("archived") {
			if r["url"] == site.StoryURL(9) {
				return site.Hits(feedstest.StoryPath(10)) > 0
			}
		}
		return false
	})
	code, took := d.stop(t)
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM mid-pass: exit %d after %v, want 0 within 10 s", code, took)
	}
	t.Logf("stopped mid-pass in %v", took.Round(time.Millisecond))
	storetest.CheckRepo(t, archive)
	if n := storetest.Committed(archive); n != 9 {
		t.Errorf("%d posts committed after SIGTERM mid-pass, want 9: what was complete", n)
	}
	if len(d.records("daemon stopped")) != 1 {
		t.Error(`no "daemon stopped" in the log`)
	}
	release10()

	// Idle: a daemon whose next pass is an hour away stops at once too;
	// its first pass archives what the stopped one left.
	storetest.WriteFile(t, filepath.Join(dir, "hourly.yaml"), "store: {path: archive}\n"+feeds+"schedule: '0 * * * *'\nlisten: 'off'\n")
	d = startDaemon(t, dir, os.Environ(), "--config", "hourly.yaml")
	eventually(t, 20*time.Second, "the hourly daemon's first pass", func() bool { return len(d.records("pass finished")) == 1 })
	code, took = d.stop(t)
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM when idle: exit %d after %v, want 0 within 10 s", code, took)
	}
	t.Logf("stopped idle in %v", took.Round(time.Millisecond))
	storetest.CheckRepo(t, archive)
	froms := storetest.Posts(t, archive)
	for i := 1; i <= 10; i++ {
		if froms[site.StoryURL(i)] == "" {
			t.Errorf("story %d is not archived", i)
		}
	}
	if len(froms) != 10 {
		t.Errorf("%d posts, want 10", len(froms))
	}
	if code, stdout, _ := runCommand(t, dir, "verify"); code != 0 {
		t.Errorf("verify: exit %d\n%s", code, stdout)
	}
}
