package article

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
)

func TestImageSource(t *testing.T) {
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
