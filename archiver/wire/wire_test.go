package wire_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// The tools' store is what wire.Store says a store is: the git store's
// and the one in memory both.
var (
	_ wire.Store = (*store.Store)(nil)
	_ wire.Store = (*storetest.Memory)(nil)
)

// TestOptions: the configuration becomes the store's, the HTTP client's
// and the front matter's options, key by key.
func TestOptions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Parse([]byte(`store: {path: archive, author: 'A Person <a@example.org>', remote: 'https://example.org/a.git', lock_timeout: 5s}
feeds:
  - url: 'https://www.rfa.org/arc/outboundfeeds/mandarin/rss/'
    front_matter: {author: RFA, tags: [x]}
http: {timeout: 7s, attempts: 2, per_host: 3, max_body_size: 1MiB}
allowed_hosts: [a.example.org]
media: {images: true, hosts: [img.example.org]}
`), filepath.Join(dir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Store.Credentials = config.Credentials{Token: "tok", User: "me", SSHKey: "/k"}
	s := wire.StoreOptions(cfg)
	if s.Path != filepath.Join(dir, "archive") || s.Name != "A Person" || s.Email != "a@example.org" || s.Remote != "https://example.org/a.git" ||
		s.LockWait.Seconds() != 5 || (s.Credentials != store.Credentials{Token: "tok", User: "me", SSHKey: "/k"}) {
		t.Errorf("StoreOptions = %+v", s)
	}
	f := wire.FetchOptions(cfg)
	if f.Timeout.Seconds() != 7 || f.Attempts != 2 || f.PerHost != 3 || f.MaxBodySize != 1<<20 ||
		!slices.Equal(f.AllowedHosts, []string{"a.example.org", "img.example.org"}) {
		t.Errorf("FetchOptions = %+v", f)
	}
	cfg.Media.Images = false
	if f := wire.FetchOptions(cfg); !slices.Equal(f.AllowedHosts, []string{"a.example.org"}) {
		t.Errorf("with media off, the hosts fetched from are %q", f.AllowedHosts)
	}
	tools, err := wire.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := tools.FrontMatter(&cfg.Feeds[0]); d.Author != "RFA" || !slices.Equal(d.Tags, []string{"x"}) || d.Layout != "post" || !d.Comments {
		t.Errorf("FrontMatter = %+v", d)
	}
}
