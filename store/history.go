package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Version is one version of a post in the repository's history.
type Version struct {
	Commit  string    // the commit that made it
	Date    time.Time // the commit's date
	Subject string    // the commit's subject
	Path    string    // where the post was then, in the repository
	Data    []byte    // the post; nil where the commit removed it (or it is too large to read)
}

// Versions calls fn with each version of the post name (a path in
// _posts), oldest first, followed across renames as git log --follow
// follows it: the history of a post relayout moved is whole. A commit
// that renamed the post and changed nothing else of it is no version.
func (s *Store) Versions(ctx context.Context, name string, fn func(Version) error) error {
	log, err := s.versionLog(ctx, name)
	if err != nil {
		return err
	}
	cat := s.git.cmd(ctx, []string{"cat-file", "--batch"})
	in, _ := cat.StdinPipe()
	stdout, _ := cat.StdoutPipe()
	if err := cat.Start(); err != nil {
		return err
	}
	defer func() { in.Close(); cat.Wait() }()
	r := bufio.NewReader(stdout)
	for _, v := range log {
		if !v.removed {
			if v.Data, err = catBlob(in, r, v.Commit+":"+v.Path); err != nil {
				return err
			}
		}
		if err := fn(v.Version); err != nil {
			return err
		}
	}
	return nil
}

// Revisions is how many versions of the post name the history holds (see
// Versions), its removals aside: 1 for a post archived once.
func (s *Store) Revisions(ctx context.Context, name string) (int, error) {
	log, err := s.versionLog(ctx, name)
	n := 0
	for _, v := range log {
		if !v.removed {
			n++
		}
	}
	return n, err
}

// loggedVersion is a Version as git log lists it, without its data.
type loggedVersion struct {
	Version
	removed bool // the commit removed the post
}

// versionLog lists the versions of the post name, oldest first.
func (s *Store) versionLog(ctx context.Context, name string) ([]loggedVersion, error) {
	out, err := s.git.run(ctx, nil, "--literal-pathspecs", "-c", "core.quotePath=false", "log", "--follow", "-M",
		"--format=%x1e%H%x1f%cI%x1f%s%x1f", "--name-status", "HEAD", "--", PostsDir+"/"+name)
	if err != nil {
		return nil, err
	}
	var log []loggedVersion
	recs := strings.Split(string(out), "\x1e")[1:]
	slices.Reverse(recs) // oldest first: git log --follow cannot follow in --reverse
	for _, rec := range recs {
		if v, status, ok := parseVersion(rec); ok && !strings.HasPrefix(status, "R100") {
			log = append(log, loggedVersion{v, status == "D"})
		}
	}
	return log, nil
}

// parseVersion reads one commit of Versions' git log: the version and how
// the commit changed the post (A, M, D, R100…).
func parseVersion(rec string) (Version, string, bool) {
	f := strings.SplitN(rec, "\x1f", 4)
	if len(f) != 4 {
		return Version{}, "", false
	}
	date, _ := time.Parse(time.RFC3339, f[1])
	fields := strings.Split(strings.TrimSpace(f[3]), "\t")
	if len(fields) < 2 {
		return Version{}, "", false
	}
	return Version{Commit: f[0], Date: date, Subject: f[2], Path: fields[len(fields)-1]}, fields[0], true
}

// catBlob reads the blob object of a git cat-file --batch whose input is
// in and output r; nil for one larger than a post can be.
func catBlob(in io.Writer, r *bufio.Reader, object string) ([]byte, error) {
	if _, err := io.WriteString(in, object+"\n"); err != nil {
		return nil, err
	}
	header, err := r.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	f := strings.Fields(header)
	if len(f) != 3 || f[1] != "blob" {
		return nil, nil // missing, or no file
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size < 0 {
		return nil, fmt.Errorf("git cat-file: %q", header)
	}
	if size > maxPostSize {
		_, err := io.CopyN(io.Discard, r, size+1)
		return nil, err
	}
	var b bytes.Buffer
	if _, err := io.CopyN(&b, r, size+1); err != nil {
		return nil, err
	}
	return b.Bytes()[:size], nil
}

// PostsOfDays are the names of the committed posts whose file names are of
// the days (YYYY-MM-DD), in any folder of _posts.
func (s *Store) PostsOfDays(ctx context.Context, days []string) ([]string, error) {
	if len(days) == 0 {
		return nil, nil
	}
	want := pathSet(days)
	var names []string
	err := s.listPosts(ctx, func(name, day string) {
		if want[day] {
			names = append(names, name)
		}
	})
	return names, err
}

// PostDays counts the committed posts of each day (YYYY-MM-DD) by their
// file names.
func (s *Store) PostDays(ctx context.Context) (map[string]int, error) {
	days := map[string]int{}
	err := s.listPosts(ctx, func(_, day string) { days[day]++ })
	return days, err
}

// listPosts calls fn with each committed post's name and the day its file
// name begins with. It reads git's list of them, from HEAD's trees, a
// piece at a time: a pattern a day would cost git a match of every path
// by every pattern (6 s for 60 days of a million posts), and git's index
// of a million files takes 270 MB to read (its trees, 100).
func (s *Store) listPosts(ctx context.Context, fn func(name, day string)) error {
	cmd := s.git.cmd(ctx, []string{"-c", "core.quotePath=false", "ls-tree", "-r", "-z", "--name-only", "HEAD", "--", PostsDir + "/"})
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	r := bufio.NewReader(out)
	for {
		p, err := r.ReadString(0)
		if err != nil {
			break
		}
		name := strings.TrimPrefix(strings.TrimSuffix(p, "\x00"), PostsDir+"/")
		if base := path.Base(name); len(base) > 11 && isPostFile(name) {
			fn(name, base[:10])
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("store: listing the posts: git ls-tree: %w", err)
	}
	return nil
}
