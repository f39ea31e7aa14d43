package article

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/html"
)

// A page within the size limit can still be built to be expensive: a
// million tiny elements make a tree of a million nodes, gigabytes to
// build and seconds to walk at every step. So can what is no start tag:
// a stray end tag (</p> makes an empty p), a comment, a tag in an SVG's
// style (which a tokenizer takes for text, and the parser for elements).
// Before a page is parsed into a tree, every tag of it is counted (each
// begins with a "<", and the parser makes a bounded number of nodes of
// each), then a pass of the tokenizer, which holds one token at a time,
// counts its elements and attributes; a page with more than any story has
// is refused.

// The most tags, elements and attributes of a page that is read. A long
// RFA story page has a few thousand elements.
const (
	maxTags       = 100_000
	maxElements   = 50_000
	maxAttributes = 200_000
	maxStory      = 2 << 20 // bytes of a story's HTML: a long story has a hundred KiB
)

// ErrTooComplex means a page has more elements than a page to be read.
var ErrTooComplex = errors.New("the page is built of more elements than a story page has")

// checkComplexity refuses an HTML document of more than maxTags tags,
// maxElements elements or maxAttributes attributes.
func checkComplexity(doc []byte) error {
	if bytes.Count(doc, []byte("<")) > maxTags {
		return fmt.Errorf("%w (more than %d tags, comments and end tags)", ErrTooComplex, maxTags)
	}
	z := html.NewTokenizer(bytes.NewReader(doc))
	elements, attributes := 0, 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil // the end, or nothing the parser will make much of
		case html.StartTagToken, html.SelfClosingTagToken:
			elements++
			for _, more := z.TagName(); more; {
				_, _, more = z.TagAttr()
				attributes++
			}
			if elements > maxElements || attributes > maxAttributes {
				return fmt.Errorf("%w (more than %d elements or %d attributes)", ErrTooComplex, maxElements, maxAttributes)
			}
		}
	}
}

// hasText reports whether the HTML of a story's body has any text, or an
// image or a player, outside scripts and styles.
func hasText(body string) bool {
	z := html.NewTokenizer(strings.NewReader(body))
	hidden := 0 // depth in script, style, template
	for {
		switch tt := z.Next(); tt {
		case html.ErrorToken:
			return false
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "template":
				if tt == html.StartTagToken {
					hidden++
				}
			case "img", "video", "audio", "iframe", "picture":
				if hidden == 0 {
					return true
				}
			}
		case html.EndTagToken:
			switch name, _ := z.TagName(); string(name) {
			case "script", "style", "template":
				hidden = max(hidden-1, 0)
			}
		case html.TextToken:
			if hidden == 0 && strings.TrimSpace(string(z.Text())) != "" {
				return true
			}
		}
	}
}
