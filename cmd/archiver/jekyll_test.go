package main

import (
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestJekyllBuild builds the archive of the fixture site with Debian's
// jekyll package, nothing else, and checks that stories show as written:
// Liquid, Markdown and kramdown syntax in them is text.
func TestJekyllBuild(t *testing.T) {
	t.Parallel()
	jekyll, err := exec.LookPath("jekyll")
	if err != nil {
		t.Skip("jekyll is not installed (apt-get install jekyll); .ci/run installs it")
	}
	site := newFixtureSite(t)
	dir := t.TempDir()
	writeConfig(t, dir, site, "")
	if code, _, stderr := runBinary(t, dir, "sync"); code > 1 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	archive := filepath.Join(dir, "archive")
	out := filepath.Join(dir, "site")
	cmd := exec.Command(jekyll, "build", "--source", archive, "--destination", out)
	cmd.Env = append(os.Environ(), "JEKYLL_ENV=production")
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("jekyll build: %v\n%s", err, log)
	}
	if strings.Contains(string(log), "Liquid") || strings.Contains(string(log), "Error") {
		t.Errorf("jekyll complained:\n%s", log)
	}

	page := builtPage(t, out, "hostile-story.html")
	text := html.UnescapeString(page)
	for _, want := range []string{
		`Liquid: {{ site.github.token }} and {% include x.html %} and {% raw %}raw{% endraw %} and {% endraw %} alone.`,
		`Kramdown: $$x^2$$ and {:.class} and {::comment} here.`,
		`| not | a | table |`,
		"Markdown as text: *star* _under_ `tick` [bracket] 1. not a list",
		"# not a heading",
		"1. not a list either",
		"+ plus and - minus and > quote",
		"Escaped HTML: <script>alert(3)</script> stays text.",
		"第一行第二行第三行，English words stay apart.",
		`He said: "{{ site.github.token }}" #1 --- [a](b) {% raw %} *x* _y_ ` + "`z`" + ` & <b>`, // the title
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the built page lacks %q", want)
		}
	}
	for _, want := range []string{"“<strong>引号</strong>”文字", "<strong>加粗</strong>", "（<em>括号</em>）", "《<strong>书名</strong>》", "<h2", "<table>", "<blockquote>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the built page lacks markup %q", want)
		}
	}
	if regexp.MustCompile(`<script|<iframe|onerror=|onclick=|javascript:`).MatchString(page) {
		t.Error("the built page holds active content")
	}
	if strings.Count(page, "<table>") != 1 {
		t.Errorf("%d tables, want 1: text with pipes became a table", strings.Count(page, "<table>"))
	}

	gone := html.UnescapeString(builtPage(t, out, "removed.html"))
	if !strings.Contains(gone, "第二段 {{ page.title }}。") {
		t.Error("Liquid in a story archived from the feed was evaluated")
	}
	index, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(index), "<li>"); n != len(wantPosts) {
		t.Errorf("the index lists %d posts, want %d", n, len(wantPosts))
	}
}

// builtPage returns the built page whose file name is name.
func builtPage(t *testing.T, root, name string) string {
	t.Helper()
	var found string
	filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err == nil && info.Name() == name {
			found = path
		}
		return nil
	})
	if found == "" {
		t.Fatalf("jekyll built no %s", name)
	}
	data, err := os.ReadFile(found)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
