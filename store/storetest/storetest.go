// Package storetest looks at an archive as its users do, for tests: with
// the git CLI, and by reading its posts. Every package's tests use it;
// none writes git helpers of its own.
package storetest

import (
	_ "embed"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
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

// Head is the commit at HEAD in dir.
func Head(t testing.TB, dir string) string {
	t.Helper()
	return strings.TrimSpace(Git(t, dir, "rev-parse", "HEAD"))
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

// CheckRepo fails the test unless the repository at dir passes `git fsck
// --strict` and its work tree is clean.
func CheckRepo(t testing.TB, dir string) {
	t.Helper()
	Git(t, dir, "fsck", "--strict", "--no-progress")
	if st := Git(t, dir, "status", "--porcelain", "--untracked-files=all"); st != "" {
		t.Errorf("work tree of %s is not clean:\n%s", dir, st)
	}
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

// Subjects are the subjects of the commits on HEAD, newest first.
func Subjects(t testing.TB, dir string) []string {
	t.Helper()
	return strings.Split(strings.TrimSpace(Git(t, dir, "log", "--format=%s")), "\n")
}

// LastMessage is the message of the commit at HEAD.
func LastMessage(t testing.TB, dir string) string {
	t.Helper()
	return strings.TrimSpace(Git(t, dir, "log", "-1", "--format=%B"))
}

// HeadFiles lists the files committed at HEAD.
func HeadFiles(t testing.TB, dir string) []string {
	t.Helper()
	return strings.Fields(Git(t, dir, "ls-tree", "-r", "--name-only", "HEAD"))
}

// Committed is the number of posts committed at HEAD (of a bare
// repository too), -1 when there is no HEAD.
func Committed(dir string) int {
	out, err := TryGit(dir, "ls-tree", "--name-only", "HEAD", store.PostsDir+"/")
	if err != nil {
		return -1
	}
	return strings.Count(out+"\n", ".md\n")
}

// PostFiles lists the posts of the archive at dir, sorted.
func PostFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, store.PostsDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	return names
}

// ReadPost reads the post of that name in the archive at dir.
func ReadPost(t testing.TB, dir, name string) *store.FrontMatter {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, store.PostsDir, name))
	if err != nil {
		t.Fatal(err)
	}
	fm, err := store.ParseFrontMatter(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return fm
}

// Posts maps the from: URL of each post of the archive at dir to its file
// name, failing the test for an article archived twice.
func Posts(t testing.TB, dir string) map[string]string {
	t.Helper()
	froms := map[string]string{}
	for _, name := range PostFiles(t, dir) {
		fm := ReadPost(t, dir, name)
		if other, dup := froms[fm.From]; dup {
			t.Errorf("%s archived twice: %s and %s", fm.From, other, name)
		}
		froms[fm.From] = name
	}
	return froms
}

// Bodies maps the from: URL of each post of the archive at dir to its
// text after the front matter.
func Bodies(t testing.TB, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, name := range PostFiles(t, dir) {
		fm := ReadPost(t, dir, name)
		out[fm.From] = string(fm.Body)
	}
	return out
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
