package store

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCheckObjects: every object of a repository is read and its hash
// checked, as verify does in a repository too large for git fsck; an
// object whose content is not what its name says is named.
func TestCheckObjects(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "archive")
	gitT(t, filepath.Dir(dir), "init", "--quiet", dir)
	if err := os.WriteFile(filepath.Join(dir, "a.md"), []byte("a post\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitT(t, dir, "add", ".")
	gitT(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "One")
	g, err := newGit(dir, "t", "t@example.org")
	if err != nil {
		t.Fatal(err)
	}
	if err := checkObjects(context.Background(), g); err != nil {
		t.Fatalf("a sound repository: %v", err)
	}
	id := strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD:a.md"))
	path := filepath.Join(dir, ".git", "objects", id[:2], id[2:])
	var damaged bytes.Buffer
	w := zlib.NewWriter(&damaged)
	io.WriteString(w, "blob 7\x00a p0st\n") // a bit flipped on the disk
	w.Close()
	os.Chmod(path, 0o644)
	if err := os.WriteFile(path, damaged.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := checkObjects(context.Background(), g); err == nil || !strings.Contains(err.Error(), "1 objects are not what their names say (damaged): "+id) {
		t.Errorf("a damaged object: %v", err)
	}
}

// gitT runs git in dir, failing the test if it fails.
func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// TestVerifyLarge: verify of a repository too large for git fsck checks
// its objects one by one, and says what is damaged. (Not parallel: it
// lowers the size a repository is large from.)
func TestVerifyLarge(t *testing.T) {
	defer func(n int) { fsckObjects = n }(fsckObjects)
	fsckObjects = 1
	dir := filepath.Join(t.TempDir(), "archive")
	gitT(t, filepath.Dir(dir), "init", "--quiet", dir)
	os.MkdirAll(filepath.Join(dir, PostsDir), 0o755)
	post := "---\nlayout: post\ntitle: \"A\"\ndate: 2024-01-01T00:00:00.000Z\nfrom: https://example.org/a\n---\nText.\n"
	os.WriteFile(filepath.Join(dir, PostsDir, "2024-01-01-a.md"), []byte(post), 0o644)
	gitT(t, dir, "add", ".")
	gitT(t, dir, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "--quiet", "-m", "One")
	key := func(s string) string { return s }
	if problems, err := Verify(context.Background(), dir, key); err != nil || len(problems) != 0 {
		t.Fatalf("a sound repository: %v, %v", problems, err)
	}
	id := strings.TrimSpace(gitT(t, dir, "rev-parse", "HEAD:"+PostsDir+"/2024-01-01-a.md"))
	os.Remove(filepath.Join(dir, ".git", "objects", id[:2], id[2:]))
	problems, err := Verify(context.Background(), dir, key)
	if err != nil || len(problems) == 0 || !strings.Contains(fmt.Sprint(problems), "the history is not whole") {
		t.Errorf("a repository with an object lost: %v, %v", problems, err)
	}
}
