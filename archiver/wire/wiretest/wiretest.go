// Package wiretest makes the tools of the pass and the backfill for
// tests: from a configuration's YAML, over a store in memory or a git
// store in a temporary directory.
package wiretest

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/store/storetest"
)

// New returns the tools of the configuration yaml (store.path, the
// author and quick retries are added; http, a flow mapping's inner keys,
// goes into http), over a store in memory.
func New(t testing.TB, yaml, http string) (*wire.Tools, *storetest.Memory) {
	t.Helper()
	tools, _ := NewGit(t, yaml, http)
	mem := storetest.NewMemory()
	mem.Keys = posts.Keys
	tools.Open = func(context.Context) (wire.Store, error) { return mem, nil }
	return tools, mem
}

// NewGit is New over a git store: it returns the store's directory.
func NewGit(t testing.TB, yaml, http string) (*wire.Tools, string) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte("store: {path: archive, author: 'Archiver Test <archiver@example.org>'}\n"+
		"http: {retry_backoff: 10ms, timeout: 5s, "+http+"}\n"+yaml), filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tools, err := wire.New(cfg, slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	return tools, filepath.Join(dir, "archive")
}
