package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/wire"
)

// proc is what a command runs with: its environment and its output.
type proc struct {
	env            config.Env
	stdout, stderr io.Writer
}

// commandFlags are the flags every command has: --config, and for the
// commands that run passes --log-format and --verbose.
type commandFlags struct {
	fs        *flag.FlagSet
	p         proc
	args      string // the command's arguments besides its flags, for its usage; "" for none
	config    *string
	logFormat *string
	verbose   *bool
	json      bool // the log is JSON: so is what the command reports
}

// newFlags starts the flags of command name. A logFormat other than ""
// adds --log-format, with that default, and --verbose.
func newFlags(name string, p proc, logFormat string) *commandFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parse says what went wrong, once
	fs.Usage = func() {}
	f := &commandFlags{fs: fs, p: p}
	f.config = fs.String("config", p.env.Path(), "the configuration `file` ($ARCHIVER_CONFIG, else ./config.yaml)")
	if logFormat != "" {
		f.logFormat = fs.String("log-format", logFormat, "log as `text`, json, or auto (text on a terminal, else json)")
		f.verbose = fs.Bool("verbose", false, "log debugging detail too")
	}
	return f
}

// parse parses args, flags before or after the arguments ("archiver
// history URL --diff"; after "--", none); --help prints the command's
// usage to stdout.
func (f *commandFlags) parse(args []string) error {
	var positional []string
	for len(args) > 0 {
		if err := f.fs.Parse(args); err == flag.ErrHelp {
			f.usage(f.p.stdout)
			return err
		} else if err != nil {
			return &usageError{fmt.Sprintf("%s: %v (archiver %s --help lists its flags)", f.fs.Name(), err, f.fs.Name())}
		}
		rest := f.fs.Args()
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			positional, rest = append(positional, rest...), nil
		} else if len(rest) > 0 {
			positional, rest = append(positional, rest[0]), rest[1:]
		}
		args = rest
	}
	f.fs.Parse(append([]string{"--"}, positional...))
	if f.fs.NArg() > 0 && f.args == "" {
		return &usageError{fmt.Sprintf("%s takes no arguments, got %q", f.fs.Name(), f.fs.Args())}
	}
	return nil
}

// usage writes the command's flags, each with its default once.
func (f *commandFlags) usage(w io.Writer) {
	fmt.Fprintf(w, "Usage: archiver %s [flags]%s\n\nFlags:\n", f.fs.Name(), strings.TrimRight(" "+f.args, " "))
	f.fs.VisitAll(func(fl *flag.Flag) {
		name, usage := flag.UnquoteUsage(fl)
		fmt.Fprintf(w, "  --%s\n      %s", strings.TrimSpace(fl.Name+" "+name), usage)
		if fl.DefValue != "" && fl.DefValue != "false" {
			fmt.Fprintf(w, " (default %s)", fl.DefValue)
		}
		fmt.Fprintln(w)
	})
}

// archiver parses args, reads the configuration and makes the archiver
// of it, which logs as the flags say (nothing, for a command that has no
// --log-format).
func (f *commandFlags) archiver(args []string) (*archiver.Archiver, error) {
	cfg, log, err := f.load(args)
	if err != nil {
		return nil, err
	}
	tools, err := wire.New(cfg, cmp.Or(log, discardLog))
	if err != nil {
		return nil, err
	}
	return archiver.New(tools), nil
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
		if log, f.json, err = newLogger(f.p.stderr, *f.logFormat, *f.verbose); err != nil {
			return nil, nil, err
		}
	}
	cfg, err := config.Load(*f.config, f.p.env)
	if err != nil {
		return nil, nil, err
	}
	return cfg, log, nil
}
