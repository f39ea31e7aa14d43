package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// within runs fn, failing the test if it takes longer than 20 s: what
// it tests must not hang.
func within(t *testing.T, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s hangs", what)
	}
}

// TestNotRegularFiles: posts that are a symlink to /dev/zero and a FIFO
// (anyone who can push can commit a symlink) are neither followed nor
// waited on: Open, Read and Verify each end at once, and name them.
func TestNotRegularFiles(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	posts := filepath.Join(dir, store.PostsDir)
	if err := os.Symlink("/dev/zero", filepath.Join(posts, "2024-02-01-zero.md")); err != nil {
		t.Fatal(err)
	}
	storetest.Git(t, dir, "add", "_posts")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "a post that is a symlink")
	if err := syscall.Mkfifo(filepath.Join(posts, "2024-02-02-fifo.md"), 0o644); err != nil {
		t.Fatal(err)
	}
	within(t, "Open", func() {
		s := open(t, dir)
		if _, err := s.Read("2024-02-01-zero.md"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("Read of a symlink = %v", err)
		}
		if _, err := s.Read("2024-02-02-fifo.md"); err == nil {
			t.Error("Read of a FIFO succeeded")
		}
		if p, _ := s.Post("2024-01-01-a.md"); p.From != "https://example.org/a" {
			t.Errorf("the posts beside them are not read: %+v", p)
		}
	})
	within(t, "Verify", func() {
		problems, err := store.Verify(context.Background(), dir, strings.ToLower)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range problems {
			if strings.Contains(p.Message, "not a regular file") {
				got = append(got, p.File)
			}
		}
		if strings.Join(got, " ") != "_posts/2024-02-01-zero.md _posts/2024-02-02-fifo.md" {
			t.Errorf("Verify = %v", problems)
		}
	})
}

// TestForgottenNotRegular: a list of forgotten articles that is a
// symlink to /dev/zero, or a directory, cannot be read: that is an error,
// said, never an empty list (and the stories taken down archived again).
func TestForgottenNotRegular(t *testing.T) {
	t.Parallel()
	for _, kind := range []string{"symlink", "directory"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			dir := archived(t)
			list := filepath.Join(dir, store.ForgottenFile)
			os.MkdirAll(filepath.Dir(list), 0o755)
			if kind == "symlink" {
				os.Symlink("/dev/zero", list)
			} else {
				storetest.WriteFile(t, filepath.Join(list, "x"), "https://example.org/a\n")
			}
			storetest.Git(t, dir, "add", ".archiver")
			storetest.Git(t, dir, "commit", "--quiet", "-m", "a list that is no file")
			within(t, "Open", func() {
				s, err := store.Open(context.Background(), options(dir))
				if err == nil {
					defer s.Close()
					_, err = s.TakenDown()
				}
				if err == nil || !strings.Contains(err.Error(), store.ForgottenFile) {
					t.Errorf("the takedowns of a list that is a %s = %v, want an error naming it", kind, err)
				}
			})
		})
	}
}

// TestForgottenBOM: a line of the list that begins with a byte order
// mark (a person's editor wrote one) is the URL after it.
func TestForgottenBOM(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	storetest.WriteFile(t, filepath.Join(dir, store.ForgottenFile), "\uFEFFhttps://example.org/a\n\uFEFF# a comment\nhttps://example.org/c\n")
	storetest.Git(t, dir, "add", ".archiver")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "my list")
	s := open(t, dir)
	got, err := s.TakenDown()
	if err != nil || strings.Join(got, " ") != "https://example.org/a https://example.org/c" {
		t.Errorf("TakenDown = %q, %v", got, err)
	}
}

// TestPostsSymlink: a _posts that is a symlink (out of the store) makes
// the store unusable: Check and Open say so, and write nothing there.
func TestPostsSymlink(t *testing.T) {
	t.Parallel()
	dir, elsewhere := filepath.Join(t.TempDir(), "archive"), t.TempDir()
	os.MkdirAll(dir, 0o755)
	if err := os.Symlink(elsewhere, filepath.Join(dir, store.PostsDir)); err != nil {
		t.Fatal(err)
	}
	for what, err := range map[string]error{"Check": store.Check(dir), "Open": func() error {
		s, err := store.Open(context.Background(), options(dir))
		if err == nil {
			s.Close()
		}
		return err
	}()} {
		if !errors.Is(err, store.ErrUnusable) || !strings.Contains(err.Error(), store.PostsDir) {
			t.Errorf("%s with _posts a symlink = %v, want ErrUnusable naming it", what, err)
		}
	}
	if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
		t.Errorf("written where _posts points: %v", entries)
	}
}

// TestVerifyCodePoint: verify names a control character by its code
// point, not by the first byte of its UTF-8.
func TestVerifyCodePoint(t *testing.T) {
	t.Parallel()
	dir := archived(t)
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024-03-01-c1.md"), string(post("https://example.org/c1"))+"Text with a \u0098 in it.\n")
	storetest.Git(t, dir, "add", "_posts")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "a post with a C1 control")
	problems, err := store.Verify(context.Background(), dir, strings.ToLower)
	if err != nil || len(problems) != 1 || !strings.Contains(problems[0].Message, "U+0098 at byte") {
		t.Errorf("Verify = %v, %v; want U+0098 named", problems, err)
	}
}
