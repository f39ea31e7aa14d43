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
		if s.head != "" {
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
			err = tw.add(&p, s.table.keysOf(p))
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
		err = s.readTree(ctx, s.tree, func(posts []Post) error {
			for i := range posts {
				if err := tw.add(&posts[i], s.table.keysOf(posts[i])); err != nil {
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

// readTree reads the front matter of every post of tree (PostsDir's)
// from git, and calls fn with them a few thousand at a time.
func (s *Store) readTree(ctx context.Context, tree string, fn func([]Post) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ls := s.git.cmd(ctx, []string{"ls-tree", "-r", "-z", "--full-tree", tree})
	list, err := ls.StdoutPipe()
	if err != nil {
		return err
	}
	cat := s.git.cmd(ctx, []string{"cat-file", "--batch"})
	in, err1 := cat.StdinPipe()
	out, err2 := cat.StdoutPipe()
	if err := errors.Join(err1, err2, ls.Start(), cat.Start()); err != nil {
		return err
	}
	names := make(chan string, 4096) // the names of the blobs asked for, in order
	listed := make(chan error, 1)
	go func() { listed <- listBlobs(list, in, names) }()
	if err = readBlobs(bufio.NewReaderSize(out, 1<<20), names, s.readable, fn); err != nil {
		cancel() // stopped short: so is git
		for range names {
		}
		<-listed
		ls.Wait()
		cat.Wait()
		return err
	}
	return errors.Join(<-listed, ls.Wait(), cat.Wait())
}

// listBlobs reads git ls-tree -z from list, asks for each post file's
// blob on in, and sends its name to names, in order.
func listBlobs(list io.Reader, in io.WriteCloser, names chan<- string) error {
	defer close(names)
	defer in.Close()
	r := bufio.NewReaderSize(list, 1<<20)
	w := bufio.NewWriterSize(in, 1<<16)
	for {
		entry, err := r.ReadString(0)
		if err == io.EOF {
			return w.Flush()
		} else if err != nil {
			return err
		}
		meta, name, ok := strings.Cut(strings.TrimSuffix(entry, "\x00"), "\t")
		f := strings.Fields(meta)
		if !ok || len(f) != 3 || f[1] != "blob" || !isPostFile(name) || strings.HasPrefix(filepath.Base(name), ".") {
			continue
		}
		if f[0] != "100644" && f[0] != "100755" {
			continue // a symlink is not a post: Write and Read take regular files alone
		}
		w.WriteString(f[2] + "\n")
		names <- name
	}
}

// readBlobs reads git cat-file --batch from out, a blob for each name of
// names, and calls fn with their posts a few thousand at a time; keep
// says what a post whose front matter cannot be read is.
func readBlobs(out *bufio.Reader, names <-chan string, keep func(string, Post, error) (Post, bool), fn func([]Post) error) error {
	const chunk = 4096
	type blob struct {
		name string
		data []byte
	}
	var batch []blob
	flush := func() error {
		posts := make([]Post, len(batch))
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		workers := runtime.GOMAXPROCS(0)
		for w := range workers {
			wg.Go(func() {
				for i := w; i < len(batch); i += workers {
					posts[i], errs[i] = parsePost(batch[i].name, batch[i].data)
				}
			})
		}
		wg.Wait()
		kept := posts[:0]
		for i, p := range posts {
			if p, ok := keep(batch[i].name, p, errs[i]); ok {
				kept = append(kept, p)
			}
		}
		batch = batch[:0]
		return fn(kept)
	}
	for name := range names {
		header, err := out.ReadString('\n')
		if err != nil {
			return err
		}
		f := strings.Fields(header)
		if len(f) != 3 || f[1] != "blob" {
			return fmt.Errorf("git cat-file: %q", header)
		}
		size, err := strconv.Atoi(f[2])
		if err != nil || size < 0 {
			return fmt.Errorf("git cat-file: %q", header)
		}
		data := make([]byte, size+1) // and the newline after it
		if _, err := io.ReadFull(out, data); err != nil {
			return err
		}
		batch = append(batch, blob{name, data[:size]})
		if len(batch) == chunk {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
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
	f, err := openRegular(path)
	if err != nil {
		return Post{}, err
	}
	defer f.Close()
	n, err := io.ReadFull(f, buf)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Post{}, err
	}
	fm, ok := jekyll.QuickHead(buf[:n])
	if !ok {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return Post{}, err
		}
		if fm, err = jekyll.ReadFrontMatter(f); err != nil {
			return Post{}, err
		}
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
