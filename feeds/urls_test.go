package feeds_test

import (
	"net/url"
	"testing"

	"github.com/rfa-archive/archiver/feeds"
)

func TestKeySame(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, a, b string }{
		{"scheme and host case", "HTTPS://WWW.RFA.ORG/mandarin/a/", "https://www.rfa.org/mandarin/a/"},
		{"http and https", "http://www.rfa.org/mandarin/a/", "https://www.rfa.org/mandarin/a/"},
		{"www and bare host", "https://rfa.org/mandarin/a/", "https://www.rfa.org/mandarin/a/"},
		{"trailing slash", "https://www.rfa.org/mandarin/a", "https://www.rfa.org/mandarin/a/"},
		{"empty path", "https://rfa.org", "https://rfa.org/"},
		{"default port", "https://www.rfa.org:443/a", "https://www.rfa.org/a"},
		{"default http port", "http://www.rfa.org:80/a", "https://www.rfa.org/a"},
		{"fragment", "https://www.rfa.org/a#comments", "https://www.rfa.org/a"},
		{"empty query", "https://www.rfa.org/a?", "https://www.rfa.org/a"},
		{"utm_*", "https://www.rfa.org/a?utm_source=rss&utm_medium=feed&UTM_Campaign=x", "https://www.rfa.org/a"},
		{"fbclid", "https://www.rfa.org/a?fbclid=IwAR0abc", "https://www.rfa.org/a"},
		{"gclid and spm", "https://www.rfa.org/a?gclid=1&spm=a2.b", "https://www.rfa.org/a"},
		{"tracking among real params", "https://www.rfa.org/a?utm_source=x&id=7&fbclid=y", "https://www.rfa.org/a?id=7"},
		{"query order", "https://www.rfa.org/a?b=2&a=1", "https://www.rfa.org/a?a=1&b=2"},
		{"query escapes", "https://www.rfa.org/search?q=%E9%A6%99%E6%B8%AF", "https://www.rfa.org/search?q=香港"},
		{"query space", "https://www.rfa.org/search?q=a+b", "https://www.rfa.org/search?q=a%20b"},
		{"tilde escaped", "https://example.com/%7Euser/", "https://example.com/~user"},
		{"Chinese path escaped", "https://www.rfa.org/mandarin/%E6%96%B0%E9%97%BB/2025/", "https://www.rfa.org/mandarin/新闻/2025"},
		{"escape case", "https://www.rfa.org/mandarin/%e6%96%b0%e9%97%bb", "https://www.rfa.org/mandarin/%E6%96%B0%E9%97%BB"},
		{"user info", "https://reader:secret@www.rfa.org/a", "https://www.rfa.org/a"},
		{"spaces around", "  https://www.rfa.org/a\n", "https://www.rfa.org/a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := feeds.Key(tt.a), feeds.Key(tt.b)
			if ka != kb {
				t.Errorf("Key(%q) = %q\nKey(%q) = %q\nwant them equal", tt.a, ka, tt.b, kb)
			}
		})
	}
}

func TestKeyDifferent(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, a, b string }{
		{"path", "https://www.rfa.org/mandarin/a/", "https://www.rfa.org/mandarin/b/"},
		{"path case", "https://www.rfa.org/mandarin/A", "https://www.rfa.org/mandarin/a"},
		{"host", "https://www.rfa.org/a", "https://www.voachinese.com/a"},
		{"subdomain", "https://www.rfa.org/a", "https://cdn.rfa.org/a"},
		{"port", "https://www.rfa.org:8443/a", "https://www.rfa.org/a"},
		{"query value", "https://www.rfa.org/a?id=1", "https://www.rfa.org/a?id=2"},
		{"query kept", "https://www.rfa.org/a?id=1", "https://www.rfa.org/a"},
		{"utm lookalike kept", "https://www.rfa.org/a?utmost=1", "https://www.rfa.org/a"},
		{"Chinese path", "https://www.rfa.org/mandarin/新闻", "https://www.rfa.org/mandarin/新聞"},
		{"inner slash", "https://www.rfa.org/a/b", "https://www.rfa.org/ab"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ka, kb := feeds.Key(tt.a), feeds.Key(tt.b); ka == kb {
				t.Errorf("Key(%q) = Key(%q) = %q, want them apart", tt.a, tt.b, ka)
			}
		})
	}
}

func TestKeyValues(t *testing.T) {
	t.Parallel()
	tests := []struct{ url, want string }{
		{"https://www.rfa.org/mandarin/shehui/2025/06/16/example/", "rfa.org/mandarin/shehui/2025/06/16/example"},
		{"https://rfa.org/", "rfa.org"},
		{"https://www.rfa.org/a?z=1&a=2&utm_source=x", "rfa.org/a?a=2&z=1"},
		{"http://example.com:8080/x", "example.com:8080/x"},
		// Anything but an absolute http(s) URL is its own key.
		{"not a url", "raw:not a url"},
		{"/mandarin/a/", "raw:/mandarin/a/"},
		{"mailto:editor@rfa.org", "raw:mailto:editor@rfa.org"},
	}
	for _, tt := range tests {
		if got := feeds.Key(tt.url); got != tt.want {
			t.Errorf("Key(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
}

func TestCleanURL(t *testing.T) {
	t.Parallel()
	base, err := url.Parse("https://www.rfa.org/arc/outboundfeeds/mandarin/rss/")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		base *url.URL
		in   string
		want string // "" for an error
	}{
		{"unchanged", nil, "https://www.rfa.org/mandarin/a/", "https://www.rfa.org/mandarin/a/"},
		{"keeps www", nil, "https://www.rfa.org/a", "https://www.rfa.org/a"},
		{"keeps bare host", nil, "https://rfa.org/a", "https://rfa.org/a"},
		{"keeps http", nil, "http://www.rfa.org/a", "http://www.rfa.org/a"},
		{"keeps trailing slash", nil, "https://www.rfa.org/a/", "https://www.rfa.org/a/"},
		{"lower-cases scheme and host", nil, "HTTPS://WWW.RFA.Org/Mandarin/A", "https://www.rfa.org/Mandarin/A"},
		{"drops fragment", nil, "https://www.rfa.org/a#top", "https://www.rfa.org/a"},
		{"drops tracking", nil, "https://www.rfa.org/a?utm_source=rss&id=5&fbclid=x&utm_campaign=y", "https://www.rfa.org/a?id=5"},
		{"drops all tracking", nil, "https://www.rfa.org/a?utm_source=rss", "https://www.rfa.org/a"},
		{"keeps the query as written", nil, "https://www.rfa.org/a?b=2&a=1", "https://www.rfa.org/a?b=2&a=1"},
		{"drops default port", nil, "https://www.rfa.org:443/a", "https://www.rfa.org/a"},
		{"keeps other port", nil, "http://www.rfa.org:8080/a", "http://www.rfa.org:8080/a"},
		{"drops user info", nil, "https://user:pass@www.rfa.org/a", "https://www.rfa.org/a"},
		{"adds root path", nil, "https://www.rfa.org", "https://www.rfa.org/"},
		{"drops empty query", nil, "https://www.rfa.org/a?", "https://www.rfa.org/a"},
		{"trims space", nil, " https://www.rfa.org/a\t", "https://www.rfa.org/a"},
		{"Chinese path", nil, "https://www.rfa.org/mandarin/新闻/", "https://www.rfa.org/mandarin/%E6%96%B0%E9%97%BB/"},
		{"IPv6 default port", nil, "http://[::1]:80/x", "http://[::1]/x"},
		{"IPv6 other port", nil, "http://[::1]:8080/x", "http://[::1]:8080/x"},
		{"relative path", base, "../../../../mandarin/a/", "https://www.rfa.org/mandarin/a/"},
		{"relative to the root", base, "/mandarin/a/", "https://www.rfa.org/mandarin/a/"},
		{"protocol-relative", base, "//rfa.org/a", "https://rfa.org/a"},
		{"absolute with base", base, "https://example.com/x", "https://example.com/x"},

		{"relative without base", nil, "/mandarin/a/", ""},
		{"empty without base", nil, "", ""},
		{"ftp", nil, "ftp://www.rfa.org/a", ""},
		{"ftp with base", base, "ftp://www.rfa.org/a", ""},
		{"mailto", nil, "mailto:editor@rfa.org", ""},
		{"javascript", base, "javascript:alert(1)", ""},
		{"no host", nil, "https:///a", ""},
		{"bad escape", nil, "https://www.rfa.org/%zz", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := feeds.CleanURL(tt.base, tt.in)
			switch {
			case tt.want == "" && err == nil:
				t.Errorf("CleanURL(%q) = %s, want an error", tt.in, u)
			case tt.want != "" && err != nil:
				t.Errorf("CleanURL(%q): %v", tt.in, err)
			case tt.want != "" && u.String() != tt.want:
				t.Errorf("CleanURL(%q) = %s, want %s", tt.in, u, tt.want)
			}
		})
	}
}

func TestGUIDKey(t *testing.T) {
	t.Parallel()
	const feedA = "https://www.rfa.org/arc/outboundfeeds/mandarin/rss/"
	const feedB = "https://blog.example/feed.xml"

	link := "https://www.rfa.org/mandarin/a/"
	if got, want := feeds.GUIDKey(feedA, link), feeds.Key(link); got != want {
		t.Errorf("GUIDKey(URL guid) = %q, want the link's key %q", got, want)
	}
	if got, want := feeds.GUIDKey(feedB, "http://rfa.org/mandarin/a?utm_source=x"), feeds.Key(link); got != want {
		t.Errorf("GUIDKey(URL guid from another feed) = %q, want %q", got, want)
	}
	if a, b := feeds.GUIDKey(feedA, "1"), feeds.GUIDKey(feedB, "1"); a == b {
		t.Errorf("guid 1 of two feeds share the key %q", a)
	}
	if got, want := feeds.GUIDKey(feedB, " 1 "), "guid:blog.example:1"; got != want {
		t.Errorf("GUIDKey(%q, \" 1 \") = %q, want %q", feedB, got, want)
	}
	// Within one host a guid is one thing, whichever of its feeds carries it.
	if a, b := feeds.GUIDKey("https://www.rfa.org/mandarin/rss2.xml", "abc"), feeds.GUIDKey("https://RFA.org/english/rss2.xml", "abc"); a != b {
		t.Errorf("guid abc on one host: %q != %q", a, b)
	}
	if got := feeds.GUIDKey(feedA, "tag:rfa.org,2025:story-1"); got != "guid:rfa.org:tag:rfa.org,2025:story-1" {
		t.Errorf("GUIDKey(tag URI) = %q", got)
	}
	for _, empty := range []string{"", "  \n"} {
		if got := feeds.GUIDKey(feedA, empty); got != "" {
			t.Errorf("GUIDKey(%q) = %q, want \"\"", empty, got)
		}
	}
	if a, b := feeds.GUIDKey(feedA, "1"), feeds.Key("1"); a == b {
		t.Errorf("a guid's key %q is a link's key", a)
	}
}

// TestRepeatedSlashes: a path's repeated slashes are one, in the URL an
// article is stored under and in its identity.
func TestRepeatedSlashes(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://www.rfa.org/d//x/":          "https://www.rfa.org/d/x/",
		"https://www.rfa.org///d/x":          "https://www.rfa.org/d/x",
		"https://www.rfa.org/d/%E4%B8%AD//x": "https://www.rfa.org/d/%E4%B8%AD/x",
		"https://www.rfa.org/d/x?u=a//b":     "https://www.rfa.org/d/x?u=a//b", // a query is not a path
	} {
		if got := feeds.Clean(in); got != want {
			t.Errorf("Clean(%q) = %q, want %q", in, got, want)
		}
	}
	if feeds.Key("https://www.rfa.org/d//x/") != feeds.Key("https://www.rfa.org/d/x/") {
		t.Error("/d//x/ and /d/x/ are two articles")
	}
}

func TestIsArticleURL(t *testing.T) {
	t.Parallel()
	for u, want := range map[string]bool{
		"https://www.rfa.org/mandarin/a.html":      true,
		"http://example.org/x?id=1":                true,
		"  https://www.rfa.org/mandarin/a.html \n": true, // as pasted
		"/mandarin/a.html":                         false,
		"ftp://www.rfa.org/a":                      false,
		"javascript:alert(1)":                      false,
		"https://www.rfa.org/a\nhttps://b.org/":    false,
		"https://www.rfa.org/a\x1b[2J":             false,
	} {
		if got := feeds.IsArticleURL(u); got != want {
			t.Errorf("IsArticleURL(%q) = %v, want %v", u, got, want)
		}
	}
}
