package article

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// ansStory is the part of an Arc XP ANS story that archiver reads.
type ansStory struct {
	ID           string `json:"_id"`
	Type         string `json:"type"`
	CanonicalURL string `json:"canonical_url"`
	WebsiteURL   string `json:"website_url"`
	Website      string `json:"website"`
	Websites     map[string]struct {
		WebsiteURL string `json:"website_url"`
	} `json:"websites"`
	Headlines struct {
		Basic string `json:"basic"`
	} `json:"headlines"`
	Description struct {
		Basic string `json:"basic"`
	} `json:"description"`
	DisplayDate      string     `json:"display_date"`
	FirstPublishDate string     `json:"first_publish_date"`
	PublishDate      string     `json:"publish_date"`
	CreatedDate      string     `json:"created_date"`
	LastUpdatedDate  string     `json:"last_updated_date"`
	Credits          ansCredits `json:"credits"`
	Taxonomy         struct {
		PrimarySection struct {
			Name string `json:"name"`
		} `json:"primary_section"`
		Tags []struct {
			Text string `json:"text"`
		} `json:"tags"`
	} `json:"taxonomy"`
	PromoItems struct {
		Basic *ansElement `json:"basic"`
	} `json:"promo_items"`
	ContentElements []ansElement `json:"content_elements"`
}

type ansCredits struct {
	By []struct {
		Name   string `json:"name"`
		Byline string `json:"byline"`
	} `json:"by"`
}

func (c ansCredits) names() []string {
	var names []string
	for _, b := range c.By {
		names = append(names, firstNonEmpty(b.Name, b.Byline))
	}
	return compact(names)
}

// ansElement is one element of content_elements (or a promo item).
type ansElement struct {
	Type            string         `json:"type"`
	Content         string         `json:"content"`
	Level           int            `json:"level"`
	URL             string         `json:"url"`
	Caption         string         `json:"caption"`
	AltText         string         `json:"alt_text"`
	Credits         ansCredits     `json:"credits"`
	ListType        string         `json:"list_type"`
	Items           []ansElement   `json:"items"`
	ContentElements []ansElement   `json:"content_elements"`
	Citation        *ansElement    `json:"citation"`
	PromoImage      *ansElement    `json:"promo_image"`
	Header          []ansElement   `json:"header"`
	Rows            [][]ansElement `json:"rows"`
}

const fusionMarker = "Fusion.globalContent="

// extractANS decodes the ANS story that Arc pages embed in
// <script id="fusion-metadata"> as Fusion.globalContent={...};
func extractANS(doc *goquery.Document, page *url.URL) (*Story, error) {
	script := doc.Find("script#fusion-metadata").Text()
	i := strings.Index(script, fusionMarker)
	if i < 0 {
		return nil, errors.New("no Fusion.globalContent")
	}
	// The story is one JSON value followed by more script: decode just it.
	dec := json.NewDecoder(strings.NewReader(script[i+len(fusionMarker):]))
	var a ansStory
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("decoding ANS: %w", err)
	}
	if a.Type != "" && a.Type != "story" {
		return nil, fmt.Errorf("ANS content is a %q, not a story", a.Type)
	}
	return a.story(), nil
}

// ErrNotANSStory means content from an Arc content API is not a story
// (a gallery, a video).
var ErrNotANSStory = errors.New("not an ANS story")

// FromANS reads a story of an Arc site's content API: its ANS, and the
// URL of its page on site, whose website is the Arc site id.
func FromANS(data []byte, site *url.URL, website string) (*Story, *url.URL, error) {
	var a ansStory
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, nil, fmt.Errorf("decoding ANS: %w", err)
	}
	if a.Type != "" && a.Type != "story" {
		return nil, nil, fmt.Errorf("%w: a %q", ErrNotANSStory, a.Type)
	}
	path := firstNonEmpty(a.Websites[website].WebsiteURL, a.CanonicalURL, a.WebsiteURL)
	if path == "" {
		return nil, nil, fmt.Errorf("%w: it has no URL (ANS %s)", ErrNotANSStory, a.ID)
	}
	page, err := site.Parse(path)
	if err != nil || page.Host == "" {
		return nil, nil, fmt.Errorf("%w: its URL %q (ANS %s)", ErrNotANSStory, path, a.ID)
	}
	s := a.story()
	s.Shape = "arc-api"
	return s, page, nil
}

// storyDate is the first of dates that is a date a story can have: one
// that reads as a date, of no year before the first of the archive's
// (an ANS date of year 1 is none). Zero if none is.
func storyDate(dates ...string) time.Time {
	for _, d := range dates {
		if t := parseTime(d); !t.IsZero() && t.Year() >= earliestYear {
			return t
		}
	}
	return time.Time{}
}

// earliestYear is the year before which no story of a news site is dated.
const earliestYear = 1970

// ErrNoDate means a story has no date it could be archived under.
var ErrNoDate = errors.New("the story has no date to archive it under (display_date, first_publish_date, publish_date, created_date)")

// story is the Story a decoded ANS story tells.
func (a *ansStory) story() *Story {
	s := &Story{
		Title:       strings.TrimSpace(a.Headlines.Basic),
		ID:          a.ID,
		Published:   storyDate(a.DisplayDate, a.FirstPublishDate, a.PublishDate, a.CreatedDate),
		Modified:    parseTime(a.LastUpdatedDate),
		Authors:     a.Credits.names(),
		Section:     strings.TrimSpace(a.Taxonomy.PrimarySection.Name),
		Description: plain(a.Description.Basic),
	}
	for _, t := range a.Taxonomy.Tags {
		s.Tags = append(s.Tags, t.Text)
	}
	s.Tags = compact(s.Tags)
	if p := a.PromoItems.Basic; p != nil {
		if p.Type != "image" && p.PromoImage != nil {
			p = p.PromoImage
		}
		if p.URL != "" && (p.Type == "image" || p.Type == "") {
			s.Image = &Image{URL: p.URL, Caption: plain(firstNonEmpty(p.Caption, p.AltText)), Credit: strings.Join(p.Credits.names(), "、")}
		}
	}
	var b strings.Builder
	for _, e := range a.ContentElements {
		writeANS(&b, e)
	}
	s.Body = b.String()
	return s
}

// writeANS writes one content element as HTML. Elements that are not the
// story (related links, ads) or that cannot be kept (embedded players) are
// left out.
func writeANS(b *strings.Builder, e ansElement) {
	switch e.Type {
	case "text", "correction":
		if strings.TrimSpace(e.Content) != "" {
			b.WriteString("<p>" + e.Content + "</p>")
		}
	case "header":
		level := min(max(e.Level, 1), 6)
		fmt.Fprintf(b, "<h%d>%s</h%d>", level, e.Content, level)
	case "image":
		figureHTML(b, &Image{URL: e.URL, Caption: plain(firstNonEmpty(e.Caption, e.AltText)), Credit: strings.Join(e.Credits.names(), "、")})
	case "list":
		tag := "ul"
		if e.ListType == "ordered" {
			tag = "ol"
		}
		b.WriteString("<" + tag + ">")
		for _, it := range e.Items {
			b.WriteString("<li>")
			if it.Type == "list" {
				writeANS(b, it)
			} else {
				b.WriteString(it.Content)
			}
			b.WriteString("</li>")
		}
		b.WriteString("</" + tag + ">")
	case "quote", "blockquote":
		b.WriteString("<blockquote>")
		for _, c := range e.ContentElements {
			writeANS(b, c)
		}
		if e.Citation != nil && strings.TrimSpace(e.Citation.Content) != "" {
			b.WriteString("<p>— " + e.Citation.Content + "</p>")
		}
		b.WriteString("</blockquote>")
	case "raw_html":
		b.WriteString("<div>" + e.Content + "</div>") // the sanitizer keeps only what is safe
	case "table":
		b.WriteString("<table><thead><tr>")
		for _, h := range e.Header {
			b.WriteString("<th>" + h.Content + "</th>")
		}
		b.WriteString("</tr></thead><tbody>")
		for _, row := range e.Rows {
			b.WriteString("<tr>")
			for _, c := range row {
				b.WriteString("<td>" + c.Content + "</td>")
			}
			b.WriteString("</tr>")
		}
		b.WriteString("</tbody></table>")
	case "divider":
		b.WriteString("<hr>")
	}
}

// figureHTML writes an image as a figure whose img alt and figcaption are
// the caption, the credit after it.
func figureHTML(b *strings.Builder, img *Image) {
	if img == nil || img.URL == "" {
		return
	}
	caption := captionText(img)
	b.WriteString(`<figure><img src="` + html.EscapeString(img.URL) + `" alt="` + html.EscapeString(caption) + `">`)
	if caption != "" {
		b.WriteString("<figcaption>" + html.EscapeString(caption) + "</figcaption>")
	}
	b.WriteString("</figure>")
}

// captionText is a caption with its credit in full-width brackets, unless
// the caption already names it.
func captionText(img *Image) string {
	caption := strings.TrimSpace(img.Caption)
	credit := strings.TrimSpace(img.Credit)
	if credit == "" || strings.Contains(caption, credit) {
		return caption
	}
	if caption == "" {
		return credit
	}
	return caption + "（" + credit + "）"
}
