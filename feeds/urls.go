package feeds

import (
	"net"
	"net/url"
	"strings"
	"unicode"
)

// trackingParams are query parameters that say where a reader came from,
// not which article they read. Any utm_* parameter is one too.
var trackingParams = map[string]bool{
	"fbclid": true, "gclid": true, "dclid": true, "msclkid": true, "yclid": true,
	"mc_cid": true, "mc_eid": true, "_ga": true, "igshid": true, "spm": true,
}

// Clean is rawURL as CleanURL writes it, or as it is when it is no
// absolute http(s) URL.
func Clean(rawURL string) string {
	if u, err := CleanURL(nil, rawURL); err == nil {
		return u.String()
	}
	return rawURL
}

// IsArticleURL reports whether rawURL can name an article, as a person
// gives it: an absolute http or https URL, on one line (space around it
// does not count).
func IsArticleURL(rawURL string) bool {
	_, err := CleanURL(nil, rawURL)
	return err == nil && !strings.ContainsFunc(strings.TrimSpace(rawURL), unicode.IsControl)
}

// CleanURL returns rawURL resolved against base (which may be nil), with
// scheme and host in lower case, the default port, the fragment and tracking
// parameters removed. It is the form an article's URL is shown and stored in.
// It fails for anything but an absolute http or https URL.
func CleanURL(base *url.URL, rawURL string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(rawURL))
	if err != nil {
		return nil, err
	}
	if base != nil {
		u = base.ResolveReference(u)
	} else if u.IsAbs() {
		u = u.ResolveReference(u) // removes . and .. segments
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" || u.Opaque != "" {
		return nil, &url.Error{Op: "parse", URL: rawURL, Err: errNotHTTP}
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	host := strings.ToLower(u.Hostname())
	if port := u.Port(); port != "" && !(u.Scheme == "http" && port == "80") && !(u.Scheme == "https" && port == "443") {
		host = net.JoinHostPort(host, port)
	} else if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	if u.Path == "" {
		u.Path = "/"
	}
	if strings.Contains(u.Path, "//") { // /d//x/ is /d/x/, as servers take it
		u.Path, u.RawPath = oneSlash(u.Path), oneSlash(u.RawPath)
	}
	if u.RawQuery != "" {
		q, dropped := u.Query(), false
		for k := range q {
			if strings.HasPrefix(strings.ToLower(k), "utm_") || trackingParams[strings.ToLower(k)] {
				q.Del(k)
				dropped = true
			}
		}
		if dropped {
			u.RawQuery = q.Encode()
		}
	}
	u.ForceQuery = false
	return u, nil
}

type urlError string

func (e urlError) Error() string { return string(e) }

const errNotHTTP = urlError("not an absolute http(s) URL")

// Key is the identity of an article URL: two URLs with the same Key are the
// same article. Beyond CleanURL it ignores the scheme, a leading "www.", a
// trailing slash and the escaping of the path. An unparseable URL is its own
// key.
func Key(rawURL string) string {
	if key, ok := plainKey(rawURL); ok {
		return key
	}
	u, err := CleanURL(nil, rawURL)
	if err != nil {
		return "raw:" + rawURL
	}
	host := strings.TrimPrefix(u.Host, "www.")
	path := strings.TrimSuffix(u.Path, "/") // decoded, so %7E and ~ agree
	key := host + path
	if u.RawQuery != "" {
		key += "?" + u.Query().Encode() // sorted
	}
	return key
}

// plainKey is Key of a URL as CleanURL writes them, without parsing it: a
// lower-case http(s) host without a port, a path of plain characters, no
// query, no fragment. Indexing a large archive keys every post's URL.
func plainKey(raw string) (string, bool) {
	rest, ok := strings.CutPrefix(raw, "https://")
	if !ok {
		if rest, ok = strings.CutPrefix(raw, "http://"); !ok {
			return "", false
		}
	}
	host, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host, path = rest[:i], rest[i:]
	}
	if host == "" || !plain(host, false) || !plain(path, true) {
		return "", false
	}
	if strings.Contains(path, "//") || strings.Contains(path+"/", "/./") || strings.Contains(path+"/", "/../") {
		return "", false // dot segments, empty ones: CleanURL's business
	}
	return strings.TrimPrefix(host, "www.") + strings.TrimSuffix(path, "/"), true
}

// plain reports whether s is of lower-case letters, digits, . and -, and
// of a path's upper-case letters, _, ~ and / too.
func plain(s string, path bool) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '.', c == '-':
		case path && ('A' <= c && c <= 'Z' || c == '_' || c == '~' || c == '/'):
		default:
			return false
		}
	}
	return true
}

// GUIDKey is the identity of an item's guid. A guid that is a URL is keyed
// like a link; any other guid is only unique within its feed's host, so
// two blogs numbering their posts 1, 2, 3 stay apart.
func GUIDKey(feedURL, guid string) string {
	guid = strings.TrimSpace(guid)
	if guid == "" {
		return ""
	}
	if u, err := url.Parse(guid); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return Key(guid)
	}
	host := feedURL
	if u, err := url.Parse(feedURL); err == nil {
		host = strings.TrimPrefix(strings.ToLower(u.Host), "www.")
	}
	return "guid:" + host + ":" + guid
}

// oneSlash is path with each run of slashes made one.
func oneSlash(path string) string {
	for strings.Contains(path, "//") {
		path = strings.ReplaceAll(path, "//", "/")
	}
	return path
}
