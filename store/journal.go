package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The repository is shared: people browse it, edit it, commit to it and
// push it while archiver runs beside them. Archiver commits only the files
// it wrote, by their paths (and only to its branch: branch.go). What it
// has written and not yet committed is listed in its journal, so that
// after a crash it can tell its own files from a person's.

// journalFile lists what archiver has written in the work tree and not
// yet committed: a line per file, its path and the SHA-256 of what was
// written ("-" for a file removed). After a crash it tells archiver's own
// files from a person's: a file that is no longer what archiver wrote is
// the person's.
const journalFile = "journal"

// Label names what the files written from now on are for, in the words
// of a commit's subject ("Backfill 2019-06"): should the run be killed
// before it commits them, the commit that recovers them says so.
func (s *Store) Label(subject string) { s.label, s.labelled = subject, false }

// journal records path, with the bytes about to be written there (nil
// for a removal), durably, before the work tree changes. A line "#\t"
// and a label (see Label) may come first.
func (s *Store) journal(path string, data []byte) error {
	return s.journalHash(path, contentHash(data))
}

// journalHash records path, with the contentHash of what is about to be
// written there, as journal does.
func (s *Store) journalHash(path, hash string) error {
	return s.journalHashes(map[string]string{path: hash})
}

// journalHashes records paths, each with the contentHash of what is
// about to be written there, with one sync.
func (s *Store) journalHashes(hashes map[string]string) error {
	f, err := os.OpenFile(filepath.Join(s.meta, journalFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	var lines strings.Builder
	if s.label != "" && !s.labelled {
		lines.WriteString("#\t" + s.label + "\n")
		s.labelled = true
	}
	for path, hash := range hashes {
		lines.WriteString(path + "\t" + hash + "\n")
	}
	if _, err := f.WriteString(lines.String()); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// fileHash is the contentHash of the regular file at path, read a piece
// at a time.
func fileHash(path string) (string, error) {
	f, err := openRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// contentHash identifies what is written to a file; "-" for no file.
func contentHash(data []byte) string {
	if data == nil {
		return "-"
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ours reports whether the file at path (relative to the store) is as
// archiver last wrote it, by the journal: a file written, or removed.
func (s *Store) ours(path string) bool {
	want, ok := s.journaled()[path]
	if !ok {
		return false
	}
	hash, err := fileHash(filepath.Join(s.dir, filepath.FromSlash(path)))
	if errors.Is(err, os.ErrNotExist) {
		return want == "-"
	}
	return err == nil && hash == want
}

// journaled maps each path of the journal to the hash last written there.
func (s *Store) journaled() map[string]string {
	paths := map[string]string{}
	f, err := os.Open(filepath.Join(s.meta, journalFile))
	if err != nil {
		return paths
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if path, hash, ok := strings.Cut(sc.Text(), "\t"); ok && path != "#" {
			paths[path] = hash
		}
	}
	return paths
}

// journalLabel is the label of the journal's files (see Label), "" if it
// has none.
func (s *Store) journalLabel() string {
	data, _ := os.ReadFile(filepath.Join(s.meta, journalFile))
	label := ""
	for line := range strings.SplitSeq(string(data), "\n") {
		if l, ok := strings.CutPrefix(line, "#\t"); ok {
			label = l
		}
	}
	return label
}

// journalEmpty reports whether the journal lists nothing: no run left
// files it wrote uncommitted, or temporary files beside them (a file is
// journaled before it is written).
func (s *Store) journalEmpty() bool {
	st, err := os.Stat(filepath.Join(s.meta, journalFile))
	return err != nil || st.Size() == 0
}

// clearJournal empties the journal once what it lists is committed.
func (s *Store) clearJournal() error {
	s.labelled = false
	err := os.Remove(filepath.Join(s.meta, journalFile))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// unjournal takes paths, committed, out of the journal; the journal of
// no other path is cleared.
func (s *Store) unjournal(paths map[string]bool) error {
	if len(s.pending) == 0 {
		return s.clearJournal()
	}
	data, err := os.ReadFile(filepath.Join(s.meta, journalFile))
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	var kept strings.Builder
	for line := range strings.SplitSeq(string(data), "\n") {
		if path, _, ok := strings.Cut(line, "\t"); ok && (path == "#" || !paths[path]) {
			kept.WriteString(line + "\n")
		}
	}
	if err := writeAtomic(filepath.Join(s.meta, journalFile), []byte(kept.String())); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// theirs reports whether the post of that name has changes of a person's
// that are not committed, or is a file of a person's that is not: archiver
// must not write over it.
func (s *Store) theirs(ctx context.Context, name string) bool {
	path := PostsDir + "/" + name
	if slices.Contains(s.others, path) {
		return true
	}
	if _, known := s.table.get(name); !known {
		_, err := os.Stat(filepath.Join(s.dir, PostsDir, name))
		return err == nil && !s.ours(path) // a file of theirs, not committed
	}
	// Changed since Open?
	if _, err := s.git.run(ctx, nil, "diff", "--quiet", "HEAD", "--", path); err != nil {
		return !s.ours(path)
	}
	return false
}
