// Package store keeps the archive: a git repository holding a Jekyll site
// whose _posts/ are the archived stories. It writes posts atomically,
// commits a run's posts as one commit, knows every post by its front
// matter (from:, guid:) so nothing is archived twice, holds a lock so one
// writer at a time uses it, and repairs at Open whatever a killed run left.
// It never parses HTML: a post is front matter and text to it.
package store

import (
	"encoding/json"
	"slices"
	"strconv"
	"unicode"
	"unicode/utf8"

	"github.com/rfa-archive/archiver/store/jekyll"

	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// PostsDir is where the posts are, relative to the store's root.
const PostsDir = "_posts"

// Options configure Open.
type Options struct {
	Path string
	// Branch is the branch archiver commits to, here and at the remote:
	// "" for the one checked out when archiver first opened the store
	// (main in a repository it creates).
	Branch   string
	Remote   string // a git URL or path to pull from and push to; "" for none
	Name     string // commit author and committer
	Email    string
	LockWait time.Duration // how long to wait for another writer; 0 = don't wait
	// Credentials reach the remote; git's own (a credential helper,
	// ~/.ssh) are used too.
	Credentials Credentials
	Logger      *slog.Logger
	// Keys are the identities a post is found by besides its name and the
	// URL it is from (Find); KeysVersion names what Keys gives, so that a
	// change of it makes the store index its posts anew.
	Keys        func(Post) []string
	KeysVersion string
}

// Post is what the store knows of one post: its file name in PostsDir and
// its identity from its front matter.
type Post struct {
	Name     string
	From     string
	Also     []string // other URLs of the article (front matter also_from)
	GUID     string
	Feed     string
	SourceID string // the publisher's id of the story
	Title    string
}

// PostOf is the post name as its front matter fm describes it.
func PostOf(name string, fm *jekyll.FrontMatter) Post {
	return Post{Name: name, From: fm.From, Also: fm.Also, GUID: fm.GUID, Feed: fm.Feed, SourceID: fm.SourceID, Title: fm.Title}
}

// ErrBusy means another process holds the store's lock.
var ErrBusy = errors.New("store: the store is busy: another archiver (a daemon, or a sync) is writing it")

// Store is an open archive. It is not safe for concurrent use; Open's lock
// keeps other processes out.
type Store struct {
	dir         string // the work tree, absolute
	meta        string // our files, inside the git directory: not in the work tree
	git         *git
	lock        *flock.Flock
	log         *slog.Logger
	remote      string
	branch      string
	email       string // archiver's, in its commits
	creds       Credentials
	table       *table // the posts, by name and by key
	keys        func(Post) []string
	keysVersion string
	tree        string   // the tree of PostsDir at HEAD that the table reflects
	head        string   // the commit of tree
	pending     []string // paths written since the last commit
	others      []string // Names with uncommitted changes that archiver did not make
	// killedGit is when the git command that the last run was killed
	// with started, if it was.
	killedGit time.Time
	media     map[string]string // see Media
	// tableStale says the table's files are behind it (see saveTable).
	tableStale bool
	maxLoose   int64                      // maxLoose, unless a test sets less
	label      string                     // see Label
	labelled   bool                       // the journal has the label
	state      map[string]json.RawMessage // the saved state by section, once read (see LoadState)
	folders    map[string]int             // the entries of each folder a new post went to (see crowd)
}

// Open opens the store at opts.Path, creating the repository if there is
// none, takes its lock, repairs what an interrupted run left and reads
// what posts it holds.
func Open(ctx context.Context, opts Options) (*Store, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := Check(dir); err != nil {
		return nil, err
	}
	g, err := newGit(dir, opts.Name, opts.Email)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{dir: dir, git: g, log: opts.Logger, remote: opts.Remote, branch: opts.Branch, email: opts.Email, creds: opts.Credentials,
		keys: opts.Keys, keysVersion: opts.KeysVersion}
	if err := s.ensureRepo(ctx, cmp.Or(opts.Branch, "main")); err != nil {
		return nil, err
	}
	gitDir, err := g.run(ctx, nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	s.meta = filepath.Join(strings.TrimSpace(string(gitDir)), "archiver")
	if err := os.MkdirAll(s.meta, 0o755); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := s.takeLock(ctx, opts.LockWait); err != nil {
		return nil, err
	}
	g.running = filepath.Join(s.meta, gitRunningFile)
	if st, err := os.Stat(g.running); err == nil {
		s.killedGit = st.ModTime() // the last run was killed with its git
	}
	if err := s.prepare(ctx); err != nil {
		s.lock.Unlock()
		return nil, err
	}
	return s, nil
}

// prepare makes a locked store ready: it repairs what an interrupted run
// left, makes the first commit of a new archive, makes sure the
// repository is on its branch with nothing of a person's in progress,
// points the git remote at the store's, and reads the posts.
func (s *Store) prepare(ctx context.Context) error {
	if err := s.removeLeftovers(ctx); err != nil {
		return err
	}
	if err := s.finishRebase(ctx); err != nil {
		return err
	}
	if _, err := s.git.run(ctx, nil, "rev-parse", "--quiet", "--verify", "HEAD"); err != nil {
		// No commit yet: a new repository, or one whose first commit a
		// crash interrupted.
		if err := s.seed(ctx); err != nil {
			return err
		}
	}
	if err := s.resolveBranch(ctx); err != nil {
		return err
	}
	if err := s.checkState(ctx); err != nil {
		return err
	}
	if err := s.finishRelayout(ctx); err != nil {
		return err
	}
	if err := s.repair(ctx); err != nil {
		return err
	}
	if s.remote != "" {
		if err := s.setRemote(ctx); err != nil {
			return err
		}
	}
	if err := s.loadPosts(ctx); err != nil {
		return err
	}
	s.tuneIndex(ctx, largeArchive)
	return nil
}

// largeArchive is the number of posts from which git's index is kept
// split and compressed (tuneIndex): measured, it changes nothing a person
// would notice at 10,000 posts (git status 0.03 s either way), and saves
// from 30,000 on (git status 0.10 s → 0.03 s; at 100,000, 0.29 s → 0.11 s).
const largeArchive = 25_000

// tuneIndex configures git for a large work tree, once the store is one
// (of large posts):
// git's index of a million files is 112 MB, which every commit (of
// archiver's, or git's) writes anew. Split (core.splitIndex), a commit
// writes only what changed (a commit of 10 posts: 0.8 s → 0.2 s); in
// version 4 it is 70 MB, read in less memory; and the untracked cache
// halves git status (2.2 s → 1.1 s). Git CLI reads them all; a key a
// person has set is left as it is.
func (s *Store) tuneIndex(ctx context.Context, large int) {
	mark := filepath.Join(s.meta, "index-tuned")
	if _, err := os.Stat(mark); err == nil || s.Len() < large {
		return
	}
	for _, kv := range [][2]string{{"core.splitIndex", "true"}, {"index.version", "4"}, {"core.untrackedCache", "true"}} {
		if _, err := s.git.run(ctx, nil, "config", "--local", "--get", kv[0]); err == nil {
			continue // set already
		}
		if _, err := s.git.run(ctx, nil, "config", "--local", kv[0], kv[1]); err != nil {
			s.log.Warn("store: cannot configure git for a large archive", slog.String("key", kv[0]), slog.String("error", err.Error()))
			return
		}
	}
	s.log.Info("store: a large archive: git keeps its index split and compressed from its next commit on (core.splitIndex, index.version 4, core.untrackedCache)")
	os.WriteFile(mark, nil, 0o644)
}

// Close releases the store's lock.
func (s *Store) Close() error {
	if s.tableStale {
		s.saveTable()
	}
	if s.table != nil {
		s.table.close()
	}
	return s.lock.Unlock()
}

// Dir is the store's root directory.
func (s *Store) Dir() string { return s.dir }

// Posts calls fn for each post the store holds.
func (s *Store) Posts(fn func(Post)) {
	if err := s.table.each(fn); err != nil {
		s.log.Warn("store: the table of posts cannot be read; it is read again from the posts at the next Open", slog.String("error", err.Error()))
		os.Remove(filepath.Join(s.meta, tableFile))
	}
}

// Len is the number of posts.
func (s *Store) Len() int {
	n, _ := s.table.count()
	return n
}

// Flat reports whether the store has posts, and all of them at the top
// of PostsDir: an archive made before layouts, or by the earlier tool.
func (s *Store) Flat() bool {
	n, nested := s.table.count()
	return n > 0 && nested == 0
}

// Post returns the post of that name, if there is one.
func (s *Store) Post(name string) (Post, bool) { return s.table.get(name) }

// Find returns the names of the posts that Options.Keys gives key, or
// that are from the URL key, sorted.
func (s *Store) Find(key string) []string { return s.table.find(key) }

// Read returns the file of the post of that name.
func (s *Store) Read(name string) ([]byte, error) {
	if !validName.MatchString(name) && !cleanName(name) {
		return nil, fmt.Errorf("store: %q is not the name of a file in %s", name, PostsDir)
	}
	data, err := readRegular(filepath.Join(s.dir, PostsDir, filepath.FromSlash(name)), maxPostSize)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return data, nil
}

// validName is the only form of file name Write accepts for a new post:
// a dated Jekyll post with a plain ASCII slug, in up to four folders of
// plain ASCII (the layout's). Nothing else can reach the file system.
var validName = regexp.MustCompile(`^(?:[a-z0-9-]{1,100}/){0,4}[0-9]{4}-[0-9]{2}-[0-9]{2}-[a-z0-9][a-z0-9-]{0,120}\.md$`)

// PostName reports whether Write takes a post of that name: a new post's
// name must be validName's; a post the store has (exists) may keep its
// own, which may be another form (the earlier tool named posts by their
// Chinese titles), if it is a plain path in PostsDir of valid UTF-8.
func PostName(name string, exists bool) bool {
	return validName.MatchString(name) || exists && cleanName(name)
}

// cleanName reports whether name is a plain relative path of valid UTF-8,
// in which no segment is empty, a dot file or a parent, and no character
// a control character or a backslash.
func cleanName(name string) bool {
	if name == "" || !utf8.ValidString(name) || strings.ContainsAny(name, "\\") || strings.ContainsFunc(name, unicode.IsControl) {
		return false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if seg == "" || strings.HasPrefix(seg, ".") {
			return false
		}
	}
	return true
}

// Write writes a post to PostsDir/name atomically: a reader, or a crash,
// sees the old file or the new one, never part of one. It refuses a post
// that has changes of a person's not yet committed.
func (s *Store) Write(name string, data []byte) error {
	if !PostName(name, s.regularPost(name)) {
		return fmt.Errorf("store: refusing post file name %q", name)
	}
	if s.theirs(context.Background(), name) {
		return fmt.Errorf("store: %s/%s has changes that someone made and did not commit: commit or discard them, "+
			"and archiver writes it at the next pass", PostsDir, name)
	}
	fm, err := jekyll.Parse(data)
	if err != nil {
		return fmt.Errorf("store: %s: %w", name, err)
	}
	path := filepath.Join(s.dir, PostsDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, known := s.table.get(name); !known {
		s.crowd(path)
	}
	if err := s.journal(PostsDir+"/"+name, data); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := writeAtomic(path, data); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.table.put(PostOf(name, fm))
	s.pending = append(s.pending, PostsDir+"/"+name)
	return nil
}

// maxFolder is the most files a forge shows of a folder: GitHub's web
// view and contents API cut a folder off at 1,000.
const maxFolder = 1000

// crowd counts a new file at path in its folder, and warns, once a run,
// when the folder holds more than a forge shows.
func (s *Store) crowd(path string) {
	dir := filepath.Dir(path)
	n, counted := s.folders[dir]
	if !counted {
		if s.folders == nil {
			s.folders = map[string]int{}
		}
		if d, err := os.Open(dir); err == nil {
			names, _ := d.Readdirnames(-1)
			n = len(names)
			d.Close()
		}
	}
	s.folders[dir] = n + 1
	if n == maxFolder || !counted && n > maxFolder {
		rel, _ := filepath.Rel(s.dir, dir)
		s.log.Warn(fmt.Sprintf("store: %s holds more than the %d files a forge shows of a folder: set store.layout to one of more folders "+
			"({year}/{month}, {feed}/{year}/{month}, {year}/{month}/{day}) and run archiver relayout", filepath.ToSlash(rel), maxFolder),
			slog.Int("files", n+1))
	}
}

// regularPost reports whether the store has a post of that name, a
// regular file.
func (s *Store) regularPost(name string) bool {
	if _, known := s.table.get(name); !known || !cleanName(name) {
		return false
	}
	st, err := os.Lstat(filepath.Join(s.dir, PostsDir, filepath.FromSlash(name)))
	return err == nil && st.Mode().IsRegular()
}

// Commit commits the posts written since the last commit, with message.
// It reports whether it made a commit: rewriting a post with the same
// content is not a change.
func (s *Store) Commit(ctx context.Context, message string) (bool, error) {
	return s.commitPending(ctx, s.pending, message)
}

// CommitPaths commits, with message, the files written since the last
// commit whose paths (relative to the store: _posts/NAME, media/…) are
// in paths; the others stay written, and journaled, for a later commit.
func (s *Store) CommitPaths(ctx context.Context, paths []string, message string) (bool, error) {
	set := pathSet(paths)
	return s.commitPending(ctx, slices.DeleteFunc(slices.Clone(s.pending), func(p string) bool { return !set[p] }), message)
}

// pathSet is the set of paths.
func pathSet(paths []string) map[string]bool {
	set := make(map[string]bool, len(paths))
	for _, p := range paths {
		set[p] = true
	}
	return set
}

// commitPending commits the pending files of paths with message.
func (s *Store) commitPending(ctx context.Context, paths []string, message string) (bool, error) {
	if len(paths) == 0 {
		return false, nil
	}
	if err := s.checkState(ctx); err != nil {
		return false, err // a person's rebase or branch since Open: the posts wait in the journal
	}
	c, err := s.commitFiles(ctx, paths, message)
	if err != nil {
		return false, err
	}
	committed := pathSet(paths)
	s.pending = slices.DeleteFunc(s.pending, func(p string) bool { return committed[p] })
	if err := s.unjournal(committed); err != nil {
		return c != nil, err
	}
	if c == nil {
		return false, nil
	}
	if c.parent == s.head && s.tree != "" {
		// The posts are as written: only the tree they are of is new.
		s.head, s.tree, s.tableStale = c.id, c.postsTree, true
		return true, nil
	}
	return true, s.loadPosts(ctx) // someone committed since Open
}

// Maintain packs the repository when git finds it is time (git gc
// --auto), and packs the loose objects once they take more than
// maxLoose bytes: git counts them, not their bytes, and a commit to a
// large folder writes a large tree. Commits leave that to Maintain, so
// that a stopping archiver never waits for it; a gc or repack that is
// stopped leaves the repository whole.
//
// gc runs in the foreground, within ctx: detached, it would be killed when
// a one-shot container's command ends, leave a gc.pid that blocks gc for
// 12 hours, and leave a zombie in the daemon.
func (s *Store) Maintain(ctx context.Context) error {
	if s.looseBytes(ctx) > cmp.Or(s.maxLoose, maxLoose) {
		// The loose objects into one more pack (gc --auto joins packs
		// once there are gc.autoPackLimit of them), those packed removed.
		if _, err := s.git.run(ctx, nil, "repack", "-d", "-q"); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	if _, err := s.git.run(ctx, nil, "-c", "gc.auto=6700", "-c", "gc.autoDetach=false", "-c", "maintenance.autoDetach=false",
		"gc", "--auto", "--quiet"); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// maxLoose is the most bytes of loose objects Maintain leaves.
const maxLoose = 64 << 20

// looseBytes is what the loose objects of the repository take on disk.
func (s *Store) looseBytes(ctx context.Context) int64 {
	out, _ := s.git.run(ctx, nil, "count-objects", "-v")
	for line := range strings.SplitSeq(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "size: "); ok {
			kib, _ := strconv.ParseInt(v, 10, 64)
			return kib << 10
		}
	}
	return 0
}

// pathList is paths for git's --pathspec-from-file.
func pathList(paths []string) io.Reader {
	var list strings.Builder
	for _, p := range paths {
		list.WriteString(p + "\x00")
	}
	return strings.NewReader(list.String())
}

// takeLock takes the store's lock, an OS file lock, so a crashed holder
// never blocks the next run: the OS releases the lock with the process.
func (s *Store) takeLock(ctx context.Context, wait time.Duration) error {
	s.lock = flock.New(filepath.Join(s.meta, "lock"))
	ok, err := s.lock.TryLock()
	if err == nil && !ok && wait > 0 {
		s.log.Info("store: waiting for another archiver to finish", slog.String("store", s.dir), slog.String("at_most", wait.String()))
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		ok, err = s.lock.TryLockContext(wctx, 100*time.Millisecond)
		if errors.Is(err, context.DeadlineExceeded) {
			err = nil
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("store: locking %s: %w", s.dir, err)
	}
	if !ok {
		return fmt.Errorf("%w (%s)", ErrBusy, s.dir)
	}
	return nil
}

// writeAtomic writes data to path through a temporary file in the same
// directory, synced before it is renamed over path.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, tempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, there is nothing to remove
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir makes the names of a directory durable: a rename into it.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// syncFile makes what was written to the file at path durable.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// tempPrefix starts the names of temporary files: a dot file, which Jekyll
// ignores, and which repair removes.
const tempPrefix = ".archiver-tmp-"
