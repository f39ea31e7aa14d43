package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Archiver commits only to its branch, and writes nothing while a
// person's merge, rebase, cherry-pick or revert is in progress there, nor
// while another branch is checked out.

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
