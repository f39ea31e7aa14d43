package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
)

const (
	testName  = "Archiver Test"
	testEmail = "archiver@example.org"
)

// cleanEnv runs the test with no git configuration or identity but what
// the store passes itself: no user or system config, and no GIT_DIR or
// the like from a hook the tests might be run from.
func cleanEnv(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range []string{
		"XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS",
		"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES",
		"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
	} {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
}

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
	cleanEnv(t)
	dir := filepath.Join(t.TempDir(), "archive")
	return open(t, dir), dir
}

// gitOut runs the git CLI in dir, with an identity of its own for the
// commits the tests make behind the store's back.
func gitOut(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Someone Else", "GIT_AUTHOR_EMAIL=else@example.org",
		"GIT_COMMITTER_NAME=Someone Else", "GIT_COMMITTER_EMAIL=else@example.org", "LC_ALL=C")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// commitCount is the number of commits on HEAD, 0 without one.
func commitCount(t *testing.T, dir string) int {
	t.Helper()
	cmd := exec.Command("git", "rev-list", "--count", "HEAD")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return 0
	}
	var n int
	fmt.Sscan(string(out), &n)
	return n
}

// checkRepo fails the test unless the repository at dir passes
// `git fsck --strict` and its work tree is clean.
func checkRepo(t *testing.T, dir string) {
	t.Helper()
	gitOut(t, dir, "fsck", "--strict", "--no-progress")
	if st := gitOut(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree of %s is not clean:\n%s", dir, st)
	}
}

// headFiles lists the files committed at HEAD.
func headFiles(t *testing.T, dir string) []string {
	t.Helper()
	return strings.Fields(gitOut(t, dir, "ls-tree", "-r", "--name-only", "HEAD"))
}

// lastMessage is the message of the commit at HEAD.
func lastMessage(t *testing.T, dir string) string {
	t.Helper()
	return strings.TrimSpace(gitOut(t, dir, "log", "-1", "--format=%B"))
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

func sample(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("../testdata/sample-post.md")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

const sampleFrom = "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html"

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
