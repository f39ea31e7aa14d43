package feeds

import (
	"bytes"
	"fmt"
	"mime"
	"regexp"
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
	return body, nil
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
