package store

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A person takes a story down by deleting its post in a commit: archiver
// must not archive it again while a feed still lists it. The store
// remembers such removals, and the articles archiver forget names, in a
// file of the repository, so that every clone of the archive knows them.

// ForgottenFile lists the articles the store does not take again.
const ForgottenFile = ".archiver/forgotten"

const forgottenHeader = `# Articles archiver does not archive again, a URL a line: posts removed
# from the archive in a commit (a takedown), and articles forgotten with
# "archiver forget URL". To archive one again, run
# "archiver forget --undo URL" (or delete its line here, and commit).
`

// Forgotten are the URLs of the articles the store does not take again.
func (s *Store) Forgotten() []string {
	data, _ := os.ReadFile(filepath.Join(s.dir, ForgottenFile))
	var urls []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			urls = append(urls, line)
		}
	}
	return urls
}

// forgetRemoved remembers the posts a commit removed (see applyDiff): the
// article of each is forgotten, unless another post has it.
func (s *Store) forgetRemoved(ctx context.Context, removed []Post) error {
	var urls []string
	for _, p := range removed {
		if p.From != "" && !s.holds(p.From) && !slices.Contains(s.Forgotten(), p.From) {
			urls = append(urls, p.From)
		}
	}
	if len(urls) == 0 {
		return nil
	}
	s.log.Info("store: posts were removed from the archive in a commit; archiver does not archive them again",
		"posts", len(urls), "list", ForgottenFile)
	msg := fmt.Sprintf("Remember %d %s removed from the archive\n\nArchiver does not archive again (see %s):\n",
		len(urls), plural(len(urls), "post", "posts"), ForgottenFile)
	return s.changeForgotten(ctx, urls, nil, nil, msg)
}

// holds reports whether a post of the store is from the URL from.
func (s *Store) holds(from string) bool {
	for _, p := range s.posts {
		if p.From == from {
			return true
		}
	}
	return false
}

// Forget forgets the articles of urls, removes the posts names (their
// posts, if the store has them), and commits both with message.
func (s *Store) Forget(ctx context.Context, urls, names []string, message string) error {
	return s.changeForgotten(ctx, urls, nil, names, message)
}

// Unforget takes urls out of the forgotten articles, and commits that
// with message: the next pass archives them again while a feed lists
// them. It reports how many were forgotten.
func (s *Store) Unforget(ctx context.Context, urls []string, message string) (int, error) {
	n := 0
	for _, u := range urls {
		if slices.Contains(s.Forgotten(), u) {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.changeForgotten(ctx, nil, urls, nil, message)
}

// changeForgotten adds to ForgottenFile and takes from it, removes the
// posts names, and commits. A person's change to the file that is not
// committed stops it: the error says so.
func (s *Store) changeForgotten(ctx context.Context, add, drop, names []string, message string) error {
	if _, err := s.git.run(ctx, nil, "diff", "--quiet", "HEAD", "--", ForgottenFile); err != nil {
		return fmt.Errorf("store: %s has changes that are not committed: commit or discard them, and run again", ForgottenFile)
	}
	urls := slices.DeleteFunc(append(s.Forgotten(), add...), func(u string) bool { return slices.Contains(drop, u) })
	slices.Sort(urls)
	urls = slices.Compact(urls)
	var b strings.Builder
	b.WriteString(forgottenHeader)
	for _, u := range urls {
		b.WriteString(u + "\n")
	}
	path := filepath.Join(s.dir, ForgottenFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := writeAtomic(path, []byte(b.String())); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	paths := []string{ForgottenFile}
	for _, name := range names {
		if !validName.MatchString(name) && !isPostFile(name) {
			return fmt.Errorf("store: refusing to remove %q", name)
		}
		if err := os.Remove(filepath.Join(s.dir, PostsDir, name)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("store: %w", err)
		}
		paths = append(paths, PostsDir+"/"+name)
		delete(s.posts, name)
	}
	for _, u := range add {
		message += "- " + u + "\n"
	}
	for _, u := range drop {
		message += "- " + u + "\n"
	}
	if _, err := s.commitFiles(ctx, paths, message); err != nil {
		return err
	}
	return nil
}
