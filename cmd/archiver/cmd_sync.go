package main

import (
	"context"
	"errors"
	"log/slog"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/store"
)

func runSyncCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("sync", p, "text")
	cfg, log, err := f.load(args)
	if err != nil {
		return err
	}
	report := func(sum *archiver.Summary) { reportSync(p.stderr, sum) }
	if f.json {
		report = func(sum *archiver.Summary) { logReport(log, "sync finished", sum.LogAttrs(), sum.Failed) }
	}
	return runSync(ctx, cfg, log, report)
}

// runSync makes one pass and reports it.
func runSync(ctx context.Context, cfg *config.Config, log *slog.Logger, report func(*archiver.Summary)) error {
	tools, err := wire.New(cfg, log)
	if err != nil {
		return err
	}
	sum, err := archiver.New(tools).Pass(ctx)
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
