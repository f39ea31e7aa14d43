package archiver

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
)

// A recorder keeps what the jobs of a pass come to: a post written to the
// store, a failure remembered in the state, and either in the summary.
type recorder struct {
	st        *store.Store
	state     *state
	index     postIndex
	known     map[string]bool // the keys of the articles the pass knows: listed, or failed before
	forgotten map[string]bool // the keys of the articles not to archive again
	giveUp    time.Duration   // how long an article may fail before it is given up
	sum       *Summary
	log       *slog.Logger
	loc       *time.Location // of the dates in file names
	media     *mediaFetcher  // the pass's
}

// record keeps the result of one job.
func (rc *recorder) record(r result) {
	j := r.job
	switch {
	case j.media:
		rc.recordMedia(r)
		return
	case r.err != nil:
		rc.noPost(j, r.err)
		return
	}
	page, ok := rc.whose(&j, r.post)
	if !ok {
		return
	}
	name := j.update
	var old []byte // the archived post, for an update
	if name == "" {
		name = fileName(rc.st, r.post, rc.loc)
	} else if old, _ = rc.st.Read(name); old != nil {
		if fm, err := store.ParseFrontMatter(old); err == nil {
			keep(r.post, fm)
		}
	}
	if len(r.media) > 0 {
		local := rc.media.keep(rc.st, rc.state, name, r.post, j.feed.URL, r.media, rc.sum.Start, rc.mediaFailed)
		r.post.Body = article.LocalMedia(r.post.Body, local, r.post.Audio)
	}
	data, err := renderChecked(r.post)
	if err != nil {
		rc.remember(j, KindOther, err)
		return
	}
	if old != nil && string(old) == string(data) {
		rc.done(j, page) // the entry changed, the story did not
		return
	}
	if err := rc.st.Write(name, data); err != nil {
		rc.remember(j, KindStore, err)
		return
	}
	for _, k := range append(j.keys, page) {
		rc.index[k] = name
	}
	rc.done(j, page)
	a := Archived{Title: r.post.Title, URL: r.post.URL, Feed: j.feed.Name}
	if j.update != "" {
		rc.sum.Updated = append(rc.sum.Updated, a)
		rc.log.Info("updated", slog.String("title", a.Title), slog.String("url", a.URL), slog.String("file", name))
	} else {
		rc.sum.New = append(rc.sum.New, a)
		rc.log.Info("archived", slog.String("title", a.Title), slog.String("url", a.URL), slog.String("file", name))
	}
}

// whose checks that the page a job fetched is its article's, and returns
// its key. It is not when it is a page taken down, or another article's
// (the job is done, or failed); a guid's post is the job's to update.
func (rc *recorder) whose(j *job, post *article.Post) (string, bool) {
	page := feeds.Key(post.URL)
	redirected := !slices.Contains(j.keys, page)
	if redirected && rc.forgotten[page] {
		rc.log.Info("the link leads to a story taken down from the archive; it is not archived again",
			slog.String("url", j.item.Link), slog.String("page", post.URL))
		rc.done(*j, page)
		return "", false
	}
	owner := rc.index[page] // the post of the page, if it is archived
	if j.guid != "" && owner == j.guid {
		j.update = owner // the post with its guid: the same article
	}
	if redirected && (owner != "" && owner != j.update || owner == "" && rc.known[page]) {
		// The link led to the page of another article: not this one's.
		rc.remember(*j, KindFetch, fmt.Errorf("%w (%s)", errSamePage, post.URL))
		return "", false
	}
	return page, true
}

// recordMedia keeps a medium of a post that failed before: the post is
// rewritten to show it from the archive.
func (rc *recorder) recordMedia(r result) {
	j := r.job
	if r.err != nil {
		rc.remember(j, KindMedia, r.err)
		return
	}
	old, err := rc.st.Read(j.update)
	if err != nil {
		delete(rc.state.Failures, j.keys[0]) // the post is gone
		return
	}
	local := rc.media.keep(rc.st, rc.state, j.update, &article.Post{Title: j.item.Title}, j.item.Feed, r.media, rc.sum.Start, rc.mediaFailed)
	data, err := localize(old, local)
	if err == nil && string(data) != string(old) {
		err = rc.st.Write(j.update, data)
	}
	if err != nil {
		rc.remember(j, KindStore, err)
		return
	}
	a := Archived{Title: j.item.Title, URL: j.update, Feed: j.feed.Name}
	if fm, err := store.ParseFrontMatter(data); err == nil {
		a.URL = fm.From
	}
	if !slices.Contains(rc.sum.Updated, a) { // one post, however many of its media came
		rc.sum.Updated = append(rc.sum.Updated, a)
	}
	rc.log.Info("a post shows a medium from the archive now", slog.String("file", j.update), slog.String("url", j.item.Link))
}

// mediaFailed reports a medium of a post that failed: the first time it
// counts, as an article's.
func (rc *recorder) mediaFailed(f Failure, first bool) {
	if first {
		rc.sum.Failed = append(rc.sum.Failed, f)
	} else {
		rc.sum.Parked = append(rc.sum.Parked, f)
	}
	logMediaFailure(rc.log, f, first)
}

// keep carries into the new version of a post what its archived version
// fm has that the page does not say: the date in its file name, whatever
// the feed says now, and every URL it is known by.
func keep(post *article.Post, fm *store.FrontMatter) {
	if !fm.Date.IsZero() {
		post.Date = fm.Date
	}
	for _, u := range append([]string{fm.From}, fm.Also...) {
		if u != "" && feeds.Key(u) != feeds.Key(post.URL) && !slices.Contains(post.Also, u) {
			post.Also = append(post.Also, u)
		}
	}
}

// done forgets a job's failure and remembers its entry as seen, with the
// page its link led to ("" when not fetched).
func (rc *recorder) done(j job, page string) {
	delete(rc.state.Failures, j.keys[0])
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
// article was taken down or redirected off the trusted hosts.
func (rc *recorder) noPost(j job, err error) {
	switch {
	case j.update != "" && errors.Is(err, fetch.ErrGone):
		// The story was taken down: the archive keeps it as it was.
		rc.log.Info("an archived story's page is gone; the archived version stands",
			slog.String("url", j.item.Link), slog.String("file", j.update))
		rc.done(j, "")
	case errors.Is(err, fetch.ErrUntrusted):
		// Redirected off the trusted hosts: skipped, like a link there.
		rc.sum.Skipped++
		rc.log.Warn("feed entry skipped", slog.String("feed", j.feed.Name), slog.String("url", j.item.Link),
			slog.String("reason", "its page redirects to a host that is not trusted (add the host to allowed_hosts to archive it): "+reason(err)))
		delete(rc.state.Failures, j.keys[0])
	default:
		// An edit that fails is a failure too: the archived version stands
		// meanwhile, and the edit is tried again.
		rc.remember(j, kindOf(err), err)
	}
}

// errSamePage means an entry's link led to the page of another entry.
var errSamePage = errors.New("the link leads to the page of another article")

// remember remembers a failed article, to try it again. Its first failure
// counts (a FAILED line, exit status 1); after that it is parked.
func (rc *recorder) remember(j job, kind Kind, err error) {
	f, first := failArticle(rc.state, rc.log, j.keys[0], j.item, j.update, kind, err, rc.sum.Start, rc.giveUp)
	if first {
		rc.sum.Failed = append(rc.sum.Failed, f)
	} else {
		rc.sum.Parked = append(rc.sum.Parked, f)
	}
}

// failArticle remembers in s that the article of key (it; update, the post
// it is an edit of) failed, gives it up once it has failed for giveUp, and
// logs it. It reports the failure, and whether it is the first.
func failArticle(s *state, log *slog.Logger, key string, it feeds.Item, update string, kind Kind, err error, now time.Time, giveUp time.Duration) (Failure, bool) {
	fl, first := s.fail(key, it, update, kind, err, now)
	f := Failure{URL: it.Link, Kind: kind, Reason: fl.Error, Permanent: fl.Permanent}
	attrs := []any{slog.String("url", it.Link), slog.String("kind", string(kind)), slog.Bool("permanent", fl.Permanent),
		slog.Int("attempts", fl.Attempts), slog.String("error", fl.Error)}
	switch {
	case first:
		log.Error("article failed", attrs...)
	case giveUp > 0 && now.Sub(fl.First) >= giveUp:
		fl.GaveUp = now
		log.Warn("article given up: it has failed since "+fl.First.UTC().Format(time.DateOnly)+"; archiver failures lists it, archiver retry URL tries it again", attrs...)
	default:
		log.Warn("parked article failed again", append(attrs, slog.Time("next", fl.next()))...)
	}
	return f, first
}

// fileName is the name for a new post: its own, unless another article
// has it.
func fileName(st *store.Store, post *article.Post, loc *time.Location) string {
	name := post.FileName(loc)
	if other, ok := st.Post(name); ok && feeds.Key(other.From) != feeds.Key(post.URL) {
		return post.AltFileName(loc)
	}
	return name
}

// renderChecked renders a post and reads it back, the cheap part of
// verify: a post that would not round-trip is never written.
func renderChecked(post *article.Post) ([]byte, error) {
	data, err := post.Render()
	if err != nil {
		return nil, err
	}
	fm, err := store.ParseFrontMatter(data)
	if err != nil {
		return nil, fmt.Errorf("internal error: the post does not parse back: %w", err)
	}
	if fm.Title != post.Title || fm.From != post.URL || !fm.Date.Equal(post.Date.Truncate(time.Millisecond)) {
		return nil, fmt.Errorf("internal error: the post's front matter does not round-trip (title %q, from %q)", post.Title, post.URL)
	}
	return data, nil
}
