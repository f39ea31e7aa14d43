package main

import (
	"context"
	"fmt"

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
	return archiver.WriteFailures(p.stdout, recs)
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
