package main

import (
	"context"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/daemon"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/store"
)

func runDaemonCommand(ctx context.Context, args []string, p proc) error {
	cfg, log, err := newFlags("daemon", p, "auto").load(args)
	if err != nil {
		return err
	}
	tools, err := wire.New(cfg, log)
	if err != nil {
		return err
	}
	if err := store.Check(cfg.Store.Path); err != nil {
		return err
	}
	return daemon.New(cfg, log, archiver.New(tools).Pass).Run(ctx)
}
