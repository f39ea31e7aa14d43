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
// of the archive: the feeds' validators for conditional GETs, the entries
// seen, the failures to try again, the windows a backfill walked. It is
// one JSON object of sections, each kept by the package it is of (the
// failures by archiver/retry, say), in the git directory: in the store,
// never in the work tree or history.

const stateFile = "state.json"

// LoadState reads the section of the saved state into v; a section never
// saved leaves v as it is.
func (s *Store) LoadState(section string, v any) error {
	if s.state == nil {
		var err error
		if s.state, err = s.readState(); err != nil {
			return err
		}
	}
	raw, ok := s.state[section]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		// The state only saves work: a broken section costs a full poll,
		// or retries, not the archive.
		delete(s.state, section)
		return fmt.Errorf("store: the saved %s were unreadable and are dropped: %w", section, err)
	}
	return nil
}

// readState reads the state file; one that cannot be read is set aside,
// and the state starts empty.
func (s *Store) readState() (map[string]json.RawMessage, error) {
	state := map[string]json.RawMessage{}
	path := filepath.Join(s.meta, stateFile)
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return state, nil
	case err != nil:
		return state, fmt.Errorf("store: reading state: %w", err)
	}
	if err := json.Unmarshal(data, &state); err != nil {
		bad := path + ".broken"
		os.Rename(path, bad)
		return map[string]json.RawMessage{}, fmt.Errorf("store: the saved state was unreadable and is set aside as %s: %w", bad, err)
	}
	return state, nil
}

// SaveState saves sections (by name, each a value to save as JSON) in the
// state, with the other sections as they were, atomically.
func (s *Store) SaveState(sections map[string]any) error {
	if s.state == nil {
		s.state, _ = s.readState()
	}
	next := make(map[string]json.RawMessage, len(s.state)+len(sections))
	for k, v := range s.state {
		next[k] = v
	}
	for name, v := range sections {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("store: saving state: %w", err)
		}
		next[name] = raw
	}
	data, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return fmt.Errorf("store: saving state: %w", err)
	}
	if err := writeAtomic(filepath.Join(s.meta, stateFile), append(data, '\n')); err != nil {
		return fmt.Errorf("store: saving state: %w", err)
	}
	s.state = next
	return nil
}

// State is a saved state, read without opening its store (see ReadState).
type State map[string]json.RawMessage

// LoadState reads the section of the state into v; a section never saved
// leaves v as it is.
func (st State) LoadState(section string, v any) error {
	raw, ok := st[section]
	if !ok {
		return nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("store: the saved %s are unreadable (the next pass drops them): %w", section, err)
	}
	return nil
}

// ReadState reads the saved state of the store at dir, without opening
// the store or taking its lock: for a command that only looks.
func ReadState(ctx context.Context, dir string) (State, error) {
	g, err := newGit(dir, "archiver", "archiver@localhost")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	gitDir, err := g.run(ctx, nil, "rev-parse", "--absolute-git-dir")
	if err != nil {
		return nil, fmt.Errorf("store: %s is not an archive: %w", dir, err)
	}
	data, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(gitDir)), "archiver", stateFile))
	if errors.Is(err, fs.ErrNotExist) {
		return State{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: reading state: %w", err)
	}
	var state State
	if err := json.Unmarshal(data, &state); err != nil {
		return nil, fmt.Errorf("store: the saved state is unreadable (the next pass sets it aside): %w", err)
	}
	return state, nil
}
