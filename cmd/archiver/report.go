package main

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/backfill"
	"github.com/rfa-archive/archiver/archiver/retry"
)

// What sync and backfill report when they end: a line of numbers, then a
// FAILED line for every failure that counts, with its URL, its reason and
// when it is tried again; or the same in the log, when it is JSON.

// reportSync writes what a pass did, as sync reports it.
func reportSync(w io.Writer, s *archiver.Summary) {
	fmt.Fprintf(w, "sync: %d new, %d updated, %d failed, %d parked, %d skipped; %d feeds polled (%d unchanged) in %s",
		len(s.New), len(s.Updated), len(s.Failed), len(s.Parked), s.Skipped, len(s.Polls), s.Unchanged(), s.Duration.Round(time.Millisecond))
	if !s.Committed {
		fmt.Fprint(w, "; nothing to commit")
	}
	fmt.Fprintln(w, s.RevisitLine())
	writeFailed(w, s.Failed, func(retry.Failure) string { return "tried again at the next run" })
}

// reportBackfill writes what a backfill did.
func reportBackfill(w io.Writer, s *backfill.Summary) {
	fmt.Fprintf(w, "backfill: %d new, %d already archived (%d gained a URL), %d skipped, %d failed; %d windows walked, %d walked before, %d commits in %s\n",
		s.New, s.Known, s.Linked, s.Skipped, len(s.Failed), s.Windows, s.Before, s.Commits, s.Duration.Round(time.Millisecond))
	writeFailed(w, s.Failed, func(f retry.Failure) string {
		if f.Kind == retry.KindFeed {
			return "walked again by the next backfill"
		}
		return "tried again at the next run"
	})
}

// writeFailed writes a FAILED line for each failure, next saying when it
// is tried again.
func writeFailed(w io.Writer, failed []retry.Failure, next func(retry.Failure) string) {
	for _, f := range failed {
		fmt.Fprintf(w, "FAILED %s: %s [%s; %s]\n", f.URL, strings.TrimSpace(f.Reason), f.Kind, f.WhenAgain(next(f)))
	}
}

// logReport reports a run in the log, as msg with its numbers attrs and
// a line for each failure: for a log that is JSON, so that all a command
// writes is.
func logReport(log *slog.Logger, msg string, attrs []any, failed []retry.Failure) {
	log.Info(msg, attrs...)
	for _, f := range failed {
		log.Error("FAILED", slog.String("url", f.URL), slog.String("reason", f.Reason),
			slog.String("kind", string(f.Kind)), slog.Bool("permanent", f.Permanent))
	}
}
