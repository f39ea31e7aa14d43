package article

import (
	"net/url"
	"testing"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"

	"github.com/rfa-archive/archiver/feeds/feedstest"
)

// BenchmarkArchivePage measures extraction, cleaning, conversion and
// rendering of typical RFA pages; BenchmarkConverterOnly measures
// html-to-markdown alone converting the same whole pages, for comparison.
// Both report MB/s of page HTML:
//
//	go test ./archiver/article -run '^$' -bench . -benchmem

var benchPages = []string{"plone-sample", "arc-page", "generic-blog"}

func BenchmarkArchivePage(b *testing.B) {
	for _, name := range benchPages {
		b.Run(name, func(b *testing.B) {
			raw := feedstest.Page(name)
			it := loadItem(b, "testdata/"+name+".item.json")
			u, _ := url.Parse(it.Link)
			m := New(nil, 10<<20)
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for b.Loop() {
				s, err := Extract(raw, u)
				if err != nil {
					b.Fatal(err)
				}
				p, err := m.MakePost(s, it, u, testDefaults)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.Render(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConverterOnly(b *testing.B) {
	conv := newConverter()
	for _, name := range benchPages {
		b.Run(name, func(b *testing.B) {
			raw := feedstest.Page(name)
			b.SetBytes(int64(len(raw)))
			b.ResetTimer()
			for b.Loop() {
				if _, err := conv.ConvertString(string(raw), converter.WithDomain("https://www.rfa.org/")); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
