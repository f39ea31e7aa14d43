package store

import (
	"bufio"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"strconv"

	"github.com/rfa-archive/archiver/store/jekyll"

	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
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
	v := &verifier{dir: dir, key: key, first: map[uint64]string{}, dups: map[string][]string{}}
	if err := v.posts(ctx); err != nil {
		return nil, fmt.Errorf("store: reading posts: %w", err)
	}
	v.duplicates()
	if err := v.repository(ctx, g); err != nil {
		return nil, err
	}
	sort.SliceStable(v.problems, func(i, j int) bool { return v.problems[i].File < v.problems[j].File })
	return v.problems, nil
}

// verifier collects the problems of a store.
type verifier struct {
	dir      string
	key      func(from string) string
	first    map[uint64]string   // the first post of each key(from), by the key's hash: a million posts fit
	dups     map[string][]string // the posts of each key(from) that more than one post has
	problems []Problem
}

func (v *verifier) add(file, format string, args ...any) {
	v.problems = append(v.problems, Problem{File: file, Message: fmt.Sprintf(format, args...)})
}

// posts checks the name and front matter of every post.
func (v *verifier) posts(ctx context.Context) error {
	root := filepath.Join(v.dir, PostsDir)
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) && path == root {
				return filepath.SkipAll
			}
			return err
		}
		if d.IsDir() || !isPostFile(d.Name()) {
			return nil
		}
		rel, _ := filepath.Rel(v.dir, path)
		rel = filepath.ToSlash(rel)
		if !jekyllPostName.MatchString(d.Name()) {
			v.add(rel, "the file name is not YYYY-MM-DD-title.ext, so Jekyll ignores the post")
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		data, err := readRegular(path, maxPostSize)
		switch {
		case errors.Is(err, errNotRegular):
			v.add(rel, "not a regular file (a symlink, a device or a pipe): Jekyll and archiver take only regular files as posts")
		case err != nil:
			v.add(rel, "%v", err)
		default:
			v.post(rel, data)
		}
		return nil
	})
}

// post checks the post at rel: text Jekyll reads, and its front matter.
func (v *verifier) post(rel string, data []byte) {
	if !utf8.Valid(data) {
		v.add(rel, "the file is not valid UTF-8, which Jekyll cannot read")
	} else if i := bytes.IndexFunc(data, func(r rune) bool { return unicode.Is(unicode.Cc, r) && r != '\n' && r != '\t' && r != '\r' }); i >= 0 {
		r, _ := utf8.DecodeRune(data[i:])
		v.add(rel, "the file holds a control character (U+%04X at byte %d)", r, i)
	}
	fm, err := jekyll.Parse(data)
	if err != nil {
		v.add(rel, "%v", err)
		return
	}
	for _, k := range jekyll.Required {
		if val, ok := fm.Fields[k]; !ok || val == nil || val == "" {
			v.add(rel, "front matter lacks %q", k)
		}
	}
	switch d := fm.Fields[jekyll.KeyDate].(type) {
	case nil, time.Time:
	case string:
		if _, err := jekyll.ParseDate(d); err != nil {
			v.add(rel, "%v", err)
		}
	default:
		v.add(rel, "date %v is not a date", d)
	}
	if fm.From != "" {
		v.from(rel, v.key(fm.From))
	}
}

// from records that the post at rel is of the article of key.
func (v *verifier) from(rel, key string) {
	h := keyHash(key)
	first, seen := v.first[h]
	switch {
	case !seen:
		v.first[h] = rel
	case v.dups[key] != nil:
		v.dups[key] = append(v.dups[key], rel)
	default: // the first of the hash is of the key, unless the hashes of two keys are one
		data, err := readRegular(filepath.Join(v.dir, filepath.FromSlash(first)), maxPostSize)
		if fm, perr := jekyll.Parse(data); err == nil && perr == nil && v.key(fm.From) == key {
			v.dups[key] = []string{first, rel}
		}
	}
}

// duplicates reports the posts of one article.
func (v *verifier) duplicates() {
	for _, files := range v.dups {
		if len(files) > 1 {
			sort.Strings(files)
			for _, f := range files {
				v.add(f, "the same article (from:) as %s", strings.Join(others(files, f), ", "))
			}
		}
	}
}

// repository reports what is not committed, and what git fsck finds.
func (v *verifier) repository(ctx context.Context, g *git) error {
	status, err := g.run(ctx, nil, "status", "--porcelain=v1", "--untracked-files=all")
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, line := range strings.Split(strings.TrimRight(string(status), "\n"), "\n") {
		if len(line) > 3 {
			v.add(strings.Trim(line[3:], `"`), "not committed (git status: %q)", strings.TrimSpace(line[:2]))
		}
	}
	if objects(ctx, g) < fsckObjects {
		if out, err := g.run(ctx, nil, "fsck", "--strict", "--no-progress"); err != nil {
			v.add("", "git fsck --strict failed: %v %s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	// git fsck of a million objects takes 400 MB and more: the checks
	// that matter for an archive, in bounded memory.
	if _, err := g.run(ctx, nil, append(leanGit, "rev-list", "--objects", "--all", "--quiet")...); err != nil {
		v.add("", "the history is not whole: git rev-list --objects --all failed: %v", err)
	}
	if err := checkObjects(ctx, g); err != nil {
		v.add("", "%v", err)
	}
	return nil
}

// leanGit are the settings of a git that reads every object of a large
// repository in a few tens of MB: a small cache of delta bases, small
// windows into packs.
var leanGit = []string{"-c", "core.deltaBaseCacheLimit=8m", "-c", "core.packedGitWindowSize=8m", "-c", "core.packedGitLimit=32m"}

// fsckObjects is the number of objects from which verify checks the
// repository in bounded memory rather than with git fsck.
var fsckObjects = 200_000

// objects is the number of objects in the repository.
func objects(ctx context.Context, g *git) int {
	out, _ := g.run(ctx, nil, "count-objects", "-v")
	n := 0
	for line := range strings.SplitSeq(string(out), "\n") {
		k, val, _ := strings.Cut(line, ": ")
		if k == "count" || k == "in-pack" {
			i, _ := strconv.Atoi(val)
			n += i
		}
	}
	return n
}

// checkObjects reads every object of the repository and checks that it
// is what its name, the hash of its content, says.
func checkObjects(ctx context.Context, g *git) error {
	cmd := g.cmd(ctx, append(leanGit, "cat-file", "--batch-all-objects", "--batch", "--unordered"))
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	bad, err := hashObjects(bufio.NewReaderSize(out, 1<<20))
	if werr := cmd.Wait(); werr != nil && err == nil {
		err = fmt.Errorf("git cat-file: %v %s", werr, oneLine(stderr.String()))
	}
	if err != nil {
		return fmt.Errorf("the objects cannot all be read: %w", err)
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d objects are not what their names say (damaged): %s", len(bad), strings.Join(bad[:min(5, len(bad))], ", "))
	}
	return nil
}

// hashObjects reads git cat-file --batch from r and returns the names of
// the objects whose content does not hash to them.
func hashObjects(r *bufio.Reader) ([]string, error) {
	var bad []string
	for {
		header, err := r.ReadString('\n')
		if err == io.EOF && header == "" {
			return bad, nil
		} else if err != nil {
			return bad, err
		}
		f := strings.Fields(header)
		size, err := strconv.ParseInt(f[len(f)-1], 10, 64)
		if len(f) != 3 || err != nil || size < 0 {
			return bad, fmt.Errorf("git cat-file: %q", header)
		}
		h := sha1.New()
		if len(f[0]) == 64 {
			h = sha256.New()
		}
		fmt.Fprintf(h, "%s %d\x00", f[1], size)
		if _, err := io.CopyN(h, r, size); err != nil {
			return bad, err
		}
		if _, err := r.Discard(1); err != nil { // the newline after it
			return bad, err
		}
		if hex.EncodeToString(h.Sum(nil)) != f[0] {
			bad = append(bad, f[0])
		}
	}
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
