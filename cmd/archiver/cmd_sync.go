package main

import (
	"context"
	"errors"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/daemon"
	"github.com/rfa-archive/archiver/store"
)

func runSyncCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("sync", p, "text")
	a, err := f.archiver(args)
	if err != nil {
		return err
	}
	report := func(sum *archiver.Summary) { reportSync(p.stderr, sum) }
	if f.json {
		report = func(sum *archiver.Summary) { logReport(a.Log, "sync finished", sum.LogAttrs(), sum.Failed) }
	}
	return runSync(ctx, a, report)
}

// runSync makes one pass of a and reports it.
func runSync(ctx context.Context, a *archiver.Archiver, report func(*archiver.Summary)) error {
	sum, err := a.Pass(ctx)
	if errors.Is(err, store.ErrUnusable) {
		return err // nothing was done: one line says why
	}
	report(sum)
	if errors.Is(err, context.Canceled) && sum.Stored {
		// Stopped (SIGTERM, SIGINT), as the daemon is: what was complete
		// is committed, and the next sync archives the rest.
		a.Log.Info("sync stopped: every complete post is committed; the next sync archives the rest")
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

func runDaemonCommand(ctx context.Context, args []string, p proc) error {
	a, err := newFlags("daemon", p, "auto").archiver(args)
	if err != nil {
		return err
	}
	return daemon.New(a.Config, a.Log, a.Pass).Run(ctx)
}
