package article

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/marker"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
)

// newConverter returns the HTML to Markdown converter. One is safe for
// concurrent use.
func newConverter() *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(
			commonmark.WithLinkEmptyHrefBehavior(commonmark.LinkBehaviorSkip),
			commonmark.WithLinkEmptyContentBehavior(commonmark.LinkBehaviorSkip),
			commonmark.WithListEndComment(false), // no HTML comments in posts
		),
		table.NewTablePlugin(),
		strikethrough.NewStrikethroughPlugin(),
		kramdownPlugin{},
	))
}

// kramdownPlugin escapes what Jekyll's Markdown (kramdown) reads as syntax
// beyond CommonMark: $$ (maths), {: (attribute lists and extensions), any |
// (a line with one is a table row) and a : at the start of a line (a
// definition). A backslash escape means the same in both.
type kramdownPlugin struct{}

func (kramdownPlugin) Name() string { return "kramdown" }

func (kramdownPlugin) Init(conv *converter.Converter) error {
	conv.Register.EscapedChar('$', '{', '|', ':')
	conv.Register.UnEscaper(func(chars []byte, i int) int {
		switch chars[i] {
		case '$':
			if next(chars, i) == '$' {
				return 1
			}
		case '{':
			if next(chars, i) == ':' {
				return 1
			}
		case '|':
			return 1
		case ':':
			if atLineStart(chars, i) {
				return 1
			}
		}
		return -1
	}, converter.PriorityStandard)
	return nil
}

// placeholder is the byte html-to-markdown puts before each character it
// may escape; the helpers below look past it.
const placeholder = byte(marker.MarkerEscaping)

func next(chars []byte, i int) byte {
	for j := i + 1; j < len(chars); j++ {
		if chars[j] != placeholder {
			return chars[j]
		}
	}
	return 0
}

func atLineStart(chars []byte, i int) bool {
	for j := i - 1; j >= 0; j-- {
		switch chars[j] {
		case placeholder, ' ', '\t':
			continue
		case '\n':
			return true
		default:
			return false
		}
	}
	return true
}

var blankLines = regexp.MustCompile(`\n{3,}`)

// toMarkdown converts a cleaned story to Markdown.
func toMarkdown(conv *converter.Converter, root *html.Node, pageURL string) (string, error) {
	md, err := conv.ConvertNode(root, converter.WithDomain(pageURL))
	if err != nil {
		return "", fmt.Errorf("converting to Markdown: %w", err)
	}
	md = blankLines.ReplaceAll(bytes.TrimSpace(md), []byte("\n\n"))
	return string(md), nil
}
