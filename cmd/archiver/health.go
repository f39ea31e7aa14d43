package main

import (
	"fmt"
	"net/http"
)

// serveHealth is /healthz: 200 and why the daemon is healthy, or 503 and
// why not.
func (d *daemon) serveHealth(w http.ResponseWriter, r *http.Request) {
	ok, msg := d.health.Check(d.now())
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintln(w, msg)
}
