package store_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestPushRace: three archivers, each archiving a feed of its own into a
// store of its own, push to one branch of one remote at once, round after
// round. A push the remote rejects because another got there first is
// pulled and pushed again within the pass: every article is on the
// remote, once.
func TestPushRace(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	remote := filepath.Join(root, "remote.git")
	storetest.Git(t, root, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	// The archive is on the remote; each archiver starts from it.
	first := options(filepath.Join(root, "first"))
	first.Remote = remote
	s, err := store.Open(context.Background(), first)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Push(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.Close()
	const archivers, rounds = 3, 4
	var wg sync.WaitGroup
	errs := make(chan error, archivers*rounds)
	for a := range archivers {
		opts := options(filepath.Join(root, fmt.Sprintf("archive-%d", a)))
		opts.Remote = remote
		wg.Go(func() {
			ctx := context.Background()
			for r := range rounds {
				s, err := store.Open(ctx, opts)
				if err != nil {
					errs <- err
					return
				}
				if err := s.Pull(ctx); err != nil {
					errs <- fmt.Errorf("archiver %d, round %d: %w", a, r, err)
				}
				name := fmt.Sprintf("2025-01-%02d-feed-%d-story-%d.md", r+1, a, r)
				if err := s.Write(name, post(fmt.Sprintf("https://example.org/feed-%d/story-%d", a, r))); err != nil {
					errs <- err
				}
				if _, err := s.Commit(ctx, "Archive "+name); err != nil {
					errs <- err
				}
				if err := s.Push(ctx); err != nil {
					errs <- fmt.Errorf("archiver %d, round %d: %w", a, r, err)
				}
				s.Close()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	files := strings.Fields(storetest.Git(t, remote, "ls-tree", "-r", "--name-only", "main", "_posts/"))
	files = slices.DeleteFunc(files, func(f string) bool { return !strings.HasSuffix(f, ".md") })
	if len(files) != archivers*rounds {
		t.Errorf("the remote has %d posts, want %d: %v", len(files), archivers*rounds, files)
	}
	storetest.Git(t, remote, "fsck", "--strict", "--no-progress")
}

// TestPullDirty: a pull that fast-forwards keeps a person's changes in
// the work tree; one that would have to replay the store's commits over
// the remote's says which files stop it, and touches nothing.
func TestPullDirty(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	remote := filepath.Join(root, "remote.git")
	storetest.Git(t, root, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	opts := options(filepath.Join(root, "archive"))
	opts.Remote = remote
	ctx := context.Background()
	s, err := store.Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write("2025-01-01-a.md", post("https://example.org/a")); err != nil {
		t.Fatal(err)
	}
	s.Commit(ctx, "Archive a")
	if err := s.Push(ctx); err != nil {
		t.Fatal(err)
	}
	dir := s.Dir()
	// The forge gets a commit; a person edits a post here, not committed.
	clone := filepath.Join(root, "clone")
	storetest.Git(t, root, "clone", "--quiet", remote, clone)
	storetest.WriteFile(t, filepath.Join(clone, "ABOUT.md"), "about\n")
	storetest.Git(t, clone, "add", ".")
	storetest.Git(t, clone, "commit", "--quiet", "-m", "About")
	storetest.Git(t, clone, "push", "--quiet", "origin", "main")
	edit := string(post("https://example.org/a")) + "A person's note.\n"
	storetest.WriteFile(t, filepath.Join(dir, "_posts", "2025-01-01-a.md"), edit)

	if err := s.Pull(ctx); err != nil {
		t.Fatalf("a pull that fast-forwards: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "_posts", "2025-01-01-a.md")); string(data) != edit {
		t.Error("the person's change is gone")
	}

	// Both move on: the store's commit would have to be replayed.
	storetest.WriteFile(t, filepath.Join(clone, "ABOUT.md"), "about, again\n")
	storetest.Git(t, clone, "commit", "--quiet", "-am", "About again")
	storetest.Git(t, clone, "push", "--quiet", "origin", "main")
	if err := s.Write("2025-01-02-b.md", post("https://example.org/b")); err != nil {
		t.Fatal(err)
	}
	s.Commit(ctx, "Archive b")
	head := storetest.Head(t, dir)
	err = s.Pull(ctx)
	if err == nil || !strings.Contains(err.Error(), "_posts/2025-01-01-a.md") || strings.Contains(err.Error(), "diverged") {
		t.Errorf("a pull stopped by a change in the work tree: %v, want the file named", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "_posts", "2025-01-01-a.md")); string(data) != edit || storetest.Head(t, dir) != head {
		t.Error("the stopped pull changed the work tree or HEAD")
	}
	s.Close()
}

// TestPullSameStory: two archivers whose feeds overlap push to one
// remote: each archived the same story, under the same name, and one of
// them a story of its own besides. The second's pull keeps one post of
// the story (the remote's), replays the rest, and pushes: every story is
// on the remote once, and the next pass of each is quiet.
func TestPullSameStory(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	remote := filepath.Join(root, "remote.git")
	storetest.Git(t, root, "init", "--quiet", "--bare", "--initial-branch=main", remote)
	ctx := context.Background()
	openAt := func(name string) *store.Store {
		opts := options(filepath.Join(root, name))
		opts.Remote = remote
		s, err := store.Open(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	first := openAt("first")
	if err := first.Push(ctx); err != nil {
		t.Fatal(err)
	}
	second := openAt("second")
	if err := second.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	both := "2025-01-02-the-same-story.md"
	write := func(s *store.Store, name, url, body string) {
		data := strings.Replace(string(post(url)), "The story of", body, 1)
		if err := s.Write(name, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	write(first, both, "https://example.org/same", "Fetched by the first archiver:")
	if _, err := first.Commit(ctx, "Archive 1 new post\n"); err != nil {
		t.Fatal(err)
	}
	if err := first.Push(ctx); err != nil {
		t.Fatal(err)
	}
	write(second, both, "https://example.org/same", "Fetched by the second archiver, a moment later:")
	write(second, "2025-01-03-only-second.md", "https://example.org/only-second", "The second's own story:")
	if _, err := second.Commit(ctx, "Archive 2 new posts\n"); err != nil {
		t.Fatal(err)
	}
	if err := second.Push(ctx); err != nil {
		t.Fatalf("the second archiver's push: %v", err)
	}
	clone := filepath.Join(root, "clone")
	storetest.Git(t, root, "clone", "--quiet", remote, clone)
	posts := storetest.Posts(t, clone)
	if len(posts) != 2 || posts["https://example.org/same"] != both || posts["https://example.org/only-second"] == "" {
		t.Errorf("the remote holds %v, want each story once", posts)
	}
	if body := storetest.Bodies(t, clone)["https://example.org/same"]; !strings.Contains(body, "first archiver") {
		t.Errorf("the story's post is not the remote's:\n%s", body)
	}
	storetest.CheckRepo(t, filepath.Join(root, "second"))
	if err := second.Pull(ctx); err != nil {
		t.Errorf("the next pull: %v", err)
	}
}
