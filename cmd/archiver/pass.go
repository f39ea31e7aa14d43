package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/rfa-archive/archiver/archiver"
	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
)

// A pass is one sync: poll every feed, archive each article not yet in the
// store (and any whose feed entry changed since), commit them as one
// commit, remember what failed. `archiver sync` is one pass; the daemon
// runs passes on a schedule.

// passer runs passes. It outlives them: the daemon keeps one.
type passer struct {
	cfg    *Config
	log    *slog.Logger
	client *fetch.Client
	arch   *archiver.Archiver
	now    func() time.Time
}

func newPasser(cfg *Config, log *slog.Logger) (*passer, error) {
	opts := cfg.fetchOptions()
	opts.Logger = log
	client := fetch.New(opts)
	for _, f := range cfg.Feeds {
		if err := client.Trust(f.URL); err != nil {
			return nil, err
		}
	}
	return &passer{cfg: cfg, log: log, client: client, arch: archiver.New(client), now: time.Now}, nil
}

// Summary is what a pass did.
type Summary struct {
	Start     time.Time
	Duration  time.Duration
	Unchanged int    // feeds that answered 304 (Polls also counts those with nothing new as unchanged)
	Polls     []Poll // one for each feed polled
	New       []Archived
	Updated   []Archived
	Skipped   int       // entries not fetched: untrusted hosts, no link
	Failed    []Failure // this pass's failures, and earlier ones not yet due again
	Committed bool
	Pushed    bool // to store.remote
	Stored    bool // the pass saved its work (committed if there was any, and saved its state)
	Posts     int  // in the store after the pass
	Failing   int  // articles remembered as failed, to try again
}

// Poll is how a feed answered: "new" (it lists articles to archive),
// "unchanged" (304, or nothing new) or "error".
type Poll struct {
	Feed    string
	Outcome string
}

// Archived is a post written by a pass.
type Archived struct {
	Title string
	URL   string
	Feed  string // the name of the feed that listed it
}

// Failure is a feed or an article that could not be archived, or a store
// that could not be pulled or pushed.
type Failure struct {
	URL    string
	Kind   string // feed, fetch, gone, extract, store, pull, push
	Reason string
	Next   time.Time // when it is tried again, if not at the next pass
}

// Attempted reports whether the failure happened in this pass, rather
// than being an earlier one not yet due again.
func (f Failure) Attempted() bool { return f.Next.IsZero() }

// state is what passes remember between runs; see store.LoadState.
type state struct {
	Feeds    map[string]feeds.Validators `json:"feeds"`
	Failures map[string]*failed          `json:"failures"` // by item key
	Seen     map[string]seen             `json:"seen"`     // by feed URL + " " + item key
}

// failed is an article that failed, kept with its feed entry so that it is
// tried again even once the feed no longer lists it.
type failed struct {
	Item     feeds.Item `json:"item"`
	Attempts int        `json:"attempts"`
	First    time.Time  `json:"first"`
	Last     time.Time  `json:"last"`
	Kind     string     `json:"kind"`
	Error    string     `json:"error"`
	Update   string     `json:"update,omitempty"` // the post, when the article was archived and an edit failed
}

// seen is the hash of a feed entry when last seen: a changed hash means
// the story may have been edited.
type seen struct {
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// forgetSeen is how long an entry no feed lists any more is remembered.
const forgetSeen = 60 * 24 * time.Hour

// retryDelay is how long after its last attempt a failed article is tried
// again: at every pass for the first three, then backing off to a day.
func retryDelay(attempts int) time.Duration {
	if attempts <= 3 {
		return 0
	}
	return min(10*time.Minute<<min(attempts-4, 10), 24*time.Hour)
}

// job is one article to archive.
type job struct {
	item     feeds.Item
	keys     []string
	feed     string // its feed's name
	defaults archiver.Defaults
	update   string // the post's file name when the article is in the store
	retry    *failed
}

// due reports whether the job is to be done in a pass started at start:
// a new article is, a failed one once its retry delay has passed.
func (j job) due(start time.Time) bool {
	return j.retry == nil || !j.retry.Last.Add(retryDelay(j.retry.Attempts)).After(start)
}

// result is a job done.
type result struct {
	job  job
	post *archiver.Post
	err  error
}

// run runs one pass.
func (p *passer) run(ctx context.Context) (*Summary, error) {
	sum := &Summary{Start: p.now()}
	defer func() { sum.Duration = time.Since(sum.Start) }()

	st, err := store.Open(ctx, store.Options{
		Path: p.cfg.Store.Path, Name: p.cfg.Store.name, Email: p.cfg.Store.email,
		Remote: p.cfg.Store.Remote, Branch: p.cfg.Store.Branch,
		LockWait: p.cfg.Store.LockTimeout.Duration, Logger: p.log,
	})
	if err != nil {
		return sum, err
	}
	defer st.Close()
	pctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	err = st.Pull(pctx)
	cancel()
	if err != nil && ctx.Err() == nil {
		// The pass goes on: what it archives is committed here, and
		// pushed once the remote is reachable again.
		p.storeFailed(sum, "pull", err)
	}

	var s state
	if err := st.LoadState(&s); err != nil {
		p.log.Warn("pass: starting from a fresh state", slog.String("error", err.Error()))
	}
	if s.Feeds == nil {
		s.Feeds = map[string]feeds.Validators{}
	}
	if s.Failures == nil {
		s.Failures = map[string]*failed{}
	}
	if s.Seen == nil {
		s.Seen = map[string]seen{}
	}

	index := indexPosts(st)
	validators, jobs := p.poll(ctx, &s, index, sum)
	if ctx.Err() == nil {
		p.archive(ctx, st, &s, index, jobs, sum)
	}
	if ctx.Err() == nil {
		// Only a pass that handled every entry may let the next one skip
		// an unchanged feed.
		maps.Copy(s.Feeds, validators)
	}

	// Commit even when stopping: what is written is complete.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	made, err := st.Commit(cctx, commitMessage(sum))
	if err != nil {
		sum.Failed = append(sum.Failed, Failure{URL: st.Dir(), Kind: "store", Reason: err.Error()})
		return sum, err
	}
	sum.Committed = made
	sum.Posts = st.Len()
	sum.Failing = len(s.Failures)
	for k, v := range s.Seen {
		if sum.Start.Sub(v.At) > forgetSeen {
			delete(s.Seen, k)
		}
	}
	if err := st.SaveState(&s); err != nil {
		sum.Failed = append(sum.Failed, Failure{URL: st.Dir(), Kind: "store", Reason: err.Error()})
		return sum, err
	}
	sum.Stored = true
	if made && ctx.Err() == nil {
		if err := st.Maintain(ctx); err != nil && ctx.Err() == nil {
			p.log.Warn("git gc failed; the archive is whole, only less compact", slog.String("error", err.Error()))
		}
	}
	if p.cfg.Store.Remote != "" && ctx.Err() == nil {
		// Every pass pushes, so that commits an earlier push could not
		// deliver go with it.
		pctx, cancel := context.WithTimeout(ctx, remoteTimeout)
		defer cancel()
		if err := st.Push(pctx); err != nil && ctx.Err() == nil {
			p.storeFailed(sum, "push", err)
		} else {
			sum.Pushed = err == nil
		}
	}
	return sum, ctx.Err()
}

// remoteTimeout bounds a pull or a push, so that a remote that does not
// answer cannot stall the passes (git also gives up on a transfer that
// stalls for 30 s).
const remoteTimeout = 10 * time.Minute

// storeFailed records a failure to pull or push the store's remote.
func (p *passer) storeFailed(sum *Summary, kind string, err error) {
	remote := store.Redact(p.cfg.Store.Remote)
	sum.Failed = append(sum.Failed, Failure{URL: remote, Kind: kind, Reason: reason(err)})
	p.log.Error(kind+" failed", slog.String("remote", remote), slog.String("error", reason(err)))
}

// indexPosts maps each identity of each post in the store (its from: URL,
// its guid) to its file name.
func indexPosts(st *store.Store) map[string]string {
	index := make(map[string]string, st.Len()*2)
	st.Posts(func(post store.Post) {
		if post.From != "" {
			index[feeds.Key(post.From)] = post.Name
		}
		if g := feeds.GUIDKey(post.Feed, post.GUID); g != "" {
			index[g] = post.Name
		}
	})
	return index
}

// poll polls every feed and returns the feeds' new validators and the
// articles to archive: new ones, known ones whose entry changed, and
// earlier failures.
func (p *passer) poll(ctx context.Context, s *state, index map[string]string, sum *Summary) (map[string]feeds.Validators, []job) {
	type polled struct {
		res *feeds.Result
		err error
	}
	results := make([]polled, len(p.cfg.Feeds))
	var wg sync.WaitGroup
	sem := make(chan struct{}, p.cfg.HTTP.Concurrency)
	for i, f := range p.cfg.Feeds {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			var res *feeds.Result
			err := p.safely(func() (err error) {
				res, err = feeds.Poll(ctx, p.client, f.URL, s.Feeds[f.URL])
				return err
			})
			results[i] = polled{res, err}
		})
	}
	wg.Wait()

	var jobs []job
	validators := map[string]feeds.Validators{}
	queued := map[string]bool{}  // keys of the articles in jobs
	handled := map[string]bool{} // keys of the feed entries looked at
	queue := func(j job) {
		for _, k := range j.keys {
			queued[k] = true
		}
		jobs = append(jobs, j)
	}

	for i, f := range p.cfg.Feeds {
		res, err := results[i].res, results[i].err
		if ctx.Err() != nil {
			return nil, nil
		}
		log := p.log.With(slog.String("feed", f.Name))
		if err != nil {
			sum.Polls = append(sum.Polls, Poll{f.Name, "error"})
			sum.Failed = append(sum.Failed, Failure{URL: f.URL, Kind: "feed", Reason: reason(err)})
			log.Error("feed failed", slog.String("url", f.URL), slog.String("error", reason(err)))
			continue
		}
		validators[f.URL] = res.Validators
		if res.NotModified {
			sum.Unchanged++
			sum.Polls = append(sum.Polls, Poll{f.Name, "unchanged"})
			log.Debug("feed unchanged (304)", slog.String("url", f.URL))
			continue
		}
		fresh := false // whether the feed lists something to archive now
		for _, w := range res.Warnings {
			sum.Skipped++
			log.Warn("feed entry skipped", slog.String("url", f.URL), slog.String("reason", w))
		}
		log.Debug("feed polled", slog.String("url", f.URL), slog.Int("entries", len(res.Items)))
		defaults := p.cfg.frontMatter(&f)
		for _, it := range res.Items {
			keys := it.Keys()
			if slices.ContainsFunc(keys, func(k string) bool { return handled[k] }) {
				continue // the same article in an earlier feed, or twice in this one
			}
			for _, k := range keys {
				handled[k] = true
			}
			name := lookup(index, keys)
			if u, err := url.Parse(it.Link); err != nil || !p.client.Trusted(u) {
				if name == "" {
					sum.Skipped++
					log.Warn("feed entry skipped: its link is not on a trusted host (add the host to allowed_hosts to archive it)",
						slog.String("link", it.Link))
				}
				continue
			}
			seenKey := f.URL + " " + keys[0]
			hash := itemHash(it)
			prev, wasSeen := s.Seen[seenKey]
			s.Seen[seenKey] = seen{Hash: hash, At: sum.Start}
			switch {
			case name == "":
				j := job{item: it, keys: keys, feed: f.Name, defaults: defaults, retry: s.Failures[keys[0]]}
				queue(j)
				fresh = fresh || j.due(sum.Start)
			case wasSeen && prev.Hash != hash:
				// The entry changed: the story may have been edited.
				s.Seen[seenKey] = prev // until the update is archived
				j := job{item: it, keys: keys, feed: f.Name, defaults: defaults, update: name, retry: s.Failures[keys[0]]}
				queue(j)
				fresh = fresh || j.due(sum.Start)
			}
		}
		if fresh {
			sum.Polls = append(sum.Polls, Poll{f.Name, "new"})
		} else {
			sum.Polls = append(sum.Polls, Poll{f.Name, "unchanged"})
		}
	}

	// Earlier failures the feeds do not list now (or answered 304 for).
	for key, fl := range s.Failures {
		if queued[key] {
			continue
		}
		name := lookup(index, fl.Item.Keys())
		if fl.Update == "" && name != "" {
			delete(s.Failures, key) // archived meanwhile, from another feed
			continue
		}
		if fl.Update != "" && name == "" {
			delete(s.Failures, key) // the post is gone from the store
			continue
		}
		f := p.feedConfig(fl.Item.Feed)
		queue(job{item: fl.Item, keys: fl.Item.Keys(), feed: cmp.Or(f.Name, f.URL), defaults: p.cfg.frontMatter(f), update: name, retry: fl})
	}
	slices.SortStableFunc(jobs, func(a, b job) int { return b.item.Published.Compare(a.item.Published) })
	return validators, jobs
}

// feedConfig is the configured feed of that URL, or an empty one.
func (p *passer) feedConfig(u string) *FeedConfig {
	for i := range p.cfg.Feeds {
		if p.cfg.Feeds[i].URL == u {
			return &p.cfg.Feeds[i]
		}
	}
	return &FeedConfig{URL: u}
}

// archive archives the jobs, a few at a time, and writes their posts.
func (p *passer) archive(ctx context.Context, st *store.Store, s *state, index map[string]string, jobs []job, sum *Summary) {
	jobs = slices.DeleteFunc(jobs, func(j job) bool {
		if j.due(sum.Start) {
			return false
		}
		// Not yet: still a failure of this run.
		next := j.retry.Last.Add(retryDelay(j.retry.Attempts))
		sum.Failed = append(sum.Failed, Failure{URL: j.item.Link, Kind: j.retry.Kind, Reason: j.retry.Error, Next: next})
		p.log.Warn("article still failing; next attempt later", slog.String("url", j.item.Link),
			slog.Int("attempts", j.retry.Attempts), slog.Time("next", next), slog.String("error", j.retry.Error))
		return true
	})
	todo := make(chan job)
	done := make(chan result)
	var wg sync.WaitGroup
	for range p.cfg.HTTP.Concurrency {
		wg.Go(func() {
			for j := range todo {
				var post *archiver.Post
				err := p.safely(func() (err error) {
					post, err = p.arch.Archive(ctx, j.item, j.defaults)
					return err
				})
				done <- result{j, post, err}
			}
		})
	}
	go func() {
		defer close(todo)
		for _, j := range jobs {
			select {
			case todo <- j:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(done) }()

	for r := range done {
		if ctx.Err() != nil && r.err != nil {
			continue // stopped, not failed: tried again next time
		}
		p.record(st, s, index, r, sum)
	}
}

// record writes a job's post, or remembers its failure.
func (p *passer) record(st *store.Store, s *state, index map[string]string, r result, sum *Summary) {
	j := r.job
	key := j.keys[0]
	err := r.err
	name := j.update
	var data []byte
	if err == nil {
		if name == "" {
			name = p.fileName(st, r.post)
		}
		data, err = renderChecked(r.post)
	}
	if err == nil && j.update != "" {
		if old, rerr := os.ReadFile(filepath.Join(st.Dir(), store.PostsDir, name)); rerr == nil && sameStory(old, data) {
			s.Seen[j.item.Feed+" "+key] = seen{Hash: itemHash(j.item), At: sum.Start}
			delete(s.Failures, key)
			return // the entry changed, the story did not
		}
	}
	if err == nil {
		if err = st.Write(name, data); err != nil {
			err = &storeError{err}
		}
	}
	switch {
	case err != nil && j.update != "" && errors.Is(err, fetch.ErrGone):
		// The story was taken down: the archive keeps it as it was.
		p.log.Info("an archived story's page is gone; the archived version stands",
			slog.String("url", j.item.Link), slog.String("file", name))
		s.Seen[j.item.Feed+" "+key] = seen{Hash: itemHash(j.item), At: sum.Start}
		delete(s.Failures, key)
		return
	case err != nil && errors.Is(err, fetch.ErrUntrusted):
		// Redirected off the trusted hosts: skipped, like a link there.
		sum.Skipped++
		p.log.Warn("feed entry skipped: its page redirects to a host that is not trusted (add the host to allowed_hosts to archive it)",
			slog.String("url", j.item.Link), slog.String("error", reason(err)))
		delete(s.Failures, key)
		return
	case err != nil:
		// An edit that fails is a failure too: the archived version
		// stands meanwhile, and the edit is tried again.
		p.fail(s, j, err, sum)
		return
	}
	for _, k := range j.keys {
		index[k] = name
	}
	index[feeds.Key(r.post.URL)] = name
	delete(s.Failures, key)
	s.Seen[j.item.Feed+" "+key] = seen{Hash: itemHash(j.item), At: sum.Start}
	a := Archived{Title: r.post.Title, URL: r.post.URL, Feed: j.feed}
	if j.update != "" {
		sum.Updated = append(sum.Updated, a)
		p.log.Info("updated", slog.String("title", a.Title), slog.String("url", a.URL), slog.String("file", name))
	} else {
		sum.New = append(sum.New, a)
		p.log.Info("archived", slog.String("title", a.Title), slog.String("url", a.URL), slog.String("file", name))
	}
}

// fail remembers a failed article.
func (p *passer) fail(s *state, j job, err error, sum *Summary) {
	key := j.keys[0]
	fl := s.Failures[key]
	if fl == nil {
		fl = &failed{Item: j.item, First: sum.Start}
		s.Failures[key] = fl
	}
	fl.Item = j.item
	fl.Update = j.update
	fl.Attempts++
	fl.Last = sum.Start
	fl.Kind = failureKind(err)
	fl.Error = reason(err)
	sum.Failed = append(sum.Failed, Failure{URL: j.item.Link, Kind: fl.Kind, Reason: fl.Error})
	p.log.Error("article failed", slog.String("url", j.item.Link), slog.String("kind", fl.Kind),
		slog.Int("attempts", fl.Attempts), slog.String("error", fl.Error))
}

// fileName is the name for a new post: its own, unless another article
// has it.
func (p *passer) fileName(st *store.Store, post *archiver.Post) string {
	name := post.FileName(p.cfg.location)
	if other, ok := st.Post(name); ok && feeds.Key(other.From) != feeds.Key(post.URL) {
		return post.AltFileName(p.cfg.location)
	}
	return name
}

// renderChecked renders a post and reads it back, the cheap part of
// verify: a post that would not round-trip is never written.
func renderChecked(post *archiver.Post) ([]byte, error) {
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

// sameStory reports whether two renderings of a post say the same.
func sameStory(a, b []byte) bool { return string(a) == string(b) }

// itemHash identifies the content of a feed entry.
func itemHash(it feeds.Item) string {
	h := sha256.New()
	for _, s := range []string{it.Link, it.Title, it.Description, it.Content, it.Published.String(), it.Updated.String()} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func lookup(index map[string]string, keys []string) string {
	for _, k := range keys {
		if name, ok := index[k]; ok {
			return name
		}
	}
	return ""
}

// safely runs fn, turning a panic into an error: a page or a feed that
// trips a bug fails, and the rest of the pass goes on.
func (p *passer) safely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("internal error; please report it", slog.Any("panic", r), slog.String("stack", string(debug.Stack())))
			err = fmt.Errorf("internal error (please report it): %v", r)
		}
	}()
	return fn()
}

// storeError is a failure to write the store.
type storeError struct{ err error }

func (e *storeError) Error() string { return e.err.Error() }
func (e *storeError) Unwrap() error { return e.err }

// failureKind sorts a failure for logs and metrics.
func failureKind(err error) string {
	var se *storeError
	switch {
	case errors.As(err, &se):
		return "store"
	case errors.Is(err, fetch.ErrGone):
		return "gone"
	case errors.Is(err, archiver.ErrNoStory):
		return "extract"
	}
	var fe *fetch.Error
	if errors.As(err, &fe) {
		return "fetch"
	}
	return "other"
}

// reason is an error as the user reads it: without the package prefixes.
func reason(err error) string {
	var fe *fetch.Error
	msg := err.Error()
	if errors.As(err, &fe) {
		msg = fe.Reason()
	}
	for _, p := range []string{"archiver: ", "feeds: ", "store: "} {
		msg = strings.ReplaceAll(msg, p, "")
	}
	return msg
}

// commitMessage says what a pass archived.
func commitMessage(sum *Summary) string {
	var b strings.Builder
	n, u := len(sum.New), len(sum.Updated)
	switch {
	case n > 0 && u > 0:
		fmt.Fprintf(&b, "Archive %d new %s, update %d\n", n, plural(n, "post", "posts"), u)
	case u > 0:
		fmt.Fprintf(&b, "Update %d %s\n", u, plural(u, "post", "posts"))
	default:
		fmt.Fprintf(&b, "Archive %d new %s\n", n, plural(n, "post", "posts"))
	}
	b.WriteString("\n")
	for _, a := range sum.New {
		b.WriteString("+ " + oneLine(a.Title) + "\n")
	}
	for _, a := range sum.Updated {
		b.WriteString("~ " + oneLine(a.Title) + "\n")
	}
	return b.String()
}

// oneLine makes a title one line of a commit message: no control,
// format (bidi) or line-breaking characters, at most maxTitle characters.
func oneLine(s string) string {
	s = strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp)
	}), " ")
	if utf8.RuneCountInString(s) > maxTitle {
		s = string([]rune(s)[:maxTitle-1]) + "…"
	}
	return s
}

// maxTitle is the most characters of a title in a commit message.
const maxTitle = 120

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
