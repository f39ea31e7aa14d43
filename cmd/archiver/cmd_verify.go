package main

import (
	"context"
	"fmt"
	"io"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

func runVerifyCommand(ctx context.Context, args []string, p proc) error {
	cfg, _, err := newFlags("verify", p, "").load(args)
	if err != nil {
		return err
	}
	return runVerify(ctx, cfg, p.stdout)
}

// runVerify lists every problem of the store, one a line.
func runVerify(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	problems, err := store.Verify(ctx, cfg.Store.Path, feeds.Key)
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintln(stdout, p)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "verify: %d problems in %s\n", len(problems), cfg.Store.Path)
		return errFailed
	}
	fmt.Fprintf(stdout, "verify: %s is sound\n", cfg.Store.Path)
	return nil
}
