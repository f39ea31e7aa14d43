package archiver

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// Forget records the articles of urls as removed from the archive: their
// posts, if archived, are removed, and no pass archives them again while
// a feed lists them. With undo, it takes them back: the next pass archives
// them again. It reports how many articles it forgot or took back.
func Forget(ctx context.Context, cfg *config.Config, urls []string, undo bool, log *slog.Logger) (int, error) {
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if undo {
		keys := map[string]bool{}
		for _, u := range urls {
			keys[feeds.Key(u)] = true
		}
		var forgotten []string
		for _, u := range st.Forgotten() {
			if keys[feeds.Key(u)] {
				forgotten = append(forgotten, u)
			}
		}
		n, err := st.Unforget(ctx, forgotten, fmt.Sprintf("Archive again %d forgotten %s\n\n", len(forgotten), plural(len(forgotten), "article", "articles")))
		if err != nil || n == 0 {
			return n, err
		}
		// The next pass reads every feed in full, not a 304: the articles
		// taken back are in them.
		s := loadState(st, log)
		clear(s.Feeds)
		return n, st.SaveState(s)
	}
	index := indexPosts(st, false)
	var names, from []string
	for _, u := range urls {
		u = feeds.Clean(u)
		if name := index[feeds.Key(u)]; name != "" {
			names = append(names, name)
			if p, ok := st.Post(name); ok && p.From != "" {
				u = p.From // as the post says it, so that its removal is not remembered again
			}
		}
		from = append(from, u)
	}
	msg := fmt.Sprintf("Forget %d %s, removing %d %s\n\n", len(from), plural(len(from), "article", "articles"), len(names), plural(len(names), "post", "posts"))
	return len(from), st.Forget(ctx, from, names, msg)
}

// forgottenKeys are the keys of the articles the store does not take
// again.
func forgottenKeys(st *store.Store) map[string]bool {
	keys := map[string]bool{}
	for _, u := range st.TakenDown() {
		keys[feeds.Key(u)] = true
	}
	return keys
}
