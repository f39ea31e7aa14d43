package main

import (
	"context"
	"fmt"
	"slices"

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
	return retry.WriteTable(p.stdout, book.List())
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

func runRelayoutCommand(ctx context.Context, args []string, p proc) error {
	a, err := newFlags("relayout", p, "").archiver(args)
	if err != nil {
		return err
	}
	n, m, err := a.Relayout(ctx)
	if err == nil {
		fmt.Fprintf(p.stdout, "relayout: %d posts moved to the layout, %d media files into folders by hash\n", n, m)
	}
	return err
}
