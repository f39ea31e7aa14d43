package store

import (
	"io"

	"github.com/rfa-archive/archiver/store/jekyll"

	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
)

// The store knows its posts by reading their front matter. Reading 100,000
// files at every run would be slow, so what it read is cached in the git
// directory together with the git tree of PostsDir it describes. At Open,
// an unchanged tree means the cache is right; a changed one is brought up
// to date from `git diff-tree`, which reads only what changed.

// loadPosts brings s.posts up to date with PostsDir at HEAD.
func (s *Store) loadPosts(ctx context.Context) error {
	tree := s.postsTree(ctx)
	if s.posts == nil || s.tree == "" {
		s.posts, s.tree, s.head = s.readCache()
	}
	var removed []Post
	switch {
	case s.posts != nil && s.tree == tree:
		if _, err := os.Stat(filepath.Join(s.meta, takedownsFile)); err != nil {
			return nil // nothing changed, no takedown waits
		}
	case s.posts != nil && s.tree != "" && tree != "":
		var err error
		if removed, err = s.applyDiff(ctx, s.tree, tree); err == nil {
			break
		}
		fallthrough
	default:
		if s.head == "" {
			s.head = s.cachedHead() // the cache is lost, not the commit it was of
		}
		if err := s.scan(); err != nil {
			return err
		}
		if s.head != "" {
			removed = s.removedBetween(ctx, s.head, "HEAD")
		}
	}
	// What commits removed is remembered (and committed) before the
	// cache forgets it: a crash in between finds it again. A history
	// rewritten (a reset) removes nothing.
	if !s.descends(ctx, s.head) {
		removed = nil
	}
	if err := s.forgetRemoved(ctx, removed, s.head); err != nil {
		s.log.Warn("store: posts removed in a commit are not yet remembered as taken down; archiver tries again at the next pass",
			slog.String("error", err.Error()))
	}
	s.tree, s.head = s.postsTree(ctx), s.headCommit(ctx)
	s.writeCache()
	s.cacheStale = false
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

// applyDiff updates s.posts with the posts that differ between two trees,
// and returns those removed.
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
			if p, ok := s.posts[name]; ok {
				removed = append(removed, p)
			}
			delete(s.posts, name)
			continue
		}
		s.read(name)
	}
	return removed, nil
}

// scan reads every post in PostsDir, several at a time.
func (s *Store) scan() error {
	var names []string
	root := filepath.Join(s.dir, PostsDir)
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == root {
				return filepath.SkipAll
			}
			return err
		}
		if strings.HasPrefix(d.Name(), ".") && path != root {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if rel, _ := filepath.Rel(root, path); !d.IsDir() && isPostFile(rel) {
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return err
	}
	posts := make([]Post, len(names))
	errs := make([]error, len(names))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(4, 2*runtime.GOMAXPROCS(0)) { // reading waits on the disk as much as on the CPU
		wg.Go(func() {
			buf := make([]byte, 8<<10)
			for i := int(next.Add(1) - 1); i < len(names); i = int(next.Add(1) - 1) {
				posts[i], errs[i] = readPost(filepath.Join(root, filepath.FromSlash(names[i])), names[i], buf)
			}
		})
	}
	wg.Wait()
	s.posts = make(map[string]Post, len(names))
	for i, name := range names {
		s.keep(name, posts[i], errs[i])
	}
	s.log.Debug("store: read every post's front matter", slog.Int("posts", len(s.posts)))
	return nil
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

// read records the post PostsDir/name.
func (s *Store) read(name string) {
	if isPostFile(name) {
		p, err := readPost(filepath.Join(s.dir, PostsDir, filepath.FromSlash(name)), name, make([]byte, 8<<10))
		s.keep(name, p, err)
	}
}

// keep records the post name as read (p, or err); a file whose front
// matter cannot be read is recorded without identity, so that it is
// counted but matches nothing.
func (s *Store) keep(name string, p Post, err error) {
	switch {
	case os.IsNotExist(err):
		return
	case err != nil:
		s.log.Warn("store: cannot read a post's front matter; run archiver verify",
			slog.String("file", filepath.Join(PostsDir, name)), slog.String("error", err.Error()))
		p = Post{Name: name}
	}
	s.posts[name] = p
}

// isPostFile reports whether Jekyll reads a file in _posts as a post.
func isPostFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".md", ".markdown", ".mkd", ".mkdn", ".mdown", ".html", ".htm", ".textile":
		return !strings.HasPrefix(filepath.Base(name), ".")
	}
	return false
}

// headFile holds the commit of the cache apart from it: a cache that
// cannot be read (lost, or of another version) still tells what commits
// came since.
const headFile = "posts.head"

// cachedHead is the commit the cache was of, "" if unknown.
func (s *Store) cachedHead() string {
	data, _ := os.ReadFile(filepath.Join(s.meta, headFile))
	return strings.TrimSpace(string(data))
}
