// Package health says how a daemon is doing: /healthz, whether its
// passes run and can write the store, and /metrics, what they did, in
// Prometheus's form.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/store"
)

// Health follows the passes of a daemon and says whether it is healthy,
// for /healthz. It is safe for concurrent use.
//
// The daemon is unhealthy when the last pass failed (the store could not
// be written, or an internal error), or when nothing has happened for 3
// schedule intervals: no pass finished or started since (a dead
// scheduler), or the pass in hand has run that long (a stuck pass).
// Failed feeds and articles are not ill health: they are retried, logged
// and counted in /metrics.
type Health struct {
	interval time.Duration // between passes (the longest, for a cron schedule)

	mu      sync.Mutex
	started time.Time         // of the daemon
	running time.Time         // start of the pass in hand; zero between passes
	last    *archiver.Summary // of the last pass that finished
	lastOK  time.Time         // when the last pass without a store failure finished
	lastErr error             // why the last pass failed, if it did: the store, or a bug
}

// staleAfter is how many schedule intervals may pass without a pass
// finishing (or one starting) before the daemon is unhealthy; minStale is
// the least time that is, so that a sub-second schedule does not flap.
const (
	staleAfter = 3
	minStale   = time.Second
)

// NewHealth returns the Health of a daemon started at now, that runs a
// pass every interval.
func NewHealth(interval time.Duration, now time.Time) *Health {
	return &Health{interval: interval, started: now}
}

// Started records that a pass started at now.
func (h *Health) Started(now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = now
}

// Ended records a pass that ended at now with sum and err; a pass that
// was stopped, or found the store busy, says nothing of health.
func (h *Health) Ended(sum *archiver.Summary, err error, now time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running = time.Time{}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, store.ErrBusy):
	case err != nil:
		h.last, h.lastErr = sum, err
	default:
		h.last, h.lastErr, h.lastOK = sum, nil, now
	}
}

// Crashed records a pass that ended in an internal error.
func (h *Health) Crashed(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.running, h.lastErr = time.Time{}, err
}

// Check says whether the daemon is healthy at now, and why.
func (h *Health) Check(now time.Time) (bool, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	limit := max(staleAfter*h.interval, minStale)
	if h.lastErr != nil {
		return false, fmt.Sprintf("unhealthy: the last pass failed: %v", h.lastErr)
	}
	alive, what := h.started, "the daemon started"
	if !h.lastOK.IsZero() {
		alive, what = h.lastOK, "the last pass finished"
	}
	if !h.running.IsZero() && !h.running.Before(alive) {
		alive, what = h.running, "the pass in hand started"
	}
	if age := now.Sub(alive); age > limit {
		return false, fmt.Sprintf("unhealthy: %s %s ago, longer than %d schedule intervals (%s): passes are stuck or not running",
			what, age.Round(time.Second), staleAfter, limit)
	}
	if h.last == nil {
		return true, "ok: the first pass is running"
	}
	msg := fmt.Sprintf("ok: the last pass finished at %s: %d new, %d updated, %d failed; %d posts",
		h.lastOK.UTC().Format(time.RFC3339), len(h.last.New), len(h.last.Updated), len(h.last.Failed), h.last.Posts)
	for _, f := range h.last.Failed {
		if f.Kind == retry.KindPush || f.Kind == retry.KindPull {
			msg += fmt.Sprintf("; %s failed: %s", f.Kind, f.Reason)
		}
	}
	return true, msg
}

// ServeHTTP is /healthz: 200 and why the daemon is healthy, or 503 and
// why not.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ok, msg := h.Check(time.Now())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, msg)
}

// AskHealth gets the /healthz of a running daemon at u, and writes its
// answer to stdout: an error unless it is healthy.
func AskHealth(ctx context.Context, u string, timeout time.Duration, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("no answer from the daemon at %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprint(stdout, string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", u, resp.Status)
	}
	return nil
}
