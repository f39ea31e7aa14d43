package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

func runFailuresCommand(ctx context.Context, args []string, p proc) error {
	cfg, _, err := newFlags("failures", p, "").load(args)
	if err != nil {
		return err
	}
	state, err := store.ReadState(ctx, cfg.Store.Path)
	if err != nil {
		return err
	}
	book, err := retry.Load(state, 0, discardLog)
	if err != nil {
		return err
	}
	return writeFailures(p.stdout, book.List())
}

// writeFailures writes failures as a table, as archiver failures lists
// them.
func writeFailures(w io.Writer, list []retry.Failure) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(w, "failures: no failed articles")
		return err
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "URL\tKIND\tFIRST\tLAST\tATTEMPTS\tNEXT\tREASON")
	for _, f := range list {
		next := day(f.Next())
		if !f.GaveUp.IsZero() {
			next = "given up"
		}
		kind := string(f.Kind)
		if f.Permanent {
			kind += " (permanent)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", f.URL, kind, day(f.First), day(f.Last), f.Attempts, next, f.Reason)
	}
	return tw.Flush()
}

func runRetryCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("retry", p, "")
	f.args = "[URL...]"
	a, err := f.archiver(args)
	if err != nil {
		return err
	}
	n, err := a.RetryNow(ctx, f.fs.Args())
	if err != nil {
		return err
	}
	if n == 0 && f.fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("retry: no failed article has the URL %q (archiver failures lists them)", f.fs.Args())}
	}
	fmt.Fprintf(p.stdout, "retry: %d failed articles are due at the next pass\n", n)
	return nil
}

func runForgetCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("forget", p, "")
	f.args = "URL..."
	undo := f.fs.Bool("undo", false, "archive the articles again")
	a, err := f.archiver(args)
	if err != nil {
		return err
	}
	if f.fs.NArg() == 0 {
		return &usageError{"forget: name the articles' URLs"}
	}
	if i := slices.IndexFunc(f.fs.Args(), func(u string) bool { return !feeds.IsArticleURL(u) }); i >= 0 {
		return &usageError{fmt.Sprintf("forget: %q is not an article's URL: give each as an absolute http or https URL", f.fs.Arg(i))}
	}
	n, err := a.Forget(ctx, f.fs.Args(), *undo)
	if err == nil && *undo {
		fmt.Fprintf(p.stdout, "forget: %d articles are archived again while a feed lists them\n", n)
	} else if err == nil {
		fmt.Fprintf(p.stdout, "forget: %d articles forgotten (archiver forget --undo URL takes one back)\n", n)
	}
	return err
}
