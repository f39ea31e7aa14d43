package main

import (
	"fmt"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestJekyllBuild builds the archive of the fixture site with Debian's
// jekyll package, nothing else, and checks that stories show as written:
// Liquid, Markdown and kramdown syntax in them is text, without
// render_with_liquid, which Jekyll 3 (GitHub Pages) ignores.
func TestJekyllBuild(t *testing.T) {
	t.Parallel()
	jekyll, err := exec.LookPath("jekyll")
	if err != nil {
		t.Skip("jekyll is not installed (apt-get install jekyll); .ci/run installs it")
	}
	site := newFixtureSite(t)
	dir := t.TempDir()
	writeConfig(t, dir, site, "")
	if code, _, stderr := runCommand(t, dir, "sync"); code > 1 {
		t.Fatalf("sync: exit %d\n%s", code, stderr)
	}
	archive := filepath.Join(dir, "archive")
	// GitHub Pages builds with Jekyll 3, which ignores render_with_liquid:
	// the posts must read right without it.
	for _, name := range storetest.PostFiles(t, archive) {
		path := filepath.Join(archive, store.PostsDir, name)
		data, _ := os.ReadFile(path)
		os.WriteFile(path, regexp.MustCompile(`(?m)^render_with_liquid: .*\n`).ReplaceAll(data, nil), 0o644)
	}
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

// TestJekyllMedia: an archive backfilled with media.images serves each
// image of each page at the address the page uses, and each post shows
// its images from the archive in a forge's file view too (a path from the
// repository's root).
func TestJekyllMedia(t *testing.T) {
	t.Parallel()
	jekyll, err := exec.LookPath("jekyll")
	if err != nil {
		t.Skip("jekyll is not installed (apt-get install jekyll); .ci/run installs it")
	}
	site := feedstest.NewSite(t)
	site.ListStories(1)
	var stories []feedstest.ArcStory
	for i, s := range feedstest.ArcStories(6)[:6] {
		s.Lead = site.URL + fmt.Sprintf("/img/lead-%d.png", i%3) // three distinct, each on two stories
		s.Images = []string{site.URL + fmt.Sprintf("/img/inline-%d.png", i)}
		site.SetFile(fmt.Sprintf("/img/lead-%d.png", i%3), "image/png", feedstest.Image(100+i%3))
		site.SetFile(fmt.Sprintf("/img/inline-%d.png", i), "image/png", feedstest.Image(i))
		stories = append(stories, s)
	}
	site.SetArcStories("rfa-mandarin", stories)
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), "store: {path: archive}\nfeeds: [{url: '"+site.StoriesURL()+"', arc_website: rfa-mandarin}]\nmedia: {images: true}\n")
	if code, _, stderr := runCommand(t, dir, "backfill", "--since", "2020-01-01", "--until", "2020-02-01"); code != 0 {
		t.Fatalf("backfill: exit %d\n%s", code, stderr)
	}
	archive := filepath.Join(dir, "archive")
	if media := storetest.MediaFiles(t, archive); len(media) != 9 {
		t.Errorf("%d media files, want 9 distinct images", len(media))
	}
	out := filepath.Join(dir, "site")
	if log, err := exec.Command(jekyll, "build", "--source", archive, "--destination", out).CombinedOutput(); err != nil {
		t.Fatalf("jekyll build: %v\n%s", err, log)
	}
	src := regexp.MustCompile(`<img[^>]* src="([^"]+)"`)
	pages := 0
	filepath.Walk(out, func(path string, info os.FileInfo, err error) error {
		if err != nil || !strings.HasPrefix(info.Name(), "story-") {
			return nil
		}
		pages++
		data, _ := os.ReadFile(path)
		imgs := src.FindAllStringSubmatch(string(data), -1)
		if len(imgs) != 2 {
			t.Errorf("%s shows %d images, want 2", path, len(imgs))
		}
		for _, m := range imgs {
			if !strings.HasPrefix(m[1], "/media/") {
				t.Errorf("%s shows %s, not the archive's copy", path, m[1])
			} else if _, err := os.Stat(filepath.Join(out, m[1])); err != nil {
				t.Errorf("%s shows %s, which the site does not serve", path, m[1])
			}
		}
		return nil
	})
	if pages != 6 {
		t.Errorf("%d story pages, want 6", pages)
	}
	for _, name := range storetest.PostFiles(t, archive) { // the forge's view: from the repository's root
		body := string(storetest.ReadPost(t, archive, name).Body)
		for _, m := range regexp.MustCompile(`!\[[^\]]*\]\((/media/[^ )]+)\)`).FindAllStringSubmatch(body, -1) {
			if _, err := os.Stat(filepath.Join(archive, m[1])); err != nil {
				t.Errorf("%s shows %s, which the repository does not hold", name, m[1])
			}
		}
	}
}
