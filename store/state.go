package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The state is what the program remembers between runs that is not part
// of the archive: the feeds' validators for conditional GETs, the
// articles that failed and when to try them again. It lives in the git
// directory, so it is in the store but never in the work tree or history.

const stateFile = "state.json"

// LoadState reads the saved state into v; with none saved, v is left as
// it is.
func (s *Store) LoadState(v any) error {
	data, err := os.ReadFile(filepath.Join(s.meta, stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: reading state: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		// The state only saves work: a broken one costs a full poll, not the archive.
		bad := filepath.Join(s.meta, stateFile+".broken")
		os.Rename(filepath.Join(s.meta, stateFile), bad)
		return fmt.Errorf("store: the saved state was unreadable and is set aside as %s: %w", bad, err)
	}
	return nil
}

// ReadState reads the saved state of the store at dir into v, without
// opening the store or taking its lock: for a command that only looks.
func ReadState(ctx context.Context, dir string, v any) error {
	g, err := newGit(dir, "archiver", "archiver@localhost")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	gitDir, err := g.run(ctx, nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return fmt.Errorf("store: %s is not an archive: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(gitDir)), "archiver", stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: reading state: %w", err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("store: the saved state is unreadable (the next pass sets it aside): %w", err)
	}
	return nil
}

// SaveState saves v as the state, atomically.
func (s *Store) SaveState(v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("store: saving state: %w", err)
	}
	if err := writeAtomic(filepath.Join(s.meta, stateFile), append(data, '\n')); err != nil {
		return fmt.Errorf("store: saving state: %w", err)
	}
	return nil
}
