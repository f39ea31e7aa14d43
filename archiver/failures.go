package archiver

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// FailureRecord is a failed article as archiver failures lists it.
type FailureRecord struct {
	URL       string
	Kind      Kind
	Permanent bool // it will not heal without a change on the site
	First     time.Time
	Last      time.Time
	Attempts  int
	Next      time.Time // the next attempt; zero once given up
	GaveUp    time.Time
	Reason    string
}

// Failures lists the failed articles of cfg's store, the oldest failure
// first. It reads the saved state without opening the store.
func Failures(ctx context.Context, cfg *config.Config) ([]FailureRecord, error) {
	var s state
	if err := store.ReadState(ctx, cfg.Store.Path, &s); err != nil {
		return nil, err
	}
	var recs []FailureRecord
	for _, f := range s.Failures {
		if f == nil {
			continue
		}
		r := FailureRecord{URL: f.Item.Link, Kind: f.Kind, Permanent: f.Permanent, First: f.First, Last: f.Last,
			Attempts: f.Attempts, GaveUp: f.GaveUp, Reason: f.Error}
		if f.GaveUp.IsZero() {
			r.Next = f.next()
		}
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b FailureRecord) int { return a.First.Compare(b.First) })
	return recs, nil
}

// WriteFailures writes failed articles as a table, as archiver failures
// lists them.
func WriteFailures(w io.Writer, recs []FailureRecord) error {
	if len(recs) == 0 {
		_, err := fmt.Fprintln(w, "failures: no failed articles")
		return err
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tKIND\tFIRST\tLAST\tATTEMPTS\tNEXT\tREASON")
	for _, r := range recs {
		next := day(r.Next)
		if !r.GaveUp.IsZero() {
			next = "given up"
		}
		kind := string(r.Kind)
		if r.Permanent {
			kind += " (permanent)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.URL, kind, day(r.First), day(r.Last), r.Attempts, next, r.Reason)
	}
	return tw.Flush()
}

// RetryNow makes the failed articles of urls (all, when there is none) due
// at the next pass, those given up too, and reports how many there were.
func RetryNow(ctx context.Context, cfg *config.Config, urls []string, log *slog.Logger) (int, error) {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	s := loadState(st, log)
	want := map[string]bool{}
	for _, u := range urls {
		want[feeds.Key(u)] = true
	}
	n := 0
	for _, f := range s.Failures {
		if len(urls) == 0 || slices.ContainsFunc(f.Item.Keys(), func(k string) bool { return want[k] }) {
			f.Due, f.GaveUp = true, time.Time{}
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, st.SaveState(s)
}
