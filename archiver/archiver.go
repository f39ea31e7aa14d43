// Package archiver runs a pass, the heart of the program: it polls every
// feed, plans what to fetch (new articles, edited ones, failures due for
// another try), makes their posts a few at a time, writes them to the
// store and commits them as one commit, and remembers what failed.
// `archiver sync` is one pass; the daemon runs passes on a schedule.
//
// A pass is split by job: poll.go asks the feeds, plan.go decides (a pure
// function of the feeds' answers, the saved state and the posts in the
// store), run.go fetches, record.go keeps what came of it, summary.go
// says what was done. The post of one article is made by the sub-package
// article.
package archiver

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"time"

	"github.com/rfa-archive/archiver/archiver/article"
	"github.com/rfa-archive/archiver/archiver/config"
	"github.com/rfa-archive/archiver/feeds/fetch"
	"github.com/rfa-archive/archiver/store"
)

// Archiver runs passes. It outlives them: the daemon keeps one.
type Archiver struct {
	cfg    *config.Config
	log    *slog.Logger
	client *fetch.Client
	maker  *article.Maker
	now    func() time.Time
}

// New returns an Archiver for cfg, as config.Load or config.Parse made
// it, that logs to log.
func New(cfg *config.Config, log *slog.Logger) (*Archiver, error) {
	if cfg.Location == nil || cfg.HTTP.Concurrency < 1 {
		return nil, errors.New("archiver: the configuration is not checked: make it with config.Load or config.Parse")
	}
	opts := cfg.FetchOptions()
	opts.Logger = log
	client := fetch.New(opts)
	for _, f := range cfg.Feeds {
		if err := client.Trust(f.URL); err != nil {
			return nil, err
		}
	}
	return &Archiver{cfg: cfg, log: log, client: client, maker: article.New(client), now: time.Now}, nil
}

// remoteTimeout bounds a pull or a push, so that a remote that does not
// answer cannot stall the passes (git also gives up on a transfer that
// stalls for 30 s).
const remoteTimeout = 10 * time.Minute

// Pass runs one pass. Its error is the store's (store.ErrBusy among them),
// or ctx's when it was stopped; what failed beside that is in the
// summary. A stopped pass commits the posts it completed.
func (a *Archiver) Pass(ctx context.Context) (*Summary, error) {
	sum := &Summary{Start: a.now()}
	defer func() { sum.Duration = time.Since(sum.Start) }()
	st, err := openStore(ctx, a.cfg, a.log)
	if err != nil {
		return sum, err
	}
	defer st.Close()
	a.remote(ctx, KindPull, st.Pull, sum)

	s := loadState(st, a.log)
	results := a.poll(ctx, s)
	index := postIndex{}
	if needsIndex(results, s, sum.Start) {
		index = indexPosts(st, false)
	}
	if ctx.Err() == nil {
		forgotten := forgottenKeys(st)
		pl := planner{cfg: a.cfg, state: s, index: index, forgotten: forgotten, trusted: a.client.Trusted, now: sum.Start,
			holds: func(name string) bool { _, ok := st.Post(name); return ok }}
		p := pl.plan(results)
		a.begin(p, s, sum)
		rc := &recorder{st: st, state: s, index: index, known: p.known, forgotten: forgotten,
			sum: sum, log: a.log, loc: a.cfg.Location, giveUp: a.cfg.Retry.GiveUp.Duration}
		if len(p.jobs) > 0 {
			rc.media = a.newMediaFetcher(st)
			a.run(ctx, p.jobs, rc.media, rc.record)
		}
		if ctx.Err() == nil {
			// Only a pass that handled every entry may let the next one
			// skip an unchanged feed.
			maps.Copy(s.Feeds, p.validators)
		}
	}
	return sum, a.finish(ctx, st, s, sum)
}

// openStore opens the store of cfg, logging to log.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	opts := cfg.StoreOptions()
	opts.Logger = log
	return store.Open(ctx, opts)
}

// needsIndex reports whether a pass has anything to look up in the index
// of posts: an entry of a feed, or a failure due. A pass of feeds that
// answered 304 has not, and in an archive of 100,000 posts the index
// takes as long as all else.
func needsIndex(results []polled, s *state, now time.Time) bool {
	for _, r := range results {
		if r.res != nil && len(r.res.Items) > 0 {
			return true
		}
	}
	for _, f := range s.Failures {
		if !f.next().After(now) {
			return true
		}
	}
	return false
}

// begin takes a plan into the state and the summary, and logs it.
func (a *Archiver) begin(p *plan, s *state, sum *Summary) {
	sum.Polls, sum.NotModified = p.polls, p.notModified
	for _, po := range p.polls {
		a.log.Debug("feed polled", slog.String("feed", po.Feed), slog.String("outcome", string(po.Outcome)))
	}
	maps.Copy(s.Seen, p.seen)
	for _, key := range p.resolved {
		delete(s.Failures, key)
	}
	for _, f := range p.failed {
		sum.Failed = append(sum.Failed, f)
		a.log.Error("feed failed", slog.String("url", f.URL), slog.String("error", f.Reason))
	}
	for _, sk := range p.skipped {
		sum.Skipped++
		a.log.Warn("feed entry skipped", slog.String("feed", sk.feed), slog.String("url", sk.url), slog.String("reason", sk.reason))
	}
	for _, j := range p.waiting {
		next := j.retry.next()
		sum.Parked = append(sum.Parked, Failure{URL: j.item.Link, Kind: j.retry.Kind, Reason: j.retry.Error, Permanent: j.retry.Permanent, Next: next})
		a.log.Debug("parked article not due yet", slog.String("url", j.item.Link),
			slog.Int("attempts", j.retry.Attempts), slog.Time("next", next), slog.String("error", j.retry.Error))
	}
}

// finish commits what the pass wrote (even when it is stopping: what is
// written is complete), saves the state, packs the repository when it is
// time, and pushes.
func (a *Archiver) finish(ctx context.Context, st *store.Store, s *state, sum *Summary) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	// A commit that fails leaves the posts in the store's journal, for
	// the next pass to commit; the state is saved all the same, so that
	// no failure of this pass is forgotten.
	made, commitErr := st.Commit(cctx, commitMessage(sum))
	if commitErr != nil {
		sum.Failed = append(sum.Failed, Failure{URL: st.Dir(), Kind: KindStore, Reason: commitErr.Error()})
	}
	sum.Committed, sum.Posts = made, st.Len()
	s.bound(a.log)
	sum.Failing = map[Kind]int{}
	for _, f := range s.Failures {
		if f.GaveUp.IsZero() {
			sum.Failing[f.Kind]++
		}
	}
	s.forgetOld(sum.Start)
	if err := st.SaveState(s); err != nil {
		sum.Failed = append(sum.Failed, Failure{URL: st.Dir(), Kind: KindStore, Reason: err.Error()})
		return err
	}
	if commitErr != nil {
		return commitErr
	}
	sum.Stored = true
	if made && ctx.Err() == nil {
		if err := st.Maintain(ctx); err != nil && ctx.Err() == nil {
			a.log.Warn("git gc failed; the archive is whole, only less compact", slog.String("error", err.Error()))
		}
	}
	// Every pass pushes, so that commits an earlier push could not
	// deliver go with it.
	sum.Pushed = a.remote(ctx, KindPush, st.Push, sum)
	return ctx.Err()
}

// remote pulls or pushes (op) the store's remote, if it has one, and
// reports whether that went well. A failure is recorded, and the pass goes
// on: what it archives is committed, and pushed once the remote is
// reachable again.
func (a *Archiver) remote(ctx context.Context, kind Kind, op func(context.Context) error, sum *Summary) bool {
	if a.cfg.Store.Remote == "" || ctx.Err() != nil {
		return false
	}
	rctx, cancel := context.WithTimeout(ctx, remoteTimeout)
	defer cancel()
	err := op(rctx)
	if err != nil && ctx.Err() == nil {
		remote := store.Redact(a.cfg.Store.Remote)
		sum.Failed = append(sum.Failed, Failure{URL: remote, Kind: kind, Reason: reason(err)})
		a.log.Error(string(kind)+" failed", slog.String("remote", remote), slog.String("error", reason(err)))
	}
	return err == nil
}
