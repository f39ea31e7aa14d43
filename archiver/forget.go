package archiver

import (
	"context"
	"fmt"

	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/feeds"
)

// Forget records the articles of urls as removed from the archive: their
// posts, if archived, are removed, and no pass archives them again while
// a feed lists them. With undo, it takes them back: the next pass archives
// them again. It reports how many articles it forgot or took back.
func (a *Archiver) Forget(ctx context.Context, urls []string, undo bool) (int, error) {
	st, err := wire.OpenStore(ctx, a.Config, a.Log)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	if undo {
		keys := map[string]bool{}
		for _, u := range urls {
			keys[feeds.Key(u)] = true
		}
		list, err := st.Forgotten()
		if err != nil {
			return 0, err
		}
		var forgotten []string
		for _, u := range list {
			if keys[feeds.Key(u)] {
				forgotten = append(forgotten, u)
			}
		}
		n, err := st.Unforget(ctx, forgotten, fmt.Sprintf("Archive again %d forgotten %s\n\n", len(forgotten), posts.Plural(len(forgotten), "article", "articles")))
		if err != nil || n == 0 {
			return n, err
		}
		// The next pass reads every feed in full, not a 304: the articles
		// taken back are in them.
		return n, st.SaveState(map[string]any{feedsSection: map[string]any{}})
	}
	index := posts.NewIndex(st)
	var names, from []string
	for _, u := range urls {
		u = feeds.Clean(u)
		if name := index.Get(feeds.Key(u)); name != "" {
			names = append(names, name)
			if p, ok := st.Post(name); ok && p.From != "" {
				u = p.From // as the post says it, so that its removal is not remembered again
			}
		}
		from = append(from, u)
	}
	msg := fmt.Sprintf("Forget %d %s, removing %d %s\n\n", len(from), posts.Plural(len(from), "article", "articles"), len(names), posts.Plural(len(names), "post", "posts"))
	return len(from), st.Forget(ctx, from, names, msg)
}

// RetryNow makes the failures of urls (all, when there is none) due at the
// next pass, those given up too, and reports how many there were.
func (a *Archiver) RetryNow(ctx context.Context, urls []string) (int, error) {
	st, err := a.Open(ctx)
	if err != nil {
		return 0, err
	}
	defer st.Close()
	book, err := retry.Load(st, 0, a.Log)
	if err != nil {
		return 0, err
	}
	n := book.RetryNow(urls)
	if n == 0 {
		return 0, nil
	}
	return n, st.SaveState(map[string]any{retry.Section: book})
}
