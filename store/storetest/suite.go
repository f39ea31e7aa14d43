package storetest

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
)

// Store is what Suite checks of a store: what archiver asks of one.
type Store interface {
	Post(name string) (store.Post, bool)
	Posts(fn func(store.Post))
	Len() int
	Read(name string) ([]byte, error)
	Write(name string, data []byte) error
	MediaTemp() (*os.File, error)
	WriteMedia(url, name, temp string) error
	Media() map[string]string
	HasMedia(name string) bool
	MediaPath(name string) string
	Flat() bool
	TakenDown() ([]string, error)
	Commit(ctx context.Context, message string) (bool, error)
	CommitPaths(ctx context.Context, paths []string, message string) (bool, error)
	Revisions(ctx context.Context, name string) (int, error)
	PostsOfDays(ctx context.Context, days []string) ([]string, error)
	LoadState(section string, v any) error
	SaveState(sections map[string]any) error
	Close() error
}

// Suite checks that a store behaves as archiver needs, as restic's
// backend suite does: the git store and Memory run it alike, so that what
// a test of the pass learns from a Memory holds of the git store.
// newStore makes a new, empty store, and returns how to open it (again:
// what was saved stays) and the archive to look at.
func Suite[A Archive](t *testing.T, newStore func(t *testing.T) (open func() Store, archive A)) {
	t.Run("WriteCommit", func(t *testing.T) { t.Parallel(); suiteWriteCommit(t, newStore) })
	t.Run("WriteRefuses", func(t *testing.T) { t.Parallel(); suiteWriteRefuses(t, newStore) })
	t.Run("EarlierNames", func(t *testing.T) { t.Parallel(); suiteEarlierNames(t, newStore) })
	t.Run("Media", func(t *testing.T) { t.Parallel(); suiteMedia(t, newStore) })
	t.Run("Folders", func(t *testing.T) { t.Parallel(); suiteFolders(t, newStore) })
	t.Run("State", func(t *testing.T) { t.Parallel(); suiteState(t, newStore) })
	t.Run("CommitPaths", func(t *testing.T) { t.Parallel(); suiteCommitPaths(t, newStore) })
}

// suiteCommitPaths: CommitPaths commits the files named, and leaves the
// others written for the next commit; Revisions counts a post's versions.
func suiteCommitPaths[A Archive](t *testing.T, newStore func(t *testing.T) (func() Store, A)) {
	open, archive := newStore(t)
	s := open()
	defer s.Close()
	ctx := context.Background()
	write := func(name string, data []byte) {
		t.Helper()
		if err := s.Write(name, data); err != nil {
			t.Fatal(err)
		}
	}
	write("2024-01-01-a.md", post("https://example.org/a"))
	if made, err := s.Commit(ctx, "Archive a\n"); !made || err != nil {
		t.Fatalf("Commit = %v, %v", made, err)
	}
	write("2024-01-02-b.md", post("https://example.org/b"))
	write("2024-01-01-a.md", append(post("https://example.org/a"), "更正。\n"...))
	if made, err := s.CommitPaths(ctx, []string{store.PostsDir + "/2024-01-01-a.md", "media/none.jpg"}, "Revise a\n"); !made || err != nil {
		t.Fatalf("CommitPaths = %v, %v", made, err)
	}
	if got := LastCommit(t, archive); !strings.HasPrefix(got, "Revise a\n") || !strings.Contains(got, "M\t_posts/2024-01-01-a.md") || strings.Contains(got, "-b.md") {
		t.Errorf("the commit of CommitPaths:\n%s\nwant a's change alone", got)
	}
	if n, err := s.Revisions(ctx, "2024-01-01-a.md"); n != 2 || err != nil {
		t.Errorf("Revisions of a post archived and revised = %d, %v; want 2", n, err)
	}
	if made, err := s.Commit(ctx, "Archive b\n"); !made || err != nil {
		t.Fatalf("Commit of the rest = %v, %v", made, err)
	}
	if got := LastCommit(t, archive); !strings.HasPrefix(got, "Archive b\n") || !strings.Contains(got, "A\t_posts/2024-01-02-b.md") || strings.Contains(got, "-a.md") {
		t.Errorf("the commit of the rest:\n%s\nwant b alone", got)
	}
	if n, err := s.Revisions(ctx, "2024-01-02-b.md"); n != 1 || err != nil {
		t.Errorf("Revisions of a post archived once = %d, %v; want 1", n, err)
	}
	write("2024/01/2024-01-02-c.md", post("https://example.org/c"))
	write("2024/01/2024-01-03-d.md", post("https://example.org/d"))
	s.Commit(ctx, "Archive c, d\n")
	if names, err := s.PostsOfDays(ctx, []string{"2024-01-02", "2023-12-31"}); err != nil || !slices.Equal(names, []string{"2024-01-02-b.md", "2024/01/2024-01-02-c.md"}) {
		t.Errorf("PostsOfDays = %q, %v; want the posts of 2024-01-02 in every folder", names, err)
	}
}

// post is a valid post whose front matter says it is from url.
func post(url string) []byte {
	return fmt.Appendf(nil, "---\nlayout: post\ntitle: \"A story\"\ndate: 2024-07-26T19:35:21.442Z\nfrom: %[1]s\nguid: guid-%[1]s\n"+
		"also_from: [\"%[1]s/old\"]\nsource_id: ID-%[1]s\nfeed: https://example.org/feed\n---\nThe story of %[1]s.\n", url)
}

func suiteWriteCommit[A Archive](t *testing.T, newStore func(t *testing.T) (func() Store, A)) {
	open, archive := newStore(t)
	s := open()
	ctx := context.Background()
	a, b := post("https://example.org/a"), post("https://example.org/b")
	for name, data := range map[string][]byte{"2024-01-01-a.md": a, "2024-01-02-b.md": b} {
		if err := s.Write(name, data); err != nil {
			t.Fatal(err)
		}
	}
	want := store.Post{Name: "2024-01-01-a.md", From: "https://example.org/a", Also: []string{"https://example.org/a/old"},
		GUID: "guid-https://example.org/a", Feed: "https://example.org/feed", SourceID: "ID-https://example.org/a", Title: "A story"}
	if p, ok := s.Post("2024-01-01-a.md"); !ok || !reflect.DeepEqual(p, want) {
		t.Errorf("Post before Commit = %+v, %v; want %+v", p, ok, want)
	}
	if got, err := s.Read("2024-01-02-b.md"); err != nil || string(got) != string(b) || s.Len() != 2 {
		t.Errorf("Read = %q, %v; Len() = %d", got, err, s.Len())
	}
	if _, err := s.Read("2024-01-03-none.md"); err == nil {
		t.Error("Read of a post never written succeeded")
	}
	commits := len(Subjects(t, archive))
	if made, err := s.Commit(ctx, "Archive 2 posts\n\nfrom example.org"); err != nil || !made {
		t.Fatalf("Commit = %v, %v; want true", made, err)
	}
	if n := len(Subjects(t, archive)); n != commits+1 || LastMessage(t, archive) != "Archive 2 posts\n\nfrom example.org" {
		t.Errorf("%d commits (from %d), the last %q", n, commits, LastMessage(t, archive))
	}
	CheckRepo(t, archive)
	suiteRewrite(t, s, archive, a)
	s.Close()
	s = open()
	defer s.Close()
	var froms []string
	s.Posts(func(p store.Post) { froms = append(froms, p.From) })
	slices.Sort(froms)
	if !slices.Equal(froms, []string{"https://example.org/a2", "https://example.org/b"}) {
		t.Errorf("Posts after reopening are from %q", froms)
	}
}

// suiteRewrite: a store s, whose archive holds the post a, commits
// nothing when nothing changed, and a rewrite when it did.
func suiteRewrite[A Archive](t *testing.T, s Store, archive A, a []byte) {
	ctx := context.Background()
	if made, err := s.Commit(ctx, "Nothing"); err != nil || made {
		t.Errorf("Commit with nothing written = %v, %v", made, err)
	}
	if err := s.Write("2024-01-01-a.md", a); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(ctx, "Same"); err != nil || made {
		t.Errorf("Commit of unchanged posts = %v, %v", made, err)
	}
	if err := s.Write("2024-01-01-a.md", post("https://example.org/a2")); err != nil {
		t.Fatal(err)
	}
	if made, err := s.Commit(ctx, "Update a"); err != nil || !made || LastMessage(t, archive) != "Update a" {
		t.Errorf("Commit of a changed post = %v, %v", made, err)
	}
	if p, _ := s.Post("2024-01-01-a.md"); p.From != "https://example.org/a2" {
		t.Errorf("Post after the rewrite = %+v", p)
	}
	if down, err := s.TakenDown(); len(down) != 0 || err != nil {
		t.Errorf("a new store has taken down %q, %v", down, err)
	}
}

// RefusedNames are names a store must not write a post under: outside
// _posts, not a dated Jekyll post, not plain ASCII, a temporary file's.
var RefusedNames = []string{"../x.md", "../2024-01-01-x.md", "a/b.md", "2024/../2024-01-01-x.md", "2024//2024-01-01-x.md", "2024-01-01-x.md/../../y.md",
	"A/2024-01-01-x.md", ".git/2024-01-01-x.md", "a/b/c/d/e/2024-01-01-x.md", "新闻/2024-01-01-x.md", "./2024-01-01-x.md",
	"2024-01-01-x.md/../../2024-01-01-y.md", "2024-01-01-Ü.md", "2024-01-01-caf\u00e9.md", "x.md", "2024-01-01-x.markdown",
	"2024-01-01-x.md\x00", "2024-01-01-.md", "2024-01-01-.hidden.md", ".archiver-tmp-2024-01-01-x.md", "2024-01-01-X.md", "",
	"/2024-01-01-x.md", `..\2024-01-01-x.md`}

func suiteWriteRefuses[A Archive](t *testing.T, newStore func(t *testing.T) (func() Store, A)) {
	open, archive := newStore(t)
	s := open()
	defer s.Close()
	for _, name := range RefusedNames {
		if err := s.Write(name, post("https://example.org/x")); err == nil {
			t.Errorf("Write(%q) succeeded", name)
		}
	}
	for what, data := range map[string]string{
		"none": "Just text.\n", "empty": "", "unclosed": "---\ntitle: x\nfrom: https://example.org/x\n",
		"yaml": "---\ntitle: [x\n---\ntext\n", "scalar": "---\njust a string\n---\ntext\n", "list": "---\n- a\n- b\n---\ntext\n",
	} {
		if err := s.Write("2024-01-01-"+what+".md", []byte(data)); err == nil {
			t.Errorf("Write of a post with front matter %s succeeded", what)
		}
	}
	if s.Len() != 0 || len(PostFiles(t, archive)) != 0 {
		t.Errorf("Len() = %d, files %q after refused writes", s.Len(), PostFiles(t, archive))
	}
	if made, err := s.Commit(context.Background(), "Nothing"); err != nil || made {
		t.Errorf("Commit after refused writes = %v, %v", made, err)
	}
}

// suiteFolders: posts in folders of _posts (a layout's) are posts as
// any, and Flat tells a store of posts at the top alone.
func suiteFolders[A Archive](t *testing.T, newStore func(t *testing.T) (func() Store, A)) {
	open, archive := newStore(t)
	s := open()
	if s.Flat() {
		t.Error("an empty store is Flat")
	}
	if err := s.Write("2024-01-01-a.md", post("https://example.org/a")); err != nil {
		t.Fatal(err)
	}
	if !s.Flat() {
		t.Error("a store of one post at the top is not Flat")
	}
	nested := "rfa-mandarin/2024/01/2024-01-02-b.md"
	if err := s.Write(nested, post("https://example.org/b")); err != nil {
		t.Fatal(err)
	}
	if s.Flat() {
		t.Error("a store with a post in a folder is Flat")
	}
	if made, err := s.Commit(context.Background(), "Two posts"); err != nil || !made {
		t.Fatalf("Commit = %v, %v", made, err)
	}
	s.Close()
	s = open()
	defer s.Close()
	if p, ok := s.Post(nested); !ok || p.From != "https://example.org/b" || s.Len() != 2 || s.Flat() {
		t.Errorf("after reopening: Post(%s) = %+v, %v; Len %d, Flat %v", nested, p, ok, s.Len(), s.Flat())
	}
	if data, err := s.Read(nested); err != nil || !strings.Contains(string(data), "The story of https://example.org/b.") {
		t.Errorf("Read(%s) = %q, %v", nested, data, err)
	}
	if got := PostFiles(t, archive); !slices.Equal(got, []string{"2024-01-01-a.md", nested}) {
		t.Errorf("post files %q", got)
	}
	CheckRepo(t, archive)
}

func suiteMedia[A Archive](t *testing.T, newStore func(t *testing.T) (func() Store, A)) {
	open, archive := newStore(t)
	s := open()
	defer s.Close()
	img := []byte("\x89PNG\r\n\x1a\n an image")
	name := store.MediaName(img, "png")
	temp := func(data []byte) string {
		f, err := s.MediaTemp()
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.Write(data)
		return f.Name()
	}
	for _, bad := range []string{"../x.png", "x.png", name + "/x", "0123456789abcdef0123456789ABCDEF.png"} {
		if err := s.WriteMedia("https://img.example.org/bad", bad, temp(img)); err == nil {
			t.Errorf("WriteMedia(%q) succeeded", bad)
		}
	}
	if err := s.WriteMedia("https://img.example.org/lie.png", name, temp([]byte("other bytes"))); err == nil {
		t.Error("WriteMedia of a file its name does not say succeeded")
	}
	if s.HasMedia(name) {
		t.Error("HasMedia before WriteMedia")
	}
	first := temp(img)
	for range 2 { // the second time, the file is in the store and the temporary one gone
		if err := s.WriteMedia("https://img.example.org/a.png", name, first); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteMedia("https://img.example.org/also-a.png", name, temp(img)); err != nil {
		t.Fatal(err)
	}
	if !s.HasMedia(name) || s.Media()["https://img.example.org/a.png"] != name || s.Media()["https://img.example.org/also-a.png"] != name {
		t.Errorf("HasMedia %v, Media %v", s.HasMedia(name), s.Media())
	}
	if _, err := os.Stat(first); err == nil {
		t.Error("the temporary file is left")
	}
	if made, err := s.Commit(context.Background(), "Keep an image"); err != nil || !made {
		t.Errorf("Commit of a media file = %v, %v", made, err)
	}
	if got, want := MediaFiles(t, archive), name[:2]+"/"+name[2:4]+"/"+name; !slices.Equal(got, []string{want}) || s.MediaPath(name) != store.MediaDir+"/"+want {
		t.Errorf("media %q, MediaPath %q, want %s in folders by its hash", got, s.MediaPath(name), want)
	}
	CheckRepo(t, archive)
}

// testState is a section of state.
type testState struct {
	Feeds  map[string]string
	Failed []string
	Next   time.Time
}

func suiteState[A Archive](t *testing.T, newStore func(t *testing.T) (func() Store, A)) {
	open, archive := newStore(t)
	s := open()
	v := testState{Failed: []string{"as it was"}}
	if err := s.LoadState("test", &v); err != nil || !reflect.DeepEqual(v, testState{Failed: []string{"as it was"}}) {
		t.Errorf("LoadState with none saved = %v, the value %+v", err, v)
	}
	saved := testState{Feeds: map[string]string{"https://example.org/feed": `"etag-1"`},
		Failed: []string{"https://example.org/a", "https://example.org/世界"}, Next: time.Date(2024, 7, 26, 19, 35, 21, 442e6, time.UTC)}
	for range 2 { // the second over the first
		if err := s.SaveState(map[string]any{"test": saved, "other": []int{1, 2}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SaveState(map[string]any{"other": []int{3}}); err != nil {
		t.Fatal(err)
	}
	var got testState
	var other []int
	if err := s.LoadState("test", &got); err != nil || !reflect.DeepEqual(got, saved) {
		t.Errorf("LoadState = %+v, %v; want %+v", got, err, saved)
	}
	if err := s.LoadState("other", &other); err != nil || !slices.Equal(other, []int{3}) {
		t.Errorf("another section = %v, %v", other, err)
	}
	if err := s.SaveState(map[string]any{"test": func() {}}); err == nil {
		t.Error("SaveState of a func succeeded")
	}
	CheckRepo(t, archive) // the state is not in the archive
	s.Close()
	s = open() // saved by one opening, read by the next
	defer s.Close()
	got = testState{}
	if err := s.LoadState("test", &got); err != nil || !reflect.DeepEqual(got, saved) {
		t.Errorf("LoadState after reopening = %+v, %v", got, err)
	}
}

// suiteEarlierNames: a post the earlier tool named by its Chinese title
// can be rewritten, read and committed under its name; a new post cannot
// take such a name.
func suiteEarlierNames[A Archive](t *testing.T, newStore func(t *testing.T) (func() Store, A)) {
	open, archive := newStore(t)
	open().Close() // the store exists
	const name = "2024-07-26-美中外长在东盟外交拼场-布林肯与王毅将会面.md"
	PutPost(t, archive, name, SamplePost)
	s := open()
	defer s.Close()
	data, err := s.Read(name)
	if err != nil || string(data) != SamplePost {
		t.Fatalf("Read of the earlier tool's post = %v", err)
	}
	edited := strings.Replace(SamplePost, "comments: True", "comments: True\nsource_id: X", 1)
	if err := s.Write(name, []byte(edited)); err != nil {
		t.Fatalf("Write over the earlier tool's post: %v", err)
	}
	if made, err := s.Commit(context.Background(), "Mark the post\n"); err != nil || !made {
		t.Errorf("Commit = %v, %v", made, err)
	}
	if p, _ := s.Post(name); p.SourceID != "X" {
		t.Errorf("the post after its rewrite: %+v", p)
	}
	for _, bad := range []string{"2024-07-27-新的报道.md", "../" + name, name + "/x.md"} {
		if err := s.Write(bad, []byte(edited)); err == nil {
			t.Errorf("Write(%q), a new name of that form, succeeded", bad)
		}
	}
	CheckRepo(t, archive)
}
