package main

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
)

const minimalConfig = "store: {path: archive}\nfeeds: [{url: 'https://www.rfa.org/arc/outboundfeeds/mandarin/rss/'}]\n"

func parseConfig(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(minimalConfig+yaml), "config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHealth: /healthz's answer at each state of a daemon on a 1 minute
// schedule.
func TestHealth(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	now := start
	d := newDaemon(parseConfig(t, "schedule: 1m\n"), slog.New(slog.DiscardHandler), nil)
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

	d.running, d.last, d.lastOK = time.Time{}, &archiver.Summary{New: make([]archiver.Archived, 2), Posts: 9}, start.Add(4*time.Minute)
	check(5*time.Minute, true, "ok: the last pass finished at 2026-01-01T00:04:00Z: 2 new, 0 updated, 0 failed; 9 posts")
	check(7*time.Minute, true, "ok")
	check(7*time.Minute+time.Second, false, "the last pass finished 3m1s ago")
	d.running = start.Add(6 * time.Minute) // the scheduler runs: alive
	check(8*time.Minute, true, "ok")
	check(9*time.Minute+time.Second, false, "the pass in hand started 3m1s ago")

	d.running, d.lastErr = time.Time{}, errors.New("store: git commit: disk full")
	check(7*time.Minute, false, "the last pass failed: store: git commit: disk full")

	d.lastErr, d.last.Failed = nil, []archiver.Failure{{Kind: archiver.KindPush, Reason: "remote unreachable"}}
	check(5*time.Minute, true, "push failed: remote unreachable")
}

// TestDaemonCadence runs a daemon on a 1 minute schedule in a
// testing/synctest bubble, whose clock is fake, with passes that take 10
// seconds, but for the second, which takes two and a half minutes: the
// first pass starts at once, the next on the minute; the runs the long
// pass overlaps are skipped, not stacked, and the next starts at the first
// minute after it ends. SIGTERM (the context) stops the pass in hand and
// the daemon at once.
func TestDaemonCadence(t *testing.T) {
	cfg := parseConfig(t, "schedule: 1m\nlisten: 'off'\n")
	synctest.Test(t, func(t *testing.T) {
		begin := time.Now()
		var starts []time.Duration
		var stopped time.Duration
		pass := func(ctx context.Context) (*archiver.Summary, error) {
			sum := &archiver.Summary{Start: time.Now(), Stored: true}
			starts = append(starts, time.Since(begin))
			took := 10 * time.Second
			if len(starts) == 2 {
				took = 150 * time.Second
			}
			select {
			case <-time.After(took):
				return sum, nil
			case <-ctx.Done():
				stopped = time.Since(begin)
				return sum, ctx.Err()
			}
		}
		ctx, cancel := context.WithCancel(t.Context())
		d := newDaemon(cfg, slog.New(slog.DiscardHandler), pass)
		done := make(chan error, 1)
		go func() { done <- d.run(ctx) }()

		time.Sleep(3 * time.Minute)
		if ok, msg := d.health(); !ok {
			t.Errorf("/healthz in the long pass: %s", msg)
		}
		time.Sleep(2*time.Minute + 5*time.Second) // into the pass of 5m
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if want := []time.Duration{0, time.Minute, 4 * time.Minute, 5 * time.Minute}; !slices.Equal(starts, want) {
			t.Errorf("passes started at %v, want %v", starts, want)
		}
		if want := 5*time.Minute + 5*time.Second; stopped != want {
			t.Errorf("the pass in hand stopped at %v, want at once, %v", stopped, want)
		}
	})
}
