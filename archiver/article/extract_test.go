package article

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/rfa-archive/archiver/feeds/feedstest"
)

func TestImageSource(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ img, want string }{
		{`<img src="a.jpg">`, "a.jpg"},
		{`<img src="data:image/gif;base64,R0lGOD" data-src="lazy.jpg">`, "lazy.jpg"},
		{`<img srcset="small.jpg 480w, big.jpg 1080w">`, "small.jpg"},
		{`<img srcset=", a.jpg">`, "a.jpg"},
		{`<img srcset=" ">`, ""},
		{`<img srcset="">`, ""},
		{`<img data-srcset="data:x, b.jpg 2x">`, "b.jpg"},
		{`<img srcset="data:image/gif;base64,R0lGOD 1x, /real.jpg 2x">`, "/real.jpg"},
		{`<img srcset="data:image/gif;base64,R0lGOD" data-srcset="lazy.jpg 2x">`, "lazy.jpg"},
		{`<img srcset="a.jpg,b.jpg">`, "a.jpg,b.jpg"}, // no space: one URL, as the standard reads it
		{`<img srcset="a.jpg 1x,b.jpg 2x">`, "a.jpg"},
		{`<img>`, ""},
	} {
		doc, err := goquery.NewDocumentFromReader(strings.NewReader(tt.img))
		if err != nil {
			t.Fatal(err)
		}
		if got := imageSource(doc.Find("img")); got != tt.want {
			t.Errorf("imageSource(%s) = %q, want %q", tt.img, got, tt.want)
		}
	}
}

// TestComplexity: a page of more elements than a story page has is
// refused before it is parsed into a tree; one of fewer is read.
func TestComplexity(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("https://www.rfa.org/mandarin/a/")
	page := func(n int) []byte {
		return []byte(feedstest.StoryPage("标题", "正文。"+strings.Repeat("<b>字</b>", n)))
	}
	if _, err := Extract(page(maxElements+1), u); !errors.Is(err, ErrTooComplex) {
		t.Errorf("Extract of %d elements: %v, want ErrTooComplex", maxElements+1, err)
	}
	if _, err := Extract(page(maxElements-100), u); err != nil {
		t.Errorf("Extract of %d elements: %v", maxElements-100, err)
	}
	var attrs []byte
	for i := range maxAttributes/1000 + 1 {
		attrs = append(attrs, "<p"...)
		for j := range 1000 {
			attrs = fmt.Appendf(attrs, " a%d-%d=1", i, j)
		}
		attrs = append(attrs, ">x</p>"...)
	}
	if _, err := Extract(attrs, u); !errors.Is(err, ErrTooComplex) {
		t.Errorf("Extract of %d attributes: %v, want ErrTooComplex", maxAttributes+1, err)
	}
}
