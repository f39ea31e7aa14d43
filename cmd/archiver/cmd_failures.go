package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/rfa-archive/archiver/archiver"
)

func runFailuresCommand(ctx context.Context, args []string, p proc) error {
	cfg, _, err := newFlags("failures", p, "").load(args)
	if err != nil {
		return err
	}
	recs, err := archiver.Failures(ctx, cfg)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		fmt.Fprintln(p.stdout, "failures: no failed articles")
		return nil
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04") }
	tw := tabwriter.NewWriter(p.stdout, 0, 0, 2, ' ', 0)
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

func runRetryCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("retry", p, "")
	f.args = "[URL...]"
	cfg, _, err := f.load(args)
	if err != nil {
		return err
	}
	n, err := archiver.RetryNow(ctx, cfg, f.fs.Args(), discardLog)
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
	cfg, _, err := f.load(args)
	if err != nil {
		return err
	}
	if f.fs.NArg() == 0 {
		return &usageError{"forget: name the articles' URLs"}
	}
	n, err := archiver.Forget(ctx, cfg, f.fs.Args(), *undo, discardLog)
	if err == nil && *undo {
		fmt.Fprintf(p.stdout, "forget: %d articles are archived again while a feed lists them\n", n)
	} else if err == nil {
		fmt.Fprintf(p.stdout, "forget: %d articles forgotten (archiver forget --undo URL takes one back)\n", n)
	}
	return err
}
