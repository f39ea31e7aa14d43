package archiver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
)

// With media.images (media.audio), each image (the audio) a post shows is
// downloaded once, kept in the store's MediaDir under the hash of its
// bytes, committed with the post, and shown from there; the post keeps
// the original's URL. One that cannot be fetched does not hold its post
// back: the post links the original, and the image is a failed article of
// its own (KindMedia), retried and parked as any, until the post is
// rewritten to show the copy.

// mediaFile is a medium of a post: downloaded, known already, or failed.
type mediaFile struct {
	url  string // as the post has it
	name string // in store.MediaDir
	data []byte // nil when the store has it
	err  error
}

// mediaOf lists the media of a post that archiver keeps: on a trusted
// host (the feeds', allowed_hosts, media.hosts); any other stays a link.
func (a *Archiver) mediaOf(post *article.Post) []string {
	var urls []string
	if a.cfg.Media.Images {
		urls = append(urls, article.Images(post.Body)...)
	}
	if a.cfg.Media.Audio && post.Audio != "" {
		urls = append(urls, post.Audio)
	}
	return slices.DeleteFunc(urls, func(raw string) bool {
		u, err := url.Parse(article.MarkdownURL(raw))
		return err != nil || !a.client.Trusted(u)
	})
}

// mediaFetcher downloads media during a pass (a window of a backfill),
// each once, several workers at a time.
type mediaFetcher struct {
	*Archiver
	st    *store.Store
	known map[string]string // the store's media by URL, when the pass began: read only

	mu   sync.Mutex
	done map[string]*mediaDownload // this pass's downloads; their bytes only until they are kept
}

type mediaDownload struct {
	ready chan struct{}
	file  mediaFile
}

// newMediaFetcher is the media fetcher of a pass (a window) on st. It
// reads what media st has only when media are kept: in a large archive
// that takes a while.
func (a *Archiver) newMediaFetcher(st *store.Store) *mediaFetcher {
	known := map[string]string{}
	if a.cfg.Media.Images || a.cfg.Media.Audio {
		known = maps.Clone(st.Media()) // the store's changes as the pass writes media
	}
	return &mediaFetcher{Archiver: a, st: st, known: known, done: map[string]*mediaDownload{}}
}

// fetch returns the media files of urls.
func (m *mediaFetcher) fetch(ctx context.Context, urls []string) []mediaFile {
	var files []mediaFile
	for _, u := range urls {
		if name := m.known[u]; name != "" && m.st.HasMedia(name) {
			files = append(files, mediaFile{url: u, name: name})
			continue
		}
		m.mu.Lock()
		d, started := m.done[u]
		if !started {
			d = &mediaDownload{ready: make(chan struct{})}
			m.done[u] = d
		}
		m.mu.Unlock()
		if !started {
			d.file = m.download(ctx, u)
			close(d.ready)
		}
		select {
		case <-d.ready:
			files = append(files, d.file)
		case <-ctx.Done():
			files = append(files, mediaFile{url: u, err: ctx.Err()})
		}
	}
	return files
}

// kept lets go of the bytes of f, in the store now: a later post of the
// pass that shows it finds it there. Those waiting for its download have
// them still.
func (m *mediaFetcher) kept(f mediaFile) {
	ready := make(chan struct{})
	close(ready)
	m.mu.Lock()
	m.done[f.url] = &mediaDownload{ready: ready, file: mediaFile{url: f.url, name: f.name}}
	m.mu.Unlock()
}

// ErrNotMedia means what a media URL gave is no image (no audio).
var ErrNotMedia = errors.New("not an image or audio file")

// download downloads one medium, its URL as a post has it.
func (m *mediaFetcher) download(ctx context.Context, raw string) mediaFile {
	u := m.resized(article.MarkdownURL(raw))
	resp, err := m.client.Get(ctx, fetch.Request{URL: u, Accept: "image/*,audio/*;q=0.9,*/*;q=0.5", MaxSize: m.cfg.Media.MaxSize.Bytes, MaxSizeKey: "media.max_size"})
	if err != nil {
		return mediaFile{url: raw, err: err}
	}
	ext := mediaType(resp.Body)
	if ext == "" {
		return mediaFile{url: raw, err: &fetch.Error{URL: resp.URL, StatusCode: resp.StatusCode,
			Err: fmt.Errorf("%w: its bytes are %s", ErrNotMedia, http.DetectContentType(resp.Body))}}
	}
	return mediaFile{url: raw, name: store.MediaName(resp.Body, ext), data: resp.Body}
}

// resized is the URL of an image on Arc's resizer (/resizer/) at a bounded
// width; any other URL as it is.
func (m *mediaFetcher) resized(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(u.Path, "/resizer/") {
		return raw
	}
	q := u.Query()
	q.Set("width", strconv.Itoa(m.cfg.Media.Width))
	q.Del("height")
	u.RawQuery = q.Encode()
	return u.String()
}

// mediaTypes are the file extensions of the media types
// http.DetectContentType tells that archiver keeps.
var mediaTypes = map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp", "image/bmp": "bmp",
	"audio/mpeg": "mp3", "audio/wave": "wav", "audio/aiff": "aiff", "application/ogg": "ogg"}

// mediaType is the file extension of data by its bytes, "" when it is
// no image or audio archiver keeps.
func mediaType(data []byte) string {
	if ext := mediaTypes[http.DetectContentType(data)]; ext != "" {
		return ext
	}
	switch {
	case len(data) > 12 && string(data[4:12]) == "ftypavif":
		return "avif"
	case len(data) > 12 && bytes.HasPrefix(data[4:], []byte("ftypM4A")):
		return "m4a"
	case len(data) > 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0:
		return "mp3" // MPEG audio frames without an ID3 tag
	}
	return ""
}

// cutShort reports whether ctx stopped the fetch of a post's files: such
// a post is not written, but made again next time, whole.
func cutShort(ctx context.Context, files []mediaFile) bool {
	return ctx.Err() != nil && slices.ContainsFunc(files, func(f mediaFile) bool { return f.err != nil })
}

// mediaKey is the key of a post's medium that failed, in state.Failures.
func mediaKey(post, url string) string { return "media " + post + " " + url }

// keep writes the media files of the post name (made from the feed
// entry of feedURL) to st, and returns the path of each kept file by its
// URL; those that failed are remembered in s as failures (failed says
// each, and whether it is the first failure).
func (m *mediaFetcher) keep(st *store.Store, s *state, name string, post *article.Post, feedURL string, files []mediaFile, now time.Time,
	failed func(Failure, bool)) map[string]string {
	local := map[string]string{}
	for _, f := range files {
		if f.err == nil && f.data != nil {
			if f.err = st.WriteMedia(f.url, f.name, f.data); f.err == nil {
				m.kept(f)
			}
		}
		key := mediaKey(name, f.url)
		if f.err != nil {
			it := feeds.Item{Link: f.url, Title: post.Title, Feed: feedURL}
			fl, first := s.fail(key, it, name, KindMedia, f.err, now)
			failed(Failure{URL: f.url, Kind: KindMedia, Reason: fl.Error, Permanent: fl.Permanent}, first)
			continue
		}
		delete(s.Failures, key)
		local[f.url] = "/" + store.MediaDir + "/" + f.name
	}
	return local
}

// localize rewrites the post data (a file of the store) to show the media
// of local from the archive.
func localize(data []byte, local map[string]string) ([]byte, error) {
	fm, err := store.ParseFrontMatter(data)
	if err != nil {
		return nil, err
	}
	audio, _ := fm.Fields["audio"].(string)
	head := data[:len(data)-len(fm.Body)]
	return append(append([]byte{}, head...), article.LocalMedia(string(fm.Body), local, audio)...), nil
}

// logMediaFailure logs a medium that failed.
func logMediaFailure(log *slog.Logger, f Failure, first bool) {
	attrs := []any{slog.String("url", f.URL), slog.String("error", f.Reason)}
	if first {
		log.Error("media file failed; the post links the original until it is kept", attrs...)
	} else {
		log.Warn("parked media file failed again", attrs...)
	}
}
