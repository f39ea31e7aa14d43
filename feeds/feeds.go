// Package feeds says what a feed offers: it polls a feed with a conditional
// GET, decodes it whatever its charset, parses RSS 2.0, RSS 1.0 and Atom
// with gofeed, and turns each entry into an Item that knows its identity
// (Key, GUIDKey), so that one article in two feeds is one article.
package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	ext "github.com/mmcdole/gofeed/extensions"

	"github.com/rfa-archive/archiver/feeds/fetch"
)

// Item is one entry of a feed.
type Item struct {
	Feed        string    `json:"feed"`            // the feed's URL
	Link        string    `json:"link"`            // cleaned, absolute
	GUID        string    `json:"guid,omitempty"`  // as the feed gives it
	Title       string    `json:"title,omitempty"` // text
	Published   time.Time `json:"published,omitzero"`
	Updated     time.Time `json:"updated,omitzero"`
	Authors     []string  `json:"authors,omitempty"`
	Categories  []string  `json:"categories,omitempty"`
	Description string    `json:"description,omitempty"` // HTML
	Content     string    `json:"content,omitempty"`     // HTML: the whole story, when the feed carries it
	Image       *Image    `json:"image,omitempty"`       // the lead image (media:content)
}

// Image is an item's lead image.
type Image struct {
	URL     string `json:"url"`
	Caption string `json:"caption,omitempty"`
	Credit  string `json:"credit,omitempty"`
}

// Keys are the identities of the item: its link's Key and its GUIDKey.
func (it *Item) Keys() []string {
	keys := []string{Key(it.Link)}
	if g := GUIDKey(it.Feed, it.GUID); g != "" && g != keys[0] {
		keys = append(keys, g)
	}
	return keys
}

// Validators are what a conditional GET of a feed sends back.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Result is what one poll of a feed found.
type Result struct {
	NotModified bool // 304: nothing new
	Validators  Validators
	Title       string
	Items       []Item
	Warnings    []string // entries skipped, and why
}

// ErrNotFeed is returned for a body that is no feed, such as an HTML page.
var ErrNotFeed = errors.New("not a feed")

// Error is a feed that was fetched but could not be read. A feed that
// could not be fetched is a *fetch.Error.
type Error struct {
	URL string
	Err error
}

func (e *Error) Error() string { return "feeds: " + e.URL + ": " + e.Err.Error() }

// Reason is the error as a user reads it beside the feed's URL.
func (e *Error) Reason() string { return e.Err.Error() }

func (e *Error) Unwrap() error { return e.Err }

const acceptFeeds = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"

// Poll fetches feedURL, conditionally on prev, and parses what it gets.
// A feed that cannot be fetched fails with an error wrapping a
// *fetch.Error, one that cannot be read with an *Error.
func Poll(ctx context.Context, client *fetch.Client, feedURL string, prev Validators) (*Result, error) {
	resp, err := client.Get(ctx, fetch.Request{URL: feedURL, Accept: acceptFeeds, ETag: prev.ETag, LastModified: prev.LastModified})
	if err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	v := Validators{ETag: resp.ETag, LastModified: resp.LastModified}
	if resp.StatusCode == 304 {
		// A 304 need not repeat the validators (RFC 9110 advises against
		// Last-Modified beside an ETag); those it leaves out still hold.
		if v.ETag == "" {
			v.ETag = prev.ETag
		}
		if v.LastModified == "" {
			v.LastModified = prev.LastModified
		}
		return &Result{NotModified: true, Validators: v}, nil
	}
	res, err := Parse(resp.Body, resp.ContentType, feedURL)
	if err != nil {
		return nil, &Error{URL: feedURL, Err: err}
	}
	res.Validators = v
	return res, nil
}

// Parse parses a feed document served with contentType from feedURL.
func Parse(body []byte, contentType, feedURL string) (*Result, error) {
	body, err := toUTF8(body, contentType)
	if err != nil {
		return nil, err
	}
	if looksLikeHTML(body) {
		return nil, fmt.Errorf("%w: the server sent an HTML page, perhaps a bot wall, a login or an error page; check the URL in a browser", ErrNotFeed)
	}
	parser := gofeed.NewParser()
	parser.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	feed, err := parser.Parse(bytes.NewReader(body))
	if errors.Is(err, gofeed.ErrFeedTypeNotDetected) {
		return nil, fmt.Errorf("%w: no RSS, Atom or JSON feed found in the response", ErrNotFeed)
	}
	if err != nil {
		return nil, fmt.Errorf("malformed feed: %w", err)
	}

	base, _ := url.Parse(feedURL)
	if l, err := url.Parse(feed.Link); err == nil && l.IsAbs() && base != nil {
		base = base.ResolveReference(l)
	}
	res := &Result{Title: strings.TrimSpace(feed.Title)}
	chinaTime := strings.HasPrefix(strings.ToLower(feed.Language), "zh")
	for i, fi := range feed.Items {
		it, err := item(fi, feedURL, base, chinaTime)
		if err != nil {
			res.Warnings = append(res.Warnings, fmt.Sprintf("entry %d (%q) skipped: %v", i+1, fi.Title, err))
			continue
		}
		res.Items = append(res.Items, it)
	}
	dropSharedGUIDs(res.Items)
	return res, nil
}

// dropSharedGUIDs forgets the guid of entries that share it with an entry
// that links to another page: a feed that puts one guid in many entries
// says nothing with it, and two pages are two articles.
func dropSharedGUIDs(items []Item) {
	links := map[string]map[string]bool{} // guid → keys of the links
	for _, it := range items {
		if it.GUID != "" {
			if links[it.GUID] == nil {
				links[it.GUID] = map[string]bool{}
			}
			links[it.GUID][Key(it.Link)] = true
		}
	}
	for i := range items {
		if len(links[items[i].GUID]) > 1 {
			items[i].GUID = ""
		}
	}
}

// placeholderGUIDs are guids that broken feeds put in every entry.
var placeholderGUIDs = map[string]bool{"undefined": true, "null": true, "nil": true, "none": true, "0": true, "-1": true, "false": true}

// usableGUID is the guid of an entry if it can tell the entry apart: not
// a placeholder, and not the root of a site.
func usableGUID(guid string) string {
	guid = strings.TrimSpace(guid)
	if placeholderGUIDs[strings.ToLower(guid)] {
		return ""
	}
	if u, err := url.Parse(guid); err == nil && isHTTPURL(guid) && strings.Trim(u.Path, "/") == "" && u.RawQuery == "" {
		return ""
	}
	return guid
}

func item(fi *gofeed.Item, feedURL string, base *url.URL, chinaTime bool) (Item, error) {
	raw := fi.Link
	if raw == "" && isHTTPURL(fi.GUID) {
		raw = fi.GUID
	}
	if raw == "" {
		return Item{}, errors.New("it has no link")
	}
	link, err := CleanURL(base, raw)
	if err != nil {
		return Item{}, fmt.Errorf("its link %q is not usable: %v", raw, err)
	}
	it := Item{
		Feed:        feedURL,
		Link:        link.String(),
		GUID:        usableGUID(fi.GUID),
		Title:       strings.TrimSpace(fi.Title),
		Published:   itemTime(fi.PublishedParsed, fi.Published, chinaTime),
		Updated:     itemTime(fi.UpdatedParsed, fi.Updated, chinaTime),
		Categories:  fi.Categories,
		Description: fi.Description,
		Content:     fi.Content,
		Image:       mediaImage(fi.Extensions, base),
	}
	for _, a := range fi.Authors {
		for _, name := range strings.Split(a.Name, ",") {
			if name = strings.TrimSpace(name); name != "" {
				it.Authors = append(it.Authors, name)
			}
		}
	}
	return it, nil
}

// itemTime is the parsed time in UTC. gofeed reads "CST" as US Central
// (UTC-6) and returns the time in UTC, so the zone as written is gone; in a
// Chinese feed "CST" means China Standard Time (UTC+8), whose clocks are 14
// hours ahead: the same reading is 14 hours earlier.
func itemTime(parsed *time.Time, raw string, chinaTime bool) time.Time {
	if parsed == nil {
		return time.Time{}
	}
	t := parsed.UTC()
	if chinaTime && strings.HasSuffix(strings.TrimSpace(raw), "CST") {
		const usCentral, china = -6 * time.Hour, 8 * time.Hour
		t = t.Add(usCentral - china)
	}
	return UTC(t)
}

// UTC is t in UTC, or the zero time (unknown) when t is outside the years
// 1 to 9999 there: no post's front matter or saved state can hold such a
// date, and no story has one.
func UTC(t time.Time) time.Time {
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}
	}
	return t
}

// mediaImage is the lead image of an item from media:content (Arc) or
// media:thumbnail, with media:description as its caption.
func mediaImage(exts ext.Extensions, base *url.URL) *Image {
	media := exts["media"]
	for _, name := range []string{"content", "thumbnail"} {
		for _, e := range media[name] {
			src := e.Attrs["url"]
			if src == "" || (e.Attrs["medium"] != "" && e.Attrs["medium"] != "image") ||
				(e.Attrs["type"] != "" && !strings.HasPrefix(e.Attrs["type"], "image/")) {
				continue
			}
			u, err := url.Parse(src)
			if err != nil {
				continue
			}
			if base != nil {
				u = base.ResolveReference(u)
			}
			img := &Image{URL: u.String()}
			if d := e.Children["description"]; len(d) > 0 {
				img.Caption = strings.TrimSpace(d[0].Value)
			}
			if c := e.Children["credit"]; len(c) > 0 {
				img.Credit = strings.TrimSpace(c[0].Value)
			}
			return img
		}
	}
	return nil
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
