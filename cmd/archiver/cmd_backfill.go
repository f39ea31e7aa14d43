package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rfa-archive/archiver/archiver/backfill"
	"github.com/rfa-archive/archiver/archiver/wire"
)

func runBackfillCommand(ctx context.Context, args []string, p proc) error {
	var bar *progressBar
	if isTerminal(p.stderr) {
		bar = &progressBar{w: p.stderr}
		p.stderr = bar // log lines go above the bar
	}
	f := newFlags("backfill", p, "text")
	since := f.fs.String("since", "", "the first `day` to archive, YYYY-MM-DD (required)")
	until := f.fs.String("until", "", "the last `day` to archive, YYYY-MM-DD (default today)")
	cfg, log, err := f.load(args)
	if err != nil {
		return err
	}
	opts, err := backfillDays(*since, *until, time.Now().In(cfg.Location))
	if err != nil {
		return &usageError{"backfill: " + err.Error()}
	}
	if bar != nil && !f.json {
		opts.Progress = bar.Show
	}
	tools, err := wire.New(cfg, log)
	if err != nil {
		return err
	}
	sum, err := backfill.Run(ctx, tools, opts)
	if errors.Is(err, backfill.ErrNoArcSite) {
		return &usageError{"backfill: " + err.Error()}
	}
	if bar != nil {
		bar.Close()
	}
	if f.json {
		logReport(log, "backfill finished", sum.LogAttrs(), sum.Failed)
	} else {
		reportBackfill(p.stderr, sum)
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

// backfillDays reads the days of --since and --until (YYYY-MM-DD; until
// "" for the day of now).
func backfillDays(since, until string, now time.Time) (backfill.Options, error) {
	opts := backfill.Options{Until: now}
	var err error
	if opts.Since, err = time.Parse(time.DateOnly, since); err != nil {
		return opts, fmt.Errorf("--since %q: give the first day to archive as YYYY-MM-DD", since)
	}
	if until != "" {
		if opts.Until, err = time.Parse(time.DateOnly, until); err != nil || opts.Until.Before(opts.Since) {
			return opts, fmt.Errorf("--until %q: give the last day to archive as YYYY-MM-DD, not before --since", until)
		}
	} else if today := now.Format(time.DateOnly); since > today {
		return opts, fmt.Errorf("--since %s is after today (%s): give a day that has come", since, today)
	}
	return opts, nil
}
