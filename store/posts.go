package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/rfa-archive/archiver/store/jekyll"
)

// The store knows its posts by their front matter, kept in its table
// (table.go) together with the git tree of PostsDir it describes. At
// Open, an unchanged tree means the table is right; a changed one is
// brought up to date from `git diff-tree`, which reads only what changed.
// A store archiver has not seen (a fresh clone) is read from git: the
// front matter of each post at HEAD, several at a time.

// loadPosts brings the table up to date with PostsDir at HEAD.
func (s *Store) loadPosts(ctx context.Context) error {
	tree := s.postsTree(ctx)
	if s.table == nil {
		s.openTable()
	}
	var removed []Post
	switch {
	case s.table != nil && s.tree == tree:
		if _, err := os.Stat(filepath.Join(s.meta, takedownsFile)); err != nil {
			return nil // nothing changed, no takedown waits
		}
	case s.table != nil && s.tree != "" && tree != "":
		var err error
		if removed, err = s.applyDiff(ctx, s.tree, tree); err == nil {
			break
		}
		fallthrough
	default:
		if s.head == "" {
			s.head = s.cachedHead() // the table is lost, not the commit it was of
		}
		if err := s.rebuild(ctx); err != nil {
			return err
		}
		if s.head != "" && s.head != s.headCommit(ctx) {
			removed = s.removedBetween(ctx, s.head, "HEAD")
		}
	}
	// What commits removed is remembered (and committed) before the
	// table forgets it: a crash in between finds it again. A history
	// rewritten (a reset) removes nothing.
	if !s.descends(ctx, s.head) {
		removed = nil
	}
	if err := s.forgetRemoved(ctx, removed, s.head); err != nil {
		s.log.Warn("store: posts removed in a commit are not yet remembered as taken down; archiver tries again at the next pass",
			slog.String("error", err.Error()))
	}
	s.tree, s.head = s.postsTree(ctx), s.headCommit(ctx)
	s.saveTable()
	return nil
}

// openTable opens the table's file and its changes since, which bring it
// to s.tree at s.head; s.table stays nil when there is none that this
// archiver reads.
func (s *Store) openTable() {
	t, err := openTable(filepath.Join(s.meta, tableFile), s.keysVersion, s.keys)
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			s.log.Debug("store: the table of posts is read again from the posts", slog.String("reason", err.Error()))
		}
		return
	}
	s.table = t
	s.tree, s.head = t.loadDelta(filepath.Join(s.meta, deltaFile))
}

// saveTable saves what changed in the table since its file, or writes
// the file anew when that is much; failing to is only slower next time.
func (s *Store) saveTable() {
	s.tableStale = false
	if err := writeAtomic(filepath.Join(s.meta, headFile), []byte(s.head+"\n")); err != nil {
		s.log.Warn("store: cannot save the table of posts", slog.String("error", err.Error()))
	}
	var err error
	if len(s.table.changed) > maxChanged {
		err = s.rewriteTable()
	} else {
		err = s.table.saveDelta(filepath.Join(s.meta, deltaFile), s.tree, s.head)
	}
	if err != nil {
		s.log.Warn("store: cannot save the table of posts", slog.String("error", err.Error()))
	}
	for _, old := range []string{"posts.cache", "posts.gob"} { // older archivers'
		os.Remove(filepath.Join(s.meta, old))
	}
}

// rewriteTable writes the table's file anew, with its changes.
func (s *Store) rewriteTable() error {
	path := filepath.Join(s.meta, tableFile)
	tw, err := newTableWriter(path)
	if err != nil {
		return err
	}
	err = s.table.each(func(p Post) {
		if err == nil {
			err = tw.add(&p, s.table.hashes(p))
		}
	})
	return s.finishTable(tw, path, err)
}

// finishTable finishes the table's file tw, written as err says, and
// opens it.
func (s *Store) finishTable(tw *tableWriter, path string, err error) error {
	if err != nil {
		tw.abort()
		return err
	}
	if err := tw.finish(path, s.tree, s.head, s.keysVersion); err != nil {
		return err
	}
	os.Remove(filepath.Join(s.meta, deltaFile))
	t, err := openTable(path, s.keysVersion, s.keys)
	if err != nil {
		return err
	}
	if s.table != nil {
		s.table.close()
	}
	s.table = t
	return nil
}

// headCommit is the commit at HEAD, "" if there is none.
func (s *Store) headCommit(ctx context.Context) string {
	out, err := s.git.run(ctx, nil, "rev-parse", "--quiet", "--verify", "HEAD")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// descends reports whether HEAD descends from commit.
func (s *Store) descends(ctx context.Context, commit string) bool {
	if commit == "" {
		return false
	}
	_, err := s.git.run(ctx, nil, "merge-base", "--is-ancestor", commit, "HEAD")
	return err == nil
}

// postsTree is the id of the tree of PostsDir at HEAD, "" if there is none.
func (s *Store) postsTree(ctx context.Context) string {
	out, err := s.git.run(ctx, nil, "rev-parse", "--quiet", "--verify", "HEAD:"+PostsDir)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// applyDiff updates the table with the posts that differ between two
// trees, and returns those removed.
func (s *Store) applyDiff(ctx context.Context, from, to string) ([]Post, error) {
	out, err := s.git.run(ctx, nil, "diff-tree", "-r", "-z", "--no-renames", "--name-status", from, to)
	if err != nil {
		return nil, err
	}
	var removed []Post
	fields := bytes.Split(bytes.TrimSuffix(out, []byte{0}), []byte{0})
	for i := 0; i+1 < len(fields); i += 2 {
		status, name := string(fields[i]), string(fields[i+1])
		if status == "D" {
			if p, ok := s.table.get(name); ok {
				removed = append(removed, p)
			}
			s.table.remove(name)
			continue
		}
		if isPostFile(name) {
			p, err := readPost(filepath.Join(s.dir, PostsDir, filepath.FromSlash(name)), name, make([]byte, 8<<10))
			s.keep(name, p, err)
		}
	}
	return removed, nil
}

// rebuild writes the table anew from the posts of PostsDir at HEAD, as
// git has them: a few git commands, whatever the number of posts, and
// their front matter read several at a time.
func (s *Store) rebuild(ctx context.Context) error {
	if s.table != nil {
		s.table.close()
	}
	s.table = &table{changed: map[string]change{}, keys: s.keys}
	s.tree = s.postsTree(ctx)
	head := s.head
	s.head = s.headCommit(ctx)
	defer func() { s.head = head }() // loadPosts needs the commit the table was of
	path := filepath.Join(s.meta, tableFile)
	tw, err := newTableWriter(path)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if s.tree != "" {
		err = s.readTree(ctx, s.tree, func(posts []Post, hashes [][]uint64) error {
			for i := range posts {
				if err := tw.add(&posts[i], hashes[i]); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := s.finishTable(tw, path, err); err != nil {
		return fmt.Errorf("store: reading the posts: %w", err)
	}
	n, _ := s.table.count()
	s.log.Debug("store: read every post's front matter", slog.Int("posts", n))
	return nil
}

// entry is a post file of PostsDir at HEAD: its name and blob.
type entry struct{ name, blob string }

// readTree reads the front matter of every post of tree (PostsDir's at
// HEAD) and calls fn with them, and the hashes of their keys, a few
// hundred at a time. git lists them; their files in the work tree are
// read, several at a time (quicker than git can give a million blobs out
// of a pack: a fresh clone has just written them); one that is not
// there, or not a regular file, is read from git.
func (s *Store) readTree(ctx context.Context, tree string, fn func([]Post, [][]uint64) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ls := s.git.cmd(ctx, []string{"ls-tree", "-r", "-z", "--full-tree", tree})
	list, err := ls.StdoutPipe()
	if err != nil {
		return err
	}
	if err := ls.Start(); err != nil {
		return err
	}
	chunks := make(chan []entry, 16)
	listed := make(chan error, 1)
	go func() { listed <- listEntries(list, chunks) }()
	results := make(chan scanned, 16)
	var wg sync.WaitGroup
	for range max(4, 2*runtime.GOMAXPROCS(0)) { // reading waits on the disk as much as on the CPU
		wg.Go(func() {
			d := &dirs{}
			defer d.close()
			for chunk := range chunks {
				results <- s.scan(d, chunk)
			}
		})
	}
	go func() { wg.Wait(); close(results) }()
	var missing []entry
	for r := range results {
		if err == nil {
			if err = fn(r.posts, r.hashes); err != nil {
				cancel() // git stops, and the reading with it
			}
		}
		missing = append(missing, r.missing...)
	}
	if err = errors.Join(err, <-listed, ls.Wait()); err != nil {
		return err
	}
	return s.readBlobs(ctx, missing, fn)
}

// scanned are posts read, with the hashes of their keys, and the
// entries whose files were not there to read.
type scanned struct {
	posts   []Post
	hashes  [][]uint64
	missing []entry
}

// scan reads the posts of chunk from their files, opened in the folders
// of d.
func (s *Store) scan(d *dirs, chunk []entry) scanned {
	var r scanned
	buf := make([]byte, 8<<10)
	for _, e := range chunk {
		p, err := readPostAt(d, filepath.Join(s.dir, PostsDir, filepath.FromSlash(e.name)), e.name, buf)
		if errors.Is(err, errNotRegular) || errors.Is(err, os.ErrNotExist) {
			r.missing = append(r.missing, e) // git has it
			continue
		}
		if p, ok := s.readable(e.name, p, err); ok {
			r.posts = append(r.posts, p)
			r.hashes = append(r.hashes, s.table.hashes(p))
		}
	}
	return r
}

// listEntries reads git ls-tree -z from list and sends the post files in
// it to chunks, a few hundred at a time.
func listEntries(list io.Reader, chunks chan<- []entry) error {
	defer close(chunks)
	const size = 512
	r := bufio.NewReaderSize(list, 1<<20)
	chunk := make([]entry, 0, size)
	for {
		line, err := r.ReadString(0)
		if err == io.EOF {
			break
		} else if err != nil {
			return err
		}
		meta, name, ok := strings.Cut(strings.TrimSuffix(line, "\x00"), "\t")
		f := strings.Fields(meta)
		// A symlink is not a post: Write and Read take regular files alone.
		if !ok || len(f) != 3 || f[1] != "blob" || f[0] != "100644" && f[0] != "100755" || !isPostFile(name) {
			continue
		}
		if chunk = append(chunk, entry{name, f[2]}); len(chunk) == size {
			chunks <- chunk
			chunk = make([]entry, 0, size)
		}
	}
	if len(chunk) > 0 {
		chunks <- chunk
	}
	return nil
}

// readBlobs reads the posts of entries from git (git cat-file --batch),
// and calls fn with them.
func (s *Store) readBlobs(ctx context.Context, entries []entry, fn func([]Post, [][]uint64) error) error {
	if len(entries) == 0 {
		return nil
	}
	var ids strings.Builder
	for _, e := range entries {
		ids.WriteString(e.blob + "\n")
	}
	out, err := s.git.run(ctx, strings.NewReader(ids.String()), "cat-file", "--batch")
	if err != nil {
		return err
	}
	var posts []Post
	for _, e := range entries {
		header, rest, _ := bytes.Cut(out, []byte("\n"))
		f := strings.Fields(string(header))
		size := 0
		if len(f) == 3 {
			size, _ = strconv.Atoi(f[2])
		}
		if len(f) != 3 || f[1] != "blob" || size < 0 || size >= len(rest) {
			return fmt.Errorf("git cat-file: %q", header)
		}
		p, err := parsePost(e.name, rest[:size])
		if p, ok := s.readable(e.name, p, err); ok {
			posts = append(posts, p)
		}
		out = rest[size+1:]
	}
	hashes := make([][]uint64, len(posts))
	for i, p := range posts {
		hashes[i] = s.table.hashes(p)
	}
	return fn(posts, hashes)
}

// parsePost reads the identity of the post name from its file's data.
func parsePost(name string, data []byte) (Post, error) {
	fm, ok := jekyll.QuickHead(data[:min(len(data), 8<<10)])
	if !ok {
		var err error
		if fm, err = jekyll.ReadFrontMatter(bytes.NewReader(data)); err != nil {
			return Post{}, err
		}
	}
	return PostOf(name, fm), nil
}

// readPost reads the identity of the post at path, named name, from its
// front matter; buf is a buffer to read into (its length the most read
// at once).
func readPost(path, name string, buf []byte) (Post, error) {
	return readPostAt(&dirs{}, path, name, buf)
}

// readPostAt is readPost, the file opened relative to its folder in d.
func readPostAt(d *dirs, path, name string, buf []byte) (Post, error) {
	n, err := readHeadAt(d, path, buf)
	if err != nil {
		return Post{}, err
	}
	if fm, ok := jekyll.QuickHead(buf[:n]); ok {
		return PostOf(name, fm), nil
	}
	f, err := openRegular(path)
	if err != nil {
		return Post{}, err
	}
	defer f.Close()
	fm, err := jekyll.ReadFrontMatter(f)
	if err != nil {
		return Post{}, err
	}
	return PostOf(name, fm), nil
}

// keep records the post name as read (p, or err); see readable.
func (s *Store) keep(name string, p Post, err error) {
	if p, ok := s.readable(name, p, err); ok {
		s.table.put(p)
	}
}

// readable is the post name as read (p, or err), if there is one: a file
// whose front matter cannot be read is one without identity, so that it
// is counted but matches nothing.
func (s *Store) readable(name string, p Post, err error) (Post, bool) {
	switch {
	case os.IsNotExist(err):
		return Post{}, false
	case err != nil:
		s.log.Warn("store: cannot read a post's front matter; run archiver verify",
			slog.String("file", filepath.Join(PostsDir, name)), slog.String("error", err.Error()))
		p = Post{Name: name}
	}
	return p, true
}

// isPostFile reports whether Jekyll reads a file in _posts as a post.
func isPostFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".html", ".htm", ".textile":
		return !strings.HasPrefix(filepath.Base(name), ".")
	}
	return false
}

// headFile holds the commit of the table apart from it: a table that
// cannot be read (lost, or of another version) still tells what commits
// came since.
const headFile = "posts.head"

// cachedHead is the commit the table was of, "" if unknown.
func (s *Store) cachedHead() string {
	data, _ := os.ReadFile(filepath.Join(s.meta, headFile))
	return strings.TrimSpace(string(data))
}
