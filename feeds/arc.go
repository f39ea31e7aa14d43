package feeds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/rfa-archive/archiver/feeds/fetch"
)

// An Arc XP site answers, beside its feeds, the content API its own pages
// read: every story it holds, back to the first, a page of ANS stories at
// a time, for a span of display dates.

// MaxOffset is how deep the search behind the content API pages: offset
// plus size past it is refused, so a span must hold no more stories.
const MaxOffset = 10_000

// ArcAPIPath is where an Arc site answers story-feed-query.
const ArcAPIPath = "/pf/api/v3/content/fetch/story-feed-query"

// StoryQuery asks an Arc site's content API for the stories of a span of
// days.
type StoryQuery struct {
	Site       *url.URL  // the site: scheme and host
	Website    string    // the Arc site id, such as rfa-mandarin
	Deployment string    // the site's Fusion.deployment, "" if not known
	From, To   time.Time // the first and last day, inclusive
	Offset     int
	Size       int // at most 100
}

// URL is the query's URL.
func (q StoryQuery) URL() string {
	query, _ := json.Marshal(map[string]any{
		"feature": "results-list",
		"offset":  q.Offset,
		"query":   "display_date:[" + q.From.Format(time.DateOnly) + " TO " + q.To.Format(time.DateOnly) + "]",
		"size":    q.Size,
	})
	v := url.Values{"query": {string(query)}}
	if q.Deployment != "" {
		v.Set("d", q.Deployment)
	}
	v.Set("_website", q.Website)
	u := url.URL{Scheme: q.Site.Scheme, Host: q.Site.Host, Path: ArcAPIPath, RawQuery: v.Encode()}
	return u.String()
}

// StoryPage is one answer of the content API.
type StoryPage struct {
	Stories []json.RawMessage // ANS, one a story
	Count   int               // how many stories the span holds
	Next    int               // the offset of the next page; 0 after the last
}

// ErrNotStories means an answer of the content API is not a page of
// stories.
var ErrNotStories = errors.New("the content API's answer is not a page of stories")

// Stories asks the content API for a page of stories.
func Stories(ctx context.Context, client *fetch.Client, q StoryQuery) (*StoryPage, error) {
	resp, err := client.Get(ctx, fetch.Request{URL: q.URL(), Accept: "application/json"})
	if err != nil {
		return nil, fmt.Errorf("feeds: %w", err)
	}
	var answer struct {
		ContentElements []json.RawMessage `json:"content_elements"`
		Count           *int              `json:"count"`
		Next            json.RawMessage   `json:"next"`
	}
	if err := json.Unmarshal(resp.Body, &answer); err != nil || answer.Count == nil {
		return nil, &Error{URL: resp.URL, Err: fmt.Errorf("%w (%v)", ErrNotStories, cmpErr(err, "it has no count"))}
	}
	page := &StoryPage{Stories: answer.ContentElements, Count: *answer.Count}
	if next := string(answer.Next); next != "" && next != "null" {
		// A number, or a number in a string.
		n, err := strconv.Atoi(trimQuotes(next))
		if err != nil || n <= q.Offset {
			return nil, &Error{URL: resp.URL, Err: fmt.Errorf("%w (next %s after offset %d)", ErrNotStories, next, q.Offset)}
		}
		page.Next = n
	}
	return page, nil
}

func cmpErr(err error, otherwise string) string {
	if err != nil {
		return err.Error()
	}
	return otherwise
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

// deploymentRE finds Fusion.deployment in an Arc page's fusion-metadata
// script.
var deploymentRE = regexp.MustCompile(`Fusion\.deployment\s*=\s*"?([0-9A-Za-z._-]+)"?`)

// Deployment is the deployment number an Arc page carries, "" if none.
func Deployment(page []byte) string {
	if m := deploymentRE.FindSubmatch(page); m != nil {
		return string(m[1])
	}
	return ""
}

// FetchDeployment is the deployment number the page at u says, "" if it
// says none or cannot be fetched.
func FetchDeployment(ctx context.Context, client *fetch.Client, u string) string {
	resp, err := client.Get(ctx, fetch.Request{URL: u, Accept: "text/html"})
	if err != nil {
		return ""
	}
	return Deployment(resp.Body)
}
