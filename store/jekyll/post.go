package jekyll

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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
// It reads what it wrote back, the cheap part of archiver verify: a post
// that would not round-trip is an error, never a file.
func (p *Post) Render() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("---\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(p.frontMatter()); err != nil {
		return nil, fmt.Errorf("jekyll: writing front matter: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("jekyll: writing front matter: %w", err)
	}
	b.WriteString("---\n")
	b.WriteString("[" + linkText(OneLine(p.Title)) + "](" + linkDestination(p.URL) + ")\n------\n\n")
	if p.Body != "" {
		b.WriteString(literal(p.Body))
		b.WriteString("\n")
	}
	fm, err := Parse(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("jekyll: internal error: the post does not parse back: %w", err)
	}
	if fm.Title != p.Title || fm.From != p.URL || !fm.Date.Equal(p.Date.Truncate(time.Millisecond)) {
		return nil, fmt.Errorf("jekyll: internal error: the post's front matter does not round-trip (title %q, from %q)", p.Title, p.URL)
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

	str(KeyLayout, p.Layout)
	add(KeyTitle, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p.Title, Style: yaml.DoubleQuotedStyle})
	timestamp(KeyDate, p.Date)
	str(KeyAuthor, p.Author)
	str(KeyFrom, p.URL)
	list(KeyTags, p.Tags)
	boolean(KeyComments, p.Comments)
	list(KeyCategories, p.Categories)
	if !p.Modified.IsZero() && !p.Modified.Equal(p.Date) {
		timestamp(KeyModified, p.Modified)
	}
	optional(KeyByline, p.Byline)
	optional(KeySection, p.Section)
	optional(KeyDescription, p.Description)
	optional(KeyImage, p.Image)
	optional(KeyAudio, p.Audio)
	optional(KeySourceID, p.SourceID)
	if len(p.Also) > 0 {
		list(KeyAlso, p.Also)
	}
	optional(KeyGUID, p.GUID)
	optional(KeyFeed, p.Feed)
	return fm
}

// Stories are text: {{ }} and {% %} in them are not Liquid. A body that
// holds either is in a raw block, which every Jekyll honours (GitHub Pages
// builds with Jekyll 3, which ignores render_with_liquid); the end of a
// raw block in the story is written by Liquid itself, outside the block.
// Most stories hold neither, and read on a forge without the block's
// lines.

// endRaw is an end of a raw block, as Liquid reads one.
var endRaw = regexp.MustCompile(`\{%-?\s*endraw\s*-?%\}`)

// literal is body as Liquid shows it as written.
func literal(body string) string {
	if !strings.Contains(body, "{{") && !strings.Contains(body, "{%") {
		return body
	}
	body = endRaw.ReplaceAllStringFunc(body, func(end string) string {
		return `{% endraw %}{{ "{%" }}` + end[2:] + `{% raw %}`
	})
	return "{% raw %}\n" + body + "\n{% endraw %}"
}

// linkText escapes a title, one line (OneLine), for the text of a
// Markdown link, so that it shows as written in CommonMark and in
// kramdown, and holds nothing Liquid reads.
func linkText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '{': // not \{: Liquid would see {% or {{ in \{%
			b.WriteString("&#123;")
		case '}':
			b.WriteString("&#125;")
		case '\\', '[', ']', '*', '_', '`', '$', '|', '!', '~', '#', '>':
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
