package jekyll

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

var testDefaults = Defaults{Layout: "post", Author: "自由亚洲电台", Tags: []string{"自由亚洲电台"}, Categories: []string{"自由亚洲电台"}, Comments: true}

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
	t.Parallel()
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

// FuzzTitle: any title round-trips through the front matter.
func FuzzTitle(f *testing.F) {
	for _, title := range hostileTitles {
		f.Add(title)
	}
	f.Fuzz(func(t *testing.T, title string) {
		if !utf8.ValidString(title) {
			return // feeds are decoded to valid UTF-8 before a title exists
		}
		checkRoundTrip(t, title, "https://www.rfa.org/mandarin/x/")
	})
}

// TestEscapeSequences: a title with a terminal's escape sequences keeps
// its text and none of the sequences, whole.
func TestEscapeSequences(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"\x1b[2J\x1b[31mRED\x1b]0;pwned\x07":               "RED",
		"a\x1b]8;;https://x.org/\x1b\\link\x1b]8;;\x1b\\b": "alinkb",
		"\u009b31m红\u009b0m色":                              "红色",
		"\x1bP1$r0m\x1b\\text":                             "text",
		"keep [31m and ]0; as typed":                       "keep [31m and ]0; as typed",
		"tail\x1b[":                                        "tail",
		"x\x1b(By":                                         "xy",
		"未完\x1b]0;的标题":                                     "未完0;的标题",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
		if got := cleanText(in, false); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cleanText("乱码\u0098的标题", false); got != "乱码的标题" {
		t.Errorf("a lone string introducer took the text after it: %q", got)
	}
}
