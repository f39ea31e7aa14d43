package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
)

// newLogger returns the logger for format: "text", "json", or "auto" (text
// on a terminal, JSON otherwise), and whether it writes JSON.
func newLogger(w io.Writer, format string, verbose bool) (*slog.Logger, bool, error) {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if format == "auto" {
		format = "json"
		if isTerminal(w) {
			format = "text"
		}
	}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), false, nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), true, nil
	}
	return nil, false, &usageError{fmt.Sprintf("--log-format %q: use text, json or auto", format)}
}

// discardLog is the logger of commands that log nothing.
var discardLog = slog.New(slog.DiscardHandler)

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
