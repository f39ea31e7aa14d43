package archiver

import (
	"context"
	"fmt"
	"io"
	"path"
	"path/filepath"
	"strings"

	"github.com/rfa-archive/archiver/archiver/history"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/wire"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// History writes to w every archived version of the post of target (an
// article's URL, or the post's file), oldest first, one line each; with
// diff, the text's changes by character after each.
func (a *Archiver) History(ctx context.Context, target string, w io.Writer, diff bool) error {
	st, err := wire.OpenStore(ctx, a.Config, a.Log)
	if err != nil {
		return err
	}
	defer st.Close()
	name, err := postOf(st, target)
	if err != nil {
		return err
	}
	p := history.NewPrinter(w, diff)
	if err := st.Versions(ctx, name, p.Add); err != nil {
		return err
	}
	if p.Versions() == 0 {
		return fmt.Errorf("history: %s has no post in the archive's history (a post's file is a path in %s)", target, store.PostsDir)
	}
	return nil
}

// postOf is the name in _posts of the post of target: the post of an
// article's URL, or a file's path in (or below) _posts.
func postOf(st *store.Store, target string) (string, error) {
	if feeds.IsArticleURL(target) {
		name := posts.NewIndex(st).Get(feeds.Key(target))
		if name == "" {
			return "", fmt.Errorf("history: no post of %s in the archive (archiver history also takes a post's file)", target)
		}
		return name, nil
	}
	p := filepath.ToSlash(filepath.Clean(target))
	if i := strings.LastIndex(p, store.PostsDir+"/"); i >= 0 {
		p = p[i+len(store.PostsDir)+1:]
	}
	if p == "" || path.IsAbs(p) || strings.HasPrefix(p, "../") || !strings.HasSuffix(p, ".md") {
		return "", fmt.Errorf("history: %q is neither an article's URL nor a post's file in %s", target, store.PostsDir)
	}
	return p, nil
}
