package store_test

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// flatArchive makes a store of n posts at the top of _posts, the earlier
// tool's among them, each committed in a commit of its own, and returns
// its directory and the moves into year and month folders.
func flatArchive(t *testing.T, n int) (string, map[string]string) {
	t.Helper()
	s, dir := newStore(t)
	moves := map[string]string{}
	for i := range n {
		name := fmt.Sprintf("2024-%02d-01-story-%d.md", 1+i%12, i)
		if err := s.Write(name, post(fmt.Sprintf("https://example.org/%d", i))); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(context.Background(), fmt.Sprintf("Archive %d", i)); err != nil {
			t.Fatal(err)
		}
		moves[name] = name[:4] + "/" + name[5:7] + "/" + name
	}
	s.Close()
	earlier := "2024-07-26-美中外长在东盟外交拼场.md" // the earlier tool named posts by their titles
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, earlier), string(storetest.SamplePost))
	storetest.Git(t, dir, "add", "--all")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "The earlier tool's post")
	moves[earlier] = "2024/07/" + earlier
	return dir, moves
}

// TestRelayout: the posts move in one commit of renames that git log
// --follow follows, and are the same posts at their new paths; the
// forgotten list does not take the moves for removals, now or when
// another store's cache catches up with the commit.
func TestRelayout(t *testing.T) {
	t.Parallel()
	dir, moves := flatArchive(t, 30)
	clone := filepath.Join(t.TempDir(), "clone")
	storetest.Git(t, filepath.Dir(dir), "clone", "--quiet", dir, clone)
	open(t, clone).Close() // its cache is of the flat archive

	s := open(t, dir)
	before := posts(s)
	n, err := s.Relayout(context.Background(), moves, func(n int) string { return fmt.Sprintf("Relayout %d\n", n) })
	if err != nil || n != len(moves) {
		t.Fatalf("Relayout = %d, %v; want %d", n, err, len(moves))
	}
	status := storetest.Git(t, dir, "show", "--format=%s", "--name-status", "-M", "HEAD")
	if !strings.HasPrefix(status, fmt.Sprintf("Relayout %d\n", n)) || strings.Count(status, "\nR100\t") != n {
		t.Errorf("the relayout's commit is not %d renames:\n%s", n, status)
	}
	if log := storetest.Git(t, dir, "log", "--follow", "--format=%s", "--", "_posts/2024/03/2024-03-01-story-2.md"); log != "Relayout 31\nArchive 2\n" {
		t.Errorf("git log --follow of a moved post:\n%s", log)
	}
	after := posts(s)
	for from, to := range moves {
		p := after[to]
		p.Name = from
		if !samePost(p, before[from]) {
			t.Errorf("%s is %+v at %s, was %+v", from, after[to], to, before[from])
		}
	}
	if len(after) != len(before) {
		t.Errorf("%d posts, were %d", len(after), len(before))
	}
	storetest.CheckRepo(t, dir)
	if entries, _ := os.ReadDir(filepath.Join(dir, store.PostsDir)); len(entries) != 2 { // .gitkeep and 2024
		t.Errorf("_posts holds %d entries after the relayout", len(entries))
	}
	s.Close()

	for _, d := range []string{dir, clone} {
		if d == clone {
			storetest.Git(t, clone, "pull", "--quiet", "--ff-only")
		}
		s := open(t, d)
		if down, err := s.TakenDown(); len(down) != 0 || err != nil || s.Len() != len(moves) {
			t.Errorf("%s: after the relayout, %d posts and taken down %q, %v", d, s.Len(), down, err)
		}
		if _, ok := s.Post("2024/07/2024-07-26-美中外长在东盟外交拼场.md"); !ok {
			t.Errorf("%s: the earlier tool's post is not known at its new path", d)
		}
		s.Close()
	}
}

// samePost compares two posts.
func samePost(a, b store.Post) bool {
	return a.Name == b.Name && a.From == b.From && a.GUID == b.GUID && a.Title == b.Title && slices.Equal(a.Also, b.Also)
}

// TestRelayoutRefusesUncommitted: a person's change not committed in
// _posts stops a relayout before anything moves.
func TestRelayoutRefusesUncommitted(t *testing.T) {
	t.Parallel()
	dir, moves := flatArchive(t, 3)
	edited := filepath.Join(dir, store.PostsDir, "2024-02-01-story-1.md")
	storetest.WriteFile(t, edited, string(post("https://example.org/1"))+"A person's note.\n")
	head := storetest.Head(t, dir)
	s := open(t, dir)
	_, err := s.Relayout(context.Background(), moves, func(int) string { return "Relayout\n" })
	if err == nil || !strings.Contains(err.Error(), "_posts/2024-02-01-story-1.md has changes that are not committed") ||
		!strings.Contains(err.Error(), "nothing was moved") {
		t.Errorf("Relayout over a person's change: %v", err)
	}
	if storetest.Head(t, dir) != head || len(storetest.PostFiles(t, dir)) != len(moves) || !strings.Contains(readFile(t, edited), "A person's note.") {
		t.Error("the refused relayout changed the archive")
	}
	if st := storetest.Git(t, dir, "status", "--porcelain"); st != " M _posts/2024-02-01-story-1.md\n" {
		t.Errorf("git status after the refused relayout:\n%s", st)
	}
}

// TestRelayoutInterrupted: a relayout killed after its plan, with some
// files moved, is finished by the next Open: one commit, every post
// moved, nothing left.
func TestRelayoutInterrupted(t *testing.T) {
	t.Parallel()
	dir, moves := flatArchive(t, 10)
	plan := "\"Relayout 11\\n\"\n"
	i := 0
	for _, from := range slices.Sorted(maps.Keys(moves)) {
		plan += store.PostsDir + "/" + from + "\t" + store.PostsDir + "/" + moves[from] + "\n"
		if i++; i%2 == 0 { // half of them moved before the kill
			to := filepath.Join(dir, store.PostsDir, moves[from])
			os.MkdirAll(filepath.Dir(to), 0o755)
			os.Rename(filepath.Join(dir, store.PostsDir, from), to)
		}
	}
	storetest.WriteFile(t, filepath.Join(dir, ".git", "archiver", "relayout"), plan)
	commits := storetest.Git(t, dir, "rev-list", "--count", "HEAD")

	s := open(t, dir)
	if s.Len() != len(moves) {
		t.Errorf("%d posts after the relayout was finished, want %d", s.Len(), len(moves))
	}
	for _, to := range moves {
		if _, ok := s.Post(to); !ok {
			t.Errorf("%s is not known", to)
		}
	}
	if got := storetest.Git(t, dir, "rev-list", "--count", "HEAD"); got != fmt.Sprint(atoi(commits)+1)+"\n" {
		t.Errorf("%s commits, were %s: want the relayout's one", got, commits)
	}
	if status := storetest.Git(t, dir, "show", "--format=%s", "--name-status", "HEAD"); strings.Count(status, "\nR100\t") != len(moves) {
		t.Errorf("the finished relayout's commit:\n%s", status)
	}
	if _, err := os.Stat(filepath.Join(dir, ".git", "archiver", "relayout")); err == nil {
		t.Error("the plan is left")
	}
	storetest.CheckRepo(t, dir)
}

func atoi(s string) int {
	n := 0
	fmt.Sscan(s, &n)
	return n
}

// TestRelayoutMedia: media files at the top of media/ move into folders
// by hash, and the posts that show them show them there, in one commit.
func TestRelayoutMedia(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	img, other := []byte("\x89PNG an image"), []byte("\x89PNG another")
	name, otherName := store.MediaName(img, "png"), store.MediaName(other, "png")
	storetest.WriteFile(t, filepath.Join(dir, store.MediaDir, name), string(img))
	storetest.WriteFile(t, filepath.Join(dir, store.MediaDir, otherName), string(other))
	body := fmt.Sprintf("[![图](/media/%s)](https://img.example.org/a.png)\n\n![b](/media/%s \"https://img.example.org/b.png\")\n\n"+
		"Text about /media/%s stays.\n", name, otherName, name)
	shows := string(post("https://example.org/a")) + body
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024/07/2024-07-26-a.md"), shows)
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, "2024/07/2024-07-26-b.md"), string(post("https://example.org/b")))
	storetest.Git(t, dir, "add", "--all")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "An archive of before layouts")
	s.Close()

	s = open(t, dir)
	if got := s.MediaPath(name); got != "media/"+name {
		t.Errorf("MediaPath of a file at the top of media/ = %s", got)
	}
	m, err := s.RelayoutMedia(context.Background(), func(m int) string { return fmt.Sprintf("Relayout %d media\n", m) })
	if err != nil || m != 2 {
		t.Fatalf("RelayoutMedia = %d, %v", m, err)
	}
	want := strings.NewReplacer("(/media/"+name, "(/"+store.ShardedMediaPath(name), "(/media/"+otherName, "(/"+store.ShardedMediaPath(otherName)).Replace(shows)
	if got := readFile(t, filepath.Join(dir, store.PostsDir, "2024/07/2024-07-26-a.md")); got != want {
		t.Errorf("the post that shows them:\n%s\nwant\n%s", got, want)
	}
	status := storetest.Git(t, dir, "show", "--format=%s", "--name-status", "HEAD")
	if !strings.HasPrefix(status, "Relayout 2 media\n") || strings.Count(status, "\nR100\t") != 2 || !strings.Contains(status, "\nM\t_posts/2024/07/2024-07-26-a.md") ||
		strings.Contains(status, "2024-07-26-b.md") {
		t.Errorf("the commit:\n%s", status)
	}
	if got := s.MediaPath(name); got != store.ShardedMediaPath(name) || !s.HasMedia(name) {
		t.Errorf("MediaPath after the relayout = %s", got)
	}
	storetest.CheckRepo(t, dir)
}

// readFile is the file at path, "" if it cannot be read.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, _ := os.ReadFile(path)
	return string(data)
}

// TestCrowdedFolder: a run that writes a new post into a folder of more
// files than a forge shows says so, once, and what to do.
func TestCrowdedFolder(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "archive")
	var log strings.Builder
	opts := options(dir)
	opts.Logger = slog.New(slog.NewTextHandler(&log, nil))
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 1002 {
		if err := s.Write(fmt.Sprintf("2024/01/2024-01-01-story-%d.md", i), post(fmt.Sprintf("https://example.org/%d", i))); err != nil {
			t.Fatal(err)
		}
		if warned := strings.Count(log.String(), "_posts/2024/01 holds more than the 1000 files a forge shows"); warned != map[bool]int{true: 1, false: 0}[i >= 1000] {
			t.Fatalf("after %d posts in the folder, warned %d times:\n%s", i+1, warned, log.String())
		}
	}
	if !strings.Contains(log.String(), "run archiver relayout") {
		t.Errorf("the warning does not say what to do:\n%s", log.String())
	}
}
