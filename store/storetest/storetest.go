// Package storetest is the archive, for tests. It looks at an archive as
// its users do, with the git CLI and by reading its posts; it has a store
// in memory (Memory) for the tests of what writes one; and Suite checks
// that a store behaves as archiver needs, the git store and Memory alike.
// Every package's tests use it; none writes git helpers of its own.
package storetest

import (
	_ "embed"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// Git runs git in dir, as a person beside the archiver would (with an
// identity of its own), and returns its output. It fails the test if git
// fails.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := git(dir, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %s in %s: %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return string(out)
}

// TryGit is Git for a command that may fail: it returns the output,
// trimmed, and the error.
func TryGit(dir string, args ...string) (string, error) {
	out, err := git(dir, args...).Output()
	return strings.TrimSpace(string(out)), err
}

func git(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=Someone Else", "GIT_AUTHOR_EMAIL=else@example.org",
		"GIT_COMMITTER_NAME=Someone Else", "GIT_COMMITTER_EMAIL=else@example.org", "LC_ALL=C")
	return cmd
}

// BranchHead is the commit of a branch in dir (a bare repository too), ""
// if there is none.
func BranchHead(dir, branch string) string {
	out, err := TryGit(dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return out
}

// Commits is the number of commits on HEAD, 0 without one.
func Commits(dir string) int {
	out, err := TryGit(dir, "rev-list", "--count", "HEAD")
	if err != nil {
		return 0
	}
	n, _ := strconv.Atoi(out)
	return n
}

// HeadFiles lists the files committed at HEAD.
func HeadFiles(t testing.TB, dir string) []string {
	t.Helper()
	return strings.Fields(Git(t, dir, "ls-tree", "-r", "--name-only", "HEAD"))
}

// Committed is the number of posts committed at HEAD (of a bare
// repository too), -1 when there is no HEAD.
func Committed(dir string) int {
	out, err := TryGit(dir, "ls-tree", "-r", "--name-only", "HEAD", store.PostsDir+"/")
	if err != nil {
		return -1
	}
	return strings.Count(out+"\n", ".md\n")
}

// WriteFile writes data to path, making its directory.
func WriteFile(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// gitVars are the environment variables that would give git a
// configuration, an identity or another repository than the store's.
var gitVars = []string{
	"XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL", "GIT_CONFIG", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS",
	"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_CEILING_DIRECTORIES",
	"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL",
}

// CleanEnv runs the test with no git configuration or identity but what
// the store passes itself: no user or system config, and no GIT_DIR or
// the like from a hook the tests might be run from.
func CleanEnv(t *testing.T) {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range gitVars {
		t.Setenv(k, "") // restores the old value after the test
		os.Unsetenv(k)
	}
}

// CleanProcessEnv is CleanEnv for a whole test binary, from its TestMain,
// so that its tests may run in parallel: home is the HOME they get.
func CleanProcessEnv(home string) {
	os.Setenv("HOME", home)
	os.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	for _, k := range gitVars {
		os.Unsetenv(k)
	}
}

// SamplePost is a post of the earlier tool, as it wrote them: its from:
// is SampleFrom.
//
//go:embed testdata/sample-post.md
var SamplePost string

// SampleFrom is the article of SamplePost, on RFA's Plone-era site.
const SampleFrom = "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/hx2-southeast-asian-diplomats-meet-07262024084201.html"

// Archive is an archive the helpers below look at: the directory of a git
// store, or a Memory.
type Archive interface{ string | *Memory }

// view is how a helper looks at an Archive.
type view interface {
	postFiles(t testing.TB) []string
	mediaFiles(t testing.TB) []string
	file(t testing.TB, path string) []byte // nil if there is none
	messages(t testing.TB) []string        // of the commits on HEAD, newest first
	head(t testing.TB) string
	check(t testing.TB)
	lastCommit(t testing.TB) string             // as git show --format=%s --name-status HEAD says it
	history(t testing.TB, path string) []string // the subjects of the commits that changed path, newest first
}

func viewOf[A Archive](a A) view {
	if m, ok := any(a).(*Memory); ok {
		return memoryView{m}
	}
	return gitView(any(a).(string))
}

// PutPost commits the post name, data, to the archive, as a person (or the
// earlier tool) would have.
func PutPost[A Archive](t testing.TB, a A, name, data string) {
	t.Helper()
	if m, ok := any(a).(*Memory); ok {
		if err := m.Put(name, data); err != nil {
			t.Fatal(err)
		}
		return
	}
	dir := any(a).(string)
	WriteFile(t, filepath.Join(dir, store.PostsDir, filepath.FromSlash(name)), data)
	Git(t, dir, "add", "--", store.PostsDir+"/"+name)
	Git(t, dir, "commit", "--quiet", "-m", "Add "+name)
}

// Head is the commit at HEAD.
func Head[A Archive](t testing.TB, a A) string {
	t.Helper()
	return viewOf(a).head(t)
}

// CheckRepo fails the test unless the archive is sound and everything in
// it committed: for a git store, `git fsck --strict` passes and the work
// tree is clean.
func CheckRepo[A Archive](t testing.TB, a A) {
	t.Helper()
	viewOf(a).check(t)
}

// LastCommit is the commit at HEAD: its subject, a blank line, and a line
// for each file it changed, A (added) or M (modified), a tab and its path.
func LastCommit[A Archive](t testing.TB, a A) string {
	t.Helper()
	return viewOf(a).lastCommit(t)
}

// History are the subjects of the commits that changed the file at path
// (relative to the archive), newest first.
func History[A Archive](t testing.TB, a A, path string) []string {
	t.Helper()
	return viewOf(a).history(t, path)
}

// Subjects are the subjects of the commits on HEAD, newest first.
func Subjects[A Archive](t testing.TB, a A) []string {
	t.Helper()
	var subjects []string
	for _, m := range viewOf(a).messages(t) {
		s, _, _ := strings.Cut(m, "\n")
		subjects = append(subjects, s)
	}
	return subjects
}

// LastMessage is the message of the commit at HEAD.
func LastMessage[A Archive](t testing.TB, a A) string {
	t.Helper()
	return strings.TrimSpace(viewOf(a).messages(t)[0])
}

// PostFiles lists the posts of the archive, sorted.
func PostFiles[A Archive](t testing.TB, a A) []string {
	t.Helper()
	return viewOf(a).postFiles(t)
}

// MediaFiles lists the files of the archive's media directory, sorted.
func MediaFiles[A Archive](t testing.TB, a A) []string {
	t.Helper()
	return viewOf(a).mediaFiles(t)
}

// ReadPost reads the post of that name in the archive.
func ReadPost[A Archive](t testing.TB, a A, name string) *jekyll.FrontMatter {
	t.Helper()
	data := viewOf(a).file(t, store.PostsDir+"/"+name)
	if data == nil {
		t.Fatalf("no post %s", name)
	}
	fm, err := jekyll.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fm
}

// Posts maps the from: URL of each post of the archive to its file name,
// failing the test for an article archived twice.
func Posts[A Archive](t testing.TB, a A) map[string]string {
	t.Helper()
	froms := map[string]string{}
	for _, name := range PostFiles(t, a) {
		fm := ReadPost(t, a, name)
		if other, dup := froms[fm.From]; dup {
			t.Errorf("%s archived twice: %s and %s", fm.From, other, name)
		}
		froms[fm.From] = name
	}
	return froms
}

// Bodies maps the from: URL of each post of the archive to its text after
// the front matter.
func Bodies[A Archive](t testing.TB, a A) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range PostFiles(t, a) {
		fm := ReadPost(t, a, name)
		out[fm.From] = string(fm.Body)
	}
	return out
}

// gitView looks at a git store's directory with the git CLI.
type gitView string

func (dir gitView) postFiles(t testing.TB) []string {
	return dir.list(t, store.PostsDir)
}

func (dir gitView) mediaFiles(t testing.TB) []string {
	return dir.list(t, store.MediaDir)
}

// list lists the files of a directory of the archive and its folders,
// by their paths in it, but dot files.
func (dir gitView) list(t testing.TB, sub string) []string {
	root := filepath.Join(string(dir), sub)
	var names []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case strings.HasPrefix(d.Name(), ".") && path != root:
			if d.IsDir() {
				return filepath.SkipDir
			}
		case !d.IsDir():
			rel, _ := filepath.Rel(root, path)
			names = append(names, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

func (dir gitView) file(t testing.TB, path string) []byte {
	data, err := os.ReadFile(filepath.Join(string(dir), filepath.FromSlash(path)))
	if err != nil {
		return nil
	}
	return data
}

func (dir gitView) messages(t testing.TB) []string {
	return strings.Split(strings.TrimSuffix(Git(t, string(dir), "log", "--format=%B%x00"), "\x00\n"), "\x00\n")
}

func (dir gitView) head(t testing.TB) string {
	return strings.TrimSpace(Git(t, string(dir), "rev-parse", "HEAD"))
}

func (dir gitView) check(t testing.TB) {
	t.Helper()
	Git(t, string(dir), "fsck", "--strict", "--no-progress")
	if st := Git(t, string(dir), "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree of %s is not clean:\n%s", dir, st)
	}
}

func (dir gitView) lastCommit(t testing.TB) string {
	return Git(t, string(dir), "show", "--format=%s", "--name-status", "HEAD")
}

func (dir gitView) history(t testing.TB, path string) []string {
	out := strings.TrimSuffix(Git(t, string(dir), "log", "--format=%s%x00", "--", path), "\x00\n")
	if out == "" {
		return nil
	}
	return strings.Split(out, "\x00\n")
}

// memoryView looks at a Memory.
type memoryView struct{ m *Memory }

func (v memoryView) postFiles(t testing.TB) []string {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	return slices.Sorted(maps.Keys(v.m.posts))
}

func (v memoryView) mediaFiles(t testing.TB) []string {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	var names []string
	for path := range v.m.work {
		if name, ok := strings.CutPrefix(path, store.MediaDir+"/"); ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

func (v memoryView) file(t testing.TB, path string) []byte {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	return v.m.work[path]
}

func (v memoryView) messages(t testing.TB) []string {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	var msgs []string
	for _, c := range slices.Backward(v.m.commits) {
		msgs = append(msgs, c.message)
	}
	return msgs
}

func (v memoryView) head(t testing.TB) string {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	return fmt.Sprintf("memory-%d", len(v.m.commits))
}

func (v memoryView) check(t testing.TB) {
	t.Helper()
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	for path, data := range v.m.work {
		if string(v.m.head[path]) != string(data) {
			t.Errorf("%s is not committed", path)
		}
	}
}

func (v memoryView) lastCommit(t testing.TB) string {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	c := v.m.commits[len(v.m.commits)-1]
	subject, _, _ := strings.Cut(c.message, "\n")
	var b strings.Builder
	b.WriteString(subject + "\n\n")
	for i, p := range c.paths {
		b.WriteString(c.status[i] + "\t" + p + "\n")
	}
	return b.String()
}

func (v memoryView) history(t testing.TB, path string) []string {
	v.m.mu.Lock()
	defer v.m.mu.Unlock()
	var subjects []string
	for _, c := range slices.Backward(v.m.commits) {
		if slices.Contains(c.paths, path) {
			s, _, _ := strings.Cut(c.message, "\n")
			subjects = append(subjects, s)
		}
	}
	return subjects
}
