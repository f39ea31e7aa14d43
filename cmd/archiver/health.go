package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/rfa-archive/archiver/archiver"
)

// staleAfter is how many schedule intervals may pass without a pass
// finishing (or one starting) before the daemon is unhealthy; minStale is
// the least time that is, so that a sub-second schedule does not flap.
const (
	staleAfter = 3
	minStale   = time.Second
)

// health says whether the daemon is healthy and why.
//
// It is unhealthy when the last pass failed (the store could not be
// written, or an internal error), or when
// nothing has happened for 3 schedule intervals: no pass finished or
// started since (a dead scheduler), or the pass in hand has run that long
// (a stuck pass). Failed feeds and articles are not ill health: they are
// retried, logged and counted in /metrics.
func (d *daemon) health() (bool, string) {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	limit := max(staleAfter*d.interval, minStale)
	if d.lastErr != nil {
		return false, fmt.Sprintf("unhealthy: the last pass failed: %v", d.lastErr)
	}
	alive, what := d.started, "the daemon started"
	if !d.lastOK.IsZero() {
		alive, what = d.lastOK, "the last pass finished"
	}
	if !d.running.IsZero() && !d.running.Before(alive) {
		alive, what = d.running, "the pass in hand started"
	}
	if age := now.Sub(alive); age > limit {
		return false, fmt.Sprintf("unhealthy: %s %s ago, longer than %d schedule intervals (%s): passes are stuck or not running",
			what, age.Round(time.Second), staleAfter, limit)
	}
	if d.last == nil {
		return true, "ok: the first pass is running"
	}
	msg := fmt.Sprintf("ok: the last pass finished at %s: %d new, %d updated, %d failed; %d posts",
		d.lastOK.UTC().Format(time.RFC3339), len(d.last.New), len(d.last.Updated), len(d.last.Failed), d.last.Posts)
	for _, f := range d.last.Failed {
		if f.Kind == archiver.KindPush || f.Kind == archiver.KindPull {
			msg += fmt.Sprintf("; %s failed: %s", f.Kind, f.Reason)
		}
	}
	return true, msg
}

func (d *daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	ok, msg := d.health()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, msg)
}
