package main

import (
	"encoding/base64"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestPush: a daemon with store.remote pushes after each pass. While the
// remote is unreachable the commits stay and the failure shows in
// /metrics and /healthz; the next pass after it comes back delivers them.
// A new store beside the same remote starts from the remote's archive.
func TestPush(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	site := feedstest.NewSite(t)
	site.ListStories(3)
	dir := t.TempDir()
	archive := filepath.Join(dir, "archive")
	remote := filepath.Join(dir, "remote.git") // not there yet
	feeds := "feeds: [{url: '" + site.StoriesURL() + "', name: news}]\nhttp: {retry_backoff: 10ms}\n"
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive, remote: '"+remote+"'}\n"+feeds+"schedule: 200ms\nlisten: 127.0.0.1:0\n")
	d := startDaemon(t, dir, os.Environ())

	eventually(t, 20*time.Second, "the first pass archives 3 stories", func() bool { return storetest.Committed(archive) == 3 })
	eventually(t, 10*time.Second, "the failed push is counted", func() bool {
		return metric(t, d.address(), `archiver_failures_total{kind="push"}`) >= 1
	})
	if code, body := get("http://" + d.address() + "/healthz"); code != 200 || !strings.Contains(body, "push failed") {
		t.Errorf("/healthz while the remote is unreachable: %d %q, want 200 naming the push failure", code, body)
	}
	if len(d.records("push failed")) == 0 {
		t.Error("the failed push is not in the log")
	}

	storetest.Git(t, dir, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	eventually(t, 20*time.Second, "a later pass pushes to the remote", func() bool {
		head, _ := storetest.TryGit(archive, "rev-parse", "HEAD")
		return storetest.BranchHead(remote, "main") == head
	})
	site.ListStories(4)
	eventually(t, 20*time.Second, "the new story reaches the remote", func() bool { return storetest.Committed(remote) == 4 })
	if code, took := d.stop(t); code != 0 {
		t.Errorf("stop: exit %d after %v", code, took)
	}
	storetest.CheckRepo(t, archive)
	storetest.Git(t, remote, "fsck", "--strict", "--no-progress")

	// A second store on the same remote pulls the archive before its
	// pass: nothing is archived twice, nothing is committed.
	other := t.TempDir()
	storetest.WriteFile(t, filepath.Join(other, "config.yaml"), "store: {path: archive, remote: '"+remote+"'}\n"+feeds)
	code, _, stderr := runCommand(t, other, "sync")
	if code != 0 {
		t.Fatalf("sync of a new store beside the remote: exit %d\n%s", code, stderr)
	}
	if got, _ := storetest.TryGit(filepath.Join(other, "archive"), "rev-parse", "HEAD"); got != storetest.BranchHead(remote, "main") {
		t.Errorf("the new store's HEAD is %s, want the remote's %s", got, storetest.BranchHead(remote, "main"))
	}
	if n := len(storetest.Posts(t, filepath.Join(other, "archive"))); n != 4 {
		t.Errorf("the new store has %d posts, want the remote's 4", n)
	}

	// sync names a failed push and exits 1.
	storetest.WriteFile(t, filepath.Join(dir, "gone.yaml"), "store: {path: archive, remote: '"+filepath.Join(dir, "nowhere.git")+"'}\n"+feeds)
	code, _, stderr = runCommand(t, dir, "sync", "--config", "gone.yaml")
	if code != exitFailed || !lineHas(stderr, "FAILED "+filepath.Join(dir, "nowhere.git")+": ", "[push;") {
		t.Errorf("sync with an unreachable remote: exit %d, want 1 and the push failure named:\n%s", code, stderr)
	}
}

// TestPushCredentials: an HTTPS remote gets the token of the environment
// as HTTP basic auth, and the token shows in no output.
func TestPushCredentials(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	var mu sync.Mutex
	var auths []string
	git := feedstest.NewSite(t) // a git host that refuses every push
	git.Handle("/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auths = append(auths, r.Header.Get("Authorization"))
		mu.Unlock()
		http.Error(w, "no", http.StatusForbidden)
	})
	site := feedstest.NewSite(t)
	site.ListStories(1)
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive, remote: '"+git.URL+"/rfa.git'}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	const token = "s3cret-t0ken"
	code, stdout, stderr := runCommandEnv(t, dir, map[string]string{"ARCHIVER_GIT_TOKEN": token}, "sync")
	if code != exitFailed {
		t.Errorf("sync with a remote that refuses: exit %d, want 1\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, token) {
		t.Errorf("the token shows in the output:\n%s", stderr)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
	mu.Lock()
	defer mu.Unlock()
	if len(auths) == 0 || auths[0] != want {
		t.Errorf("the remote got Authorization %q, want %q", auths, want)
	}
	if storetest.Committed(filepath.Join(dir, "archive")) != 1 {
		t.Error("the story is not committed when the push fails")
	}

	// A password in the URL is refused: it belongs in the environment.
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive, remote: 'https://me:"+token+"@example.org/rfa.git'}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	code, _, stderr = runCommand(t, dir, "sync")
	if code != exitUsage || !strings.Contains(stderr, "store.remote") || strings.Contains(stderr, token) {
		t.Errorf("a password in store.remote: exit %d, want 2 naming the key and not the password:\n%s", code, stderr)
	}
}

// TestPushDiverged: the remote got a commit the store has not (an edit on
// the forge), while the store has a commit it could not push. The next
// pass replays the store's commit on top and pushes: nothing is lost on
// either side.
func TestPushDiverged(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	site := feedstest.NewSite(t)
	site.ListStories(2)
	dir := t.TempDir()
	archive, remote := filepath.Join(dir, "archive"), filepath.Join(dir, "remote.git")
	storetest.Git(t, dir, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	feeds := "feeds: [{url: '" + site.StoriesURL() + "'}]\n"
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive, remote: remote.git}\n"+feeds)
	storetest.WriteFile(t, filepath.Join(dir, "offline.yaml"), "store: {path: archive, remote: nowhere.git}\n"+feeds)
	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 {
		t.Fatalf("first sync: exit %d\n%s", code, stderr)
	}

	// Someone edits the site's configuration on the forge...
	clone := filepath.Join(dir, "clone")
	storetest.Git(t, dir, "clone", "--quiet", remote, clone)
	storetest.WriteFile(t, filepath.Join(clone, "ABOUT.md"), "An archive of RFA.\n")
	storetest.Git(t, clone, "add", "ABOUT.md")
	storetest.Git(t, clone, "commit", "--quiet", "-m", "Say what this is")
	storetest.Git(t, clone, "push", "--quiet", "origin", "main")
	// ...while the store archives a story it cannot push.
	site.ListStories(3)
	if code, _, stderr := runCommand(t, dir, "sync", "--config", "offline.yaml"); code != exitFailed {
		t.Fatalf("sync with the remote unreachable: exit %d\n%s", code, stderr)
	}

	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 {
		t.Fatalf("sync with the remote back: exit %d\n%s", code, stderr)
	}
	head, _ := storetest.TryGit(archive, "rev-parse", "HEAD")
	if storetest.BranchHead(remote, "main") != head {
		t.Errorf("the remote is at %s, the store at %s", storetest.BranchHead(remote, "main"), head)
	}
	if _, err := os.Stat(filepath.Join(archive, "ABOUT.md")); err != nil {
		t.Error("the remote's commit is not in the store")
	}
	if n := storetest.Committed(remote); n != 3 {
		t.Errorf("the remote has %d posts, want 3", n)
	}
	if n := len(storetest.Posts(t, archive)); n != 3 {
		t.Errorf("the store has %d posts, want 3", n)
	}
	storetest.CheckRepo(t, archive)
}

// TestDaemonStopsWhilePulling: SIGTERM while the remote accepts the
// connection and never answers stops the daemon within 10 s, and leaves
// no git process behind.
func TestDaemonStopsWhilePulling(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("a slow end-to-end test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	connected := make(chan struct{}, 1)
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // and never a word
			select {
			case connected <- struct{}{}:
			default:
			}
		}
	}()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	dir := t.TempDir()
	remote := "http://" + ln.Addr().String() + "/archive.git"
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive, remote: '"+remote+"'}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\nschedule: 1h\nlisten: 'off'\n")
	d := startDaemon(t, dir, os.Environ())
	select {
	case <-connected:
	case <-time.After(20 * time.Second):
		t.Fatal("the daemon never pulled")
	}
	code, took := d.stop(t)
	if code != 0 || took > 10*time.Second {
		t.Errorf("SIGTERM while pulling: exit %d after %v, want 0 within 10 s", code, took)
	}
	t.Logf("stopped while pulling in %v", took.Round(time.Millisecond))
	if procs := processesWith(ln.Addr().String()); len(procs) > 0 {
		t.Errorf("processes left running: %q", procs)
	}
	storetest.CheckRepo(t, filepath.Join(dir, "archive"))
}

// processesWith lists the command lines of the processes whose command
// line holds s (Linux; none elsewhere).
func processesWith(s string) []string {
	var found []string
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		data, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(data), s) {
			found = append(found, strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	return found
}
