package feedstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A Site can answer Arc XP's content API, as www.rfa.org does: the stories
// of a span of display dates, newest first, a page at a time, with the
// count of all and the offset of the next page. Like the search behind the
// real one, it refuses pages past ArcMaxOffset. Its front page carries the
// site's deployment number.

// ArcAPIPath is the path of the content API's story query.
const ArcAPIPath = "/pf/api/v3/content/fetch/story-feed-query"

// ArcDeployment is the deployment number the site's front page carries.
const ArcDeployment = "1042"

// ArcStory is a story of the content API.
type ArcStory struct {
	ID         string    // ANS _id
	Path       string    // canonical_url: /mandarin/<section>/<yyyy>/<mm>/<dd>/<slug>/
	Title      string    // headlines.basic
	Date       time.Time // display_date
	Paragraphs []string  // text elements; none: a story without a body
	Images     []string  // URLs of inline images, after the first paragraph
	Lead       string    // URL of the lead image (promo_items), if any
	Type       string    // "" for a story
	// Set are keys of the story's ANS set over those the fields above
	// make (a nil value removes the key): a content API's odd answers.
	Set map[string]any
}

// SampleStory is the story of the sample post of the earlier tool
// (storetest.SamplePost, archived under its Plone URL) as the content API
// has it: published that day, under an Arc URL.
var SampleStory = ArcStory{
	ID: "SAMPLESTORY0000000000000000", Title: "美中外长在东盟外交拼场 布林肯与王毅将会面",
	Date:       time.Date(2024, 7, 26, 12, 42, 1, 0, time.UTC),
	Path:       ArcPath(time.Date(2024, 7, 26, 0, 0, 0, 0, time.UTC), "southeast-asian-diplomats-meet"),
	Paragraphs: []string{"东盟外长会议在老挝举行。", "第二段。"},
}

// ArcStories are n stories, one every 3½ days from 2020-01-03, the i-th
// titled 第i篇存档报道 with the text 第i篇的正文。, and SampleStory.
func ArcStories(n int) []ArcStory {
	var stories []ArcStory
	start := time.Date(2020, 1, 3, 8, 0, 0, 0, time.UTC)
	for i := range n {
		date := start.Add(time.Duration(i) * 84 * time.Hour)
		stories = append(stories, ArcStory{
			ID: fmt.Sprintf("STORY%022d", i), Title: fmt.Sprintf("第%d篇存档报道", i), Date: date,
			Path:       ArcPath(date, fmt.Sprintf("story-%d", i)),
			Paragraphs: []string{fmt.Sprintf("第%d篇的正文。", i), "<b>第二段</b>，有强调。"},
		})
	}
	return append(stories, SampleStory)
}

// ArcPath is the Arc URL path of a story of date with slug.
func ArcPath(date time.Time, slug string) string {
	return date.UTC().Format("/mandarin/shehui/2006/01/02/") + slug + "/"
}

// SetArcStories serves the content API of the Arc site website (the site
// may hold several) with stories, and a front page carrying the
// deployment.
func (s *Site) SetArcStories(website string, stories []ArcStory) {
	sorted := slices.Clone(stories)
	slices.SortStableFunc(sorted, func(a, b ArcStory) int { return b.Date.Compare(a.Date) })
	s.mu.Lock()
	if s.arcSites == nil {
		s.arcSites = map[string][]ArcStory{}
	}
	s.arcSites[website] = sorted
	s.mu.Unlock()
	s.SetPage("/", `<!DOCTYPE html><html><head><script id="fusion-metadata" type="application/javascript">window.Fusion=window.Fusion||{};Fusion.arcSite="`+
		website+`";Fusion.deployment="`+ArcDeployment+`";</script></head><body><h1>首页</h1></body></html>`)
	s.Handle(ArcAPIPath, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.arcQueries = append(s.arcQueries, r.URL.Query())
		website := r.URL.Query().Get("_website")
		stories, ok := s.arcSites[website]
		s.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"no such website"}`, http.StatusNotFound)
			return
		}
		serveArcQuery(w, r, website, stories)
	})
}

// ArcQueries are the queries the content API was asked, in order.
func (s *Site) ArcQueries() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.arcQueries)
}

// ArcMaxOffset is how deep the content API pages: offset plus size past
// it is refused.
var ArcMaxOffset = 10_000

var displayDate = regexp.MustCompile(`^display_date:\[(\d{4}-\d{2}-\d{2}) TO (\d{4}-\d{2})-(\d{2})\]$`)

// serveArcQuery answers a story query.
func serveArcQuery(w http.ResponseWriter, r *http.Request, website string, stories []ArcStory) {
	var q struct {
		Feature string `json:"feature"`
		Offset  int    `json:"offset"`
		Query   string `json:"query"`
		Size    int    `json:"size"`
	}
	if err := json.Unmarshal([]byte(r.URL.Query().Get("query")), &q); err != nil || q.Feature != "results-list" {
		http.Error(w, `{"error":"bad query"}`, http.StatusBadRequest)
		return
	}
	m := displayDate.FindStringSubmatch(q.Query)
	if m == nil || q.Size < 1 || q.Size > 100 || q.Offset < 0 {
		http.Error(w, `{"error":"bad query"}`, http.StatusBadRequest)
		return
	}
	if q.Offset+q.Size > ArcMaxOffset {
		http.Error(w, `{"error":"Result window is too large, from + size must be less than or equal to: [10000]"}`, http.StatusInternalServerError)
		return
	}
	from, _ := time.Parse(time.DateOnly, m[1])
	// Day 31 of any month is accepted: the end of the month.
	month, _ := time.Parse("2006-01", m[2])
	day, _ := strconv.Atoi(m[3])
	to := month.AddDate(0, 0, day) // the day after the last
	if next := month.AddDate(0, 1, 0); to.After(next) {
		to = next
	}
	var in []ArcStory
	for _, st := range stories {
		if !st.Date.Before(from) && st.Date.Before(to) {
			in = append(in, st)
		}
	}
	answer := map[string]any{"type": "results", "count": len(in)}
	var elements []any
	for i := q.Offset; i < len(in) && i < q.Offset+q.Size; i++ {
		elements = append(elements, in[i].ANS(website))
	}
	answer["content_elements"] = elements
	if q.Offset+q.Size < len(in) {
		answer["next"] = q.Offset + q.Size
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(answer)
}

// ANS is the story as Arc's content API gives it.
func (st ArcStory) ANS(website string) map[string]any {
	date := st.Date.UTC().Format("2006-01-02T15:04:05.000Z")
	var elements []any
	for i, p := range st.Paragraphs {
		elements = append(elements, map[string]any{"type": "text", "_id": fmt.Sprintf("%s-p%d", st.ID, i), "content": p})
		if i == 0 {
			for j, img := range st.Images {
				elements = append(elements, map[string]any{"type": "image", "_id": fmt.Sprintf("%s-i%d", st.ID, j), "url": img,
					"caption": fmt.Sprintf("图%d：%s", j+1, st.Title), "credits": map[string]any{"by": []any{map[string]any{"name": "美联社"}}}})
			}
		}
	}
	ans := map[string]any{
		"_id": st.ID, "type": cmpOr(st.Type, "story"), "version": "0.10.9", "language": "zh",
		"canonical_website": website, "canonical_url": st.Path, "website": website, "website_url": st.Path,
		"websites":     map[string]any{website: map[string]any{"website_url": st.Path}},
		"display_date": date, "first_publish_date": date, "publish_date": date, "last_updated_date": date,
		"headlines":        map[string]any{"basic": st.Title},
		"description":      map[string]any{"basic": strings.TrimSpace(strings.Join(st.Paragraphs[:min(1, len(st.Paragraphs))], ""))},
		"credits":          map[string]any{"by": []any{map[string]any{"type": "author", "name": "凯迪"}}},
		"taxonomy":         map[string]any{"primary_section": map[string]any{"_id": "/mandarin/shehui", "name": "社会"}},
		"content_elements": elements,
	}
	if st.Lead != "" {
		ans["promo_items"] = map[string]any{"basic": map[string]any{"type": "image", "url": st.Lead, "caption": "题图：" + st.Title}}
	}
	for k, v := range st.Set {
		if v == nil {
			delete(ans, k)
		} else {
			ans[k] = v
		}
	}
	return ans
}

// Page is the story's page on an Arc site: its ANS embedded as
// Fusion.globalContent, as the site's pages carry it.
func (st ArcStory) Page(website string) string {
	ans, _ := json.Marshal(st.ANS(website))
	return `<!DOCTYPE html><html><head><title>` + st.Title + `</title><script id="fusion-metadata" type="application/javascript">window.Fusion=window.Fusion||{};Fusion.arcSite="` +
		website + `";Fusion.deployment="` + ArcDeployment + `";Fusion.globalContent=` + string(ans) + `;Fusion.globalContentConfig={};</script></head><body><h1>` +
		st.Title + `</h1></body></html>`
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Image is a small PNG image, a different one for each n.
func Image(n int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for i := range img.Pix {
		img.Pix[i] = byte(n*7 + i)
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}
