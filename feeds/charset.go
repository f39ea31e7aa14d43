package feeds

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/transform"
)

// xmlDecl matches an XML declaration's encoding pseudo-attribute.
var xmlDecl = regexp.MustCompile(`^(\s*<\?xml[^>]*?\sencoding\s*=\s*)(["'])([A-Za-z0-9._:-]+)(["'])`)

// toUTF8 decodes a feed to UTF-8. The charset comes from a byte order mark,
// else the Content-Type header, else the XML declaration (RFC 7303's order);
// without any, the feed must be UTF-8. The declaration is rewritten to say
// UTF-8, so that the XML parser does not decode a second time.
func toUTF8(body []byte, contentType string) ([]byte, error) {
	label := ""
	if e, name, certain := charset.DetermineEncoding(body, ""); certain && e != nil {
		label = name // a byte order mark
	} else if _, params, err := mime.ParseMediaType(contentType); err == nil && params["charset"] != "" {
		label = params["charset"]
	} else if m := xmlDecl.FindSubmatch(body); m != nil {
		label = string(m[3])
	}
	label = strings.ToLower(strings.TrimSpace(label))

	if label != "" && label != "utf-8" && label != "utf8" {
		enc, name := charset.Lookup(label)
		if enc == nil {
			return nil, fmt.Errorf("the feed's charset %q is unknown", label)
		}
		if name != "utf-8" {
			decoded, _, err := transform.Bytes(enc.NewDecoder(), body)
			if err != nil {
				return nil, fmt.Errorf("decoding the feed from %s: %w", name, err)
			}
			body = decoded
		}
	}
	body = bytes.TrimPrefix(body, []byte("\uFEFF"))
	body = xmlDecl.ReplaceAll(body, []byte("${1}${2}UTF-8${4}"))
	if !utf8.Valid(body) {
		at := invalidAt(body)
		return nil, fmt.Errorf("the feed is not valid UTF-8 (first bad byte at offset %d) and declares no other charset", at)
	}
	return dropBadCharRefs(body), nil
}

func invalidAt(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// looksLikeHTML reports whether a body is an HTML page rather than a feed.
func looksLikeHTML(body []byte) bool {
	head := body[:min(len(body), 512)]
	head = bytes.ToLower(bytes.TrimLeft(head, " \t\r\n"))
	for bytes.HasPrefix(head, []byte("<!--")) {
		end := bytes.Index(head, []byte("-->"))
		if end < 0 {
			break
		}
		head = bytes.TrimLeft(head[end+3:], " \t\r\n")
	}
	return bytes.HasPrefix(head, []byte("<!doctype html")) || bytes.HasPrefix(head, []byte("<html"))
}

// badCharRef matches a character reference to a character XML 1.0 does not
// allow (a control character, a surrogate, U+FFFE, U+FFFF): one such in an
// entry's title makes the XML parser refuse the whole feed.
var badCharRef = regexp.MustCompile(`&#(?:[0-9]+|[xX][0-9a-fA-F]+);`)

// dropBadCharRefs removes the character references of characters XML does
// not allow, outside CDATA sections (where &# is text), and keeps the rest.
func dropBadCharRefs(body []byte) []byte {
	if !bytes.Contains(body, []byte("&#")) {
		return body
	}
	var out []byte
	for len(body) > 0 {
		text, cdata, _ := bytes.Cut(body, []byte("<![CDATA["))
		out = append(out, badCharRef.ReplaceAllFunc(text, func(ref []byte) []byte {
			if allowedInXML(ref) {
				return ref
			}
			return nil
		})...)
		if len(cdata) == 0 && len(text) == len(body) {
			break
		}
		section, rest, closed := bytes.Cut(cdata, []byte("]]>"))
		out = append(out, "<![CDATA["...)
		out = append(out, section...)
		if closed {
			out = append(out, "]]>"...)
		}
		body = rest
	}
	return out
}

// allowedInXML reports whether the character a reference (&#8; &#x1F;)
// names is one XML 1.0 allows.
func allowedInXML(ref []byte) bool {
	digits, base := string(ref[2:len(ref)-1]), 10
	if digits[0] == 'x' || digits[0] == 'X' {
		digits, base = digits[1:], 16
	}
	n, err := strconv.ParseUint(digits, base, 32)
	switch {
	case err != nil:
		return true // too large: the parser says so, as it would have
	case n == 0x9 || n == 0xA || n == 0xD:
		return true
	case n < 0x20, n >= 0xD800 && n <= 0xDFFF, n == 0xFFFE, n == 0xFFFF:
		return false
	}
	return true
}
