package posts

import (
	"testing"

	"github.com/rfa-archive/archiver/feeds/fetch"
)

// TestFileType: a file is kept by what its bytes are, whatever its name or
// Content-Type.
func TestFileType(t *testing.T) {
	t.Parallel()
	for data, want := range map[string]string{
		"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR": "png", "\xff\xd8\xff\xe0\x00\x10JFIF": "jpg", "GIF89a\x01\x00": "gif",
		"RIFF\x00\x00\x00\x00WEBPVP8 ": "webp", "\x00\x00\x00\x1cftypavif\x00\x00": "", "ID3\x03\x00\x00\x00\x00\x00\x00": "mp3",
		"\xff\xfb\x90\x00": "mp3", "\x00\x00\x00\x20ftypM4A \x00": "m4a",
		"<html><body>no</body></html>": "", "%PDF-1.4": "", "": "",
	} {
		if got := fileType([]byte(data)); got != want {
			t.Errorf("fileType(%q) = %q, want %q", data, got, want)
		}
	}
}

// TestResized: Arc's resizer is asked for the configured width; any other
// image as it is.
func TestResized(t *testing.T) {
	t.Parallel()
	m := &mediaFetcher{client: fetch.New(fetch.Options{}), opts: MediaOptions{Width: 1280}}
	for in, want := range map[string]string{
		"https://www.rfa.org/resizer/v2/X.jpg?auth=a&width=400&height=300": "https://www.rfa.org/resizer/v2/X.jpg?auth=a&width=1280",
		"https://img.example.org/X.jpg?width=400":                          "https://img.example.org/X.jpg?width=400",
	} {
		if got := m.resized(in); got != want {
			t.Errorf("resized(%q) = %q, want %q", in, got, want)
		}
	}
}
