package store_test

import (
	"context"
	"fmt"
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
