// Package daemon is `archiver daemon`: it runs a pass at start and then
// on the schedule, one at a time, until SIGTERM or SIGINT. A pass is the
// same as `archiver sync`: the daemon only adds the schedule, the logs of
// each pass, and an HTTP endpoint with /healthz (Health) and /metrics
// (Metrics).
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/store"
)

// stopWait is how long a stopping daemon waits for the pass in hand: the
// pass stops fetching at once and commits what is complete, well within
// Docker's 10 s between SIGTERM and SIGKILL.
const stopWait = 8 * time.Second

// Daemon is a running `archiver daemon`.
type Daemon struct {
	cfg      *config.Config
	log      *slog.Logger
	passFunc func(context.Context) (*archiver.Summary, error) // runs a pass: archiver.Archiver.Pass
	metrics  *Metrics
	health   *Health
	interval time.Duration // between passes (the longest, for a cron schedule)
}

// New returns the daemon of cfg, logging to log, whose passes are pass
// (archiver.Archiver.Pass).
func New(cfg *config.Config, log *slog.Logger, pass func(context.Context) (*archiver.Summary, error)) *Daemon {
	interval := cfg.Schedule.Interval(cfg.Location, time.Now())
	return &Daemon{cfg: cfg, log: log, passFunc: pass, metrics: NewMetrics(cfg),
		interval: interval, health: NewHealth(interval, time.Now())}
}

// Run runs passes until ctx is done. A store that cannot be used
// (store.ErrUnusable) stops it before it starts.
func (d *Daemon) Run(ctx context.Context) error {
	if err := store.Check(d.cfg.Store.Path); err != nil {
		return err
	}
	srv, err := d.serve()
	if err != nil {
		return err
	}
	if srv != nil {
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			srv.Shutdown(ctx)
		}()
	}
	sched, err := d.schedule(ctx)
	if err != nil {
		return err
	}
	if d.interval > 6*time.Hour {
		d.log.Warn("the schedule leaves more than 6 hours between passes: RFA's Arc feed lists only the last two days of stories, and a story that drops off between passes is lost",
			slog.String("schedule", d.cfg.Schedule.String()))
	}
	d.log.Info("daemon started", slog.String("version", config.Version()), slog.String("schedule", d.cfg.Schedule.String()),
		slog.String("store", d.cfg.Store.Path), slog.Int("feeds", len(d.cfg.Feeds)))
	sched.Start()

	<-ctx.Done()
	d.log.Info("stopping: the pass in hand commits what is complete")
	sctx, cancel := context.WithTimeout(context.Background(), stopWait+500*time.Millisecond)
	defer cancel()
	if err := sched.ShutdownWithContext(sctx); err != nil {
		d.log.Error("a pass did not stop in time; the next start repairs what it left", slog.String("error", err.Error()))
		return fmt.Errorf("stopped without waiting for the pass in hand (%v): the next start repairs what it left", err)
	}
	d.log.Info("daemon stopped")
	return nil
}

// schedule makes the scheduler of the passes: the first at once, then one
// on the schedule, never two at a time, each with ctx, which SIGTERM
// cancels.
func (d *Daemon) schedule(ctx context.Context) (gocron.Scheduler, error) {
	sched, err := gocron.NewScheduler(gocron.WithLocation(d.cfg.Location), gocron.WithStopTimeout(stopWait))
	if err != nil {
		return nil, err
	}
	def := gocron.DurationJob(d.cfg.Schedule.Every)
	if d.cfg.Schedule.Cron != "" {
		def = gocron.CronJob(d.cfg.Schedule.Cron, false)
	}
	if _, err := sched.NewJob(def, gocron.NewTask(d.pass),
		gocron.WithName("pass"),
		gocron.WithContext(ctx),
		gocron.WithSingletonMode(gocron.LimitModeReschedule), // a pass that runs late skips the runs it overlaps: they never stack
		gocron.WithStartAt(gocron.WithStartImmediately()),
	); err != nil {
		return nil, &config.Error{Msg: fmt.Sprintf("schedule %q: %v", d.cfg.Schedule.String(), err)}
	}
	return sched, nil
}

// pass runs one pass and records it for /healthz and /metrics.
func (d *Daemon) pass(ctx context.Context) {
	if ctx.Err() != nil {
		return
	}
	d.health.Started(time.Now())
	defer func() {
		// A bug, not a fault of the world: the daemon goes on, unhealthy
		// until a pass succeeds, so that it is seen and reported.
		if r := recover(); r != nil {
			d.log.Error("pass crashed: an internal error; please report it", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			d.health.Crashed(fmt.Errorf("internal error: %v", r))
		}
	}()

	sum, err := d.passFunc(ctx)
	d.health.Ended(sum, err, time.Now())
	d.metrics.Observe(sum, err)
	switch {
	case ctx.Err() != nil:
		d.log.Info("pass stopped", sum.LogAttrs()...)
		return
	case errors.Is(err, store.ErrBusy):
		d.log.Warn("pass skipped: the store is busy (another archiver is writing it); trying again at the next pass",
			slog.String("store", d.cfg.Store.Path))
		return
	case err != nil:
		d.log.Error("pass failed: the store could not be written", append(sum.LogAttrs(), slog.String("error", err.Error()))...)
		return
	}
	d.log.Info("pass finished", sum.LogAttrs()...)
}

// serve starts the HTTP endpoint, unless listen is off. When the default
// address is taken, the daemon runs without it; an address the user chose
// must be free.
func (d *Daemon) serve() (*http.Server, error) {
	if d.cfg.Listen == "off" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", d.cfg.Listen)
	if err != nil {
		if d.cfg.ListenSet {
			return nil, fmt.Errorf("listen %s: %w: set listen in the config to a free host:port, or to off", d.cfg.Listen, err)
		}
		d.log.Warn("no /healthz or /metrics: the default address is taken; set listen in the config",
			slog.String("listen", d.cfg.Listen), slog.String("error", err.Error()))
		return nil, nil
	}
	mux := http.NewServeMux()
	mux.Handle("GET /healthz", d.health)
	mux.Handle("GET /metrics", d.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go func() {
		if err := srv.Serve(ln); err != http.ErrServerClosed {
			d.log.Error("the /healthz and /metrics endpoint stopped", slog.String("error", err.Error()))
		}
	}()
	d.log.Info("serving /healthz and /metrics", slog.String("address", ln.Addr().String()))
	return srv, nil
}
