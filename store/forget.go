package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
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
// A list that cannot be read (a symlink, a directory, too large) is an
// error: never a list of none, which would archive every story taken down
// again.
func (s *Store) Forgotten() ([]string, error) {
	data, err := readRegular(filepath.Join(s.dir, ForgottenFile), maxListSize)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: cannot read the list of forgotten articles, %s: %w; mend it (git show HEAD~1:%[1]s), commit, and run again",
			ForgottenFile, err)
	}
	return listLines(data), nil
}

// takedownsFile holds the posts commits removed that are not yet
// remembered in ForgottenFile (a person's change to it not committed
// stops that): they are taken down all the same (TakenDown) until they
// are.
const takedownsFile = "takedowns.json"

// TakenDown are the URLs of the articles the store does not take again:
// those Forgotten, and takedowns waiting to be written there.
func (s *Store) TakenDown() ([]string, error) {
	urls, err := s.Forgotten()
	for _, p := range s.pendingTakedowns() {
		urls = append(urls, p.From)
	}
	return urls, err
}

// forgetRemoved remembers the posts commits removed, with those not yet
// remembered: the article of each is forgotten, unless another post has
// it, or a person took it out of the list since the commit since. Those
// it cannot remember wait in takedownsFile.
func (s *Store) forgetRemoved(ctx context.Context, removed []Post, since string) error {
	pending := s.pendingTakedowns()
	forgotten, err := s.Forgotten()
	if err != nil {
		return err
	}
	var except map[string]bool
	var keep []Post
	var urls []string
	held := map[string]bool{}
	for _, u := range forgotten {
		held[u] = true
	}
	for _, p := range append(pending, removed...) {
		// A post moved (another has its URL) is no post removed.
		if p.From == "" || held[p.From] || len(s.table.find(fromKey(p.From))) > 0 {
			continue
		}
		held[p.From] = true
		if except == nil {
			except = s.unforgotten(ctx, since)
		}
		if !except[p.From] {
			urls = append(urls, p.From)
			keep = append(keep, p)
		}
	}
	file := filepath.Join(s.meta, takedownsFile)
	if len(urls) == 0 {
		os.Remove(file)
		return nil
	}
	data, _ := json.Marshal(keep)
	if err := writeAtomic(file, data); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.log.Info("store: posts were removed from the archive in a commit; archiver does not archive them again",
		"posts", len(urls), "list", ForgottenFile)
	msg := fmt.Sprintf("Remember %d %s removed from the archive\n\nArchiver does not archive again (see %s):\n",
		len(urls), plural(len(urls), "post", "posts"), ForgottenFile)
	if err := s.changeForgotten(ctx, urls, nil, nil, msg); err != nil {
		return err // they wait in takedownsFile, taken down meanwhile (TakenDown)
	}
	os.Remove(file)
	return nil
}

// pendingTakedowns are the posts of takedownsFile that are still removed.
func (s *Store) pendingTakedowns() []Post {
	var pending []Post
	data, err := os.ReadFile(filepath.Join(s.meta, takedownsFile))
	if err != nil {
		return nil
	}
	if err := json.Unmarshal(data, &pending); err != nil {
		s.log.Warn("store: cannot read the takedowns waiting to be remembered", "file", takedownsFile, "error", err)
	}
	return slices.DeleteFunc(pending, func(p Post) bool {
		_, err := os.Lstat(filepath.Join(s.dir, PostsDir, filepath.FromSlash(p.Name)))
		return err == nil // back in the archive: not taken down
	})
}

// mergeForgotten resolves a rebase's conflict in ForgottenFile: the list
// becomes the remote's, with what archiver's commit added to it and
// without what it took out.
func (s *Store) mergeForgotten(ctx context.Context) bool {
	stage := func(n string) []string {
		data, _ := s.git.run(ctx, nil, "show", ":"+n+":"+ForgottenFile) // absent: empty
		return listLines(data)
	}
	base, remote, ours := stage("1"), stage("2"), stage("3") // in a rebase, 2 is the remote's side
	urls := slices.Clone(remote)
	for _, u := range ours {
		if !slices.Contains(base, u) && !slices.Contains(urls, u) {
			urls = append(urls, u) // archiver added it
		}
	}
	urls = slices.DeleteFunc(urls, func(u string) bool { return slices.Contains(base, u) && !slices.Contains(ours, u) })
	slices.Sort(urls)
	if err := writeAtomic(filepath.Join(s.dir, ForgottenFile), []byte(forgottenText(urls))); err != nil {
		return false
	}
	_, err := s.git.run(ctx, nil, "add", "--", ForgottenFile)
	return err == nil
}

// listLines are the URLs of a list of forgotten articles. A byte order
// mark (a person's editor may write one) is not part of a line.
func listLines(data []byte) []string {
	var urls []string
	for _, line := range strings.Split(string(data), "\n") {
		if u := strings.TrimSpace(strings.ReplaceAll(line, "\uFEFF", "")); u != "" && !strings.HasPrefix(u, "#") {
			urls = append(urls, u)
		}
	}
	return urls
}

// forgottenText is ForgottenFile listing urls.
func forgottenText(urls []string) string {
	var b strings.Builder
	b.WriteString(forgottenHeader)
	for _, u := range urls {
		b.WriteString(u + "\n")
	}
	return b.String()
}

// unforgotten are the articles taken out of ForgottenFile since commit:
// a person's undo, not to be undone.
func (s *Store) unforgotten(ctx context.Context, commit string) map[string]bool {
	out := map[string]bool{}
	if commit == "" {
		return out
	}
	before, err := s.git.run(ctx, nil, "show", commit+":"+ForgottenFile)
	if err != nil {
		return out
	}
	now, _ := s.Forgotten()
	for _, u := range listLines(before) {
		if !slices.Contains(now, u) {
			out[u] = true
		}
	}
	return out
}

// Forget forgets the articles of urls, removes the posts names (their
// posts, if the store has them), and commits both with message. A post
// with a person's changes not committed stops it.
func (s *Store) Forget(ctx context.Context, urls, names []string, message string) error {
	for _, name := range names {
		if s.theirs(ctx, name) {
			return fmt.Errorf("store: %s/%s has changes that someone made and did not commit: commit or discard them first", PostsDir, name)
		}
	}
	return s.changeForgotten(ctx, urls, nil, names, message)
}

// Unforget takes urls out of the forgotten articles, and commits that
// with message: the next pass archives them again while a feed lists
// them. It reports how many were forgotten.
func (s *Store) Unforget(ctx context.Context, urls []string, message string) (int, error) {
	forgotten, err := s.Forgotten()
	if err != nil {
		return 0, err
	}
	n := 0
	for _, u := range urls {
		if slices.Contains(forgotten, u) {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	return n, s.changeForgotten(ctx, nil, urls, nil, message)
}

// forgottenWith is ForgottenFile with add and without drop. A person's
// change to the file that is not committed stops it: the error says so.
func (s *Store) forgottenWith(ctx context.Context, add, drop []string) (string, error) {
	// Staged, changed, or new and not added: a person's.
	if out, err := s.git.run(ctx, nil, "status", "--porcelain", "--untracked-files=all", "--", ForgottenFile); err != nil || len(out) > 0 {
		return "", fmt.Errorf("store: %s has changes that are not committed: commit or discard them, and run again", ForgottenFile)
	}
	for _, u := range add {
		if u == "" || strings.HasPrefix(u, "#") || strings.ContainsFunc(u, unicode.IsSpace) || strings.ContainsFunc(u, unicode.IsControl) {
			return "", fmt.Errorf("store: refusing to list %q in %s: a line holds one URL", u, ForgottenFile)
		}
	}
	forgotten, err := s.Forgotten()
	if err != nil {
		return "", err
	}
	urls := slices.DeleteFunc(append(forgotten, add...), func(u string) bool { return slices.Contains(drop, u) })
	slices.Sort(urls)
	return forgottenText(slices.Compact(urls)), nil
}

// changeForgotten adds to ForgottenFile and takes from it, removes the
// posts names, and commits. A person's change to the file that is not
// committed stops it: the error says so.
func (s *Store) changeForgotten(ctx context.Context, add, drop, names []string, message string) error {
	text, err := s.forgottenWith(ctx, add, drop)
	if err != nil {
		return err
	}
	for _, name := range names {
		if !validName.MatchString(name) && !(cleanName(name) && isPostFile(name)) {
			return fmt.Errorf("store: refusing to remove %q", name)
		}
	}
	// The journal first: after a crash, the next Open commits what is
	// archiver's, and knows a person's.
	if err := s.journal(ForgottenFile, []byte(text)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, name := range names {
		if err := s.journal(PostsDir+"/"+name, nil); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	path := filepath.Join(s.dir, ForgottenFile)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := writeAtomic(path, []byte(text)); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	paths := []string{ForgottenFile}
	for _, name := range names {
		if err := os.Remove(filepath.Join(s.dir, PostsDir, name)); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("store: %w", err)
		}
		paths = append(paths, PostsDir+"/"+name)
	}
	for _, u := range add {
		message += "- " + u + "\n"
	}
	for _, u := range drop {
		message += "- " + u + "\n"
	}
	if err := s.checkState(ctx); err != nil {
		return err
	}
	if _, err := s.commitFiles(ctx, paths, message); err != nil {
		return err
	}
	if err := s.clearJournal(); err != nil {
		return err
	}
	return s.loadPosts(ctx) // the cache knows these removals are ours
}
