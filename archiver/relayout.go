package archiver

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// Relayout moves the archive's posts to where the layout (store.layout;
// unset, posts.DefaultLayout) puts them, in one commit of renames, and
// the media files at the top of media/ into folders by hash, in another
// with the posts that show them rewritten. Nothing else of a post
// changes: it keeps its identity and its URL on the site. It reports how
// many posts and media files it moved.
func (a *Archiver) Relayout(ctx context.Context) (int, int, error) {
	st, err := wire.OpenStore(ctx, a.Config, a.Log)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	layout := posts.Layout(a.Config.Store.Layout)
	if layout == "" {
		layout = posts.DefaultLayout
	}
	moves := map[string]string{}
	st.Posts(func(p store.Post) {
		if to := layout.Path(p.Name, a.feedName(p.Feed)); to != p.Name {
			moves[p.Name] = to
		}
	})
	n, err := st.Relayout(ctx, moves, func(n int) string {
		return fmt.Sprintf("Relayout: move %d %s into %s\n\nEach keeps its URL on the site; git log --follow follows it.\n",
			n, posts.Plural(n, "post", "posts"), layout)
	})
	if err != nil {
		return n, 0, err
	}
	m, err := st.RelayoutMedia(ctx, func(m int) string {
		return fmt.Sprintf("Relayout: move %d media %s into folders by hash\n\nThe posts that show them show them there.\n",
			m, posts.Plural(m, "file", "files"))
	})
	return n, m, err
}

// feedName is the name of the feed of URL u, as a post's feed: says it:
// the configuration's name of it, else the name the configuration would
// give it; for a post that does not say (the earlier tool's), the first
// feed's.
func (a *Archiver) feedName(u string) string {
	if u == "" {
		return a.Config.Feeds[0].Name
	}
	for _, f := range a.Config.Feeds {
		if feeds.Key(f.URL) == feeds.Key(u) {
			return f.Name
		}
	}
	if p, err := url.Parse(u); err == nil {
		return strings.TrimPrefix(p.Host, "www.") + strings.TrimSuffix(p.Path, "/")
	}
	return u
}
