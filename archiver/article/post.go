package article

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/rfa-archive/archiver/feeds"
)

// Defaults are the front matter values a post gets whatever its article:
// the earlier tool's, unless the configuration says otherwise.
type Defaults struct {
	Layout     string
	Author     string
	Tags       []string
	Categories []string
	Comments   bool
}

// Post is one article as the archive keeps it: a Jekyll post.
type Post struct {
	Defaults

	Title       string
	URL         string    // the article's canonical URL: front matter "from"
	Also        []string  // other URLs it is known by (a story the site moved): "also_from"
	Date        time.Time // publication
	Modified    time.Time
	Byline      string
	Section     string
	Description string
	Image       string
	Audio       string
	SourceID    string // the publisher's id of the story
	GUID        string // the feed entry's guid, or its link
	Feed        string // the feed it came from
	Body        string // Markdown
}

// DateFormat is the form of front matter dates: ISO 8601 in UTC with
// milliseconds, as the earlier tool wrote them.
const DateFormat = "2006-01-02T15:04:05.000Z"

// Render returns the post's file: YAML front matter, then the header the
// earlier tool wrote ([title](from) and a line of dashes), then the story.
func (p *Post) Render() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p.frontMatter()); err != nil {
		return nil, fmt.Errorf("article: writing front matter: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("article: writing front matter: %w", err)
	}
	b.WriteString("---\n")
	b.WriteString("[" + linkText(OneLine(p.Title)) + "](" + linkDestination(p.URL) + ")\n------\n\n")
	if p.Body != "" {
		b.WriteString(p.Body)
		b.WriteString("\n")
	}
	return b.Bytes(), nil
}

// frontMatter is the post's front matter: the earlier tool's keys in its
// order, then ours. Every value is tagged, so that no title reads as a
// number, a date or a boolean.
func (p *Post) frontMatter() *yaml.Node {
	fm := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		fm.Content = append(fm.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, value)
	}
	str := func(key, v string) {
		add(key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
	}
	optional := func(key, v string) {
		if v != "" {
			str(key, v)
		}
	}
	list := func(key string, vs []string) {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, v := range vs {
			seq.Content = append(seq.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v})
		}
		add(key, seq)
	}
	timestamp := func(key string, t time.Time) {
		add(key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!timestamp", Value: t.UTC().Format(DateFormat)})
	}
	boolean := func(key string, v bool) {
		add(key, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: map[bool]string{true: "True", false: "False"}[v]})
	}

	str("layout", p.Layout)
	add("title", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Title, Style: yaml.DoubleQuotedStyle})
	timestamp("date", p.Date)
	str("author", p.Author)
	str("from", p.URL)
	list("tags", p.Tags)
	boolean("comments", p.Comments)
	list("categories", p.Categories)
	if !p.Modified.IsZero() && !p.Modified.Equal(p.Date) {
		timestamp("last_modified_at", p.Modified)
	}
	optional("byline", p.Byline)
	optional("section", p.Section)
	optional("description", p.Description)
	optional("image", p.Image)
	optional("audio", p.Audio)
	optional("source_id", p.SourceID)
	if len(p.Also) > 0 {
		list("also_from", p.Also)
	}
	optional("guid", p.GUID)
	optional("feed", p.Feed)
	// Stories are text: {{ }} and {% %} in them are not Liquid.
	boolean("render_with_liquid", false)
	return fm
}

// linkText escapes a title for the text of a Markdown link, so that it
// shows as written in CommonMark and in kramdown.
func linkText(s string) string {
	var b strings.Builder
	for _, r := range collapseSpace(s) {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '\\', '[', ']', '*', '_', '`', '{', '}', '$', '|', '!', '~', '#', '>':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// linkDestination escapes what would end a Markdown link destination.
func linkDestination(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "\n", "", "\r", "").Replace(u)
}

// FileName is the post's file name in _posts: the publication date in loc,
// then the slug.
func (p *Post) FileName(loc *time.Location) string {
	return p.Date.In(loc).Format("2006-01-02") + "-" + Slug(p.URL) + ".md"
}

// AltFileName is the file name for a post whose FileName is taken by
// another article: the slug with the URL's hash after it.
func (p *Post) AltFileName(loc *time.Location) string {
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
