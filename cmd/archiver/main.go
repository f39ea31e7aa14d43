// Command archiver keeps a permanent, readable archive of news feeds (Radio
// Free Asia's Mandarin service by default) as a git repository of Jekyll
// posts. See README.md. It only makes a process: the pass is package
// archiver, the configuration package archiver/config.
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // time zones for the timezone key, even where the system has none

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/store"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // some feeds or articles failed (the rest is committed), or anything unforeseen
	exitUsage  = 2 // a usage or configuration error: nothing was done
	exitBusy   = 3 // another archiver holds the store's lock
)

// usage is the program's help.
//
//go:embed usage.txt
var usage string

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], proc{env: config.ReadEnv(os.Getenv), stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// run runs the command line args.
func run(ctx context.Context, args []string, p proc) error {
	if len(args) == 0 {
		fmt.Fprint(p.stderr, usage)
		return &usageError{"no command given"}
	}
	commands := map[string]func(context.Context, []string, proc) error{
		"sync": runSyncCommand, "daemon": runDaemonCommand, "healthcheck": runHealthcheckCommand, "verify": runVerifyCommand,
		"failures": runFailuresCommand, "retry": runRetryCommand, "forget": runForgetCommand, "backfill": runBackfillCommand,
		"relayout": runRelayoutCommand, "history": runHistoryCommand, "revisit": runRevisitCommand,
	}
	if cmd, ok := commands[args[0]]; ok {
		return cmd(ctx, args[1:], p)
	}
	switch args[0] {
	case "version", "--version":
		fmt.Fprintln(p.stdout, "archiver", config.Version())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(p.stdout, usage)
		return nil
	}
	fmt.Fprint(p.stderr, usage)
	return &usageError{fmt.Sprintf("unknown command %q", args[0])}
}

// usageError is a mistake on the command line: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// errFailed means a run finished, but some of its work failed; what
// failed has been reported already.
var errFailed = errors.New("some feeds or articles failed")

// exitCode prints err for the user and returns the exit status it means,
// for every command.
func exitCode(err error, stderr io.Writer) int {
	var he *healthError
	var ue *usageError
	var ce *config.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &he):
		// Whatever went wrong, Docker's HEALTHCHECK takes 1 for
		// unhealthy; it reserves 2.
		fmt.Fprintln(stderr, "archiver: healthcheck:", he.err)
		return exitFailed
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "archiver:", ue.msg)
		return exitUsage
	case errors.As(err, &ce):
		fmt.Fprintln(stderr, ce.Msg)
		return exitUsage
	case errors.Is(err, store.ErrUnusable):
		fmt.Fprintln(stderr, "archiver:", err)
		return exitUsage
	case errors.Is(err, store.ErrBusy):
		fmt.Fprintln(stderr, "archiver:", err, "- try again later, or raise store.lock_timeout")
		return exitBusy
	case errors.Is(err, errFailed):
		return exitFailed
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "archiver: stopped")
		return exitFailed
	}
	fmt.Fprintln(stderr, "archiver:", err)
	return exitFailed
}
