package posts

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color/palette"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store/jekyll"
)

// pngWithHeader is a PNG of one IHDR of w × h and an IDAT of data, with
// the CRCs right.
func pngWithHeader(w, h uint32, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, d []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(d)))
		b.WriteString(kind)
		b.Write(d)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(kind), d...)))
	}
	ihdr := binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, w), h)
	chunk("IHDR", append(ihdr, 8, 2, 0, 0, 0))
	chunk("IDAT", data)
	chunk("IEND", nil)
	return b.Bytes()
}

// TestCheckImage: an image is kept only whole in its format, and within
// media.max_pixels.
func TestCheckImage(t *testing.T) {
	t.Parallel()
	small := image.NewRGBA(image.Rect(0, 0, 40, 30))
	var pngs, jpgs, gifs bytes.Buffer
	png.Encode(&pngs, small)
	jpeg.Encode(&jpgs, small, nil)
	gif.Encode(&gifs, image.NewPaletted(image.Rect(0, 0, 40, 30), palette.Plan9), nil)
	webp := "RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
	for _, tt := range []struct {
		name, ext string
		data      []byte
		err       error
	}{
		{"png", "png", pngs.Bytes(), nil},
		{"jpg", "jpg", jpgs.Bytes(), nil},
		{"gif", "gif", gifs.Bytes(), nil},
		{"webp", "webp", []byte(webp), nil},
		{"50000 × 50000 PNG", "png", pngWithHeader(50000, 50000, []byte("x")), ErrTooManyPixels},
		{"GIF header before HTML", "gif", []byte("GIF89a<html><script>alert(1)</script></html>"), ErrNotMedia},
		{"PNG cut short", "png", pngs.Bytes()[:pngs.Len()-20], ErrNotMedia},
		{"PNG with a bad CRC", "png", append(append([]byte{}, pngs.Bytes()[:pngs.Len()-13]...), "\x00\x00\x00\x00IEND\x00\x00\x00\x00"...), ErrNotMedia},
		{"JPEG cut short", "jpg", jpgs.Bytes()[:jpgs.Len()/2], ErrNotMedia},
		{"JPEG header before HTML", "jpg", []byte("\xff\xd8\xff\xe0<html><script>alert(1)</script>"), ErrNotMedia},
		{"WebP whose RIFF size lies", "webp", []byte(strings.Replace(webp, "\x1a\x00\x00\x00WEBP", "\xff\x00\x00\x00WEBP", 1)), ErrNotMedia},
		{"empty", "png", nil, ErrNotMedia},
	} {
		err := checkImage(bytes.NewReader(tt.data), tt.ext, 50_000_000)
		if tt.err == nil && err != nil || tt.err != nil && !errors.Is(err, tt.err) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.err)
		}
	}
}

// TestReaderSame: versions of a post that differ in nothing a reader sees
// are the same; a word, a title or an image are not.
func TestReaderSame(t *testing.T) {
	t.Parallel()
	post := func(date, title, body string) []byte {
		return []byte("---\nlayout: post\ntitle: " + title + "\nlast_modified_at: " + date + "\nfrom: https://x/a\n---\n" + body)
	}
	base := post("2026-01-01T00:00:00.000Z", "标题", "第一段[链接](https://x/b?id=1)。\n\n![图](https://x/a.jpg)\n")
	for _, c := range []struct {
		name string
		new  []byte
		same bool
	}{
		{"a date stamped anew", post("2026-02-01T00:00:00.000Z", "标题", "第一段[链接](https://x/b?id=1)。\n\n![图](https://x/a.jpg)\n"), true},
		{"white space", post("2026-01-01T00:00:00.000Z", "标题", "第一段[链接](https://x/b?id=1)。  \n\n\n![图](https://x/a.jpg)\n"), true},
		{"a tracking parameter", post("2026-01-01T00:00:00.000Z", "标题", "第一段[链接](https://x/b?id=1&utm_source=rss)。\n\n![图](https://x/a.jpg)\n"), true},
		{"a word", post("2026-01-01T00:00:00.000Z", "标题", "第二段[链接](https://x/b?id=1)。\n\n![图](https://x/a.jpg)\n"), false},
		{"a link", post("2026-01-01T00:00:00.000Z", "标题", "第一段[链接](https://x/c?id=1)。\n\n![图](https://x/a.jpg)\n"), false},
		{"the title", post("2026-01-01T00:00:00.000Z", "新标题", "第一段[链接](https://x/b?id=1)。\n\n![图](https://x/a.jpg)\n"), false},
		{"an image", post("2026-01-01T00:00:00.000Z", "标题", "第一段[链接](https://x/b?id=1)。\n\n![图](https://x/b.jpg)\n"), false},
	} {
		old, err := jekyll.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		if got := readerSame(old, c.new); got != c.same {
			t.Errorf("%s: readerSame = %v, want %v", c.name, got, c.same)
		}
	}
	// A post an earlier archiver wrote with render_with_liquid is the same
	// as its rendering now, without it; edited, it is not.
	earlier, err := jekyll.Parse([]byte(strings.Replace(string(base), "\n---\n", "\nrender_with_liquid: False\n---\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	if !readerSame(earlier, base) || readerSame(earlier, []byte(strings.Replace(string(base), "第一段", "第一段改了", 1))) {
		t.Error("the earlier archiver's render_with_liquid line is taken for a change, or an edit is not")
	}
}
