package daemon

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
)

// TestHealth: what /healthz says at each state of a daemon on a 1 minute
// schedule.
func TestHealth(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := NewHealth(time.Minute, start)
	check := func(at time.Duration, wantOK bool, want string) {
		t.Helper()
		ok, msg := h.Check(start.Add(at))
		if ok != wantOK || !strings.Contains(msg, want) {
			t.Errorf("at %v: %v %q, want %v and %q", at, ok, msg, wantOK, want)
		}
	}
	check(0, true, "the first pass is running")
	h.Started(start)
	check(2*time.Minute, true, "the first pass is running")
	check(3*time.Minute+time.Second, false, "the pass in hand started 3m1s ago, longer than 3 schedule intervals (3m0s)")

	h.Ended(&archiver.Summary{New: make([]posts.Archived, 2), Posts: 9}, nil, start.Add(4*time.Minute))
	check(5*time.Minute, true, "ok: the last pass finished at 2026-01-01T00:04:00Z: 2 new, 0 updated, 0 failed; 9 posts")
	check(7*time.Minute, true, "ok")
	check(7*time.Minute+time.Second, false, "the last pass finished 3m1s ago")
	h.Started(start.Add(6 * time.Minute)) // the scheduler runs: alive
	check(8*time.Minute, true, "ok")
	check(9*time.Minute+time.Second, false, "the pass in hand started 3m1s ago")

	h.Ended(nil, errors.New("store: git commit: disk full"), start.Add(7*time.Minute))
	check(7*time.Minute, false, "the last pass failed: store: git commit: disk full")

	h.Ended(&archiver.Summary{Failed: []retry.Failure{{Kind: retry.KindPush, Reason: "remote unreachable"}}}, nil, start.Add(4*time.Minute))
	check(5*time.Minute, true, "push failed: remote unreachable")

	h.Ended(nil, context.Canceled, start.Add(5*time.Minute)) // a stopped pass says nothing
	check(5*time.Minute, true, "push failed")
	h.Crashed(errors.New("internal error: boom"))
	check(5*time.Minute, false, "internal error: boom")
}
