package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// The benchmarks below measure a store of many posts (100,000, or
// $ARCHIVER_BENCH_POSTS) against git itself on the same repository:
//
//	go test ./store -run '^$' -bench . -benchtime 5x
//
// Making the store takes a minute or so, once per run.

var (
	bigOnce sync.Once
	bigDir  string
	bigErr  error
)

// bigStore is a store of many posts, committed, its cache warm.
func bigStore(b *testing.B) string {
	b.Helper()
	bigOnce.Do(func() {
		n := 100000
		if v, err := strconv.Atoi(os.Getenv("ARCHIVER_BENCH_POSTS")); err == nil && v > 0 {
			n = v
		}
		var dir string
		if dir, bigErr = os.MkdirTemp("", "archiver-bench-"); bigErr != nil {
			return
		}
		bigDir = filepath.Join(dir, "archive")
		posts := filepath.Join(bigDir, store.PostsDir)
		if bigErr = os.MkdirAll(posts, 0o755); bigErr != nil {
			return
		}
		for i := range n {
			name := fmt.Sprintf("%04d-%02d-%02d-story-%06d.md", 2000+i/20000, 1+i/1700%12, 1+i%28, i)
			data := fmt.Sprintf("---\nlayout: post\ntitle: 第%d篇\ndate: 2020-01-01T00:00:00.000Z\nauthor: 自由亚洲电台\nfrom: https://www.rfa.org/mandarin/story-%06d.html\ntags: [自由亚洲电台]\ncomments: true\ncategories: [自由亚洲电台]\n---\n正文 %d。\n", i, i, i)
			if bigErr = os.WriteFile(filepath.Join(posts, name), []byte(data), 0o644); bigErr != nil {
				return
			}
		}
		// The first Open adopts the posts in one commit and fills the cache.
		s, err := store.Open(context.Background(), options(bigDir))
		if err != nil {
			bigErr = err
			return
		}
		bigErr = s.Close()
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigDir
}

// removeBigStore removes the benchmarks' store, if they made one.
func removeBigStore() {
	if bigDir != "" {
		os.RemoveAll(filepath.Dir(bigDir))
	}
}

// BenchmarkOpen: what every pass starts with — lock, repair check, read
// what posts the store holds (from the cache).
func BenchmarkOpen(b *testing.B) {
	dir := bigStore(b)
	b.ResetTimer()
	for b.Loop() {
		s, err := store.Open(context.Background(), options(dir))
		if err != nil {
			b.Fatal(err)
		}
		if s.Len() == 0 {
			b.Fatal("no posts")
		}
		s.Close()
	}
}

// BenchmarkPassOfOne: a pass that archives one post — open, write,
// commit, close.
func BenchmarkPassOfOne(b *testing.B) {
	dir := bigStore(b)
	ctx := context.Background()
	i := 0
	b.ResetTimer()
	for b.Loop() {
		s, err := store.Open(ctx, options(dir))
		if err != nil {
			b.Fatal(err)
		}
		i++
		if err := s.Write(fmt.Sprintf("2030-01-01-bench-%d-%d.md", os.Getpid(), i), post(fmt.Sprintf("https://example.org/bench/%d/%d", os.Getpid(), i))); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Commit(ctx, "Archive 1 new post\n"); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}

// BenchmarkGitStatus is git's own time on the same repository, for
// comparison: `git status`, which every git user waits for.
func BenchmarkGitStatus(b *testing.B) {
	dir := bigStore(b)
	b.ResetTimer()
	for b.Loop() {
		storetest.Git(b, dir, "status", "--porcelain")
	}
}

// BenchmarkGitCommitOne is git's own add and commit of one file there.
func BenchmarkGitCommitOne(b *testing.B) {
	dir := bigStore(b)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		i++
		name := fmt.Sprintf("_posts/2031-01-01-git-%d-%d.md", os.Getpid(), i)
		if err := os.WriteFile(filepath.Join(dir, name), post(fmt.Sprintf("https://example.org/git/%d/%d", os.Getpid(), i)), 0o644); err != nil {
			b.Fatal(err)
		}
		storetest.Git(b, dir, "add", "--", name)
		storetest.Git(b, dir, "commit", "--quiet", "-m", "one")
	}
}

// BenchmarkOpenCold: Open after the table of posts is lost, reading
// every post.
func BenchmarkOpenCold(b *testing.B) {
	dir := bigStore(b)
	table := filepath.Join(dir, ".git", "archiver", "posts.table")
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		os.Remove(table)
		b.StartTimer()
		s, err := store.Open(context.Background(), options(dir))
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
