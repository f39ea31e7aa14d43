// Package article makes the post of one feed entry. It fetches the entry's
// page, extracts the story (by the site rules in rules, else the way a
// reader view does), keeps the story and drops the page around it and
// anything active, converts it to Markdown and renders the Jekyll post.
// It knows nothing of feeds' polling or of where posts are kept.
package article

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// Maker makes posts. It is safe for concurrent use.
type Maker struct {
	client *fetch.Client
	conv   *converter.Converter
	now    func() time.Time
	budget *budget // of the bytes of the pages read at once
}

// New returns a Maker that fetches pages with client, and reads pages of
// at most maxPage bytes at once (http.max_body_size: a page of the most
// that is fetched; small ones besides).
func New(client *fetch.Client, maxPage int64) *Maker {
	return &Maker{client: client, conv: newConverter(), now: time.Now, budget: newBudget(maxPage + 4<<20)}
}

// Error is a page that was fetched but made no post.
type Error struct {
	URL   string // of the page, after redirects
	Moved bool   // the page is not at the entry's link: it redirected
	Err   error
}

func (e *Error) Error() string { return "article: " + e.URL + ": " + e.Err.Error() }

// Reason is the error as a user reads it beside the entry's link.
func (e *Error) Reason() string {
	if e.Moved {
		return e.Err.Error() + " (at " + e.URL + ", where the link redirects)"
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

const acceptPages = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

// Make fetches it's page and returns its post. A page that is gone (404,
// 410) is archived from the feed when the feed carries the story; any
// other failure is an error, never a post made from a feed's teaser: a
// failed fetch's wraps a *fetch.Error, any other is an *Error.
func (m *Maker) Make(ctx context.Context, it feeds.Item, d jekyll.Defaults) (*jekyll.Post, error) {
	p, _, err := m.MakeIfChanged(ctx, it, d, feeds.Validators{})
	return p, err
}

// MakeIfChanged is Make by a conditional GET: with the validators of the
// page when it was last fetched, a page the site says is not modified is
// ErrNotModified, and no post. It returns the page's validators now.
func (m *Maker) MakeIfChanged(ctx context.Context, it feeds.Item, d jekyll.Defaults, v feeds.Validators) (*jekyll.Post, feeds.Validators, error) {
	resp, err := m.client.Get(ctx, fetch.Request{URL: it.Link, Accept: acceptPages, ETag: v.ETag, LastModified: v.LastModified})
	if err == nil && resp.StatusCode == http.StatusNotModified {
		return nil, v, ErrNotModified
	}
	if err == nil {
		v = feeds.Validators{ETag: resp.ETag, LastModified: resp.LastModified}
	}
	p, err := m.made(ctx, it, d, resp, err)
	return p, v, err
}

// ErrNotModified means a page is as it was when last fetched.
var ErrNotModified = errors.New("the page is not modified")

// made makes the post of a GET of it's page: resp, or err.
func (m *Maker) made(ctx context.Context, it feeds.Item, d jekyll.Defaults, resp *fetch.Response, err error) (*jekyll.Post, error) {
	switch {
	case err == nil:
		release, err := m.budget.acquire(ctx, len(resp.Body))
		if err != nil {
			return nil, err
		}
		defer release()
		return m.fromPage(resp, it, d)
	case errors.Is(err, fetch.ErrGone) && hasContent(it):
		pageURL, err := url.Parse(it.Link)
		if err != nil {
			return nil, &Error{URL: it.Link, Err: err}
		}
		return m.MakePost(FeedStory(it), it, pageURL, d)
	default:
		return nil, fmt.Errorf("article: %w", err)
	}
}

// fromPage makes the post of a fetched page.
func (m *Maker) fromPage(resp *fetch.Response, it feeds.Item, d jekyll.Defaults) (*jekyll.Post, error) {
	moved := feeds.Key(resp.URL) != feeds.Key(it.Link)
	fail := func(err error) error { return &Error{URL: resp.URL, Moved: moved, Err: err} }
	if moved && above(resp.URL, it.Link) {
		return nil, fail(ErrNotArticle)
	}
	if ct := http.DetectContentType(resp.Body); !strings.HasPrefix(ct, "text/") {
		return nil, fail(fmt.Errorf("%w: its bytes are %s", ErrNotHTML, ct))
	}
	page, err := decodeHTML(resp.Body, resp.ContentType)
	if err != nil {
		return nil, fail(err)
	}
	pageURL, err := url.Parse(resp.URL)
	if err != nil {
		return nil, fail(err)
	}
	story, err := Extract(page, pageURL)
	if errors.Is(err, ErrTooComplex) || errors.Is(err, ErrNotArticle) {
		return nil, fail(err) // not from the feed's copy either: the page is no article of it
	}
	if err == nil {
		p, err := m.MakePost(story, it, pageURL, d)
		if err == nil || !errors.Is(err, ErrNoStory) {
			return p, err
		}
	}
	if !hasContent(it) {
		return nil, fail(ErrNoStory)
	}
	// A page we cannot read (a script-only page, say) whose feed carries
	// the whole story.
	return m.MakePost(FeedStory(it), it, pageURL, d)
}

// ErrNotHTML means a page's body is not HTML, or any text: an image, say,
// whatever its Content-Type.
var ErrNotHTML = errors.New("the page is not HTML")

// ErrNotArticle means an entry's link led to a page that is not its
// article: the site's front page, or a section's list of stories.
var ErrNotArticle = errors.New("the link leads to the front page or a section, not to the article")

// above reports whether the page at u is the root of the site of link, or
// a page whose path holds link's: a section page above the article.
func above(u, link string) bool {
	pu, err1 := url.Parse(u)
	pl, err2 := url.Parse(link)
	if err1 != nil || err2 != nil {
		return false
	}
	up, lp := strings.TrimSuffix(pu.Path, "/"), strings.TrimSuffix(pl.Path, "/")
	return up == "" || (up != lp && strings.HasPrefix(lp, up+"/"))
}

func hasContent(it feeds.Item) bool { return strings.TrimSpace(plain(it.Content)) != "" }

// FeedStory is the story as the feed entry carries it (content:encoded).
func FeedStory(it feeds.Item) *Story {
	s := &Story{Shape: "feed", Title: it.Title, Body: it.Content}
	if it.Image != nil {
		s.Image = &Image{URL: it.Image.URL, Caption: it.Image.Caption, Credit: it.Image.Credit}
	}
	return s
}

// maxDescription bounds a description, which some feeds fill with the
// whole story.
const maxDescription = 300

// MakePost makes the post of a story found at pageURL for the feed entry it.
// Each value comes from the best source that has it: the page (its
// embedded data, markup, JSON-LD, meta) before the feed, except the
// publication time, which the feed's pubDate gives first.
func (m *Maker) MakePost(s *Story, it feeds.Item, pageURL *url.URL, d jekyll.Defaults) (*jekyll.Post, error) {
	if len(s.Body) > maxStory {
		return nil, &Error{URL: pageURL.String(), Err: fmt.Errorf("%w (a story of more than %d MiB)", ErrTooComplex, maxStory>>20)}
	}
	if err := checkComplexity([]byte(s.Body)); err != nil {
		return nil, &Error{URL: pageURL.String(), Err: err}
	}
	if !hasText(s.Body) {
		return nil, &Error{URL: pageURL.String(), Err: ErrNoStory} // a lead image alone is no story
	}
	if s.Image == nil && s.Shape != "readability" && it.Image != nil {
		s.Image = &Image{URL: it.Image.URL, Caption: it.Image.Caption, Credit: it.Image.Credit}
	}
	root, err := clean(s.Image, s.Body, pageURL)
	if err != nil {
		return nil, &Error{URL: pageURL.String(), Err: fmt.Errorf("cleaning the story: %w", err)}
	}
	body, err := toMarkdown(m.conv, root, pageURL.String())
	if err != nil {
		return nil, &Error{URL: pageURL.String(), Err: err}
	}
	if body == "" {
		return nil, &Error{URL: pageURL.String(), Err: ErrNoStory}
	}

	// The article's URL is where its page is, after redirects. Not the
	// canonical URL the page declares: a page may declare anything, and
	// identical pages at two URLs are still two articles.
	from := feeds.Clean(pageURL.String())
	guid := firstNonEmpty(it.GUID, it.Link)
	if feeds.Key(guid) == feeds.Key(from) {
		guid = "" // says nothing from: does not
	}
	p := &jekyll.Post{
		Defaults:    d,
		Title:       firstNonEmpty(s.Title, it.Title, from),
		URL:         from,
		Date:        firstTime(it.Published, s.Published, it.Updated, m.now()).UTC(),
		Modified:    firstTime(s.Modified, it.Updated),
		Section:     s.Section,
		Description: truncate(firstNonEmpty(s.Description, plain(it.Description)), maxDescription),
		Audio:       s.Audio,
		SourceID:    s.ID,
		GUID:        guid,
		Feed:        it.Feed,
		Body:        body,
	}
	p.Tags = compact(append(append([]string{}, d.Tags...), firstList(s.Tags, it.Categories)...))
	p.Categories = compact(d.Categories)
	p.Byline = firstNonEmpty(strings.Join(firstList(s.Authors, it.Authors), ", "), s.Byline)
	if s.Image != nil {
		p.Image = absolute(pageURL, s.Image.URL)
	}
	p.Clean()
	return p, nil
}

// firstTime is the first of ts that is a time a post can hold.
func firstTime(ts ...time.Time) time.Time {
	for _, t := range ts {
		if t = feeds.UTC(t); !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func firstList(ls ...[]string) []string {
	for _, l := range ls {
		if len(compact(l)) > 0 {
			return l
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// decodeHTML decodes a page to UTF-8: the charset comes from a byte order
// mark, the Content-Type header or a <meta> in the page; a page with none
// that is valid UTF-8 is UTF-8.
func decodeHTML(body []byte, contentType string) ([]byte, error) {
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if name == "utf-8" || (!certain && name == "windows-1252" && utf8.Valid(body)) {
		return body, nil
	}
	out, _, err := transform.Bytes(enc.NewDecoder(), body)
	if err != nil {
		return nil, fmt.Errorf("decoding page from %s: %w", name, err)
	}
	return out, nil
}
