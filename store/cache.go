package store

import (
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
)

// The cache of posts is a file of length-prefixed strings: a header (its
// version, the tree of PostsDir it describes, the commit of that tree),
// the number of posts, then each post's fields. Reading and writing
// 100,000 posts takes a few hundredths of a second; its posts' strings
// share the one string the file is read into.

const (
	postsCache   = "posts.cache"
	cacheVersion = "archiver posts 4"
)

var errCache = errors.New("the post cache is not one this archiver reads")

// readCache reads the cache: the posts, the tree and its commit; nil
// posts when there is none, or it cannot be read.
func (s *Store) readCache() (map[string]Post, string, string) {
	data, err := os.ReadFile(filepath.Join(s.meta, postsCache))
	if err != nil {
		return nil, "", ""
	}
	posts, tree, head, err := decodeCache(string(data))
	if err != nil {
		s.log.Debug("store: the post cache is read again from the posts", slog.String("reason", err.Error()))
		return nil, "", ""
	}
	return posts, tree, head
}

func decodeCache(data string) (map[string]Post, string, string, error) {
	r := cacheReader{data: data}
	version, tree, head := r.string(), r.string(), r.string()
	n := r.uint()
	if version != cacheVersion || r.err != nil || n > uint64(len(data)) {
		return nil, "", "", errCache
	}
	posts := make(map[string]Post, n)
	for range n {
		p := Post{Name: r.string(), From: r.string(), GUID: r.string(), Feed: r.string(), SourceID: r.string(), Title: r.string()}
		also := r.uint()
		if also > uint64(len(r.data)) {
			return nil, "", "", errCache
		}
		if also > 0 {
			p.Also = make([]string, also)
			for i := range p.Also {
				p.Also[i] = r.string()
			}
		}
		if r.err != nil {
			return nil, "", "", r.err
		}
		posts[p.Name] = p
	}
	return posts, tree, head, nil
}

// cacheReader reads the cache's fields.
type cacheReader struct {
	data string
	err  error
}

func (r *cacheReader) uint() uint64 {
	v, n := binary.Uvarint([]byte(r.data[:min(len(r.data), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.err = errCache
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *cacheReader) string() string {
	n := r.uint()
	if r.err != nil || n > uint64(len(r.data)) {
		r.err = errCache
		return ""
	}
	s := r.data[:n]
	r.data = r.data[n:]
	return s
}

// writeCache saves s.posts; failing to is only slower next time.
func (s *Store) writeCache() {
	if err := writeAtomic(filepath.Join(s.meta, headFile), []byte(s.head+"\n")); err != nil {
		s.log.Warn("store: cannot save the post cache", slog.String("error", err.Error()))
	}
	buf := make([]byte, 0, 64+len(s.posts)*160)
	str := func(v string) { buf = append(binary.AppendUvarint(buf, uint64(len(v))), v...) }
	str(cacheVersion)
	str(s.tree)
	str(s.head)
	buf = binary.AppendUvarint(buf, uint64(len(s.posts)))
	for _, p := range s.posts {
		for _, v := range []string{p.Name, p.From, p.GUID, p.Feed, p.SourceID, p.Title} {
			str(v)
		}
		buf = binary.AppendUvarint(buf, uint64(len(p.Also)))
		for _, v := range p.Also {
			str(v)
		}
	}
	if err := writeAtomic(filepath.Join(s.meta, postsCache), buf); err != nil {
		s.log.Warn("store: cannot save the post cache", slog.String("error", err.Error()))
	}
	os.Remove(filepath.Join(s.meta, "posts.gob")) // an older archiver's
}
