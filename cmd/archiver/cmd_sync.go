package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
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
	printSummary(stderr, sum)
	if err != nil {
		return err
	}
	if len(sum.Failed) > 0 {
		return errFailed
	}
	return nil
}

// printSummary prints what a pass did, and every failure with its URL,
// its reason and when it is tried again.
func printSummary(w io.Writer, sum *archiver.Summary) {
	// "unchanged" here is the 304s; /metrics and the daemon's log count
	// feeds with nothing new too.
	fmt.Fprintf(w, "sync: %d new, %d updated, %d failed, %d skipped; %d feeds polled (%d unchanged) in %s",
		len(sum.New), len(sum.Updated), len(sum.Failed), sum.Skipped, len(sum.Polls), sum.NotModified, sum.Duration.Round(time.Millisecond))
	if !sum.Committed {
		fmt.Fprint(w, "; nothing to commit")
	}
	fmt.Fprintln(w)
	for _, f := range sum.Failed {
		next := "at the next run"
		if !f.Next.IsZero() {
			next = "after " + f.Next.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "FAILED %s: %s [%s; tried again %s]\n", f.URL, strings.TrimSpace(f.Reason), f.Kind, next)
	}
}
