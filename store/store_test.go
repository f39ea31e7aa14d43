package store_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

func TestOpenCreates(t *testing.T) {
	t.Parallel()
	for _, branch := range []string{"", "archive"} {
		t.Run("branch="+branch, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "new", "archive")
			opts := options(dir)
			opts.Branch = branch
			s, err := store.Open(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()

			if n := storetest.Commits(dir); n != 1 {
				t.Errorf("%d commits, want 1", n)
			}
			got := storetest.HeadFiles(t, dir)
			for _, want := range []string{"_config.yml", "_layouts/post.html", "index.html", ".gitignore"} {
				if !slices.Contains(got, want) {
					t.Errorf("the first commit lacks %s; it has %v", want, got)
				}
			}
			want := branch
			if want == "" {
				want = "main"
			}
			if b := strings.TrimSpace(storetest.Git(t, dir, "symbolic-ref", "--short", "HEAD")); b != want {
				t.Errorf("branch %q, want %q", b, want)
			}
			if a := strings.TrimSpace(storetest.Git(t, dir, "log", "-1", "--format=%an <%ae>|%cn <%ce>")); a != testName+" <"+testEmail+">|"+testName+" <"+testEmail+">" {
				t.Errorf("author|committer %q", a)
			}
			if s.Dir() != dir {
				t.Errorf("Dir() = %q, want %q", s.Dir(), dir)
			}
			if s.Len() != 0 {
				t.Errorf("Len() = %d in a new store", s.Len())
			}
			storetest.CheckRepo(t, dir)
		})
	}
}

// TestOpenAfterInterruptedInit: a run killed while it created the
// repository leaves a temporary directory, never a half-made .git; the
// next Open creates the repository and removes what the killed run left.
func TestOpenAfterInterruptedInit(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "archive")
	left := filepath.Join(dir, ".archiver-tmp-init-1234")
	storetest.Git(t, t.TempDir(), "init", "--quiet", left)
	young := filepath.Join(dir, ".archiver-tmp-init-5678") // another archiver's, at work
	if err := os.Mkdir(young, 0o755); err != nil {
		t.Fatal(err)
	}
	killed := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(left, killed, killed); err != nil {
		t.Fatal(err)
	}
	s := open(t, dir)
	if n := storetest.Commits(dir); n != 1 || s.Len() != 0 {
		t.Errorf("%d commits, %d posts; want the first commit of a new archive", n, s.Len())
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the interrupted run's directory is left: %v", err)
	}
	if _, err := os.Stat(young); err != nil {
		t.Errorf("another archiver's directory, a moment old, is removed: %v", err)
	}
}

func TestOpenExistingRepo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storetest.Git(t, dir, "init", "--quiet", "--initial-branch=trunk")
	storetest.WriteFile(t, filepath.Join(dir, "README.md"), "mine\n")
	storetest.Git(t, dir, "add", "README.md")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "Mine")
	before := files(t, dir)

	s := open(t, dir)
	if n := storetest.Commits(dir); n != 1 {
		t.Errorf("%d commits, want the 1 it had", n)
	}
	if after := files(t, dir); !slices.Equal(after, before) {
		t.Errorf("files changed from %v to %v", before, after)
	}
	if s.Len() != 0 {
		t.Errorf("Len() = %d", s.Len())
	}
	storetest.CheckRepo(t, dir)

	// It is usable as it is: the first post creates _posts.
	if err := s.Write("2024-01-01-a.md", post("https://example.org/a")); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(context.Background(), "Archive a"); err != nil || !made {
		t.Fatalf("Commit = %v, %v", made, err)
	}
	if b := strings.TrimSpace(storetest.Git(t, dir, "symbolic-ref", "--short", "HEAD")); b != "trunk" {
		t.Errorf("branch %q, want trunk", b)
	}
	storetest.CheckRepo(t, dir)
}

func TestOpenInsideAnotherRepo(t *testing.T) {
	t.Parallel()
	outer := filepath.Join(t.TempDir(), "outer")
	if err := os.Mkdir(outer, 0o755); err != nil {
		t.Fatal(err)
	}
	storetest.Git(t, outer, "init", "--quiet")
	storetest.WriteFile(t, filepath.Join(outer, "x"), "x\n")
	storetest.Git(t, outer, "add", "x")
	storetest.Git(t, outer, "commit", "--quiet", "-m", "Outer")

	for _, name := range []string{"archive", "empty"} {
		dir := filepath.Join(outer, name)
		if name == "empty" {
			os.Mkdir(dir, 0o755)
		}
		s := open(t, dir)
		top := strings.TrimSpace(storetest.Git(t, dir, "rev-parse", "--show-toplevel"))
		if top != dir {
			t.Errorf("%s: its repository is at %s", name, top)
		}
		if err := s.Write("2024-01-01-a.md", post("https://example.org/a")); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(context.Background(), "Archive a"); err != nil {
			t.Fatal(err)
		}
		if n := storetest.Commits(dir); n != 2 {
			t.Errorf("%s: %d commits, want 2", name, n)
		}
		storetest.CheckRepo(t, dir)
		s.Close()
	}
	if n := storetest.Commits(outer); n != 1 {
		t.Errorf("the outer repository has %d commits, want 1", n)
	}
}

func TestOpenNonEmptyDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	storetest.WriteFile(t, filepath.Join(dir, "notes.txt"), "not an archive\n")
	s, err := store.Open(context.Background(), options(dir))
	if err == nil {
		s.Close()
		t.Fatal("Open of a directory of other things succeeded")
	}
	for _, want := range []string{dir, "store.path", "git init"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error does not say %q: %v", want, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		t.Error("Open made a repository anyway")
	}
	if got := files(t, dir); !slices.Equal(got, []string{"notes.txt"}) {
		t.Errorf("the directory now holds %v", got)
	}
}

func TestOpenEarlierToolsPosts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := "2024-07-26-hx2-southeast-asian-diplomats-meet-07262024084201.md"
	data := []byte(storetest.SamplePost)
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, name), string(data))
	// A file of the user's is kept as it is.
	config := []byte("title: Mine\n")
	storetest.WriteFile(t, filepath.Join(dir, "_config.yml"), string(config))

	s := open(t, dir)
	if n := storetest.Commits(dir); n != 1 {
		t.Errorf("%d commits, want 1", n)
	}
	got := storetest.HeadFiles(t, dir)
	for _, want := range []string{"_posts/" + name, "_config.yml", "_layouts/post.html", "index.html", ".gitignore"} {
		if !slices.Contains(got, want) {
			t.Errorf("the first commit lacks %s; it has %v", want, got)
		}
	}
	if c := storetest.Git(t, dir, "show", "HEAD:_config.yml"); c != string(config) {
		t.Errorf("_config.yml was replaced by\n%s", c)
	}
	if c := storetest.Git(t, dir, "show", "HEAD:_posts/"+name); c != string(data) {
		t.Error("the committed post differs from the file")
	}
	p, ok := s.Post(name)
	if !ok || p.From != storetest.SampleFrom || p.Name != name {
		t.Errorf("Post(%s) = %+v, %v", name, p, ok)
	}
	if all := posts(s); len(all) != 1 || all[name].From != storetest.SampleFrom || s.Len() != 1 {
		t.Errorf("Posts() = %v, Len() = %d", all, s.Len())
	}
	storetest.CheckRepo(t, dir)
}

func TestWriteCommit(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	ctx := context.Background()
	a, b := post("https://example.org/a"), post("https://example.org/b")
	if err := s.Write("2024-01-01-a.md", a); err != nil {
		t.Fatal(err)
	}
	if err := s.Write("2024-01-02-b.md", b); err != nil {
		t.Fatal(err)
	}
	if p, ok := s.Post("2024-01-01-a.md"); !ok || p.From != "https://example.org/a" || p.GUID != "guid-https://example.org/a" {
		t.Errorf("Post before Commit = %+v, %v", p, ok)
	}
	if s.Len() != 2 {
		t.Errorf("Len() = %d, want 2", s.Len())
	}
	for name, want := range map[string][]byte{"2024-01-01-a.md": a, "2024-01-02-b.md": b} {
		got, err := os.ReadFile(filepath.Join(dir, store.PostsDir, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s holds %q, %v; want %q", name, got, err, want)
		}
	}

	made, err := s.Commit(ctx, "Archive 2 posts\n\nfrom example.org")
	if err != nil || !made {
		t.Fatalf("Commit = %v, %v; want true", made, err)
	}
	if n := storetest.Commits(dir); n != 2 {
		t.Errorf("%d commits, want 2", n)
	}
	if m := storetest.LastMessage(t, dir); m != "Archive 2 posts\n\nfrom example.org" {
		t.Errorf("message %q", m)
	}
	changed := strings.Fields(storetest.Git(t, dir, "show", "--name-only", "--format=", "HEAD"))
	if !slices.Equal(changed, []string{"_posts/2024-01-01-a.md", "_posts/2024-01-02-b.md"}) {
		t.Errorf("the commit changed %v", changed)
	}
	if c := storetest.Git(t, dir, "show", "HEAD:_posts/2024-01-01-a.md"); c != string(a) {
		t.Errorf("committed %q", c)
	}
	storetest.CheckRepo(t, dir)

	// Nothing written: no commit.
	if made, err := s.Commit(ctx, "Nothing"); err != nil || made {
		t.Errorf("Commit with nothing written = %v, %v", made, err)
	}
	// The same bytes again: no change, no commit.
	if err := s.Write("2024-01-01-a.md", a); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(ctx, "Same"); err != nil || made {
		t.Errorf("Commit of unchanged posts = %v, %v", made, err)
	}
	if n := storetest.Commits(dir); n != 2 {
		t.Errorf("%d commits, want still 2", n)
	}
	storetest.CheckRepo(t, dir)

	// A rewrite with other content is one more commit, and Post sees it.
	a2 := post("https://example.org/a2")
	if err := s.Write("2024-01-01-a.md", a2); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(ctx, "Update a"); err != nil || !made {
		t.Errorf("Commit of a changed post = %v, %v", made, err)
	}
	if p, _ := s.Post("2024-01-01-a.md"); p.From != "https://example.org/a2" {
		t.Errorf("Post after the rewrite = %+v", p)
	}
	if n := storetest.Commits(dir); n != 3 || storetest.LastMessage(t, dir) != "Update a" {
		t.Errorf("%d commits, last %q", n, storetest.LastMessage(t, dir))
	}
	if _, ok := s.Post("2024-01-03-none.md"); ok {
		t.Error("Post of a name never written is found")
	}
	all := posts(s)
	if len(all) != 2 || all["2024-01-02-b.md"].From != "https://example.org/b" || s.Len() != 2 {
		t.Errorf("Posts() = %v, Len() = %d", all, s.Len())
	}
	storetest.CheckRepo(t, dir)

	// Another Open sees what was committed.
	s.Close()
	s = open(t, dir)
	if got := posts(s); len(got) != 2 || got["2024-01-01-a.md"].From != "https://example.org/a2" {
		t.Errorf("Posts() after reopening = %v", got)
	}
}

func TestWriteRefusesNames(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	root := filepath.Dir(dir)
	abs := filepath.Join(t.TempDir(), "2024-01-01-abs.md")
	before := files(t, root)
	for _, name := range append(slices.Clone(storetest.RefusedNames), abs) {
		if err := s.Write(name, post("https://example.org/x")); err == nil {
			t.Errorf("Write(%q) succeeded", name)
		}
	}
	if after := files(t, root); !slices.Equal(after, before) {
		t.Errorf("files were %v, now %v", before, after)
	}
	if _, err := os.Stat(abs); err == nil {
		t.Errorf("%s was written", abs)
	}
	if _, err := os.Stat("/2024-01-01-x.md"); err == nil {
		t.Errorf("/2024-01-01-x.md exists")
	}
	if s.Len() != 0 {
		t.Errorf("Len() = %d after refused writes", s.Len())
	}
	if made, err := s.Commit(context.Background(), "Nothing"); err != nil || made {
		t.Errorf("Commit after refused writes = %v, %v", made, err)
	}
	storetest.CheckRepo(t, dir)
}

func TestPostsCache(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	ctx := context.Background()
	if err := s.Write("2024-01-01-a.md", post("https://example.org/a")); err != nil {
		t.Fatal(err)
	}
	if err := s.Write("2024-01-02-b.md", post("https://example.org/b")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Commit(ctx, "Archive"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	archived := storetest.Head(t, dir)
	tableFile, deltaFile := filepath.Join(dir, ".git", "archiver", "posts.table"), filepath.Join(dir, ".git", "archiver", "posts.delta")
	if _, err := os.Stat(tableFile); err != nil {
		t.Fatalf("no table of posts: %v", err)
	}

	want := func(s *store.Store, want map[string]string) {
		t.Helper()
		got := map[string]string{}
		s.Posts(func(p store.Post) { got[p.Name] = p.From })
		if len(got) != len(want) || s.Len() != len(want) {
			t.Errorf("Posts() = %v (Len %d), want %v", got, s.Len(), want)
		}
		for name, from := range want {
			if got[name] != from {
				t.Errorf("%s is from %q, want %q", name, got[name], from)
			}
		}
	}

	// A post committed behind the store's back, and one changed.
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024-01-03-c.md"), string(post("https://example.org/c")))
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024-01-02-b.md"), string(post("https://example.org/b2")))
	storetest.Git(t, dir, "add", "--all")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "By hand")
	s = open(t, dir)
	want(s, map[string]string{
		"2024-01-01-a.md": "https://example.org/a",
		"2024-01-02-b.md": "https://example.org/b2",
		"2024-01-03-c.md": "https://example.org/c",
	})
	if n := storetest.Commits(dir); n != 3 {
		t.Errorf("%d commits, want 3: Open committed something", n)
	}
	s.Close()

	// A post removed behind its back: a takedown, remembered in a commit
	// of its own.
	storetest.Git(t, dir, "rm", "--quiet", "_posts/2024-01-01-a.md")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "Remove a")
	s = open(t, dir)
	want(s, map[string]string{
		"2024-01-02-b.md": "https://example.org/b2",
		"2024-01-03-c.md": "https://example.org/c",
	})
	if got, _ := s.Forgotten(); !slices.Equal(got, []string{"https://example.org/a"}) {
		t.Errorf("Forgotten() = %q, want the removed post's article", got)
	}
	if msg := storetest.LastMessage(t, dir); !strings.HasPrefix(msg, "Remember 1 post removed from the archive") {
		t.Errorf("last commit %q", msg)
	}
	s.Close()

	// A broken table, or broken changes since it, only cost a full read,
	// both broken on their own and broken while the posts changed.
	for i, broken := range []struct {
		file string
		data []byte
	}{{tableFile, []byte("garbage")}, {deltaFile, []byte("archiver posts delta 6\ngarbage")}, {tableFile, nil}} {
		if i == 2 {
			storetest.Git(t, dir, "rm", "--quiet", "_posts/2024-01-03-c.md")
			storetest.Git(t, dir, "commit", "--quiet", "-m", "Remove c")
		}
		if err := os.WriteFile(broken.file, broken.data, 0o644); err != nil {
			t.Fatal(err)
		}
		s = open(t, dir)
		w := map[string]string{"2024-01-02-b.md": "https://example.org/b2"}
		if i < 2 {
			w["2024-01-03-c.md"] = "https://example.org/c"
		}
		want(s, w)
		storetest.CheckRepo(t, dir)
		s.Close()
	}

	// A cache of a history that is gone (rewritten, garbage collected).
	storetest.Git(t, dir, "reset", "--quiet", "--hard", archived)
	storetest.Git(t, dir, "reflog", "expire", "--expire=now", "--all")
	storetest.Git(t, dir, "gc", "--quiet", "--prune=now")
	s = open(t, dir)
	want(s, map[string]string{
		"2024-01-01-a.md": "https://example.org/a",
		"2024-01-02-b.md": "https://example.org/b",
	})
	storetest.CheckRepo(t, dir)
}

// TestOpenJekyllSite: a directory that is a Jekyll site already is
// adopted with none of archiver's site files: no index.html beside its
// index.md, no layouts beside its theme's.
func TestOpenJekyllSite(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "site")
	theirs := map[string]string{
		"_config.yml":                    "title: Their site\ntheme: minima\n",
		"index.md":                       "---\nlayout: home\n---\n",
		"_posts/2024-01-01-theirs.md":    string(post("https://example.org/theirs")),
		"_layouts/their-own-layout.html": "{{ content }}\n",
	}
	for path, data := range theirs {
		storetest.WriteFile(t, filepath.Join(dir, path), data)
	}
	s := open(t, dir)
	var want []string
	for path := range theirs {
		want = append(want, path)
	}
	slices.Sort(want)
	got := slices.DeleteFunc(storetest.HeadFiles(t, dir), func(f string) bool { return f == "_posts/.gitkeep" || f == ".gitignore" })
	if !slices.Equal(got, want) {
		t.Errorf("the first commit holds %v, want only the site's own %v", got, want)
	}
	if s.Len() != 1 {
		t.Errorf("%d posts, want 1", s.Len())
	}
}
