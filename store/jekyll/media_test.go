package jekyll

import (
	"slices"
	"testing"
)

func TestImages(t *testing.T) {
	t.Parallel()
	body := "![头图：说明](https://img.example.org/a.jpg)\n\n头图：说明\n\n" +
		"正文，有一张[![链接的图](https://img.example.org/b.png)](https://www.rfa.org/x/)。\n\n" +
		`![带 \] 的说明](https://img.example.org/c\(1\).jpg "标题")` + "\n\n" +
		"![本地的](/media/0123456789abcdef0123456789abcdef.jpg) ![重复](https://img.example.org/a.jpg) \\![不是图](https://x/y.jpg)\n"
	want := []string{"https://img.example.org/a.jpg", "https://img.example.org/b.png", `https://img.example.org/c\(1\).jpg`}
	if got := Images(body); !slices.Equal(got, want) {
		t.Fatalf("Images = %q, want %q", got, want)
	}
	if u := MarkdownURL(want[2]); u != "https://img.example.org/c(1).jpg" {
		t.Errorf("MarkdownURL = %q", u)
	}
	local := map[string]string{want[0]: "/media/a.jpg", want[1]: "/media/b.png", want[2]: "/media/c.jpg", "https://audio.example.org/s.mp3": "/media/s.mp3"}
	got := LocalMedia(body, local, "https://audio.example.org/s.mp3")
	wantBody := "[![头图：说明](/media/a.jpg)](https://img.example.org/a.jpg)\n\n头图：说明\n\n" +
		"正文，有一张[![链接的图](/media/b.png \"https://img.example.org/b.png\")](https://www.rfa.org/x/)。\n\n" +
		`![带 \] 的说明](/media/c.jpg "https://img.example.org/c(1).jpg")` + "\n\n" +
		"![本地的](/media/0123456789abcdef0123456789abcdef.jpg) [![重复](/media/a.jpg)](https://img.example.org/a.jpg) \\![不是图](https://x/y.jpg)\n" +
		"\n[🔊 audio](/media/s.mp3)\n"
	if got != wantBody {
		t.Errorf("LocalMedia =\n%s\nwant\n%s", got, wantBody)
	}
	if again := LocalMedia(got, local, "https://audio.example.org/s.mp3"); again != got {
		t.Errorf("LocalMedia again changed it:\n%s", again)
	}
	if Images(got) != nil {
		t.Errorf("Images of the rewritten body = %q, want none on the web", Images(got))
	}
}

// FuzzLocalMedia: any text; every image found, given a copy, is shown from
// the copy.
func FuzzLocalMedia(f *testing.F) {
	f.Add("![a](https://x/a.jpg) [![b](https://x/b.jpg)](https://y/) ![c](<https://x/c d.jpg> 't')")
	f.Add("![\\](https://x/)(")
	f.Add("![[nested]](https://x/(a)b.jpg)")
	f.Fuzz(func(t *testing.T, body string) {
		local := map[string]string{}
		for _, u := range Images(body) {
			local[u] = "/media/x.jpg"
		}
		out := LocalMedia(body, local, "")
		for _, u := range Images(out) {
			if _, had := local[u]; had {
				t.Errorf("image %q left on the web in %q (from %q)", u, out, body)
			}
		}
	})
}
