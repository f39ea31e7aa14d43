package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/rfa-archive/archiver/archiver/config"
)

// commandFlags are the flags every command has: --config, and for the
// commands that run passes --log-format and --verbose.
type commandFlags struct {
	fs        *flag.FlagSet
	env       config.Env
	config    *string
	logFormat *string
	verbose   *bool
	args      bool // the command takes arguments besides its flags
}

// newFlags starts the flags of command name. A logFormat other than ""
// adds --log-format, with that default, and --verbose.
func newFlags(name string, env config.Env, stderr io.Writer, logFormat string) *commandFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	f := &commandFlags{fs: fs, env: env}
	f.config = fs.String("config", env.Path(), "the configuration `file` (default $ARCHIVER_CONFIG, else ./config.yaml)")
	if logFormat != "" {
		f.logFormat = fs.String("log-format", logFormat, "log as text, json, or auto (text on a terminal, else json)")
		f.verbose = fs.Bool("verbose", false, "log debugging detail too")
	}
	return f
}

// parse parses args, which must hold flags only.
func (f *commandFlags) parse(args []string) error {
	if err := f.fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &usageError{err.Error()}
	}
	if f.fs.NArg() > 0 && !f.args {
		return &usageError{fmt.Sprintf("%s takes no arguments, got %q", f.fs.Name(), f.fs.Args())}
	}
	return nil
}

// load parses args and reads the configuration; with --log-format, it
// makes the logger too.
func (f *commandFlags) load(args []string) (*config.Config, *slog.Logger, error) {
	if err := f.parse(args); err != nil {
		return nil, nil, err
	}
	var log *slog.Logger
	if f.logFormat != nil {
		var err error
		if log, err = newLogger(f.fs.Output(), *f.logFormat, *f.verbose); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := config.Load(*f.config, f.env)
	if err != nil {
		return nil, nil, err
	}
	return cfg, log, nil
}
