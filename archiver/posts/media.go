package posts

import (
	"context"
	"log/slog"
	"slices"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// With media.images (media.audio), each image (the audio) a post shows is
// downloaded once (download.go), kept in the store's MediaDir under the
// hash of its bytes, committed with the post, and shown from there; the
// post keeps the original's URL. One that cannot be fetched does not hold
// its post back: the post links the original, and the medium is a failure
// of its own (retry.Medium), parked as any. A failed image is retried
// here: when it is due, the pass downloads it again (FetchMedium), and
// Medium keeps it and rewrites its post to show the copy.

// FetchMedia downloads the media of p that the archive keeps. It is safe
// for concurrent use: a pass fetches several posts' at once. When ctx
// stops it short, it returns ctx's error: such a post is neither written
// nor failed, but made again next time, whole.
func (w *Writer) FetchMedia(ctx context.Context, p *jekyll.Post) ([]MediaFile, error) {
	urls := w.media.Of(p)
	if len(urls) == 0 {
		return nil, nil
	}
	files := w.media.Fetch(ctx, urls)
	if cutShort(ctx, files) {
		return nil, ctx.Err()
	}
	return files, nil
}

// keep writes the media files of the post name (title, of the feed of
// feedURL) to the store, and returns the path of each kept file by its
// URL; those that failed are failures of their own.
func (w *Writer) keep(name, title, feedURL string, files []MediaFile) map[string]string {
	local := map[string]string{}
	for _, f := range files {
		if f.Err == nil && f.Path != "" {
			if f.Err = w.st.WriteMedia(f.URL, f.Name, f.Path); f.Err == nil {
				w.media.Kept(f)
			}
		}
		key := retry.MediumKey(name, f.URL)
		if f.Err != nil {
			w.failed(w.book.Fail(key, retry.MediumOf(retry.Medium{URL: f.URL, Title: title, Feed: feedURL}, name), retry.KindMedia, f.Err, w.opts.Now))
			continue
		}
		w.book.Done(key)
		local[f.URL] = "/" + w.st.MediaPath(f.Name)
	}
	return local
}

// Medium keeps a medium of a post that failed before (its failure's
// target t, of key), now fetched as file: the post, of the feed named
// feed, is rewritten to show it from the archive.
func (w *Writer) Medium(key string, t retry.Target, file MediaFile, feed string) {
	if file.Err != nil {
		w.failed(w.book.Fail(key, t, retry.KindMedia, file.Err, w.opts.Now))
		return
	}
	old, err := w.st.Read(t.Post)
	if err != nil {
		w.book.Done(key) // the post is gone
		return
	}
	local := w.keep(t.Post, t.Medium.Title, t.Medium.Feed, []MediaFile{file})
	data, err := jekyll.Localize(old, local)
	if err == nil && string(data) != string(old) {
		err = w.st.Write(t.Post, data)
	}
	if err != nil {
		w.failed(w.book.Fail(key, t, retry.KindStore, err, w.opts.Now))
		return
	}
	a := Archived{Title: t.Medium.Title, URL: t.Post, Feed: feed}
	if fm, err := jekyll.Parse(data); err == nil {
		a.URL = fm.From
	}
	if !slices.Contains(w.Done.Updated, a) { // one post, however many of its media came
		w.Done.Updated = append(w.Done.Updated, a)
	}
	w.opts.Log.Info("a post shows a medium from the archive now", slog.String("file", t.Post), slog.String("url", file.URL))
}

// FetchMedium downloads one medium, of its URL as a post has it: one that
// failed before. It is safe for concurrent use.
func (w *Writer) FetchMedium(ctx context.Context, url string) MediaFile {
	return w.media.Fetch(ctx, []string{url})[0]
}
