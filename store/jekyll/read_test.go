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
