package main

import (
	"context"
	"errors"
	"time"

	"github.com/rfa-archive/archiver/archiver"
)

func runBackfillCommand(ctx context.Context, args []string, p proc) error {
	var bar *archiver.ProgressBar
	if isTerminal(p.stderr) {
		bar = archiver.NewProgressBar(p.stderr)
		p.stderr = bar // log lines go above the bar
	}
	f := newFlags("backfill", p, "text")
	since := f.fs.String("since", "", "the first `day` to archive, YYYY-MM-DD (required)")
	until := f.fs.String("until", "", "the last `day` to archive, YYYY-MM-DD (default today)")
	cfg, log, err := f.load(args)
	if err != nil {
		return err
	}
	opts, err := archiver.BackfillDays(*since, *until, time.Now().In(cfg.Location))
	if err != nil {
		return &usageError{"backfill: " + err.Error()}
	}
	if bar != nil && !f.json {
		opts.Progress = bar.Show
	}
	a, err := archiver.New(cfg, log)
	if err != nil {
		return err
	}
	sum, err := a.Backfill(ctx, opts)
	if errors.Is(err, archiver.ErrNoArcSite) {
		return &usageError{"backfill: " + err.Error()}
	}
	if bar != nil {
		bar.Close()
	}
	if f.json {
		logReport(log, "backfill finished", sum.LogAttrs(), sum.Failed)
	} else {
		sum.Report(p.stderr)
	}
	if errors.Is(err, context.Canceled) {
		log.Info("backfill stopped: every complete post is committed; run it again to continue where it stopped")
		err = nil
	}
	if err == nil && len(sum.Failed) > 0 {
		return errFailed
	}
	return err
}
