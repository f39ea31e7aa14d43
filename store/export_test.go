package store

import (
	"os"
	"path/filepath"
)

// Crash leaves the store as an archiver killed now would: the OS releases
// its lock, and nothing else is done: the journal and the mark that it
// has the store open stay.
func (s *Store) Crash() { s.lock.Unlock() }

// MarkRebasing marks a rebase in the repository at dir as archiver's own,
// as Pull does before it starts one.
func MarkRebasing(dir string) error {
	return os.WriteFile(filepath.Join(dir, ".git", "archiver", rebaseFile), nil, 0o644)
}

// MarkKilled marks the store at dir as left open by an archiver that was
// killed.
func MarkKilled(dir string) error {
	meta := filepath.Join(dir, ".git", "archiver")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(meta, runningFile), nil, 0o644)
}
