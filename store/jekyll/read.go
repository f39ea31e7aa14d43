package jekyll

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Reading the front matter of 100,000 posts with a YAML parser takes
// seconds; a fresh clone of a large archive must open in a few. Posts
// archiver writes, and the earlier tool's, have plain front matter: a
// "key: value" a line, each value a plain or quoted string. quickHead
// reads those lines itself, and leaves anything else to the YAML parser.

// identityKeys are the front matter keys QuickHead reads, each with a
// bit of its own.
var identityKeys = map[string]uint{KeyTitle: 1, KeyFrom: 2, KeyGUID: 4, KeyFeed: 8, KeySourceID: 16, KeyAlso: 32}

// QuickHead reads what the front matter at the start of data says of the
// post's identity: its title, from, also_from, guid, feed and source_id;
// Fields, Date and Body stay empty. It reads it only if it is all plain
// lines and ends within data; else it says not ok, and ReadFrontMatter
// reads it. A fresh clone reads a million front matters with it: it
// makes no string of a line it does not keep.
func QuickHead(data []byte) (*FrontMatter, bool) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	rest, ok := bytes.CutPrefix(data, []byte("---\n"))
	if !ok {
		return nil, false
	}
	p := &FrontMatter{}
	var seen uint
	keys := 0
	for {
		line, after, found := bytes.Cut(rest, []byte("\n"))
		if !found {
			return nil, false // the front matter goes on past what was read
		}
		rest = after
		l := bytes.TrimRight(line, " \t\r")
		if bytes.ContainsAny(l, yamlBreaks) {
			return nil, false // a line YAML breaks in two: it is YAML's to read
		}
		switch {
		case string(l) == "---" || string(l) == "...":
			return p, true
		case len(l) == 0 || l[0] == '#':
			continue
		case (l[0] == ' ' || l[0] == '\t' || l[0] == '-') && keys > 0:
			continue // more of a value of another key (a block list of tags)
		case l[0] == ' ' || l[0] == '\t' || l[0] == '-':
			return nil, false
		}
		keys++
		key, raw, ok := bytes.Cut(l, []byte(":"))
		if !ok || !plainKey(key) || len(raw) > 0 && raw[0] != ' ' {
			return nil, false
		}
		bit := identityKeys[string(key)]
		if bit == 0 {
			continue
		}
		if next := bytes.TrimLeft(after, "\r\n"); seen&bit != 0 || len(next) > 0 && (next[0] == ' ' || next[0] == '\t' || next[0] == '-') && !endLine(next) {
			return nil, false // a key twice, or a value over several lines
		}
		seen |= bit
		if !p.set(string(key), string(bytes.TrimSpace(raw))) {
			return nil, false
		}
	}
}

// yamlBreaks are the characters other than \n that YAML takes for a
// line break: CR alone, NEL, LS and PS.
const yamlBreaks = "\r\u0085\u2028\u2029"

// endLine reports whether data starts with the line that ends the front
// matter.
func endLine(data []byte) bool {
	line, _, _ := bytes.Cut(data, []byte("\n"))
	line = bytes.TrimRight(line, " \t\r")
	return string(line) == "---" || string(line) == "..."
}

// set sets the field of key to the YAML value raw, if it is a string
// (or, for KeyAlso, a list of them) in a form quickHead knows.
func (p *FrontMatter) set(key, raw string) bool {
	if key == KeyAlso {
		list, open := strings.CutPrefix(raw, "[")
		list, closed := strings.CutSuffix(list, "]")
		if !open || !closed {
			return false
		}
		p.Also = nil
		for item := range strings.SplitSeq(list, ",") {
			v, ok := quickString(strings.TrimSpace(item))
			if !ok || strings.ContainsAny(v, ",[]") {
				return false
			}
			if v != "" {
				p.Also = append(p.Also, v)
			}
		}
		return true
	}
	v, ok := quickString(raw)
	if !ok {
		return false
	}
	switch key {
	case KeyTitle:
		p.Title = v
	case KeyFrom:
		p.From = v
	case KeyGUID:
		p.GUID = v
	case KeyFeed:
		p.Feed = v
	case KeySourceID:
		p.SourceID = v
	}
	return true
}

// quickString is the YAML scalar raw as a string: double-quoted without
// escapes, single-quoted, or plain and beginning with a letter (so
// neither a number, a date, nor a symbol of YAML's), and not a null or a
// boolean.
func quickString(raw string) (string, bool) {
	switch {
	case len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"':
		v := raw[1 : len(raw)-1]
		return v, !strings.ContainsAny(v, `"\`)
	case len(raw) >= 2 && raw[0] == '\'' && raw[len(raw)-1] == '\'':
		v := raw[1 : len(raw)-1]
		if strings.Contains(strings.ReplaceAll(v, "''", ""), "'") {
			return "", false
		}
		return strings.ReplaceAll(v, "''", "'"), true
	}
	r, _ := utf8.DecodeRuneInString(raw)
	if !unicode.IsLetter(r) || strings.Contains(raw, ": ") || strings.Contains(raw, " #") || !utf8.ValidString(raw) {
		return "", false
	}
	switch strings.ToLower(raw) {
	case "null", "true", "false", "yes", "no", "on", "off", "y", "n":
		return "", false
	}
	return raw, true
}

// plainKey reports whether key is a plain front matter key.
func plainKey(key []byte) bool {
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if !(c == '_' || c == '-' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}
