package main

import (
	"context"
	"fmt"
	"time"

	"github.com/rfa-archive/archiver/archiver/daemon"
)

// healthError is why a daemon is not known to be healthy: exit status 1,
// whatever the cause.
type healthError struct{ err error }

func (e *healthError) Error() string { return "healthcheck: " + e.err.Error() }
func (e *healthError) Unwrap() error { return e.err }

// runHealthcheckCommand asks a daemon's /healthz: exit 0 when it is
// healthy, 1 when not. It is the image's HEALTHCHECK, so that the image
// needs no curl.
func runHealthcheckCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("healthcheck", p, "")
	timeout := f.fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	cfg, _, err := f.load(args)
	if err != nil {
		return &healthError{err} // --help too: exitCode sees flag.ErrHelp through it
	}
	if cfg.Listen == "off" {
		return &healthError{fmt.Errorf("listen is off in %s: set listen (e.g. 127.0.0.1:9180) so that the daemon serves /healthz", *f.config)}
	}
	if err := daemon.AskHealth(ctx, cfg.HealthURL(), *timeout, p.stdout); err != nil {
		return &healthError{err}
	}
	return nil
}
