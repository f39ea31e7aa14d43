package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

func runSyncCommand(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", defaultConfigPath(), "the configuration `file` (default $ARCHIVER_CONFIG, else ./config.yaml)")
	logFormat := fs.String("log-format", "text", "log as text, json, or auto (text on a terminal, else json)")
	verbose := fs.Bool("verbose", false, "log debugging detail too")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("sync takes no arguments, got %q", fs.Args())}
	}
	log, err := newLogger(stderr, *logFormat, *verbose)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*configPath)
	if err != nil {
		return err
	}
	return runSync(ctx, cfg, log, stderr)
}

// runSync makes one pass and reports it.
func runSync(ctx context.Context, cfg *Config, log *slog.Logger, stderr io.Writer) error {
	p, err := newPasser(cfg, log)
	if err != nil {
		return err
	}
	sum, err := p.run(ctx)
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
func printSummary(w io.Writer, sum *Summary) {
	fmt.Fprintf(w, "sync: %d new, %d updated, %d failed, %d skipped; %d feeds polled (%d unchanged) in %s",
		len(sum.New), len(sum.Updated), len(sum.Failed), sum.Skipped, sum.Feeds, sum.Unchanged, sum.Duration.Round(time.Millisecond))
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
