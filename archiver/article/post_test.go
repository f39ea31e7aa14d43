package article

import (
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
)

func TestSlug(t *testing.T) {
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
		p := &Post{URL: u, Date: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
		for _, name := range []string{p.FileName(time.UTC), p.AltFileName(time.UTC)} {
			if !valid.MatchString(name) || filepath.Base(name) != name || len(name) > 120 {
				t.Errorf("URL %q gave file name %q", u, name)
			}
		}
	}
}

func TestFileNameTimezone(t *testing.T) {
	p := &Post{URL: "https://x.org/story/", Date: time.Date(2025, 6, 16, 20, 0, 0, 0, time.UTC)}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	if got := p.FileName(shanghai); got != "2025-06-17-story.md" {
		t.Errorf("in Shanghai: %q", got)
	}
	if got := p.FileName(time.UTC); got != "2025-06-16-story.md" {
		t.Errorf("in UTC: %q", got)
	}
}

// hostileTitles are titles written to break front matter and Markdown.
var hostileTitles = []string{
	`美中外长在东盟外交拼场 布林肯与王毅将会面`,
	`He said: "no" — 'yes'`,
	`# not a comment`, `--- not a document`, `[a, b]`, `{a: b}`, `- list`, `? key`, `: colon`,
	`true`, `null`, `~`, `123`, `0x1F`, `2024-07-26`, `@at`, "`tick`", `|pipe`, `>fold`, `!tag`, `&anchor`, `*alias`, `%directive`,
	`{{ site.github.token }}`, `{% include x.html %}`, `{% raw %}{% endraw %}`,
	"tab\there", "bidi \u202Eevil\u202C", "nul \x00 and bell \x07", "zero\u200Bwidth", `back\slash`, `trailing space `,
	strings.Repeat("很长的标题", 400),
	"line\nbreak", "\uFEFFbom",
}

func TestFrontMatterRoundTrip(t *testing.T) {
	for _, title := range hostileTitles {
		checkRoundTrip(t, title, "https://www.rfa.org/mandarin/a-b/?q=1&r=2")
	}
}

// checkRoundTrip renders a post and checks its front matter parses back to
// the same title, URL and date, with the earlier tool's keys first.
func checkRoundTrip(t *testing.T, title, from string) {
	t.Helper()
	p := &Post{Defaults: testDefaults, Title: title, URL: from,
		Date: time.Date(2024, 7, 26, 19, 35, 21, 442e6, time.UTC), Body: "正文"}
	data, err := p.Render()
	if err != nil {
		t.Fatalf("Render(%q): %v", title, err)
	}
	s := string(data)
	end := strings.Index(s[4:], "\n---\n")
	if !strings.HasPrefix(s, "---\n") || end < 0 {
		t.Fatalf("no front matter block for %q:\n%s", title, s)
	}
	var node yaml.Node
	if err := yaml.Unmarshal([]byte(s[4:4+end+1]), &node); err != nil {
		t.Fatalf("front matter of %q does not parse: %v\n%s", title, err, s)
	}
	var fm struct {
		Title string    `yaml:"title"`
		From  string    `yaml:"from"`
		Date  time.Time `yaml:"date"`
	}
	if err := node.Decode(&fm); err != nil {
		t.Fatal(err)
	}
	if fm.Title != title || fm.From != from || !fm.Date.Equal(p.Date) {
		t.Errorf("round trip of %q: got title %q from %q date %v", title, fm.Title, fm.From, fm.Date)
	}
	keys := []string{}
	for i := 0; i+1 < len(node.Content[0].Content); i += 2 {
		keys = append(keys, node.Content[0].Content[i].Value)
	}
	want := []string{"layout", "title", "date", "author", "from", "tags", "comments", "categories"}
	if strings.Join(keys[:len(want)], ",") != strings.Join(want, ",") {
		t.Errorf("keys %v, want %v first", keys, want)
	}
	if !strings.Contains(s, "\ndate: 2024-07-26T19:35:21.442Z\n") || !strings.Contains(s, "\ncomments: True\n") {
		t.Errorf("date or comments not in the earlier tool's form:\n%s", s)
	}
	header := s[4+end+5:]
	if !strings.HasPrefix(header, "[") || !strings.Contains(header, "]("+linkDestination(from)+")\n------\n\n正文\n") {
		t.Errorf("header of %q:\n%s", title, header)
	}
	if strings.Count(header[:strings.Index(header, "\n")], "\n") != 0 {
		t.Errorf("the header link of %q spans lines", title)
	}
}

// TestPostText: whatever bytes a page or a feed has, a post is valid
// UTF-8 without control characters but its body's new lines and tabs, and
// its header line is one line.
func TestPostText(t *testing.T) {
	m := New(fetch.New(fetch.Options{}))
	it := feeds.Item{Link: "https://www.rfa.org/mandarin/a/", Title: "feed"}
	u, _ := url.Parse(it.Link)
	s := &Story{
		Title:  "标题\x00 with \x1b[31mcolour\xff and\u2028a line\nbreak \u202eRTL",
		Byline: "记者\x07：凯迪",
		Body:   "<p>第一段\x01，\xfe坏字节。</p><p>第二段\u200d。</p>",
	}
	p, err := m.MakePost(s, it, u, Defaults{Layout: "post", Author: "RFA"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := p.Render()
	if err != nil {
		t.Fatal(err)
	}
	if !utf8.Valid(data) {
		t.Errorf("the post is not valid UTF-8:\n%q", data)
	}
	for i, r := range string(data) {
		if unicode.Is(unicode.Cc, r) && r != '\n' && r != '\t' {
			t.Errorf("control character %q at %d", r, i)
		}
	}
	fm, err := store.ParseFrontMatter(data)
	if err != nil || fm.Title != p.Title || fm.Title != "标题 with [31mcolour\uFFFD and a line break \u202eRTL" {
		t.Errorf("title %q (%v), post %q", fm.Title, err, p.Title)
	}
	header, _, _ := strings.Cut(string(fm.Body), "\n")
	if want := "[标题 with \\[31mcolour\uFFFD and a line break RTL](https://www.rfa.org/mandarin/a/)"; header != want {
		t.Errorf("header line %q, want %q", header, want)
	}
	if !strings.Contains(string(fm.Body), "第一段，\uFFFD坏字节。") || !strings.Contains(string(fm.Body), "第二段\u200d。") {
		t.Errorf("body:\n%s", fm.Body)
	}
}
