package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
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
		if f.Kind == "push" || f.Kind == "pull" {
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

// runHealthcheckCommand asks a daemon's /healthz: exit 0 when it is
// healthy, 1 when not. It is the image's HEALTHCHECK, so that the image
// needs no curl.
func runHealthcheckCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// Every failure is exit status 1, which Docker's HEALTHCHECK takes
	// for unhealthy (it reserves 2).
	f := newFlags("healthcheck", stderr, "")
	timeout := f.fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := f.parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return fmt.Errorf("healthcheck: %v", err)
	}
	cfg, err := loadConfig(*f.config)
	if err != nil {
		return fmt.Errorf("healthcheck: %v", err)
	}
	if cfg.Listen == "off" {
		return fmt.Errorf("healthcheck: listen is off in %s: set listen (e.g. 127.0.0.1:9180) so that the daemon serves /healthz", *f.config)
	}
	u := "http://" + dialable(cfg.Listen) + "/healthz"
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: no answer from the daemon at %s: %w", u, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprint(stdout, string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", u, resp.Status)
	}
	return nil
}

// dialable is a listen address as a client reaches it: a wildcard host
// becomes loopback.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch strings.Trim(host, "[]") {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}
