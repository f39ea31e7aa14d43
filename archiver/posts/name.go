package posts

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// A post's file name is Jekyll's YYYY-MM-DD-title.md: the day it was
// published, in the archive's time zone, and a plain ASCII slug of its
// URL; should another article have that name, the slug gets a hash of the
// URL. It is decided here, once, for the post of every producer.

// Layout is where in _posts a new post goes (store.layout): folders
// made of {year}, {month} and {day}, those of the date in its file name,
// and {feed}, the name of its feed as plain ASCII; or FlatLayout, none.
// Jekyll reads the posts of every folder in _posts, and gives each the
// URL it would have at the top: the layout is for people and forges,
// which show at most 1,000 files of a folder. A post keeps the path it
// was first written at; archiver relayout moves them all.
type Layout string

const (
	DefaultLayout Layout = "{year}/{month}"
	FlatLayout    Layout = "flat"
)

// LayoutOf is the layout that new posts of st go to when the
// configuration sets none: a store of posts all at the top of _posts (an
// archive made before layouts, or by the earlier tool) keeps them there
// until archiver relayout; any other has DefaultLayout.
func LayoutOf(l Layout, st interface{ Flat() bool }) Layout {
	switch {
	case l != "":
		return l
	case st.Flat():
		return FlatLayout
	}
	return DefaultLayout
}

// Path is the path in _posts of the post whose file name is name (as
// FileName makes it) of the feed named feed. A name without a date stays
// at the top.
func (l Layout) Path(name, feed string) string {
	name = path.Base(name)
	day := postDay(name)
	if l == FlatLayout || l == "" || day == "" {
		return name
	}
	return strings.NewReplacer("{year}", day[:4], "{month}", day[5:7], "{day}", day[8:10], "{feed}", feedFolder(feed)).Replace(string(l)) + "/" + name
}

// feedFolder is a feed's name as a folder: plain ASCII.
func feedFolder(feed string) string {
	f := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(feed), "-"), "-")
	if len(f) > 64 {
		f = strings.TrimRight(f[:64], "-")
	}
	if f == "" {
		return "feed"
	}
	return f
}

// FileName is the post's file name in _posts: the publication date in loc,
// then the slug.
func FileName(p *jekyll.Post, loc *time.Location) string {
	return p.Date.In(loc).Format("2006-01-02") + "-" + Slug(p.URL) + ".md"
}

// AltFileName is the file name for a post whose FileName is taken by
// another article: the slug with the URL's hash after it.
func AltFileName(p *jekyll.Post, loc *time.Location) string {
	return p.Date.In(loc).Format("2006-01-02") + "-" + Slug(p.URL) + "-" + urlHash(p.URL) + ".md"
}

var (
	extension     = regexp.MustCompile(`\.[A-Za-z0-9]{1,5}$`)
	trailingStamp = regexp.MustCompile(`-\d{8}(\d{6})?$`) // Plone's -MMDDYYYYHHMMSS, early -YYYYMMDD
	notSlug       = regexp.MustCompile(`[^a-z0-9]+`)
)

// maxSlug bounds a slug so a file name stays far below the 255 bytes
// file systems allow.
const maxSlug = 80

// Slug is the plain ASCII name of an article in its file name: the URL's
// last path segment without extension and trailing timestamp, else a short
// hash of the URL. It is the same for the same URL on every run, and only
// ever holds [a-z0-9-].
func Slug(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil {
		return urlHash(rawURL)
	}
	segs := strings.Split(strings.TrimRight(u.EscapedPath(), "/"), "/")
	last, _ := url.PathUnescape(segs[len(segs)-1])
	last = extension.ReplaceAllString(last, "")
	last = trailingStamp.ReplaceAllString(last, "")
	slug := strings.Trim(notSlug.ReplaceAllString(strings.ToLower(last), "-"), "-")
	if len(slug) > maxSlug {
		slug = strings.TrimRight(slug[:maxSlug], "-")
	}
	if slug == "" || u.RawQuery != "" {
		// Nothing readable, or a page told apart only by its query.
		return strings.TrimLeft(slug+"-"+urlHash(rawURL), "-")
	}
	return slug
}

// urlHash is a short stable hash of an article's URL.
func urlHash(rawURL string) string {
	sum := sha256.Sum256([]byte(feeds.Key(rawURL)))
	return hex.EncodeToString(sum[:])[:10]
}
