package store

import (
	"log/slog"
	"maps"
	"reflect"
	"testing"
)

// TestCacheRoundTrip: the cache reads back what was written; anything
// else is no cache, never a panic.
func TestCacheRoundTrip(t *testing.T) {
	t.Parallel()
	s := &Store{meta: t.TempDir(), log: slog.New(slog.DiscardHandler), tree: "tree", head: "head", posts: map[string]Post{
		"a.md": {Name: "a.md", From: "https://x.org/a/", Title: "标题 \x00 with a NUL", SourceID: "ID", Also: []string{"https://x.org/b/", "https://x.org/c/"}},
		"b.md": {Name: "b.md", GUID: "g", Feed: "https://x.org/feed"},
		"c.md": {Name: "c.md"},
	}}
	s.writeCache()
	posts, tree, head := s.readCache()
	if tree != "tree" || head != "head" || !maps.EqualFunc(posts, s.posts, func(a, b Post) bool { return reflect.DeepEqual(a, b) }) {
		t.Errorf("read back %v %q %q, want %v", posts, tree, head, s.posts)
	}
}

func FuzzDecodeCache(f *testing.F) {
	f.Add("\x10archiver posts 4\x01t\x01h\x01\x04a.md\x00\x00\x00\x00\x00\x01\x01x")
	f.Add("\x10archiver posts 4\x01t\x01h\xff\xff\xff\xff\x0f")
	f.Fuzz(func(t *testing.T, data string) {
		decodeCache(data)
	})
}
