package jekyll

import (
	"regexp"
	"strings"
	"unicode"
)

// A post is text a reader can open: valid UTF-8, with no control
// characters but the new lines and tabs of its body. Its header line
// ([title](from)) is one line, as a commit message's are. Format
// characters (bidi marks, zero width joiners) are the story's text, and
// stay.

// cleanText is s as a post holds it: a byte that is not UTF-8 becomes
// U+FFFD, and control characters go; when multiline is false, line
// breaks become spaces.
func cleanText(s string, multiline bool) string {
	s = stripEscapes(strings.ToValidUTF8(s, "\uFFFD"))
	return strings.Map(func(r rune) rune {
		switch {
		case multiline && (r == '\n' || r == '\t'):
			return r
		case r == '\n' || r == '\r' || r == '\t' || r == '\u2028' || r == '\u2029':
			return ' '
		case unicode.Is(unicode.Cc, r):
			return -1
		}
		return r
	}, s)
}

// OneLine makes s one line of a commit message or a post's header: no
// control, format (bidi, zero width) or line-breaking characters, runs of
// space made one, a byte that is not UTF-8 made U+FFFD.
func OneLine(s string) string {
	return strings.Join(strings.FieldsFunc(stripEscapes(strings.ToValidUTF8(s, "\uFFFD")), func(r rune) bool {
		return r == ' ' || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
	}), " ")
}

// Clean makes the post's text fields text a reader can open.
func (p *Post) Clean() {
	for _, f := range []*string{&p.Title, &p.Byline, &p.Section, &p.Description, &p.Image, &p.Audio, &p.SourceID, &p.GUID, &p.Feed, &p.Author, &p.Layout} {
		*f = cleanText(*f, false)
	}
	for _, list := range [][]string{p.Tags, p.Categories} {
		for i := range list {
			list[i] = cleanText(list[i], false)
		}
	}
	p.Body = cleanText(p.Body, true)
}

// escapes are the terminal's escape sequences (ECMA-48), whole: a CSI
// sequence (ESC [ or U+009B, its parameters, its final byte), a string
// (OSC, DCS, SOS, PM, APC: ESC ] P X ^ _ or U+009D U+0090 U+0098 U+009E
// U+009F, to BEL or ST; one that does not end is text, less its
// introducer), and any other escape. Removing only their control
// characters would leave the rest visible ("[31mRED").
var escapes = regexp.MustCompile("(?:\x1b\\[|\u009b)[0-?]*[ -/]*[@-~]?" +
	"|(?:\x1b[\\]PX^_]|[\u009d\u0090\u0098\u009e\u009f])[^\x07\x1b\u009c]*(?:\x07|\u009c|\x1b\\\\)" +
	"|\x1b[ -/]*[0-~]?")

// stripEscapes removes the escape sequences of s.
func stripEscapes(s string) string {
	if !strings.ContainsAny(s, "\x1b\u009b\u009d\u0090\u0098\u009e\u009f") {
		return s
	}
	return escapes.ReplaceAllString(s, "")
}
