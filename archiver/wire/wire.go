// Package wire makes, from the configuration, what the pass and the
// backfill work with: the HTTP client, the article maker, the store, and
// the options of the post format and of media. It is the one place the
// configuration becomes other packages' options, so that config knows
// none of them.
package wire

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/config"

	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// Store is all the pass and the backfill ask of the store: store.Store,
// or storetest.Memory in tests.
type Store interface {
	posts.Store
	TakenDown() ([]string, error)
	PostsOfDays(ctx context.Context, days []string) ([]string, error) // the names of the posts of those days (YYYY-MM-DD)
	PostDays(ctx context.Context) (map[string]int, error)             // how many posts each day has
	LoadState(section string, v any) error
	SaveState(sections map[string]any) error
	Pull(ctx context.Context) error
	Push(ctx context.Context) error
	Maintain(ctx context.Context) error
	Close() error
}

// Tools are what the pass and the backfill work with. Tests may replace
// Open and Now.
type Tools struct {
	Config *config.Config
	Log    *slog.Logger
	Client *fetch.Client
	Maker  *article.Maker
	// Open opens the store (and takes its lock until Close).
	Open func(ctx context.Context) (Store, error)
	Now  func() time.Time
}

// New makes the tools of cfg, as config.Load or config.Parse made it,
// that log to log.
func New(cfg *config.Config, log *slog.Logger) (*Tools, error) {
	if cfg.Location == nil || cfg.HTTP.Concurrency < 1 {
		return nil, errors.New("wire: the configuration is not checked: make it with config.Load or config.Parse")
	}
	opts := FetchOptions(cfg)
	opts.Logger = log
	client := fetch.New(opts)
	for _, f := range cfg.Feeds {
		if err := client.Trust(f.URL); err != nil {
			return nil, err
		}
	}
	t := &Tools{Config: cfg, Log: log, Client: client, Maker: article.New(client, opts.MaxBodySize), Now: time.Now}
	t.Open = func(ctx context.Context) (Store, error) { return OpenStore(ctx, cfg, log) }
	return t, nil
}

// OpenStore opens the git store of cfg, logging to log.
func OpenStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	opts := StoreOptions(cfg)
	opts.Logger = log
	return store.Open(ctx, opts)
}

// FetchOptions are the HTTP client's options.
func FetchOptions(cfg *config.Config) fetch.Options {
	h := &cfg.HTTP
	hosts := cfg.AllowedHosts
	if cfg.Media.Images || cfg.Media.Audio {
		hosts = append(slices.Clone(cfg.AllowedHosts), cfg.Media.Hosts...)
	}
	return fetch.Options{
		UserAgent:    h.UserAgent,
		Timeout:      h.Timeout.Duration,
		Attempts:     h.Attempts,
		Backoff:      h.RetryBackoff.Duration,
		MaxRetryWait: h.MaxRetryWait.Duration,
		MaxBodySize:  h.MaxBodySize.Bytes,
		PerHost:      h.PerHost,
		HostInterval: h.HostDelay.Duration,
		AllowedHosts: hosts,
	}
}

// StoreOptions are the store's options.
func StoreOptions(cfg *config.Config) store.Options {
	s := &cfg.Store
	return store.Options{
		Path: s.Path, Name: s.AuthorName, Email: s.AuthorEmail,
		Remote: s.Remote, Branch: s.Branch, LockWait: s.LockTimeout.Duration,
		Credentials: store.Credentials{Token: s.Credentials.Token, User: s.Credentials.User, SSHKey: s.Credentials.SSHKey},
		Keys:        posts.Keys, KeysVersion: posts.KeysVersion,
	}
}

// FrontMatter is the front matter every post of feed f gets.
func (t *Tools) FrontMatter(f *config.Feed) jekyll.Defaults {
	d := t.Config.FrontMatterOf(f)
	return jekyll.Defaults{Layout: d.Layout, Author: d.Author, Tags: d.Tags, Categories: d.Categories, Comments: d.Comments}
}

// Writer is the writer of a batch on st (opts says when it began, and
// what its commit is called), with the failures of book and the posts of
// index.
func (t *Tools) Writer(st posts.Store, book *retry.Book, index *posts.Index, opts posts.Options) *posts.Writer {
	m := &t.Config.Media
	opts.Media = posts.MediaOptions{Images: m.Images, Audio: m.Audio, MaxSize: m.MaxSize.Bytes, Width: m.Width, MaxPixels: int64(m.MaxPixels)}
	opts.Location, opts.Log, opts.Client, opts.Layout = t.Config.Location, t.Log, t.Client, posts.Layout(t.Config.Store.Layout)
	return posts.New(st, book, index, opts)
}
