package article

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"codeberg.org/readeck/go-readability/v2"
	"github.com/PuerkitoBio/goquery"
)

// Story is what extraction finds in a page: the story's own HTML and what
// the page says about it. Empty fields are unknown.
type Story struct {
	Shape       string // the rule that found it: see rules; "readability"; "feed"
	Title       string
	ID          string // the publisher's id of the story
	Published   time.Time
	Modified    time.Time
	Authors     []string
	Byline      string // a credit line, when there are no author names
	Section     string
	Tags        []string
	Description string
	Image       *Image // the lead image, shown above the body
	Audio       string
	Body        string // HTML, not yet cleaned
}

// Image is a picture with its caption and credit.
type Image struct {
	URL     string
	Caption string
	Credit  string
}

// ErrNoStory means a page had nothing that looks like a story.
var ErrNoStory = errors.New("no story found on the page")

// A rule is how to read one shape of page. Shapes are recognised by their
// markup, not by host, so a mirror or a test fixture of a site works too.
// A rule either names selectors, or has a func for shapes that need code.
type rule struct {
	name   string
	detect string // the page has this shape when this selector matches

	extract func(doc *goquery.Document, page *url.URL) (*Story, error)

	body        string   // the story
	lead        string   // the lead image's container, outside the body
	leadCaption string   // inside lead
	leadCredit  string   // inside lead
	title       string   // the visible headline
	date        string   // an element with the date in datetime= or its text
	byline      string   // the credit line
	drop        []string // page furniture inside body or lead
}

// rules are tried in order; the first whose detect matches and which finds
// a story wins. The next redesign of a site is a new entry here.
var rules = []rule{
	{
		// Arc XP (RFA since 2025): the ANS story the page embeds for its
		// JavaScript holds the story as data.
		name:    "arc-ans",
		detect:  "script#fusion-metadata",
		extract: extractANS,
	},
	{
		// Arc XP as rendered by the Arc Themes article blocks.
		name:        "arc",
		detect:      "article.b-article-body",
		body:        "article.b-article-body",
		lead:        ".b-lead-art",
		leadCaption: ".c-media-item__caption",
		leadCredit:  ".c-media-item__credit",
		title:       "h1.b-headline",
		date:        "time.b-date",
		byline:      ".b-byline",
		drop:        []string{".b-share-bar", ".c-media-item__credit-icon", ".b-article-body__ad", ".c-interstitial-link"},
	},
	{
		// Plone (RFA until 2025).
		name:        "plone",
		detect:      "#storytext",
		body:        "#storytext",
		lead:        "#headerimg",
		leadCaption: ".lead_image_caption",
		leadCredit:  ".copyright",
		title:       "#storypagemaincol h1",
		date:        "#story_date",
		byline:      "#story_byline",
		drop: []string{
			"#zoomattribute", "[id=zoomattribute]", // a zoom box per image, with an icon
			"ul:has(span.result-title)", // inline lists of related stories
			"#sharebar", ".sharebar", ".related_stories", ".storyaudio",
		},
	},
}

// furniture is removed from every story, whatever its shape.
var furniture = []string{
	"script", "style", "noscript", "template", "iframe", "frame", "object", "embed", "applet",
	"form", "input", "button", "select", "textarea", "nav", "aside", "svg", "canvas", "link", "meta",
	"[class*=share-bar]", "[class*=sharebar]", "[class*=social-share]",
}

// Extract finds the story in page, an HTML document in UTF-8 served from
// pageURL.
func Extract(page []byte, pageURL *url.URL) (*Story, error) {
	if err := checkComplexity(page); err != nil {
		return nil, err
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		return nil, fmt.Errorf("article: parsing page: %w", err)
	}
	meta := readMeta(doc, pageURL)
	for _, r := range rules {
		if doc.Find(r.detect).Length() == 0 {
			continue
		}
		var s *Story
		if r.extract != nil {
			s, err = r.extract(doc, pageURL)
		} else {
			s, err = r.extractDOM(doc, pageURL)
		}
		if err != nil || strings.TrimSpace(s.Body) == "" {
			continue // a broken embed: the next rule may read the markup
		}
		s.Shape = r.name
		s.fillFrom(meta)
		return s, nil
	}
	if listPage(doc, pageURL) {
		return nil, ErrNotArticle
	}
	s, err := extractReadable(page, pageURL)
	if err != nil {
		return nil, err
	}
	// What the page declares beats what reader view guesses.
	meta.Shape, meta.Body = s.Shape, s.Body
	meta.fillFrom(s)
	return meta, nil
}

func (r *rule) extractDOM(doc *goquery.Document, page *url.URL) (*Story, error) {
	body := doc.Find(r.body).First()
	body.Find(strings.Join(append(r.drop, furniture...), ",")).Remove()
	s := &Story{
		Title:  text(doc.Find(r.title).First()),
		Byline: text(doc.Find(r.byline).First()),
	}
	if r.date != "" {
		d := doc.Find(r.date).First()
		s.Published = parseTime(firstNonEmpty(d.AttrOr("datetime", ""), text(d)))
	}
	if r.lead != "" {
		lead := doc.Find(r.lead).First()
		s.Image = &Image{
			Caption: text(lead.Find(r.leadCaption).First()),
			Credit:  text(lead.Find(r.leadCredit).First()),
		}
		img := lead.Find("img").First()
		s.Image.URL = imageSource(img)
		if s.Image.Caption == "" {
			s.Image.Caption = firstNonEmpty(img.AttrOr("alt", ""), img.AttrOr("title", ""))
		}
		if s.Image.URL == "" {
			s.Image = nil
		}
	}
	h, err := goquery.OuterHtml(body)
	if err != nil {
		return nil, err
	}
	s.Body = h
	return s, nil
}

// extractReadable reads a page of no known shape the way Firefox's reader
// view does.
func extractReadable(page []byte, pageURL *url.URL) (*Story, error) {
	art, err := readability.FromReader(bytes.NewReader(page), pageURL)
	if err != nil || art.Node == nil {
		return nil, ErrNoStory
	}
	var buf bytes.Buffer
	if err := art.RenderHTML(&buf); err != nil {
		return nil, fmt.Errorf("article: %w", err)
	}
	s := &Story{Shape: "readability", Title: art.Title(), Body: buf.String(), Byline: art.Byline()}
	if t, err := art.PublishedTime(); err == nil {
		s.Published = t
	}
	if t, err := art.ModifiedTime(); err == nil {
		s.Modified = t
	}
	return s, nil
}

// fillFrom fills what the story does not know from what the page's
// metadata says.
func (s *Story) fillFrom(m *Story) {
	s.Title = firstNonEmpty(s.Title, m.Title)
	s.ID = firstNonEmpty(s.ID, m.ID)
	if s.Published.IsZero() {
		s.Published = m.Published
	}
	if s.Modified.IsZero() {
		s.Modified = m.Modified
	}
	if len(s.Authors) == 0 {
		s.Authors = m.Authors
	}
	s.Byline = firstNonEmpty(s.Byline, m.Byline)
	s.Section = firstNonEmpty(s.Section, m.Section)
	if len(s.Tags) == 0 {
		s.Tags = m.Tags
	}
	s.Description = firstNonEmpty(s.Description, m.Description)
	s.Audio = firstNonEmpty(s.Audio, m.Audio)
}

// imageSource is an img's URL, including the lazy-loading attributes that
// sites put the real URL in.
func imageSource(img *goquery.Selection) string {
	for _, attr := range []string{"data-src", "data-original", "data-lazy-src", "data-url", "src"} {
		v := strings.TrimSpace(img.AttrOr(attr, ""))
		if v != "" && !strings.HasPrefix(v, "data:") {
			return v
		}
	}
	for _, attr := range []string{"srcset", "data-srcset"} {
		if u := srcsetURL(img.AttrOr(attr, "")); u != "" {
			return u
		}
	}
	return ""
}

// srcsetURL is the first URL of a srcset that is not a data: URL. A
// srcset is candidates separated by commas, each a URL and descriptors
// ("a.jpg 480w, b.jpg 2x"), read as the HTML standard reads them: a URL
// runs to the next white space, so a data: URL keeps its commas, and
// commas that end it are not part of it.
func srcsetURL(set string) string {
	const space = " \t\n\r\f"
	for s := set; ; {
		s = strings.TrimLeft(s, space+",")
		if s == "" {
			return ""
		}
		end := strings.IndexAny(s, space)
		if end < 0 {
			end = len(s)
		}
		u, rest := strings.TrimRight(s[:end], ","), s[end:]
		if len(u) == end {
			// Descriptors follow, up to the comma before the next
			// candidate.
			if i := strings.IndexByte(rest, ','); i >= 0 {
				rest = rest[i+1:]
			} else {
				rest = ""
			}
		}
		if u != "" && !strings.HasPrefix(u, "data:") {
			return u
		}
		s = rest
	}
}

// text is the text of a selection with runs of HTML whitespace made one
// space. Other spaces, such as the ideographic space that separates the
// parts of a Chinese credit line, are text.
func text(s *goquery.Selection) string {
	return collapseSpace(s.Text())
}

func collapseSpace(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
	}), " ")
}

// plain turns a snippet of HTML into its text.
func plain(h string) string {
	if !strings.ContainsAny(h, "<&") {
		return strings.TrimSpace(h)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(h))
	if err != nil {
		return strings.TrimSpace(html.UnescapeString(h))
	}
	return text(doc.Selection)
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			return v
		}
	}
	return ""
}

// parseTime reads the dates pages carry: ISO 8601 in its common forms, and
// the bare dates of old pages (midnight UTC).
func parseTime(v string) time.Time {
	v = strings.TrimSpace(v)
	for _, layout := range []string{
		time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02 15:04:05",
		"2006-01-02T15:04Z07:00", "2006-01-02", time.RFC1123Z, time.RFC1123, "2006/01/02", "2006.01.02",
	} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}
