package feedstest

import (
	"html"
	"strings"
	"time"
)

// Format is the form of a feed document.
type Format int

// The forms of feed a Site serves.
const (
	RSS  Format = iota // RSS 2.0, as Arc XP writes it (content:encoded, dc:creator, media:content)
	Atom               // Atom 1.0
	RDF                // RSS 1.0
)

// Feed is a feed document.
type Feed struct {
	Format   Format
	Title    string
	Link     string // the site's home page
	Language string // e.g. zh
	Entries  []Entry
}

// Entry is one entry of a feed. Empty fields are left out.
type Entry struct {
	Title       string
	Link        string
	GUID        string // RSS guid, Atom id
	Published   time.Time
	Updated     time.Time
	Creator     string
	Description string // HTML: RSS description, Atom summary
	Content     string // HTML: the whole story (content:encoded)
	Image       string // a lead image's URL (media:content)
}

// XMLDecl starts every document XML writes.
const XMLDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// XML is the feed document, in UTF-8.
func (f Feed) XML() string {
	var b strings.Builder
	b.WriteString(XMLDecl + "\n")
	switch f.Format {
	case Atom:
		f.atom(&b)
	case RDF:
		f.rdf(&b)
	default:
		f.rss(&b)
	}
	return b.String()
}

// ContentType is the media type a site serves the feed with.
func (f Feed) ContentType() string {
	switch f.Format {
	case Atom:
		return "application/atom+xml; charset=utf-8"
	case RDF:
		return "application/rdf+xml; charset=utf-8"
	}
	return "application/rss+xml; charset=utf-8"
}

func (f Feed) rss(b *strings.Builder) {
	b.WriteString(`<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/"><channel>`)
	b.WriteString("<title>" + cdata(f.Title) + "</title>" + element("link", f.Link) + element("language", f.Language) + "\n")
	for _, e := range f.Entries {
		b.WriteString("<item>")
		if e.Title != "" {
			b.WriteString("<title>" + cdata(e.Title) + "</title>")
		}
		b.WriteString(element("link", e.Link) + element("guid", e.GUID))
		if e.Creator != "" {
			b.WriteString("<dc:creator>" + cdata(e.Creator) + "</dc:creator>")
		}
		if e.Description != "" {
			b.WriteString("<description>" + cdata(e.Description) + "</description>")
		}
		b.WriteString(element("pubDate", date(e.Published, time.RFC1123Z)))
		if e.Content != "" {
			b.WriteString("<content:encoded>" + cdata(e.Content) + "</content:encoded>")
		}
		if e.Image != "" {
			b.WriteString(`<media:content url="` + html.EscapeString(e.Image) + `" medium="image"/>`)
		}
		b.WriteString("</item>\n")
	}
	b.WriteString("</channel></rss>\n")
}

func (f Feed) atom(b *strings.Builder) {
	b.WriteString(`<feed xmlns="http://www.w3.org/2005/Atom">`)
	b.WriteString(element("title", f.Title) + element("id", f.Link) + `<link href="` + html.EscapeString(f.Link) + `" rel="alternate"/>` + "\n")
	for _, e := range f.Entries {
		b.WriteString("<entry>" + element("title", e.Title) + element("id", e.GUID))
		if e.Link != "" {
			b.WriteString(`<link href="` + html.EscapeString(e.Link) + `" rel="alternate"/>`)
		}
		b.WriteString(element("published", date(e.Published, time.RFC3339)) + element("updated", date(e.Updated, time.RFC3339)))
		if e.Creator != "" {
			b.WriteString("<author>" + element("name", e.Creator) + "</author>")
		}
		b.WriteString(element("summary", e.Description))
		if e.Content != "" {
			b.WriteString(`<content type="html">` + html.EscapeString(e.Content) + "</content>")
		}
		b.WriteString("</entry>\n")
	}
	b.WriteString("</feed>\n")
}

func (f Feed) rdf(b *strings.Builder) {
	b.WriteString(`<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">`)
	b.WriteString(`<channel rdf:about="` + html.EscapeString(f.Link) + `">` + element("title", f.Title) + element("link", f.Link) + "<items><rdf:Seq>")
	for _, e := range f.Entries {
		b.WriteString(`<rdf:li rdf:resource="` + html.EscapeString(e.Link) + `"/>`)
	}
	b.WriteString("</rdf:Seq></items></channel>\n")
	for _, e := range f.Entries {
		b.WriteString(`<item rdf:about="` + html.EscapeString(e.Link) + `">` + element("title", e.Title) + element("link", e.Link) +
			element("description", e.Description) + element("dc:date", date(e.Published, time.RFC3339)) + "</item>\n")
	}
	b.WriteString("</rdf:RDF>\n")
}

// element is <name>text</name>, or nothing for no text.
func element(name, text string) string {
	if text == "" {
		return ""
	}
	return "<" + name + ">" + html.EscapeString(text) + "</" + name + ">"
}

// cdata is s as CDATA, which holds any text.
func cdata(s string) string {
	return "<![CDATA[" + strings.ReplaceAll(s, "]]>", "]]]]><![CDATA[>") + "]]>"
}

func date(t time.Time, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(layout)
}
