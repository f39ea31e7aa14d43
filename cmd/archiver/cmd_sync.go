package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/store"
)

func runSyncCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("sync", p, "text")
	cfg, log, err := f.load(args)
	if err != nil {
		return err
	}
	report := func(sum *archiver.Summary) { sum.Report(p.stderr) }
	if f.json {
		report = func(sum *archiver.Summary) { logReport(log, "sync finished", sum.LogAttrs(), sum.Failed) }
	}
	return runSync(ctx, cfg, log, report)
}

// runSync makes one pass and reports it.
func runSync(ctx context.Context, cfg *config.Config, log *slog.Logger, report func(*archiver.Summary)) error {
	a, err := archiver.New(cfg, log)
	if err != nil {
		return err
	}
	sum, err := a.Pass(ctx)
	if errors.Is(err, store.ErrUnusable) {
		return err // nothing was done: one line says why
	}
	report(sum)
	if errors.Is(err, context.Canceled) && sum.Stored {
		// Stopped (SIGTERM, SIGINT), as the daemon is: what was complete
		// is committed, and the next sync archives the rest.
		log.Info("sync stopped: every complete post is committed; the next sync archives the rest")
		err = nil
	}
	if err != nil {
		return err
	}
	if len(sum.Failed) > 0 {
		return errFailed
	}
	return nil
}

// logReport reports a run in the log, as msg with its numbers attrs and
// a line for each failure: for a log that is JSON, so that all a command
// writes is.
func logReport(log *slog.Logger, msg string, attrs []any, failed []archiver.Failure) {
	log.Info(msg, attrs...)
	for _, f := range failed {
		log.Error("FAILED", slog.String("url", f.URL), slog.String("reason", f.Reason),
			slog.String("kind", string(f.Kind)), slog.Bool("permanent", f.Permanent))
	}
}
