package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// A commit of archiver's is made from HEAD's tree and the files it wrote,
// never from the index, which may hold what a person staged: their
// staged changes stay staged and out of archiver's commits. The trees the
// files are in are made anew (git mktree), the commit is made of them
// (git commit-tree), and the branch moves to it only if it is still where
// it was (git update-ref). The index's entries of these files alone are
// brought up to date, as git add would, so that git status shows them
// committed. In an archive of 100,000 posts this is a fraction of the time
// of `git commit --only`, which writes the whole index twice.

// commit is a commit commitFiles made.
type commit struct {
	id, parent string
	postsTree  string // the tree of PostsDir in it
}

// commitFiles commits the files of paths (relative to the store; a file
// that is not there is removed), and nothing else. It returns the commit,
// nil when the files are as HEAD has them.
func (s *Store) commitFiles(ctx context.Context, paths []string, message string) (*commit, error) {
	parent := s.headCommit(ctx)
	if parent == "" {
		return nil, fmt.Errorf("store: the repository has no commit to add to")
	}
	// Staged first: should the commit fail, the journal has them.
	if _, err := s.git.run(ctx, pathList(paths), "update-index", "--add", "--remove", "-z", "--stdin"); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	changes, err := s.blobs(ctx, paths)
	if err != nil {
		return nil, err
	}
	mk, err := s.startMktree(ctx)
	if err != nil {
		return nil, err
	}
	tree, err := s.makeTree(ctx, mk, parent+"^{tree}", changes)
	if err = errors.Join(err, mk.close()); err != nil {
		return nil, err
	}
	if old, err := s.git.run(ctx, nil, "rev-parse", parent+"^{tree}"); err == nil && strings.TrimSpace(string(old)) == tree {
		return nil, nil // the files were unchanged
	}
	msg := filepath.Join(s.meta, "COMMIT_MSG")
	if err := writeAtomic(msg, []byte(message)); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	out, err := s.git.run(ctx, nil, "commit-tree", tree, "-p", parent, "-F", msg)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	c := &commit{id: strings.TrimSpace(string(out)), parent: parent}
	subject, _, _ := strings.Cut(message, "\n")
	if _, err := s.git.run(ctx, nil, "update-ref", "-m", "commit: "+subject, "HEAD", c.id, parent); err != nil {
		return nil, fmt.Errorf("store: %w", err) // HEAD moved: the next pass commits them
	}
	if out, err := s.git.run(ctx, nil, "rev-parse", "--quiet", "--verify", c.id+":"+PostsDir); err == nil {
		c.postsTree = strings.TrimSpace(string(out))
	}
	return c, nil
}

// blobs are the object ids of the files of paths, as git add stores them;
// "" for a file that is not there.
func (s *Store) blobs(ctx context.Context, paths []string) (map[string]string, error) {
	changes := map[string]string{}
	var present []string
	for _, p := range paths {
		if st, err := os.Lstat(filepath.Join(s.dir, filepath.FromSlash(p))); err == nil && st.Mode().IsRegular() {
			present = append(present, p)
		} else {
			changes[p] = ""
		}
	}
	if len(present) == 0 {
		return changes, nil
	}
	out, err := s.git.run(ctx, strings.NewReader(strings.Join(present, "\n")+"\n"), "hash-object", "-w", "--stdin-paths")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	ids := strings.Fields(string(out))
	if len(ids) != len(present) {
		return nil, fmt.Errorf("store: git hash-object gave %d ids for %d files", len(ids), len(present))
	}
	for i, p := range present {
		changes[p] = ids[i]
	}
	return changes, nil
}

// makeTree writes the tree of tree (a tree-ish; "" for none) with changes
// (paths relative to it: a blob id, or "" for a removal) and returns its
// id. The entries that do not change go to git mktree as git ls-tree
// gave them: a tree of 100,000 posts is not parsed.
func (s *Store) makeTree(ctx context.Context, mk *mktree, tree string, changes map[string]string) (string, error) {
	sub := map[string]map[string]string{} // changes in subdirectories, by subdirectory
	for path, id := range changes {
		if dir, rest, nested := strings.Cut(path, "/"); nested {
			if sub[dir] == nil {
				sub[dir] = map[string]string{}
			}
			sub[dir][rest] = id
		}
	}
	var in bytes.Buffer
	subtrees := map[string]string{} // the subdirectories' trees in tree
	if tree != "" {
		out, err := s.git.run(ctx, nil, "ls-tree", "-z", "--full-tree", tree)
		if err != nil {
			return "", fmt.Errorf("store: %w", err)
		}
		in.Grow(len(out) + 200*len(changes))
		for line := range bytes.SplitSeq(bytes.TrimSuffix(out, []byte{0}), []byte{0}) {
			meta, name, _ := bytes.Cut(line, []byte{'\t'})
			if _, changed := changes[string(name)]; changed {
				continue
			}
			if _, changed := sub[string(name)]; changed {
				if f := bytes.Fields(meta); len(f) == 3 && string(f[1]) == "tree" {
					subtrees[string(name)] = string(f[2])
				}
				continue
			}
			in.Write(line)
			in.WriteByte(0)
		}
	}
	for path, id := range changes {
		if !strings.Contains(path, "/") && id != "" {
			in.WriteString("100644 blob " + id + "\t" + path + "\x00")
		}
	}
	for dir, changes := range sub {
		id, err := s.makeTree(ctx, mk, subtrees[dir], changes)
		if err != nil {
			return "", err
		}
		if !isEmptyTree(id) {
			in.WriteString("040000 tree " + id + "\t" + dir + "\x00")
		}
	}
	return mk.make(in.Bytes())
}

// mktree is a git mktree --batch that makes the trees of a commit, one
// after the other: a relayout makes thousands of folders.
type mktree struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
}

func (s *Store) startMktree(ctx context.Context) (*mktree, error) {
	mk := &mktree{cmd: s.git.cmd(ctx, []string{"mktree", "-z", "--batch"})}
	mk.cmd.Stderr = &mk.stderr
	in, err := mk.cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	out, err := mk.cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if err := mk.cmd.Start(); err != nil {
		return nil, fmt.Errorf("store: git mktree: %w", err)
	}
	mk.in, mk.out = in, bufio.NewReader(out)
	return mk, nil
}

// make makes the tree of entries (git ls-tree -z's form) and returns its
// id.
func (mk *mktree) make(entries []byte) (string, error) {
	_, err := mk.in.Write(append(entries, 0)) // an empty entry ends a tree
	line, rerr := mk.out.ReadString('\n')
	if err = errors.Join(err, rerr); err != nil {
		return "", fmt.Errorf("store: git mktree: %w %s", err, oneLine(mk.stderr.String()))
	}
	return strings.TrimSpace(line), nil
}

// close ends git mktree.
func (mk *mktree) close() error {
	mk.in.Close()
	if err := mk.cmd.Wait(); err != nil {
		return fmt.Errorf("store: git mktree: %w %s", err, oneLine(mk.stderr.String()))
	}
	return nil
}

// isEmptyTree reports whether id is the empty tree's, in SHA-1 or
// SHA-256.
func isEmptyTree(id string) bool {
	return id == "4b825dc642cb6eb9a060e54bf8d69288fbee4904" || id == "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"
}
