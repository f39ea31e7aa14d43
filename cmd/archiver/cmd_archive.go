package main

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/rfa-archive/archiver/archiver/config"
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

func runHistoryCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("history", p, "")
	f.args = "URL|FILE"
	diff := f.fs.Bool("diff", false, "show the text's changes, by character")
	a, err := f.archiver(args)
	if err != nil {
		return err
	}
	if f.fs.NArg() != 1 {
		return &usageError{"history: name one article's URL or one post's file"}
	}
	return a.History(ctx, f.fs.Arg(0), p.stdout, *diff)
}

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

func runRevisitCommand(ctx context.Context, args []string, p proc) error {
	f := newFlags("revisit", p, "")
	f.args = "[URL...]"
	a, err := f.archiver(args)
	if err != nil {
		return err
	}
	n, err := a.Revisit(ctx, f.fs.Args())
	switch {
	case err != nil:
		return err
	case f.fs.NArg() == 0:
		fmt.Fprintln(p.stdout, "revisit: every archived story is due to be looked at again, the oldest first, as many a pass as revisit.budget looks at")
	case n < f.fs.NArg():
		return &usageError{fmt.Sprintf("revisit: %d of the URLs have no post in the archive", f.fs.NArg()-n)}
	default:
		fmt.Fprintf(p.stdout, "revisit: %d stories are due to be looked at again at the next pass\n", n)
	}
	return nil
}
