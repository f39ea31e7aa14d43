package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store/storetest"
)

// These tests run archiver's commands against a fixture site on loopback,
// and check the archive with the git CLI: in process (runCommand), as
// main runs them, and, where a process is the subject (signals, a kill,
// the container's environment, memory, the version), the built binary
// (runBinary). They run in parallel: most of their time is spent waiting
// for git, a site or a schedule.

var binary string // built by TestMain

func TestMain(m *testing.M) {
	if b := os.Getenv(measureEnv); b != "" {
		os.Exit(measure(b, os.Args[1:]))
	}
	dir, err := os.MkdirTemp("", "archiver-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "archiver")
	// Static (CGO_ENABLED=0), as the Dockerfile builds it, so that
	// TestContainerEnv can check that it is: one build of the program
	// beside the tests' own, not two. (The Dockerfile adds -trimpath,
	// which changes only the paths the binary records, and would make
	// this build compile everything again rather than reuse the tests'.)
	build := exec.Command("go", "build", "-buildvcs=auto", "-o", binary, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building archiver:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runBinary runs archiver with args in dir and returns its exit status
// and what it printed.
func runBinary(t testing.TB, dir string, args ...string) (int, string, string) {
	t.Helper()
	return runBinaryEnv(t, dir, nil, args...)
}

// runBinaryEnv is runBinary with the environment env (nil: the test's).
func runBinaryEnv(t testing.TB, dir string, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("running archiver: %v", err)
	return 0, "", ""
}

// runCommand runs archiver with args in process, as main does, in dir (a
// relative --config is of dir; without one, dir's config.yaml), and
// returns its exit status and what it printed.
func runCommand(t testing.TB, dir string, args ...string) (int, string, string) {
	t.Helper()
	return runCommandEnv(t, dir, nil, args...)
}

// runCommandEnv is runCommand with env added to the environment archiver
// reads its settings from ($ARCHIVER_*).
func runCommandEnv(t testing.TB, dir string, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	args = slices.Clone(args)
	for i := range args {
		if i > 0 && args[i-1] == "--config" && !filepath.IsAbs(args[i]) {
			args[i] = filepath.Join(dir, args[i])
		}
	}
	getenv := func(k string) string { return env[k] }
	if env["ARCHIVER_CONFIG"] == "" {
		getenv = func(k string) string {
			return cmp.Or(env[k], map[string]string{"ARCHIVER_CONFIG": filepath.Join(dir, "config.yaml")}[k])
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), args, proc{env: config.ReadEnv(getenv), stdout: &stdout, stderr: &stderr})
	return exitCode(err, &stderr), stdout.String(), stderr.String()
}

// writeConfig writes a configuration for the fixture site in dir.
func writeConfig(t *testing.T, dir string, site *feedstest.Site, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`store:
  path: archive
feeds:
  - url: %[1]s/arc/outboundfeeds/mandarin/rss/
    name: mandarin
  - url: %[1]s/blog/atom.xml
    name: blog
    front_matter: {author: A Small Blog, tags: [blog], categories: [blog]}
  - url: %[1]s/mandarin/rss1.rdf
http:
  retry_backoff: 10ms
  timeout: 5s
%[2]s`, site.URL, extra)
	path := filepath.Join(dir, "config.yaml")
	storetest.WriteFile(t, path, cfg)
	return path
}

// wantPosts are the posts the fixture site makes, by file name: title,
// the path of from:, the date.
var wantPosts = map[string][3]string{
	"2025/06/2025-06-16-example-officials-respond-netizens.md": {"示例标题：某地官员回应网民质疑", "/mandarin/shehui/2025/06/16/example-officials-respond-netizens/", "2025-06-16T14:05:12Z"},
	"2025/06/2025-06-15-rendered-story.md":                     {"示例标题：某地官员回应网民质疑", "/mandarin/guoji/2025/06/15/rendered-story/", "2025-06-15T10:00:00Z"},
	"2024/07/2024-07-26-hx2-southeast-asian-diplomats-meet.md": {"美中外长在东盟外交拼场　布林肯与王毅将会面", "/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html", "2024-07-26T19:35:21Z"},
	"2025/06/2025-06-14-removed.md":                            {"已删除但订阅源保留了全文", "/mandarin/gone/2025/06/14/removed/", "2025-06-14T08:00:00Z"},
	"2025/06/2025-06-13-flaky-story.md":                        {"示例：维权人士获释后仍受监控", "/mandarin/flaky/2025/06/13/flaky-story/", "2025-06-13T08:00:00Z"},
	"2025/03/2025-03-01-hostile-story.md":                      {hostileTitle, "/mandarin/test/hostile-story-03012025080000.html", "2025-03-01T08:00:00Z"},
	"2025/05/2025-05-04-notes-on-archiving-feeds.md":           {"Notes on archiving feeds", "/blog/2025/05/notes-on-archiving-feeds/", "2025-05-04T08:00:00Z"},
	"2024/01/2024-01-15-ql1.md":                                {"示例：维权人士获释后仍受监控", "/mandarin/yataibaodao/renquanfazhi/ql1-01152024101512.html", "2024-01-15T15:15:12Z"},
}

func TestSyncEndToEnd(t *testing.T) {
	t.Parallel()
	site := newFixtureSite(t)
	dir := t.TempDir()
	writeConfig(t, dir, site, "")
	archive := filepath.Join(dir, "archive")

	// First run: everything but the page that is gone without its story.
	code, _, stderr := runCommand(t, dir, "sync")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (one article failed)\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "FAILED "+site.URL+goneEmpty+": HTTP 404") {
		t.Errorf("stderr does not name the failed article with its reason:\n%s", stderr)
	}
	checkPosts(t, site, archive)
	if n := site.Hits(flakyPage); n != 3 {
		t.Errorf("the flaky page was fetched %d times, want 3 (two failures, one success)", n)
	}
	if n := site.Hits("/mandarin/shehui/2025/06/16/example-officials-respond-netizens/"); n != 1 {
		t.Errorf("the article in two feeds and listed twice was fetched %d times, want 1", n)
	}
	for _, ua := range site.UserAgents() {
		if !strings.HasPrefix(ua, "archiver/") {
			t.Errorf("User-Agent %q does not name the project", ua)
		}
	}
	if got := storetest.Subjects(t, archive); !slices.Equal(got, []string{"Archive 8 new posts", "Start the archive"}) {
		t.Errorf("history %q", got)
	}
	if msg := storetest.LastMessage(t, archive); !strings.Contains(msg, "+ 美中外长在东盟外交拼场　布林肯与王毅将会面") {
		t.Errorf("commit message does not name the titles:\n%s", msg)
	}
	storetest.CheckRepo(t, archive)
	head := storetest.Head(t, archive)

	// Second run: nothing new, no commit, no page fetched again; the
	// failure, which will not heal by itself, is parked: not in the exit
	// status, listed by archiver failures.
	code, _, stderr = runCommand(t, dir, "sync")
	if code != 0 || !strings.Contains(stderr, "0 failed, 1 parked") || strings.Contains(stderr, "FAILED") {
		t.Fatalf("second run: exit %d, want 0 and the failure parked\n%s", code, stderr)
	}
	if code, stdout, _ := runCommand(t, dir, "failures"); code != 0 || !lineHas(stdout, site.URL+goneEmpty, "gone (permanent)") {
		t.Errorf("archiver failures: exit %d\n%s", code, stdout)
	}
	if got := storetest.Head(t, archive); got != head {
		t.Error("the second run made a commit")
	}
	if n := site.Hits("/mandarin/shehui/2025/06/16/example-officials-respond-netizens/"); n != 1 {
		t.Errorf("an archived article was fetched again (%d fetches)", n)
	}
	checkPosts(t, site, archive)
	storetest.CheckRepo(t, archive)

	// The page comes back, and someone says so: the remembered failure
	// is archived, though the feed itself is unchanged (304).
	site.Heal(goneEmpty)
	site.SetFile(goneEmpty, "text/html", feedstest.Page("plone-page"))
	if code, stdout, stderr := runCommand(t, dir, "retry", site.URL+goneEmpty); code != 0 || !strings.Contains(stdout, "1 failed articles are due") {
		t.Fatalf("archiver retry: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = runCommand(t, dir, "sync")
	if code != 0 {
		t.Fatalf("after healing: exit %d, want 0\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "(1 unchanged)") && !strings.Contains(stderr, "(3 unchanged)") {
		t.Errorf("the feeds were not conditional GETs:\n%s", stderr)
	}
	if fm := storetest.ReadPost(t, archive, "2025/06/2025-06-14-removed-empty.md"); fm.From != site.URL+goneEmpty {
		t.Errorf("healed article from: %q", fm.From)
	}
	if got := storetest.Commits(archive); got != 3 {
		t.Errorf("%d commits after healing, want 3", got)
	}
	storetest.CheckRepo(t, archive)
	if code, stdout, _ := runCommand(t, dir, "failures"); code != 0 || stdout != "failures: no failed articles\n" {
		t.Errorf("archiver failures after healing: exit %d\n%s", code, stdout)
	}

	// And then nothing more.
	head = storetest.Head(t, archive)
	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 {
		t.Fatalf("fourth run: exit %d\n%s", code, stderr)
	}
	if got := storetest.Head(t, archive); got != head {
		t.Error("a run with nothing new made a commit")
	}

	// A story taken down with archiver forget stays down; --undo brings it
	// back.
	hostile := site.URL + "/mandarin/test/hostile-story-03012025080000.html"
	if code, stdout, stderr := runCommand(t, dir, "forget", hostile); code != 0 || !strings.Contains(stdout, "1 articles forgotten") {
		t.Fatalf("archiver forget: exit %d\n%s%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(archive, "_posts", "2025", "03", "2025-03-01-hostile-story.md")); err == nil {
		t.Error("the forgotten article's post is still there")
	}
	runCommand(t, dir, "sync")
	if _, err := os.Stat(filepath.Join(archive, "_posts", "2025", "03", "2025-03-01-hostile-story.md")); err == nil {
		t.Error("a sync archived the forgotten article again")
	}
	if code, stdout, stderr := runCommand(t, dir, "forget", "--undo", hostile); code != 0 || !strings.Contains(stdout, "1 articles are archived again") {
		t.Fatalf("archiver forget --undo: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := runCommand(t, dir, "sync"); code != 0 || !strings.Contains(stderr, "sync: 1 new") {
		t.Errorf("the sync after forget --undo: exit %d\n%s", code, stderr)
	}
	storetest.CheckRepo(t, archive)
	if code, _, _ := runCommand(t, dir, "forget"); code != exitUsage {
		t.Errorf("forget with no URL: exit %d, want 2", code)
	}
}

// checkPosts asserts the archive holds exactly the fixture site's posts.
func checkPosts(t *testing.T, site *feedstest.Site, archive string) {
	t.Helper()
	got := storetest.PostFiles(t, archive)
	var want []string
	for name := range wantPosts {
		want = append(want, name)
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("posts:\n got %q\nwant %q", got, want)
	}
	for name, w := range wantPosts {
		fm := storetest.ReadPost(t, archive, name)
		if fm.Title != w[0] {
			t.Errorf("%s: title %q, want %q", name, fm.Title, w[0])
		}
		if fm.From != site.URL+w[1] {
			t.Errorf("%s: from %q, want %q", name, fm.From, site.URL+w[1])
		}
		if want, _ := time.Parse(time.RFC3339, w[2]); !fm.Date.Equal(want) {
			t.Errorf("%s: date %v, want %v", name, fm.Date, want)
		}
		header := "[" + "](" + fm.From + ")\n------\n\n"
		if body := string(fm.Body); !strings.Contains(body, header[1:]) || !strings.HasPrefix(body, "[") {
			t.Errorf("%s: body does not start with the [title](from) header:\n%.200s", name, body)
		}
	}
	if body := string(storetest.ReadPost(t, archive, "2025/06/2025-06-14-removed.md").Body); !strings.Contains(body, "这篇报道的网页已经删除，全文只在订阅源里。") ||
		!strings.Contains(body, "## 小标题") {
		t.Errorf("the gone page was not archived from the feed's story:\n%s", body)
	}
	if fm := storetest.ReadPost(t, archive, "2025/05/2025-05-04-notes-on-archiving-feeds.md"); fm.Fields["author"] != "A Small Blog" {
		t.Errorf("per-feed front matter not applied: author %v", fm.Fields["author"])
	}
	sample := storetest.ReadPost(t, archive, "2024/07/2024-07-26-hx2-southeast-asian-diplomats-meet.md")
	for _, key := range []string{"layout", "title", "date", "author", "from", "tags", "comments", "categories"} {
		if _, ok := sample.Fields[key]; !ok {
			t.Errorf("front matter lacks %s", key)
		}
	}
	if sample.Fields["comments"] != true || sample.Fields["layout"] != "post" || sample.Fields["author"] != "自由亚洲电台" {
		t.Errorf("default front matter: %v", sample.Fields)
	}
}

func TestSyncUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, tt := range []struct {
		name   string
		config string
		args   []string
		want   string
	}{
		{"unknown key", "store: {path: a}\nfeeds: [{url: 'http://x/'}]\nfeeds_typo: 1\n", nil, `config.yaml:3: feeds_typo: unknown key`},
		{"unknown nested key", "store:\n  path: a\n  pth: b\nfeeds: [{url: 'http://x/'}]\n", nil, `config.yaml:3: store.pth: unknown key`},
		{"feed as a string", "store: {path: a}\nfeeds:\n  - http://x/rss\n", nil, `config.yaml:3: feeds[0]: a feed is written as a mapping with its url (- url: http://x/rss), not as text`},
		{"wrong kind", "store: {path: a}\nfeeds: [{url: 'http://x/'}]\nhttp: {concurrency: lots}\n", nil, `config.yaml:3: http.concurrency: "lots" is text, not a whole number`},
		{"bad duration", "store: {path: a}\nfeeds: [{url: 'http://x/'}]\nhttp:\n  timeout: soon\n", nil, `config.yaml:4: http.timeout: "soon" is not a duration`},
		{"no feeds", "store: {path: a}\n", nil, "feeds: no feeds"},
		{"bad feed url", "store: {path: a}\nfeeds:\n  - url: ftp://x/\n", nil, `config.yaml:3: feeds[0].url: "ftp://x/" is not an http or https URL`},
		{"missing config", "", []string{"--config", "nope.yaml"}, "nope.yaml not found"},
		{"unknown flag", "store: {path: a}\nfeeds: [{url: 'http://x/'}]\n", []string{"--bogus"}, "flag provided but not defined"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.config != "" {
				os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(tt.config), 0o644)
			}
			code, _, stderr := runCommand(t, dir, append([]string{"sync"}, tt.args...)...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if !strings.Contains(stderr, tt.want) || strings.Count(stderr, tt.want) != 1 || strings.Contains(stderr, "sync: ") && !strings.Contains(stderr, "archiver: sync: ") {
				t.Errorf("stderr %q lacks %q, or says it more than once", stderr, tt.want)
			}
		})
	}
	if code, _, _ := runCommand(t, dir, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	// Help goes to stdout, each default said once; it is not an error.
	for _, cmd := range []string{"sync", "daemon", "verify", "failures", "retry", "healthcheck"} {
		code, stdout, stderr := runCommand(t, dir, cmd, "--help")
		if code != 0 || stderr != "" || !strings.HasPrefix(stdout, "Usage: archiver "+cmd) || strings.Count(stdout, "(default") != strings.Count(stdout, "(default ") ||
			strings.Contains(stdout, "default $ARCHIVER_CONFIG") || strings.Count(stdout, "config.yaml") != 2 {
			t.Errorf("%s --help: exit %d\nstdout:\n%s\nstderr:\n%s", cmd, code, stdout, stderr)
		}
		if (cmd == "sync" || cmd == "daemon") != strings.Contains(stdout, "--log-format") {
			t.Errorf("%s --help offers --log-format wrongly:\n%s", cmd, stdout)
		}
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	site := newFixtureSite(t)
	dir := t.TempDir()
	writeConfig(t, dir, site, "")
	archive := filepath.Join(dir, "archive")
	if code, _, stderr := runCommand(t, dir, "sync"); code != 1 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	if code, stdout, _ := runCommand(t, dir, "verify"); code != 0 || !strings.Contains(stdout, "is sound") {
		t.Fatalf("verify of a good archive: exit %d\n%s", code, stdout)
	}

	good, _ := os.ReadFile(filepath.Join(archive, "_posts", "2025", "06", "2025-06-15-rendered-story.md"))
	bad := map[string]string{
		"2025-01-01-no-front-matter.md": "just text\n",
		"2025-01-02-bad-yaml.md":        "---\ntitle: [unclosed\n---\nx\n",
		"2025-01-03-no-date.md":         strings.Replace(string(good), "date: 2025-06-15T10:00:00.000Z\n", "", 1),
		"2025-01-04-bad-date.md":        strings.Replace(string(good), "date: 2025-06-15T10:00:00.000Z", "date: next tuesday", 1),
		"2025-01-05-duplicate.md":       string(good),
		"2025-01-07-not-utf8.md":        strings.Replace(string(good), "[", "\xff[", 1),
		"2025-01-08-control.md":         strings.Replace(strings.Replace(string(good), "[", "\x1b[", 1), "from: ", "from: x", 1),
		"not-a-post-name.md":            string(good),
	}
	for name, content := range bad {
		os.WriteFile(filepath.Join(archive, "_posts", name), []byte(content), 0o644)
	}
	storetest.Git(t, archive, "add", "_posts")
	storetest.Git(t, archive, "commit", "-qm", "damage")
	os.WriteFile(filepath.Join(archive, "_posts", "2025-01-06-uncommitted.md"), good, 0o644)

	code, stdout, _ := runCommand(t, dir, "verify")
	if code != 1 {
		t.Errorf("verify of a damaged archive: exit %d, want 1", code)
	}
	for _, want := range []string{
		"_posts/2025-01-01-no-front-matter.md: no front matter",
		"_posts/2025-01-02-bad-yaml.md: front matter is not valid YAML",
		`_posts/2025-01-03-no-date.md: front matter lacks "date"`,
		`_posts/2025-01-04-bad-date.md: date "next tuesday" is not a date`,
		"_posts/2025-01-05-duplicate.md: the same article (from:) as",
		"_posts/2025/06/2025-06-15-rendered-story.md: the same article (from:) as",
		"_posts/not-a-post-name.md: the file name is not YYYY-MM-DD-title.ext",
		"_posts/2025-01-06-uncommitted.md: not committed",
		"_posts/2025-01-07-not-utf8.md: the file is not valid UTF-8",
		"_posts/2025-01-08-control.md: the file holds a control character",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("verify does not report %q:\n%s", want, stdout)
		}
	}
}

// TestSyncUnusableStore: a store path that is a file is found before
// anything is fetched: one line names it and why, no summary, exit 2.
func TestSyncUnusableStore(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "archive"), "a file\n")
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	for _, cmd := range []string{"sync", "daemon"} {
		code, _, stderr := runCommand(t, dir, cmd)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") != 0 ||
			!strings.Contains(stderr, filepath.Join(dir, "archive")+" cannot be used: it is a file, not a directory") {
			t.Errorf("%s with a store path that is a file: exit %d, want 2 and one line naming it:\n%s", cmd, code, stderr)
		}
	}
	if n := site.TotalHits(); n != 0 {
		t.Errorf("the site got %d requests", n)
	}
}

// TestVersion: archiver version, and the User-Agent, say which commit the
// binary was built from (when it was built in a git work tree).
func TestVersion(t *testing.T) {
	t.Parallel()
	rev, err := storetest.TryGit(".", "rev-parse", "HEAD")
	if err != nil {
		t.Skip("not built in a git work tree: the binary knows no commit")
	}
	status, _ := storetest.TryGit(".", "status", "--porcelain")
	code, stdout, _ := runBinary(t, t.TempDir(), "version")
	if code != 0 || !strings.HasPrefix(stdout, "archiver v0.0.0-") || !strings.Contains(stdout, "-"+rev[:12]) || strings.Contains(stdout, "+dirty") != (status != "") {
		t.Errorf("archiver version: exit %d, %q; want the pseudo-version of commit %s", code, stdout, rev[:12])
	}
}

// TestSyncJSON: with --log-format json, everything sync writes is JSON,
// its summary and its failures too.
func TestSyncJSON(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(2)
	site.Fail(feedstest.StoryPath(1), feedstest.Status(404))
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"'}]\n")
	code, _, stderr := runCommand(t, dir, "sync", "--log-format", "json")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	msgs := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("a line is not JSON: %q", line)
		}
		msgs[fmt.Sprint(rec["msg"])] = rec
	}
	if rec := msgs["sync finished"]; rec == nil || rec["new"] != 1.0 || rec["failed"] != 1.0 {
		t.Errorf("no summary record, or a wrong one: %v", rec)
	}
	if rec := msgs["FAILED"]; rec == nil || rec["url"] != site.StoryURL(1) || rec["kind"] != "gone" || rec["permanent"] != true {
		t.Errorf("no FAILED record, or a wrong one: %v", rec)
	}
}
