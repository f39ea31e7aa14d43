package article

import "testing"

func TestHasText(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]bool{
		"":                           false,
		"  \n ":                      false,
		"<p> &nbsp; </p><div></div>": false,
		"<script>var x = 1;</script><style>p{}</style>": false,
		"<p>正文。</p>":                           true,
		"<figure><img src=x.jpg></figure>":     true,
		"<script>x</script><p>后文</p>":          true,
		"<div><video src=v.mp4></video></div>": true,
	} {
		if got := hasText(body); got != want {
			t.Errorf("hasText(%q) = %v, want %v", body, got, want)
		}
	}
}
