package jekyll

import (
	"slices"
	"testing"
)

// FuzzQuickPost: what QuickHead reads of a front matter is what the YAML
// parser reads of it.
func FuzzQuickPost(f *testing.F) {
	f.Add("---\nlayout: post\ntitle: \"美中外长在东盟外交拼场 布林肯与王毅将会面\"\ndate: 2024-07-26T19:35:21.442Z\nauthor: 自由亚洲电台\nfrom: https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html\ntags: [ 自由亚洲电台 ]\ncomments: True\ncategories: [ 自由亚洲电台 ]\n---\n<!--NaN-->\n")
	f.Add("---\ntitle: \"标题\"\nfrom: https://x.org/a/\nalso_from: [\"https://x.org/b/\", \"https://x.org/c/\"]\nsource_id: ABC\ntags: [a, b]\n---\nbody\n")
	f.Add("---\ntitle: 'It''s'\nfrom: http://x/y\nguid: yes\nfeed: null\n---\n")
	f.Add("---\ntitle: plain title # comment\nfrom: https://x.org/?a=b: c\n---\n")
	f.Add("---\ntitle: \"a\\\"b\"\ntags:\n  - x\n---\n")
	f.Add("---\ntitle: a\rfrom: b\n---\n") // a line YAML breaks at CR
	f.Add("---\ntitle: a\u2028from: b\n---\n")
	f.Fuzz(func(t *testing.T, text string) {
		quick, ok := QuickHead([]byte(text))
		if !ok {
			return
		}
		full, err := Parse([]byte(text))
		if err != nil {
			return // YAML refuses it; archiver verify says so
		}
		if quick.Title != full.Title || quick.From != full.From || quick.GUID != full.GUID || quick.Feed != full.Feed ||
			quick.SourceID != full.SourceID || !slices.Equal(quick.Also, full.Also) {
			t.Errorf("quick %+v, YAML %+v, of\n%s", quick, full, text)
		}
	})
}

// TestQuickHeadReads: the front matter archiver writes, whichever key
// comes last, is read by QuickHead, not left to the YAML parser, which
// takes a fresh clone of a million posts minutes.
func TestQuickHeadReads(t *testing.T) {
	t.Parallel()
	for _, text := range []string{
		"---\nlayout: post\ntitle: \"标题\"\ndate: 2025-06-16T14:05:12.345Z\nfrom: https://www.rfa.org/a/\nsource_id: ABC\nfeed: https://www.rfa.org/feed/\n---\nbody\n",
		"---\nlayout: post\ntitle: \"第1篇\"\nfrom: https://www.rfa.org/b/\nsource_id: ID0000001\n---\n[第1篇](https://www.rfa.org/b/)\n",
		"---\ntitle: \"标题\"\nfrom: https://www.rfa.org/c/\nalso_from: [\"https://www.rfa.org/d/\"]\n...\n",
	} {
		quick, ok := QuickHead([]byte(text))
		full, err := Parse([]byte(text))
		if !ok || err != nil || quick.Title != full.Title || quick.From != full.From || quick.SourceID != full.SourceID || quick.Feed != full.Feed {
			t.Errorf("QuickHead(%q) = %+v, %v; the YAML parser: %+v, %v", text, quick, ok, full, err)
		}
	}
}
