package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"

	"github.com/rfa-archive/archiver/store"
)

const (
	testName  = "Archiver Test"
	testEmail = "archiver@example.org"
)

func options(dir string) store.Options {
	return store.Options{Path: dir, Name: testName, Email: testEmail}
}

// open opens the store at dir and closes it when the test ends.
func open(t *testing.T, dir string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), options(dir))
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// newStore opens a new store in a temporary directory.
func newStore(t *testing.T) (*store.Store, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "archive")
	return open(t, dir), dir
}

// post is a valid post whose front matter says it is from url.
func post(url string) []byte {
	return fmt.Appendf(nil, "---\nlayout: post\ntitle: \"A story\"\ndate: 2024-07-26T19:35:21.442Z\nfrom: %s\nguid: guid-%s\n---\nThe story of %s.\n", url, url, url)
}

// posts collects what Posts yields, by name.
func posts(s *store.Store) map[string]store.Post {
	m := map[string]store.Post{}
	s.Posts(func(p store.Post) { m[p.Name] = p })
	return m
}

// files lists the files under root, relative to it, outside .git.
func files(t *testing.T, root string) []string {
	t.Helper()
	var list []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".git" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			list = append(list, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(list)
	return list
}
