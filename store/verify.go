package store

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Problem is something wrong with a store, and the file it is in.
type Problem struct {
	File    string // relative to the store; "" for the repository as a whole
	Message string
}

func (p Problem) String() string {
	if p.File == "" {
		return p.Message
	}
	return p.File + ": " + p.Message
}

// requiredKeys are the front matter keys every post has.
var requiredKeys = []string{"layout", "title", "date", "from"}

// jekyllPostName is the file name form Jekyll reads as a post; it skips
// any other file in _posts without a word.
var jekyllPostName = regexp.MustCompile(`^\d{4}-\d{1,2}-\d{1,2}-.+\.[A-Za-z0-9]+$`)

// Verify checks the store at dir without changing it: every post's front
// matter, posts archived twice (the same key(from)), files not committed,
// and git fsck. It does not take the store's lock.
func Verify(ctx context.Context, dir string, key func(from string) string) ([]Problem, error) {
	g, err := newGit(dir, "archiver", "archiver@localhost")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git")); err != nil {
		return nil, fmt.Errorf("store: %s is not a git repository", dir)
	}
	var problems []Problem
	add := func(file, format string, args ...any) {
		problems = append(problems, Problem{File: file, Message: fmt.Sprintf(format, args...)})
	}

	byKey := map[string][]string{}
	root := filepath.Join(dir, PostsDir)
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == root {
				return filepath.SkipAll
			}
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() || !isPostFile(d.Name()) {
			return nil
		}
		if !jekyllPostName.MatchString(d.Name()) {
			add(rel, "the file name is not YYYY-MM-DD-title.ext, so Jekyll ignores the post")
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		fm, err := ParseFrontMatter(data)
		if err != nil {
			add(rel, "%v", err)
			return nil
		}
		for _, k := range requiredKeys {
			if v, ok := fm.Fields[k]; !ok || v == nil || v == "" {
				add(rel, "front matter lacks %q", k)
			}
		}
		switch d := fm.Fields["date"].(type) {
		case nil, time.Time:
		case string:
			if _, err := parseDate(d); err != nil {
				add(rel, "%v", err)
			}
		default:
			add(rel, "date %v is not a date", d)
		}
		if fm.From != "" {
			k := key(fm.From)
			byKey[k] = append(byKey[k], rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: reading posts: %w", err)
	}
	for _, files := range byKey {
		if len(files) > 1 {
			sort.Strings(files)
			for _, f := range files {
				add(f, "the same article (from:) as %s", strings.Join(others(files, f), ", "))
			}
		}
	}

	status, err := g.run(ctx, nil, "status", "--porcelain=v1", "--untracked-files=all")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(status), "\n"), "\n") {
		if len(line) > 3 {
			add(strings.Trim(line[3:], `"`), "not committed (git status: %q)", strings.TrimSpace(line[:2]))
		}
	}
	if out, err := g.run(ctx, nil, "fsck", "--strict", "--no-progress"); err != nil {
		add("", "git fsck --strict failed: %v %s", err, strings.TrimSpace(string(out)))
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].File < problems[j].File })
	return problems, nil
}

func others(all []string, one string) []string {
	var out []string
	for _, a := range all {
		if a != one {
			out = append(out, a)
		}
	}
	return out
}
