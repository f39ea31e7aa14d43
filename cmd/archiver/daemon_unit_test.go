package main

import (
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

const minimalConfig = "store: {path: archive}\nfeeds: [{url: 'https://www.rfa.org/arc/outboundfeeds/mandarin/rss/'}]\n"

func TestDaemonConfig(t *testing.T) {
	for _, tc := range []struct {
		yaml     string
		every    time.Duration
		cron     string
		interval time.Duration
		listen   string
	}{
		{"", 15 * time.Minute, "", 15 * time.Minute, "127.0.0.1:9180"},
		{"schedule: 2s\nlisten: 'off'\n", 2 * time.Second, "", 2 * time.Second, "off"},
		{"schedule: 250ms\nlisten: ':0'\n", 250 * time.Millisecond, "", 250 * time.Millisecond, ":0"},
		{"schedule: '*/15 * * * *'\n", 0, "*/15 * * * *", 15 * time.Minute, "127.0.0.1:9180"},
		{"schedule: 'CRON_TZ=Asia/Shanghai 0 */2 * * *'\n", 0, "CRON_TZ=Asia/Shanghai 0 */2 * * *", 2 * time.Hour, "127.0.0.1:9180"},
		{"schedule: '0 6,18 * * *'\n", 0, "0 6,18 * * *", 12 * time.Hour, "127.0.0.1:9180"},
		{"schedule: '5 0 * * 1'\n", 0, "5 0 * * 1", 7 * 24 * time.Hour, "127.0.0.1:9180"},
	} {
		c, err := parseConfig([]byte(minimalConfig+tc.yaml), "config.yaml")
		if err != nil {
			t.Errorf("%q: %v", tc.yaml, err)
			continue
		}
		if c.Schedule.Every != tc.every || c.Schedule.Cron != tc.cron || c.Listen != tc.listen {
			t.Errorf("%q: schedule %v %q, listen %q", tc.yaml, c.Schedule.Every, c.Schedule.Cron, c.Listen)
		}
		now := time.Date(2026, 3, 1, 0, 7, 0, 0, time.UTC)
		if got := c.Schedule.Interval(c.location, now); got != tc.interval {
			t.Errorf("%q: interval %v, want %v", tc.yaml, got, tc.interval)
		}
	}
}

func TestDaemonConfigErrors(t *testing.T) {
	for yaml, want := range map[string]string{
		"schedule: 0s\n":                            "config.yaml:3: schedule:",
		"schedule: -5m\n":                           "config.yaml:3: schedule:",
		"schedule: often\n":                         "config.yaml:3: schedule: \"often\" is neither a Go duration",
		"schedule: '*/15 * * *'\n":                  "config.yaml:3: schedule:",
		"schedule: '61 * * * *'\n":                  "config.yaml:3: schedule: \"61 * * * *\" is not a valid 5-field cron expression",
		"schedule: 'CRON_TZ=Mars/Base * * * * *'\n": "config.yaml:3: schedule:",
		"listen: localhost\n":                       "config.yaml:3: listen: \"localhost\" is not host:port",
		"store2: {}\n":                              `unknown key "store2"`,
	} {
		_, err := parseConfig([]byte(minimalConfig+yaml), "config.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", yaml, err, want)
		}
	}
	for yaml, want := range map[string]string{
		"store: {path: a, remote: 'https://me:pw@example.org/a.git'}\n":  "config.yaml:1: store.remote: holds a user name or password",
		"store: {path: a, remote: 'https://ghp_pw@example.org/a.git'}\n": "config.yaml:1: store.remote: holds a user name or password",
		"store: {path: a, branch: 'a..b'}\n":                             `config.yaml:1: store.branch: "a..b" is not a git branch name`,
	} {
		_, err := parseConfig([]byte(yaml+"feeds: [{url: 'https://x.org/'}]\n"), "config.yaml")
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "pw@") {
			t.Errorf("%q: error %v, want %q", yaml, err, want)
		}
	}
	for remote, want := range map[string]string{
		"git@example.org:me/a.git":         "git@example.org:me/a.git",
		"ssh://git@example.org/me/a.git":   "ssh://git@example.org/me/a.git",
		"https://example.org/me/a.git":     "https://example.org/me/a.git",
		"/srv/git/a.git":                   "/srv/git/a.git",
		"../backup/a.git":                  "/etc/backup/a.git", // relative to the configuration
		"  https://example.org/me/a.git  ": "https://example.org/me/a.git",
	} {
		c, err := parseConfig([]byte("store: {path: a, remote: '"+remote+"'}\nfeeds: [{url: 'https://x.org/'}]\n"), "/etc/archiver/config.yaml")
		if err != nil || c.Store.Remote != want || c.Store.Branch != "main" {
			t.Errorf("remote %q: %v %q, want %q", remote, err, c.Store.Remote, want)
		}
	}
}

// TestHealth: /healthz's answer at each state of a daemon on a 1 minute
// schedule.
func TestHealth(t *testing.T) {
	c, err := parseConfig([]byte(minimalConfig+"schedule: 1m\n"), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	d := newDaemon(c, slog.New(slog.DiscardHandler), nil)
	d.now = func() time.Time { return now }
	d.started = start
	check := func(at time.Duration, wantOK bool, want string) {
		t.Helper()
		now = start.Add(at)
		ok, msg := d.health()
		if ok != wantOK || !strings.Contains(msg, want) {
			t.Errorf("at %v: %v %q, want %v and %q", at, ok, msg, wantOK, want)
		}
	}
	check(0, true, "the first pass is running")
	d.running = start
	check(2*time.Minute, true, "the first pass is running")
	check(3*time.Minute+time.Second, false, "the pass in hand started 3m1s ago, longer than 3 schedule intervals (3m0s)")

	d.running, d.last, d.lastOK = time.Time{}, &Summary{New: make([]Archived, 2), Posts: 9}, start.Add(4*time.Minute)
	check(5*time.Minute, true, "ok: the last pass finished at 2026-01-01T00:04:00Z: 2 new, 0 updated, 0 failed; 9 posts")
	check(7*time.Minute, true, "ok")
	check(7*time.Minute+time.Second, false, "the last pass finished 3m1s ago")
	d.running = start.Add(6 * time.Minute) // the scheduler runs: alive
	check(8*time.Minute, true, "ok")
	check(9*time.Minute+time.Second, false, "the pass in hand started 3m1s ago")

	d.running, d.lastErr = time.Time{}, errors.New("store: git commit: disk full")
	check(7*time.Minute, false, "the last pass failed: store: git commit: disk full")

	d.lastErr, d.last.Failed = nil, []Failure{{Kind: "push", Reason: "remote unreachable"}}
	check(5*time.Minute, true, "push failed: remote unreachable")
}
