package archiver

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/posts"
	"github.com/rfa-archive/archiver/archiver/retry"
	"github.com/rfa-archive/archiver/archiver/revisit"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// A recorder keeps what the jobs of a pass come to: a post the writer
// writes, or a failure it records; and the entry as seen. It holds what
// the pass has under way.
type recorder struct {
	w         *posts.Writer
	queue     *revisit.Queue // nil when revisits are off
	schedule  revisit.Schedule
	state     *state
	book      *retry.Book
	index     *posts.Index
	known     map[string]bool // the keys of the articles the pass knows: listed, or failed before
	forgotten map[string]bool // the keys of the articles not to archive again
	sum       *Summary
	log       *slog.Logger
}

// record keeps the result of one job, and counts it if it is a revisit.
func (rc *recorder) record(r result) {
	if outcome := rc.keep(r); outcome != "" {
		rc.revisited(r.job, outcome)
	}
}

// keep keeps the result of one job: its post written, or its failure
// recorded. It returns what that is to a revisit ("" for a medium).
func (rc *recorder) keep(r result) string {
	j := r.job
	switch {
	case j.medium():
		file := posts.MediaFile{URL: j.retry.Medium.URL, Err: r.err}
		if len(r.media) > 0 {
			file = r.media[0]
		}
		rc.w.Medium(j.keys[0], j.retry.Target, file, j.feed.Name)
		return ""
	case j.revisit && errors.Is(r.err, article.ErrNotModified):
		rc.done(j, "")
		return RevisitUnchanged
	case r.err != nil:
		return rc.noPost(j, r.err)
	}

	page, ok := rc.whose(&j, r.post)
	if !ok {
		return RevisitFailed
	}
	s := j.story()
	s.Keys = append(slices.Clone(j.keys), page)
	back := len(rc.w.Done.Back)
	changed, err := rc.w.Write(s, r.post, r.media)
	var drift *posts.DriftError
	switch {
	case errors.As(err, &drift):
		rc.drift(s, r.post.URL, drift)
		return RevisitFailed
	case errors.Is(err, posts.ErrStore):
		rc.w.Fail(s, retry.KindStore, err)
		return RevisitFailed
	case err != nil:
		return RevisitFailed
	}
	rc.done(j, page)
	if e := rc.queue.Entry(j.update); j.revisit && e != nil {
		// The post is the page now: the next revisit asks whether it changed since.
		e.ETag, e.LastModified = r.validators.ETag, r.validators.LastModified
	}
	switch {
	case len(rc.w.Done.Back) > back:
		return RevisitBack
	case changed:
		return RevisitRevised
	}
	return RevisitUnchanged
}

// revisited counts the outcome of a revisit job, and queues its story
// for its next turn.
func (rc *recorder) revisited(j job, outcome string) {
	if !j.revisit || rc.queue == nil {
		return
	}
	rc.sum.Revisits[outcome]++
	rc.queue.Done(j.update, rc.sum.Start, rc.schedule)
}

// drift records that the page of s, an archived story, no longer reads
// as its post did (err says how): the site's pages changed shape, and the
// post stays as it is until the site rule is fixed.
func (rc *recorder) drift(s posts.Story, pageURL string, err *posts.DriftError) {
	rc.sum.Drift[hostOf(pageURL)]++
	rc.log.Warn("extraction drift: the story's page no longer reads as its archived post; the post stays as it is (fix the site rule: README, Adding a site rule)",
		slog.String("url", pageURL), slog.String("file", s.Update), slog.String("why", err.Why))
	rc.w.Fail(s, retry.KindExtract, err)
}

// whose checks that the page a job fetched is its article's, and returns
// its key. It is not when it is a page taken down, or another article's
// (the job is done, or failed); a guid's post is the job's to update.
func (rc *recorder) whose(j *job, post *jekyll.Post) (string, bool) {
	page := feeds.Key(post.URL)
	redirected := !slices.Contains(j.keys, page)
	if redirected && rc.forgotten[page] {
		rc.log.Info("the link leads to a story taken down from the archive; it is not archived again",
			slog.String("url", j.item.Link), slog.String("page", post.URL))
		rc.done(*j, page)
		return "", false
	}
	owner := rc.index.Get(page) // the post of the page, if it is archived
	if j.guid != "" && owner == j.guid {
		j.update = owner // the post with its guid: the same article
	}
	if redirected && (owner != "" && owner != j.update || owner == "" && rc.known[page]) {
		// The link led to the page of another article: not this one's.
		rc.w.Fail(j.story(), retry.KindFetch, fmt.Errorf("%w (%s)", errSamePage, post.URL))
		return "", false
	}
	return page, true
}

// done forgets a job's failure and remembers its entry as seen, with the
// page its link led to ("" when not fetched).
func (rc *recorder) done(j job, page string) {
	rc.book.Done(j.keys[0])
	key := seenKey(j.feed.URL, j.keys[0])
	s := seen{Hash: itemHash(j.item), At: rc.sum.Start, Page: rc.state.Seen[key].Page}
	if page != "" {
		s.Page = ""
		if !slices.Contains(j.keys, page) {
			s.Page = page
		}
	}
	rc.state.Seen[key] = s
}

// noPost keeps a job whose post could not be made: a failure, unless the
// article was taken down or redirected off the trusted hosts. It returns
// the outcome, for a revisit.
func (rc *recorder) noPost(j job, err error) string {
	switch {
	case j.update != "" && errors.Is(err, fetch.ErrGone), j.revisit && gone(err):
		// The story was taken down: the archive keeps it as it was,
		// marked removed from the site.
		if _, err := rc.w.MarkRemoved(j.update, j.item.Link, rc.sum.Start); err != nil {
			rc.w.Fail(j.story(), retry.KindStore, err)
			return RevisitFailed
		}
		if e := rc.queue.Entry(j.update); e != nil {
			e.ETag, e.LastModified = "", "" // the page back as it was is news: the post is marked removed
		}
		rc.done(j, "")
		return RevisitRemoved
	case errors.Is(err, fetch.ErrUntrusted):
		// Redirected off the trusted hosts: skipped, like a link there.
		rc.sum.Skipped++
		rc.log.Warn("feed entry skipped", slog.String("feed", j.feed.Name), slog.String("url", j.item.Link),
			slog.String("reason", "its page redirects to a host that is not trusted (add the host to allowed_hosts to archive it): "+retry.Reason(err)))
		rc.book.Done(j.keys[0])
	default:
		// An edit that fails is a failure too: the archived version stands
		// meanwhile, and the edit is tried again.
		rc.w.Fail(j.story(), retry.KindOf(err), err)
	}
	return RevisitFailed
}

// errSamePage means an entry's link led to the page of another article.
var errSamePage = errors.New("the link leads to the page of another article")
