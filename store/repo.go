package store

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// site is the Jekyll site a new archive starts with: a configuration that
// shows text as written, and plain layouts for posts and the index.
//
//go:embed all:site
var site embed.FS

// ErrUnusable means the store's path cannot hold a store: it is a file,
// or archiver may not write there.
var ErrUnusable = errors.New("the store cannot be used")

// unusableError is an ErrUnusable: the path and the cause.
type unusableError struct {
	path, cause string
}

func (e *unusableError) Error() string {
	return fmt.Sprintf("store: %s cannot be used: %s (set store.path to a directory archiver can write)", e.path, e.cause)
}

func (e *unusableError) Is(target error) bool { return target == ErrUnusable }

// Check finds out, before anything is fetched, whether a store can be
// kept at dir: a directory archiver can write, or a path where it can
// make one.
func Check(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return &unusableError{dir, err.Error()}
	}
	probe := dir
	for {
		st, err := os.Stat(probe)
		switch {
		case err == nil && !st.IsDir():
			if probe == dir {
				return &unusableError{dir, "it is a file, not a directory"}
			}
			return &unusableError{dir, probe + " is a file, not a directory"}
		case err == nil:
			f, err := os.CreateTemp(probe, tempPrefix+"probe-")
			if err != nil {
				return &unusableError{dir, "archiver cannot write in it: " + err.Error()}
			}
			f.Close()
			os.Remove(f.Name())
			if d := symlinked(dir); d != "" {
				return &unusableError{dir, d + " in it is a symlink: archiver would write where it points, outside the store; make it a directory"}
			}
			return nil
		case !errors.Is(err, fs.ErrNotExist):
			return &unusableError{dir, err.Error()}
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			return &unusableError{dir, "no directory on its path exists"}
		}
		probe = parent
	}
}

// ensureRepo makes sure the store's directory is the root of a git
// repository of its own, creating one if needed.
func (s *Store) ensureRepo(ctx context.Context, branch string) error {
	entries, err := os.ReadDir(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(s.dir, 0o755); err != nil {
			return fmt.Errorf("store: creating %s: %w", s.dir, err)
		}
	case err != nil:
		return fmt.Errorf("store: %w", err)
	}
	if _, err := os.Stat(filepath.Join(s.dir, ".git")); err == nil {
		return nil // a repository of its own (a directory, or a worktree's file)
	}
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return strings.HasPrefix(e.Name(), tempPrefix) })
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(s.dir, PostsDir)); err != nil {
			return fmt.Errorf("store: %s is not empty and holds neither a git repository nor a Jekyll %s/ directory; "+
				"set store.path to a new or empty directory, or run `git init` in it to use it as it is", s.dir, PostsDir)
		}
	}
	if err := s.initRepo(ctx, branch); err != nil {
		return fmt.Errorf("store: creating the repository: %w", err)
	}
	s.log.Info("store: created a git repository", "store", s.dir)
	return nil
}

// initRepo creates the repository in a temporary directory and renames
// its .git into place, so that a crash never leaves a half-made .git that
// would pass for a repository. removeLeftovers removes what a crash
// leaves of the temporary directory.
func (s *Store) initRepo(ctx context.Context, branch string) error {
	tmp, err := os.MkdirTemp(s.dir, tempPrefix+"init-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	g := &git{dir: tmp, env: s.git.env}
	if _, err := g.run(ctx, nil, "init", "--quiet", "--initial-branch="+branch); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, ".git"), filepath.Join(s.dir, ".git")); err != nil {
		if _, serr := os.Stat(filepath.Join(s.dir, ".git")); serr == nil {
			return nil // another archiver made it meanwhile
		}
		return err
	}
	return nil
}

// clashes says which of our site's files would clash with the Jekyll
// site the store's directory is already: an index beside its own index,
// layouts beside its own or its theme's.
func (s *Store) clashes() func(name string) bool {
	exists := func(pattern string) bool {
		m, _ := filepath.Glob(filepath.Join(s.dir, pattern))
		return len(m) > 0
	}
	config, _ := readRegular(filepath.Join(s.dir, "_config.yml"), 1<<20)
	index := exists("index.*")
	layouts := exists("_layouts") || regexp.MustCompile(`(?m)^(remote_)?theme:`).Match(config)
	return func(name string) bool {
		return name == "index.html" && index || strings.HasPrefix(name, "_layouts/") && layouts
	}
}

// seedMessage is the message of a new archive's first commit.
const seedMessage = "Start the archive\n"

// seed writes the site's files that are missing and makes the first
// commit, with what the directory held already (an earlier tool's posts).
// Any file already there is kept as it is, and none is added that would
// clash with a Jekyll site's own (see clashes).
func (s *Store) seed(ctx context.Context) error {
	clashes := s.clashes()
	err := fs.WalkDir(site, "site", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || clashes(strings.TrimPrefix(path, "site/")) {
			return err
		}
		if err != nil || d.IsDir() {
			return err
		}
		dst := filepath.Join(s.dir, strings.TrimPrefix(path, "site/"))
		if _, err := os.Stat(dst); err == nil {
			return nil // the user's own file wins
		}
		data, err := site.ReadFile(path)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return writeAtomic(dst, data)
	})
	if err != nil {
		return fmt.Errorf("store: writing the site: %w", err)
	}
	if _, err := s.git.run(ctx, nil, "add", "--all"); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if _, err := s.git.run(ctx, strings.NewReader(seedMessage), "commit", "--quiet", "--no-verify", "--file=-"); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}
