package posts

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
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
