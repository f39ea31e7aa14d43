package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/store"
)

func runSyncCommand(ctx context.Context, args []string, env config.Env, stderr io.Writer) error {
	cfg, log, err := newFlags("sync", env, stderr, "text").load(args)
	if err != nil {
		return err
	}
	return runSync(ctx, cfg, log, stderr)
}

// runSync makes one pass and reports it.
func runSync(ctx context.Context, cfg *config.Config, log *slog.Logger, stderr io.Writer) error {
	a, err := archiver.New(cfg, log)
	if err != nil {
		return err
	}
	sum, err := a.Pass(ctx)
	if errors.Is(err, store.ErrUnusable) {
		return err // nothing was done: one line says why
	}
	sum.Report(stderr)
	if err != nil {
		return err
	}
	if len(sum.Failed) > 0 {
		return errFailed
	}
	return nil
}
