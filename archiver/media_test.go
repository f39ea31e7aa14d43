package archiver

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/feeds/feedstest"
	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// mediaSite is a site whose stories show images: story i a lead image on
// an image host (its own host, trusted by media.hosts) and an inline one
// behind the site's resizer; stories 1 and 2 share their lead image.
func mediaSite(t *testing.T, n int) (site, images *feedstest.Site, yaml string, resized *[]string) {
	site, images = feedstest.NewSite(t), feedstest.NewSite(t)
	site.ListStories(n)
	resized = new([]string)
	var mu sync.Mutex
	site.Handle("/resizer/", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		*resized = append(*resized, r.URL.Query().Get("width")+" "+r.URL.Query().Get("auth"))
		mu.Unlock()
		var i int
		fmt.Sscanf(r.URL.Path, "/resizer/v2/INLINE%d.png", &i)
		w.Write(feedstest.Image(i))
	})
	for i := 1; i <= n; i++ {
		lead := fmt.Sprintf("%s/radiofreeasia/lead-%d.png", images.URL, max(i, 2)) // 1 and 2 share one
		page := `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="storypagemaincol"><h1>图片报道` + fmt.Sprint(i) + `</h1>
<div id="headerimg"><img src="` + lead + `"><span class="lead_image_caption">头图说明` + fmt.Sprint(i) + `</span></div>
<div id="storytext"><p>第一段。</p><figure><img src="/resizer/v2/INLINE` + fmt.Sprint(i) + `.png?auth=secret&amp;width=400" alt="正文图` + fmt.Sprint(i) + `"><figcaption>正文图` + fmt.Sprint(i) + `</figcaption></figure><p>第二段。</p></div></div></body></html>`
		site.SetPage(feedstest.StoryPath(i), page)
		images.SetFile(fmt.Sprintf("/radiofreeasia/lead-%d.png", max(i, 2)), "image/png", feedstest.Image(100+max(i, 2)))
	}
	yaml = feedsYAML(site.StoriesURL()) + "media: {images: true, hosts: ['" + strings.TrimPrefix(images.URL, "http://") + "']}\n"
	return site, images, yaml, resized
}

// TestPassMedia: each distinct image once in the store, named by its hash,
// committed with the posts, which show it from there and link the
// original; the resizer is asked for a bounded width.
func TestPassMedia(t *testing.T) {
	t.Parallel()
	site, images, yaml, resized := mediaSite(t, 3)
	a, archive := newTest(t, yaml, "")
	sum := pass(t, a)
	if got := counts(sum); got != "3 new, 0 updated, 0 failed, 0 parked" {
		t.Fatalf("pass: %s %+v", got, sum.Failed)
	}
	files := storetest.MediaFiles(t, archive)
	if len(files) != 5 { // 2 lead images, 3 inline
		t.Errorf("media %q, want 5 distinct images", files)
	}
	if images.Hits("/radiofreeasia/lead-2.png") != 1 {
		t.Errorf("the shared lead image was downloaded %d times", images.Hits("/radiofreeasia/lead-2.png"))
	}
	if !slices.Equal(*resized, []string{"1280 secret", "1280 secret", "1280 secret"}) {
		t.Errorf("the resizer was asked %q", *resized)
	}
	body := storetest.Bodies(t, archive)[site.StoryURL(1)]
	lead := store.MediaName(feedstest.Image(102), "png")
	if !strings.Contains(body, "[![头图说明1](/"+store.ShardedMediaPath(lead)+")]("+images.URL+"/radiofreeasia/lead-2.png)") {
		t.Errorf("story 1 does not show its lead image from the archive:\n%s", body)
	}
	if n := strings.Count(body, "](/media/"); n != 2 {
		t.Errorf("story 1 shows %d images from the archive, want 2:\n%s", n, body)
	}
	storetest.CheckRepo(t, archive)
}

// TestPassMediaFails: an image that cannot be fetched does not hold its
// post back; it is a failure, parked like an article's, and once it comes
// the post shows it from the archive.
func TestPassMediaFails(t *testing.T) {
	t.Parallel()
	site, images, yaml, _ := mediaSite(t, 1)
	a, archive := newTest(t, yaml, "")
	images.Fail("/radiofreeasia/lead-2.png", feedstest.Status(http.StatusServiceUnavailable))
	site.SetFile("/resizer/v2/INLINE1.png", "image/png", []byte("<html>not an image</html>"))
	sum := pass(t, a)
	if got := counts(sum); got != "1 new, 0 updated, 2 failed, 0 parked" {
		t.Fatalf("pass: %s %+v", got, sum.Failed)
	}
	for _, f := range sum.Failed {
		if f.Kind != retry.KindMedia {
			t.Errorf("failure %+v, want kind media", f)
		}
	}
	body := storetest.Bodies(t, archive)[site.StoryURL(1)]
	if strings.Contains(body, "/media/") || !strings.Contains(body, "("+images.URL+"/radiofreeasia/lead-2.png)") {
		t.Errorf("the post does not link the original:\n%s", body)
	}
	if recs := listFailures(t, a); len(recs) != 2 {
		t.Errorf("archiver failures: %+v", recs)
	}

	images.Heal("/radiofreeasia/lead-2.png")
	site.SetFile("/resizer/v2/INLINE1.png", "image/png", feedstest.Image(1))
	a.Now = func() time.Time { return time.Now().Add(2 * time.Hour) } // both due again
	sum = pass(t, a)
	if got := counts(sum); got != "0 new, 1 updated, 0 failed, 0 parked" {
		t.Errorf("the pass after: %s %+v %+v", got, sum.Failed, sum.Parked)
	}
	body = storetest.Bodies(t, archive)[site.StoryURL(1)]
	if strings.Count(body, "](/media/") != 2 || len(storetest.MediaFiles(t, archive)) != 2 {
		t.Errorf("the post once its images came:\n%s\nmedia %q", body, storetest.MediaFiles(t, archive))
	}
	if recs := listFailures(t, a); len(recs) != 0 {
		t.Errorf("archiver failures: %+v", recs)
	}
	storetest.CheckRepo(t, archive)
}

// TestPassMediaLimits: an image over media.max_size is a failure that will
// not heal by itself; one on a host that is not trusted stays a link, and
// is no failure.
func TestPassMediaLimits(t *testing.T) {
	t.Parallel()
	site, images, _, _ := mediaSite(t, 1)
	a, archive := newTest(t, feedsYAML(site.StoriesURL())+"media: {images: true, max_size: 60}\n", "") // images.URL not trusted
	sum := pass(t, a)
	if len(sum.Failed) != 1 || !sum.Failed[0].Permanent || !strings.Contains(sum.Failed[0].Reason, "media.max_size") {
		t.Errorf("failed %+v, want the inline image, too large", sum.Failed)
	}
	body := storetest.Bodies(t, archive)[site.StoryURL(1)]
	if !strings.Contains(body, "("+images.URL+"/radiofreeasia/lead-2.png)") || images.Hits("/radiofreeasia/lead-2.png") != 0 {
		t.Errorf("the image on an untrusted host was fetched (%d), or is not linked:\n%s", images.Hits("/radiofreeasia/lead-2.png"), body)
	}
}

// TestPassAudio: with media.audio, a story's audio (Plone's og:audio) is
// kept, and linked from its post; media.images off leaves images links.
func TestPassAudio(t *testing.T) {
	t.Parallel()
	site := feedstest.NewSite(t)
	site.ListStories(1)
	site.SetPage(feedstest.StoryPath(1), `<!DOCTYPE html><html><head><meta charset="utf-8"><meta property="og:audio" content="/audio/story1.mp3"></head><body>
<div id="storypagemaincol"><h1>有声报道</h1><div id="storytext"><p>正文。</p><p><img src="/img/x.png" alt="图"></p></div></div></body></html>`)
	mp3 := append([]byte("ID3\x03\x00\x00\x00\x00\x00\x00"), make([]byte, 200)...)
	site.SetFile("/audio/story1.mp3", "audio/mpeg", mp3)
	site.SetFile("/img/x.png", "image/png", feedstest.Image(1))
	a, archive := newTest(t, feedsYAML(site.StoriesURL())+"media: {audio: true}\n", "")
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Fatalf("pass: %s", got)
	}
	post := storetest.ReadPost(t, archive, storetest.Posts(t, archive)[site.StoryURL(1)])
	name := store.MediaName(mp3, "mp3")
	if post.Fields["audio"] != site.URL+"/audio/story1.mp3" || !strings.Contains(string(post.Body), "](/"+store.ShardedMediaPath(name)+")") {
		t.Errorf("audio %v, body:\n%s", post.Fields["audio"], post.Body)
	}
	if !strings.Contains(string(post.Body), "![图]("+site.URL+"/img/x.png)") || len(storetest.MediaFiles(t, archive)) != 1 {
		t.Errorf("with media.images off the image is not a link, or was kept (%q):\n%s", storetest.MediaFiles(t, archive), post.Body)
	}
}

// TestPassStoppedInMedia: a pass stopped while it fetches a post's images
// records no failure and writes no post linking the originals: the next
// pass makes the post whole.
func TestPassStoppedInMedia(t *testing.T) {
	t.Parallel()
	site, images, yaml, _ := mediaSite(t, 1)
	a, archive := newTest(t, yaml, "")
	lead := "/radiofreeasia/lead-2.png"
	release := images.Hold(lead)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for images.Hits(lead) < 1 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if sum, err := a.Pass(ctx); err != context.Canceled || counts(sum) != "0 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the stopped pass: %v, %s %+v", err, counts(sum), sum.Failed)
	}
	release()
	if posts := storetest.Posts(t, archive); len(posts) != 0 {
		t.Errorf("posts after the stopped pass: %v", posts)
	}
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the next pass: %s", got)
	}
	if body := storetest.Bodies(t, archive)[site.StoryURL(1)]; strings.Count(body, "](/media/") != 2 {
		t.Errorf("the post does not show its images from the archive:\n%s", body)
	}
}

// TestPassMediaRemoved: an image a person removed from the store is
// downloaded again for the next post that shows it.
func TestPassMediaRemoved(t *testing.T) {
	t.Parallel()
	site, images, yaml, _ := mediaSite(t, 1)
	a, archive := newGitTest(t, yaml, "")
	pass(t, a)
	lead := store.MediaName(feedstest.Image(102), "png")
	storetest.Git(t, archive, "rm", "--quiet", store.ShardedMediaPath(lead))
	storetest.Git(t, archive, "commit", "--quiet", "-m", "Not this picture")
	site.ListStories(2) // with story 1's lead image
	site.SetPage(feedstest.StoryPath(2), `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="storypagemaincol"><h1>图片报道2</h1>
<div id="headerimg"><img src="`+images.URL+`/radiofreeasia/lead-2.png"></div><div id="storytext"><p>第一段。</p></div></div></body></html>`)
	if got := counts(pass(t, a)); got != "1 new, 0 updated, 0 failed, 0 parked" {
		t.Errorf("the second pass: %s", got)
	}
	if _, err := os.Stat(filepath.Join(archive, store.ShardedMediaPath(lead))); err != nil || images.Hits("/radiofreeasia/lead-2.png") != 2 {
		t.Errorf("the removed image is not kept again for story 2 (%v; downloaded %d times)", err, images.Hits("/radiofreeasia/lead-2.png"))
	}
}

// bigImage serves a valid PNG of size bytes (4 × 3 pixels, the rest a
// private chunk), made as it is sent, different for each n.
func bigImage(n, size int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		chunk := func(kind string, data func(io.Writer) uint32, length int) {
			binary.Write(w, binary.BigEndian, uint32(length))
			crc := crc32.NewIEEE()
			io.WriteString(io.MultiWriter(w, crc), kind)
			data(io.MultiWriter(w, crc))
			binary.Write(w, binary.BigEndian, crc.Sum32())
		}
		bytesOf := func(b []byte) func(io.Writer) uint32 { return func(w io.Writer) uint32 { w.Write(b); return 0 } }
		io.WriteString(w, "\x89PNG\r\n\x1a\n")
		chunk("IHDR", bytesOf([]byte{0, 0, 0, 4, 0, 0, 0, 3, 8, 0, 0, 0, 0}), 13)
		pad := size - 60
		chunk("prVt", func(w io.Writer) uint32 {
			block := bytes.Repeat([]byte{byte(n)}, 64<<10)
			for left := pad; left > 0; left -= len(block) {
				w.Write(block[:min(len(block), left)])
			}
			return 0
		}, pad)
		chunk("IDAT", bytesOf([]byte{0x78, 0x9c, 0x63, 0x60, 0x18, 0x05, 0x00, 0x00, 0x24, 0x00, 0x01}), 11)
		chunk("IEND", bytesOf(nil), 0)
	}
}

// TestPassManyLargeImages: a story of many large images costs no memory
// for their bytes: each goes to a file as it comes, hashed on the way.
func TestPassManyLargeImages(t *testing.T) {
	const images, size = 20, 4 << 20
	site := feedstest.NewSite(t)
	site.ListStories(1)
	var page strings.Builder
	page.WriteString(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><div id="storypagemaincol"><h1>很多大图</h1><div id="storytext"><p>正文。</p>`)
	for i := range images {
		fmt.Fprintf(&page, `<p><img src="/big/%d.png" alt="图%d"></p>`, i, i)
		site.Handle(fmt.Sprintf("/big/%d.png", i), bigImage(i, size))
	}
	page.WriteString(`</div></div></body></html>`)
	site.SetPage(feedstest.StoryPath(1), page.String())
	a, archive := newGitTest(t, feedsYAML(site.StoriesURL())+"media: {images: true}\n", "concurrency: 4") // files, not memory
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	sum := pass(t, a)
	runtime.ReadMemStats(&after)
	if got := counts(sum); got != "1 new, 0 updated, 0 failed, 0 parked" || len(storetest.MediaFiles(t, archive)) != images {
		t.Fatalf("pass: %s %+v; %d media", got, sum.Failed, len(storetest.MediaFiles(t, archive)))
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > images*size/4 {
		t.Errorf("the pass allocated %d MiB for %d MiB of images: it holds them in memory", alloc>>20, images*size>>20)
	}
}
