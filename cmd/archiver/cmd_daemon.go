package main

import (
	"context"

	"github.com/rfa-archive/archiver/archiver/daemon"
)

func runDaemonCommand(ctx context.Context, args []string, p proc) error {
	a, err := newFlags("daemon", p, "auto").archiver(args)
	if err != nil {
		return err
	}
	return daemon.New(a.Config, a.Log, a.Pass).Run(ctx)
}
