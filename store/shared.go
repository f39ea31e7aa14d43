package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// The repository is shared: people browse it, edit it, commit to it and
// push it while archiver runs beside them. Archiver commits only the files
// it wrote, by their paths; it commits only to its branch; and it writes
// nothing while a person's merge, rebase, cherry-pick or revert is in
// progress. What it has written and not yet committed is listed in its
// journal, so that after a crash it can tell its own files from a
// person's.

// ErrState means the repository is in a state archiver must not write in
// (a person's merge in progress, another branch checked out): the error
// says which, and what to do.
var ErrState = errors.New("store: the repository is not ready for archiver to write")

// stateError is an ErrState with its reason.
type stateError struct{ msg string }

func (e *stateError) Error() string        { return "store: " + e.msg + "; archiver wrote nothing" }
func (e *stateError) Is(target error) bool { return target == ErrState }

// inProgress are the operations a person may leave half done, by the file
// git keeps while one is: archiver must not commit in the middle of one.
var inProgress = []struct{ file, what, next string }{
	{"MERGE_HEAD", "a merge", "git merge --continue, or git merge --abort"},
	{"CHERRY_PICK_HEAD", "a cherry-pick", "git cherry-pick --continue, or git cherry-pick --abort"},
	{"REVERT_HEAD", "a revert", "git revert --continue, or git revert --abort"},
	{"rebase-merge", "a rebase", "git rebase --continue, or git rebase --abort"},
	{"rebase-apply", "a rebase (or git am)", "git rebase --continue or git am --continue, or their --abort"},
	{"BISECT_LOG", "a bisect", "git bisect reset"},
}

// checkState makes sure the repository is in a state to commit to: on the
// store's branch, with nothing in progress.
func (s *Store) checkState(ctx context.Context) error {
	gitDir := filepath.Dir(s.meta)
	for _, op := range inProgress {
		if _, err := os.Stat(filepath.Join(gitDir, op.file)); err == nil {
			return &stateError{fmt.Sprintf("%s is in progress in %s that archiver did not start: finish it (%s), then run again", op.what, s.dir, op.next)}
		}
	}
	branch, err := s.currentBranch(ctx)
	if err != nil {
		return &stateError{fmt.Sprintf("HEAD in %s is not on a branch (detached): check out %s (git -C %s checkout %s), "+
			"keeping any commits made since with git branch, then run again", s.dir, s.branch, s.dir, s.branch)}
	}
	if branch != s.branch {
		return &stateError{fmt.Sprintf("%s has branch %s checked out, not the archive's branch %s: check out %s (git -C %s checkout %s), "+
			"or set store.branch to %s to archive to it", s.dir, branch, s.branch, s.branch, s.dir, s.branch, branch)}
	}
	return nil
}

// currentBranch is the branch checked out, an error when HEAD is detached.
func (s *Store) currentBranch(ctx context.Context) (string, error) {
	out, err := s.git.run(ctx, nil, "symbolic-ref", "--quiet", "--short", "HEAD")
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// branchFile remembers the branch of a store whose configuration names
// none: the one checked out when archiver first opened it.
const branchFile = "branch"

// resolveBranch sets the store's branch when the configuration names
// none: the one remembered, else the one checked out now, remembered from
// then on.
func (s *Store) resolveBranch(ctx context.Context) error {
	if s.branch != "" {
		return nil
	}
	path := filepath.Join(s.meta, branchFile)
	if data, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(data)) != "" {
		s.branch = strings.TrimSpace(string(data))
		return nil
	}
	branch, err := s.currentBranch(ctx)
	if err != nil {
		return &stateError{fmt.Sprintf("HEAD in %s is not on a branch (detached): check out the archive's branch, or set store.branch", s.dir)}
	}
	s.branch = branch
	if err := writeAtomic(path, []byte(branch+"\n")); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

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
	f, err := os.OpenFile(filepath.Join(s.meta, journalFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%s\t%s\n", path, contentHash(data))
	if s.label != "" && !s.labelled {
		line = "#\t" + s.label + "\n" + line
		s.labelled = true
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
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
	data, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(path)))
	if errors.Is(err, os.ErrNotExist) {
		return want == "-"
	}
	return err == nil && contentHash(data) == want
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

// theirs reports whether the post of that name has changes of a person's
// that are not committed, or is a file of a person's that is not: archiver
// must not write over it.
func (s *Store) theirs(ctx context.Context, name string) bool {
	path := PostsDir + "/" + name
	if slices.Contains(s.others, path) {
		return true
	}
	if _, known := s.posts[name]; !known {
		_, err := os.Stat(filepath.Join(s.dir, PostsDir, name))
		return err == nil && !s.ours(path) // a file of theirs, not committed
	}
	// Changed since Open?
	if _, err := s.git.run(ctx, nil, "diff", "--quiet", "HEAD", "--", path); err != nil {
		return !s.ours(path)
	}
	return false
}
