package posts

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rfa-archive/archiver/store/jekyll"
	"golang.org/x/text/width"
)

func TestSlug(t *testing.T) {
	t.Parallel()
	hash := regexp.MustCompile(`^[0-9a-f]{10}$`)
	for _, tt := range []struct{ url, want string }{
		{"https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html", "hx2-southeast-asian-diplomats-meet"},
		{"https://www.rfa.org/mandarin/shehui/2025/06/16/example-officials-respond-netizens/", "example-officials-respond-netizens"},
		{"https://www.rfa.org/mandarin/Xinwen/88525-20020830.html", "88525"},
		{"https://example.org/Some_Post.Title.HTML", "some-post-title"},
		{"https://example.org/a/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "etc-passwd"},
		{"https://example.org/%E4%B8%AD%E6%96%87", "#"}, // Chinese only: a hash
		{"https://example.org/", "#"},                          // no segment: a hash
		{"https://example.org/article.php?id=42", "article-#"}, // told apart by its query
	} {
		got := Slug(tt.url)
		prefix, isHash := strings.CutSuffix(tt.want, "#")
		switch {
		case isHash && (!strings.HasPrefix(got, prefix) || !hash.MatchString(strings.TrimPrefix(got, prefix))):
			t.Errorf("Slug(%q) = %q, want %q and a hash", tt.url, got, prefix)
		case !isHash && got != tt.want:
			t.Errorf("Slug(%q) = %q, want %q", tt.url, got, tt.want)
		}
	}
	if Slug("https://example.org/%E4%B8%AD") == Slug("https://example.org/%E6%96%87") {
		t.Error("two Chinese-only URLs got one slug")
	}
	if Slug("https://example.org/%E4%B8%AD") != Slug("https://www.example.org/%E4%B8%AD#x") {
		t.Error("the slug of one article changed with www. and the fragment")
	}
}

// TestFileNameStaysInPosts throws hostile URLs at the file name: it must be
// one plain ASCII name, whatever the URL.
func TestFileNameStaysInPosts(t *testing.T) {
	t.Parallel()
	valid := regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9][a-z0-9-]*\.md$`)
	for _, u := range []string{
		"https://x.org/../../../etc/passwd",
		"https://x.org/%2e%2e%2f%2e%2e%2f",
		"https://x.org/a/..%2f..%2f.ssh%2fid_rsa",
		"https://x.org/\\..\\..\\windows",
		"https://x.org/" + strings.Repeat("very-long-", 200) + "end.html",
		"https://x.org/新闻/报道.html",
		"https://x.org/-/---/",
		"https://x.org/.hidden",
		"https://x.org/a%00b",
		"not a url at all %%%",
	} {
		p := &jekyll.Post{URL: u, Date: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
		for _, name := range []string{FileName(p, time.UTC), AltFileName(p, time.UTC)} {
			if !valid.MatchString(name) || filepath.Base(name) != name || len(name) > 120 {
				t.Errorf("URL %q gave file name %q", u, name)
			}
		}
	}
}

func TestFileNameTimezone(t *testing.T) {
	t.Parallel()
	p := &jekyll.Post{URL: "https://x.org/story/", Date: time.Date(2025, 6, 16, 20, 0, 0, 0, time.UTC)}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	if got := FileName(p, shanghai); got != "2025-06-17-story.md" {
		t.Errorf("in Shanghai: %q", got)
	}
	if got := FileName(p, time.UTC); got != "2025-06-16-story.md" {
		t.Errorf("in UTC: %q", got)
	}
}

// TestGoldenFileNames: the post of each page of the test site (the golden
// posts of archiver/article) is named by its day and its URL.
func TestGoldenFileNames(t *testing.T) {
	t.Parallel()
	for page, want := range map[string]string{
		"arc-page":     "2025-06-16-example-officials-respond-netizens.md",
		"arc-rendered": "2025-06-16-example-officials-respond-netizens.md",
		"plone-page":   "2024-01-15-ql1.md",
		"plone-sample": "2024-07-26-hx2-southeast-asian-diplomats-meet.md",
		"generic-blog": "2025-05-04-notes-on-archiving-feeds.md",
		"gbk-page":     "2012-03-04-88525.md",
		"hostile":      "2025-03-01-hostile-story.md",
	} {
		data, err := os.ReadFile(filepath.Join("..", "article", "testdata", page+".md"))
		if err != nil {
			t.Fatal(err)
		}
		fm, err := jekyll.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := FileName(&jekyll.Post{URL: fm.From, Date: fm.Date}, time.UTC); got != want {
			t.Errorf("%s: file name %q, want %q", page, got, want)
		}
	}
}

// FuzzFileName: any URL names a post in _posts, one valid name.
func FuzzFileName(f *testing.F) {
	f.Add("https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html")
	f.Add("https://x.org/a/..%2f..%2f.ssh%2fid_rsa")
	f.Add("https://x.org/新闻/报道.html?id=1")
	f.Fuzz(func(t *testing.T, u string) {
		p := &jekyll.Post{URL: u, Date: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
		for _, name := range []string{FileName(p, time.UTC), AltFileName(p, time.UTC)} {
			if strings.ContainsAny(name, `/\`) || !utf8.ValidString(name) || !validName.MatchString(name) {
				t.Fatalf("URL %q gave file name %q", u, name)
			}
		}
	})
}

var validName = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9][a-z0-9-]{0,120}\.md$`)

func TestLayoutPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		layout     Layout
		name, feed string
		want       string
	}{
		{DefaultLayout, "2025-06-16-story.md", "rfa-mandarin", "2025/06/2025-06-16-story.md"},
		{"{feed}/{year}/{month}", "2025-06-16-story.md", "rfa-mandarin", "rfa-mandarin/2025/06/2025-06-16-story.md"},
		{"{feed}/{year}/{month}", "2025-06-16-story.md", "rfa.org/mandarin/rss2.xml", "rfa-org-mandarin-rss2-xml/2025/06/2025-06-16-story.md"},
		{"{feed}/{year}", "2025-06-16-story.md", "自由亚洲", "feed/2025/2025-06-16-story.md"},
		{"{year}/{month}/{day}", "2025-06-16-story.md", "", "2025/06/16/2025-06-16-story.md"},
		{"y{year}-m{month}", "2025-06-16-story.md", "", "y2025-m06/2025-06-16-story.md"},
		{FlatLayout, "2025-06-16-story.md", "rfa-mandarin", "2025-06-16-story.md"},
		{DefaultLayout, "2024/01/2025-06-16-story.md", "", "2025/06/2025-06-16-story.md"}, // where its date says
		{DefaultLayout, "东南亚外交官会面.md", "", "东南亚外交官会面.md"},                                 // no date: at the top
	} {
		if got := tt.layout.Path(tt.name, tt.feed); got != tt.want {
			t.Errorf("Layout(%q).Path(%q, %q) = %q, want %q", tt.layout, tt.name, tt.feed, got, tt.want)
		}
	}
}

// flatStore is a store that is Flat, or not.
type flatStore bool

func (f flatStore) Flat() bool { return bool(f) }

func TestLayoutOf(t *testing.T) {
	t.Parallel()
	if got := LayoutOf("", flatStore(false)); got != DefaultLayout {
		t.Errorf("a new store's layout is %q", got)
	}
	if got := LayoutOf("", flatStore(true)); got != FlatLayout {
		t.Errorf("a flat archive's layout is %q: its new posts would go apart from the rest", got)
	}
	if got := LayoutOf("{feed}/{year}", flatStore(true)); got != "{feed}/{year}" {
		t.Errorf("the configured layout gave way to %q", got)
	}
}

// titleKeySlow is TitleKey as it was first written: width.Fold over the
// whole title, then each rune. TitleKey must give what it gives, or
// posts.KeysVersion change.
func titleKeySlow(title, day string) string {
	var b strings.Builder
	for _, r := range width.Fold.String(title) {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	if b.Len() == 0 || day == "" {
		return ""
	}
	return "title:" + day + ":" + b.String()
}

func FuzzTitleKey(f *testing.F) {
	for _, s := range []string{"美中外长在东盟外交拼场　布林肯与王毅将会面", "ＡＢＣ　ｄｅｆ １２３", "ｶﾀｶﾅ ﾊﾝｶｸ", "Hello World", "\u200b零宽\u200d", "ÀÉÎ ß İ", "", "　"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		if got, want := TitleKey(title, "2024-07-26"), titleKeySlow(title, "2024-07-26"); got != want {
			t.Errorf("TitleKey(%q) = %q, want %q", title, got, want)
		}
	})
}
