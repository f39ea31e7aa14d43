package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Crash leaves the store as an archiver killed now would: the OS releases
// its lock, and nothing else is done: the journal and the mark that it
// has the store open stay.
func (s *Store) Crash() { s.lock.Unlock() }

// MarkRebasing marks the rebase in progress in the repository at dir as
// archiver's own, as Pull does before it starts one.
func MarkRebasing(dir string) error {
	git := filepath.Join(dir, ".git")
	orig, err1 := os.ReadFile(filepath.Join(git, "rebase-merge", "orig-head"))
	onto, err2 := os.ReadFile(filepath.Join(git, "rebase-merge", "onto"))
	if err1 != nil || err2 != nil {
		return fmt.Errorf("no rebase in progress: %v %v", err1, err2)
	}
	mark := strings.TrimSpace(string(orig)) + " " + strings.TrimSpace(string(onto)) + "\n"
	return os.WriteFile(filepath.Join(git, "archiver", rebaseFile), []byte(mark), 0o644)
}

// MarkRebasingStale leaves the mark of a rebase of archiver's that ended
// long ago, as a kill at the wrong moment would.
func MarkRebasingStale(dir string) error {
	return os.WriteFile(filepath.Join(dir, ".git", "archiver", rebaseFile), []byte("1111111 2222222\n"), 0o644)
}

// KillGit leaves the mark of a git command that ran when archiver was
// killed with it, as kill -9 of the process group would.
func KillGit(dir string) error {
	return os.WriteFile(filepath.Join(dir, ".git", "archiver", gitRunningFile), nil, 0o644)
}

// SetMaxLoose sets the bytes of loose objects Maintain leaves.
func (s *Store) SetMaxLoose(n int64) { s.maxLoose = n }

// TuneIndex configures git as for a large archive, if the store has
// large posts.
func (s *Store) TuneIndex(ctx context.Context, large int) { s.tuneIndex(ctx, large) }
