package posts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// The images and audio that posts show, when the archive keeps them
// (media.images, media.audio), are downloaded only from trusted hosts,
// each at most once a batch, within media.max_size, and only what its
// bytes say is an image or audio. Keeping them is media.go's.

// MediaOptions say which media are kept, and how they are fetched.
type MediaOptions struct {
	Images    bool  // media.images
	Audio     bool  // media.audio
	MaxSize   int64 // of one file
	Width     int   // asked of an image resizer
	MaxPixels int64 // of one image
}

// MediaFile is a medium of a post: downloaded, known already, or failed.
type MediaFile struct {
	URL  string // as the post has it
	Name string // in store.MediaDir
	Path string // the file downloaded (see Store.MediaTemp); "" when the store has it
	Err  error
}

// mediaFetcher downloads media during a batch (a pass, a window of a
// backfill), each once, several workers at a time.
type mediaFetcher struct {
	client *fetch.Client
	opts   MediaOptions
	st     Store
	known  func() map[string]string // the store's media by URL, when the batch began, read once: read only

	mu   sync.Mutex
	done map[string]*download // this batch's downloads; their bytes only until they are kept
}

type download struct {
	ready chan struct{}
	file  MediaFile
}

// newMediaFetcher is the media fetcher of a batch on st. It reads what
// media st has only when a post of the batch has media to keep: in a
// large archive that takes a while.
func newMediaFetcher(client *fetch.Client, st Store, opts MediaOptions) *mediaFetcher {
	known := sync.OnceValue(func() map[string]string {
		return maps.Clone(st.Media()) // the store's changes as the batch writes media
	})
	return &mediaFetcher{client: client, opts: opts, st: st, known: known, done: map[string]*download{}}
}

// Of lists the media of a post that the archive keeps: on a trusted host
// (the feeds', allowed_hosts, media.hosts); any other stays a link.
func (m *mediaFetcher) Of(post *jekyll.Post) []string {
	var urls []string
	if m.opts.Images {
		urls = append(urls, jekyll.Images(post.Body)...)
	}
	if m.opts.Audio && post.Audio != "" {
		urls = append(urls, post.Audio)
	}
	return slices.DeleteFunc(urls, func(raw string) bool {
		u, err := url.Parse(jekyll.MarkdownURL(raw))
		return err != nil || !m.client.Trusted(u)
	})
}

// Fetch returns the media files of urls.
func (m *mediaFetcher) Fetch(ctx context.Context, urls []string) []MediaFile {
	var files []MediaFile
	for _, u := range urls {
		if name := m.known()[u]; name != "" && m.st.HasMedia(name) {
			files = append(files, MediaFile{URL: u, Name: name})
			continue
		}
		m.mu.Lock()
		d, started := m.done[u]
		if !started {
			d = &download{ready: make(chan struct{})}
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
			files = append(files, MediaFile{URL: u, Err: ctx.Err()})
		}
	}
	return files
}

// Kept forgets the downloaded file of f, in the store now: a later post
// of the batch that shows it finds it there.
func (m *mediaFetcher) Kept(f MediaFile) {
	ready := make(chan struct{})
	close(ready)
	m.mu.Lock()
	m.done[f.URL] = &download{ready: ready, file: MediaFile{URL: f.URL, Name: f.Name}}
	m.mu.Unlock()
}

// discard removes the files downloaded and not kept: those of posts that
// failed, or were stopped.
func (m *mediaFetcher) discard() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.done {
		select {
		case <-d.ready:
			if d.file.Path != "" {
				os.Remove(d.file.Path)
			}
		default: // a download under way removes its own file, should it not be kept
		}
	}
}

// cutShort reports whether ctx stopped the fetch of a post's files: such
// a post is not written, but made again next time, whole.
func cutShort(ctx context.Context, files []MediaFile) bool {
	return ctx.Err() != nil && slices.ContainsFunc(files, func(f MediaFile) bool { return f.Err != nil })
}

// ErrNotMedia means what a media URL gave is no image (no audio).
var ErrNotMedia = errors.New("not an image or audio file")

// download downloads one medium, its URL as a post has it, into a file of
// the store's, a piece at a time.
func (m *mediaFetcher) download(ctx context.Context, raw string) MediaFile {
	f, err := m.st.MediaTemp()
	if err != nil {
		return MediaFile{URL: raw, Err: err}
	}
	kept := false
	defer func() {
		f.Close()
		if !kept {
			os.Remove(f.Name())
		}
	}()
	u := m.resized(jekyll.MarkdownURL(raw))
	resp, err := m.client.Get(ctx, fetch.Request{URL: u, Accept: "image/*,audio/*;q=0.9,*/*;q=0.5",
		MaxSize: m.opts.MaxSize, MaxSizeKey: "media.max_size", Into: f})
	if err != nil {
		return MediaFile{URL: raw, Err: err}
	}
	name, err := m.identify(f)
	if err != nil {
		return MediaFile{URL: raw, Err: &fetch.Error{URL: resp.URL, StatusCode: resp.StatusCode, Err: err}}
	}
	kept = true
	return MediaFile{URL: raw, Name: name, Path: f.Name()}
}

// identify reads the downloaded file f through: what it is by its first
// bytes, whole as that, and its name in the store, by its hash.
func (m *mediaFetcher) identify(f *os.File) (string, error) {
	head := make([]byte, 512)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	n, _ := io.ReadFull(f, head)
	ext := fileType(head[:n])
	if ext == "" {
		return "", fmt.Errorf("%w: its bytes are %s", ErrNotMedia, http.DetectContentType(head[:n]))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	sum := sha256.New()
	r := io.TeeReader(f, sum)
	if err := checkImage(r, ext, m.opts.MaxPixels); err != nil {
		return "", err
	}
	if _, err := io.Copy(io.Discard, r); err != nil { // what checkImage did not read, hashed
		return "", err
	}
	return store.MediaNameOf(hex.EncodeToString(sum.Sum(nil)), ext), nil
}

// resized is the URL of an image on Arc's resizer (/resizer/) at a bounded
// width; any other URL as it is.
func (m *mediaFetcher) resized(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !strings.Contains(u.Path, "/resizer/") {
		return raw
	}
	q := u.Query()
	q.Set("width", strconv.Itoa(m.opts.Width))
	q.Del("height")
	u.RawQuery = q.Encode()
	return u.String()
}

// fileTypes are the file extensions of the media types
// http.DetectContentType tells that the archive keeps.
var fileTypes = map[string]string{"image/jpeg": "jpg", "image/png": "png", "image/gif": "gif", "image/webp": "webp",
	"audio/mpeg": "mp3", "audio/wave": "wav", "audio/aiff": "aiff", "application/ogg": "ogg"}

// fileType is the file extension of data by its bytes, "" when it is no
// image or audio the archive keeps.
func fileType(data []byte) string {
	if ext := fileTypes[http.DetectContentType(data)]; ext != "" {
		return ext
	}
	switch {
	case len(data) > 12 && bytes.HasPrefix(data[4:], []byte("ftypM4A")):
		return "m4a"
	case len(data) > 2 && data[0] == 0xFF && data[1]&0xE0 == 0xE0:
		return "mp3" // MPEG audio frames without an ID3 tag
	}
	return ""
}
