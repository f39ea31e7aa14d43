package main

import (
	"fmt"
	"html"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
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

// TestJekyllRelayout: an archive made before layouts (posts and media
// files all at the top of their folders, with the earlier tool's post)
// moved by archiver relayout builds in Jekyll to the same pages at the
// same URLs, each showing its images from where they are now; and
// nothing is archived again.
func TestJekyllRelayout(t *testing.T) {
	t.Parallel()
	jekyll, err := exec.LookPath("jekyll")
	if err != nil {
		t.Skip("jekyll is not installed (apt-get install jekyll); .ci/run installs it")
	}
	site := feedstest.NewSite(t)
	site.ListStories(1)
	var stories []feedstest.ArcStory
	for i, s := range feedstest.ArcStories(6)[:6] {
		s.Lead = site.URL + fmt.Sprintf("/img/lead-%d.png", i)
		site.SetFile(fmt.Sprintf("/img/lead-%d.png", i), "image/png", feedstest.Image(100+i))
		stories = append(stories, s)
	}
	site.SetArcStories("rfa-mandarin", stories)
	dir := t.TempDir()
	config := "store: {path: archive%s}\nfeeds: [{url: '" + site.StoriesURL() + "', arc_website: rfa-mandarin}]\nmedia: {images: true}\n"
	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(config, ", layout: flat"))
	backfill := []string{"backfill", "--since", "2020-01-01", "--until", "2020-02-01"}
	if code, _, stderr := runCommand(t, dir, backfill...); code != 0 {
		t.Fatalf("backfill: exit %d\n%s", code, stderr)
	}
	archive := filepath.Join(dir, "archive")
	flattenMedia(t, archive)
	storetest.WriteFile(t, filepath.Join(archive, store.PostsDir, "2024-07-26-hx2-southeast-asian-diplomats-meet-07262024084201.md"), storetest.SamplePost)
	storetest.Git(t, archive, "add", "--all")
	storetest.Git(t, archive, "commit", "--quiet", "-m", "The earlier tool's post")
	before := buildPages(t, jekyll, archive, filepath.Join(dir, "before"))

	storetest.WriteFile(t, filepath.Join(dir, "config.yaml"), fmt.Sprintf(config, ""))
	code, stdout, stderr := runCommand(t, dir, "relayout")
	if code != 0 || !strings.Contains(stdout, "relayout: 7 posts moved to the layout, 6 media files into folders by hash") {
		t.Fatalf("relayout: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := storetest.Git(t, archive, "log", "-2", "--format=%s"); got != "Relayout: move 6 media files into folders by hash\nRelayout: move 7 posts into {year}/{month}\n" {
		t.Errorf("the relayout's commits:\n%s", got)
	}
	after := buildPages(t, jekyll, archive, filepath.Join(dir, "after"))
	if !slices.Equal(slices.Sorted(maps.Keys(after)), slices.Sorted(maps.Keys(before))) || len(after) != 7 {
		t.Errorf("the pages before the relayout:\n%q\nafter:\n%q", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
	}
	local := 0
	for page, images := range after {
		if len(images) != len(before[page]) {
			t.Errorf("%s shows %d images, showed %d", page, len(images), len(before[page]))
		}
		for _, img := range images {
			if strings.HasPrefix(img, "https://") { // the earlier tool's post shows RFA's
				continue
			}
			local++
			if _, err := os.Stat(filepath.Join(dir, "after", img)); err != nil || !strings.HasPrefix(img, "/media/") || strings.Count(img, "/") != 4 {
				t.Errorf("%s shows %s, not a copy in the media folders the site serves", page, img)
			}
		}
	}
	if local != 6 {
		t.Errorf("the pages show %d images from the archive, want 6", local)
	}
	if code, stdout, stderr := runCommand(t, dir, backfill...); code != 0 || !strings.Contains(stdout+stderr, "backfill: 0 new") {
		t.Errorf("a backfill after the relayout archived again: exit %d\n%s%s", code, stdout, stderr)
	}
	storetest.CheckRepo(t, archive)
}

// flattenMedia moves the media files of the archive at dir to the top of
// media/, and the posts' links with them, as archivers before layouts
// kept them, in a commit.
func flattenMedia(t *testing.T, dir string) {
	t.Helper()
	for _, path := range storetest.MediaFiles(t, dir) {
		storetest.Git(t, dir, "mv", store.MediaDir+"/"+path, store.MediaDir+"/"+filepath.Base(path))
		for _, name := range storetest.PostFiles(t, dir) {
			file := filepath.Join(dir, store.PostsDir, name)
			data, _ := os.ReadFile(file)
			os.WriteFile(file, []byte(strings.ReplaceAll(string(data), "/media/"+path, "/media/"+filepath.Base(path))), 0o644)
		}
	}
	storetest.Git(t, dir, "add", "--all")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "Media as archivers before layouts kept them")
}

// buildPages builds the archive with jekyll into out and returns the
// images each story page shows, by the page's URL.
func buildPages(t *testing.T, jekyll, archive, out string) map[string][]string {
	t.Helper()
	if log, err := exec.Command(jekyll, "build", "--source", archive, "--destination", out).CombinedOutput(); err != nil {
		t.Fatalf("jekyll build: %v\n%s", err, log)
	}
	src := regexp.MustCompile(`<img[^>]* src="([^"]+)"`)
	pages := map[string][]string{}
	filepath.Walk(out, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || !strings.HasSuffix(path, ".html") || strings.HasSuffix(path, "/index.html") {
			return nil
		}
		data, _ := os.ReadFile(path)
		rel, _ := filepath.Rel(out, path)
		pages["/"+rel] = nil
		for _, m := range src.FindAllStringSubmatch(string(data), -1) {
			pages["/"+rel] = append(pages["/"+rel], m[1])
		}
		return nil
	})
	return pages
}
