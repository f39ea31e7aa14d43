package jekyll_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store/jekyll"
	"github.com/rfa-archive/archiver/store/storetest"
)

func TestParseFrontMatterSample(t *testing.T) {
	t.Parallel()
	data := []byte(storetest.SamplePost)
	fm, err := jekyll.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if fm.Title != "美中外长在东盟外交拼场 布林肯与王毅将会面" {
		t.Errorf("Title %q", fm.Title)
	}
	if fm.From != storetest.SampleFrom {
		t.Errorf("From %q", fm.From)
	}
	if want := time.Date(2024, 7, 26, 19, 35, 21, 442e6, time.UTC); !fm.Date.Equal(want) {
		t.Errorf("Date %v, want %v", fm.Date, want)
	}
	if c, ok := fm.Fields["comments"].(bool); !ok || !c {
		t.Errorf(`Fields["comments"] = %#v, want true`, fm.Fields["comments"])
	}
	if tags, ok := fm.Fields["tags"].([]any); !ok || !slices.Equal(tags, []any{"自由亚洲电台"}) {
		t.Errorf(`Fields["tags"] = %#v`, fm.Fields["tags"])
	}
	if a := fm.Fields["author"]; a != "自由亚洲电台" {
		t.Errorf(`Fields["author"] = %#v`, a)
	}
	if fm.GUID != "" || fm.Feed != "" {
		t.Errorf("GUID %q, Feed %q: the sample has neither", fm.GUID, fm.Feed)
	}
	if !strings.HasPrefix(string(fm.Body), "<!--NaN-->\n[美中外长") || !strings.HasSuffix(string(data), string(fm.Body)) {
		t.Errorf("Body starts %.40q", fm.Body)
	}
}

func TestParseFrontMatter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in    string
		title, from string
		date        time.Time
		body        string
	}{
		{name: "minimal", in: "---\ntitle: T\nfrom: https://x/\n---\nbody\n", title: "T", from: "https://x/", body: "body\n"},
		{name: "crlf", in: "---\r\ntitle: T\r\nfrom: https://x/\r\ndate: 2024-01-02\r\n---\r\nbody\r\n",
			title: "T", from: "https://x/", date: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), body: "body\r\n"},
		{name: "bom", in: "\uFEFF---\ntitle: T\n---\nbody", title: "T", body: "body"},
		{name: "bom crlf", in: "\uFEFF---\r\ntitle: T\r\n---\r\n", title: "T"},
		{name: "empty", in: "---\n---\nbody\n", body: "body\n"},
		{name: "dots close", in: "---\ntitle: T\n...\nbody\n", title: "T", body: "body\n"},
		{name: "no final newline", in: "---\ntitle: T\n---", title: "T"},
		{name: "quoted date", in: "---\ndate: \"2024-07-26 19:35:21 +0800\"\n---\n",
			date: time.Date(2024, 7, 26, 11, 35, 21, 0, time.UTC)},
		{name: "not a date", in: "---\ndate: yesterday\ntitle: T\n---\n", title: "T"},
		{name: "number title", in: "---\ntitle: 2024\n---\n"},
		{name: "dashes in body", in: "---\ntitle: T\n---\na\n---\nb\n", title: "T", body: "a\n---\nb\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fm, err := jekyll.Parse([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if fm.Title != tc.title || fm.From != tc.from || !fm.Date.Equal(tc.date) || string(fm.Body) != tc.body {
				t.Errorf("got title %q from %q date %v body %q; want %q %q %v %q",
					fm.Title, fm.From, fm.Date, fm.Body, tc.title, tc.from, tc.date, tc.body)
			}
			if fm.Fields == nil {
				t.Error("Fields is nil")
			}
		})
	}
}

func TestParseFrontMatterErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		noFM     bool   // want ErrNoFrontMatter
		says     string // the error says
	}{
		{name: "none", in: "# Title\n\ntext\n", noFM: true},
		{name: "empty file", in: "", noFM: true},
		{name: "late start", in: "\n---\ntitle: T\n---\n", noFM: true},
		{name: "four dashes", in: "----\ntitle: T\n----\n", noFM: true},
		{name: "unclosed", in: "---\ntitle: T\nfrom: https://x/\n\ntext\n", says: "closing"},
		{name: "only opening", in: "---\n", says: "closing"},
		{name: "invalid yaml", in: "---\ntitle: [T\n---\n", says: "YAML"},
		{name: "bad indent", in: "---\ntitle: T\n  from: x\n---\n", says: "YAML"},
		{name: "tab indent", in: "---\na:\n\tb: c\n---\n", says: "YAML"},
		{name: "scalar", in: "---\njust text\n---\n", says: "mapping"},
		{name: "list", in: "---\n- a\n---\n", says: "mapping"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fm, err := jekyll.Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("no error; got %+v", fm)
			}
			if got := errors.Is(err, jekyll.ErrNoFrontMatter); got != tc.noFM {
				t.Errorf("errors.Is(%v, ErrNoFrontMatter) = %v", err, got)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Errorf("error %q does not say %q", err, tc.says)
			}
		})
	}
}
