package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A relayout moves files of the archive to other paths in one commit:
// posts into the folders of a layout, media files into folders by hash.
// Its plan (every move, and the commit's message) is written down first,
// in relayoutFile; then the files are moved in the work tree, the posts
// that show moved media rewritten, and all of it committed. A run killed
// at any moment leaves the plan, and the next Open carries it out to the
// end: the same moves, the same one commit. A relayout starts only in a
// store where nothing in PostsDir and MediaDir is uncommitted, so that
// every file it moves is archiver's.

// relayoutFile holds the plan of a relayout under way: its commit
// message, quoted, on the first line, then a line "from\tto" per move,
// paths relative to the store.
const relayoutFile = "relayout"

// move is a file a relayout moves.
type move struct{ from, to string }

// Relayout moves the posts of moves (names in PostsDir: from → to) in
// one commit of renames, with message (of the number moved), so that git log --follow follows
// each post. It reports how many it moved. A change of a person's not
// committed in PostsDir or MediaDir stops it before anything moves.
func (s *Store) Relayout(ctx context.Context, moves map[string]string, message func(n int) string) (int, error) {
	if err := s.uncommitted(ctx); err != nil {
		return 0, err
	}
	var plan []move
	for _, from := range slices.Sorted(maps.Keys(moves)) {
		to := moves[from]
		if _, known := s.table.get(from); !known || from == to {
			continue
		}
		if !cleanName(to) || !isPostFile(to) || !validPath(to) {
			return 0, fmt.Errorf("store: refusing to move %s to %q", from, to)
		}
		if _, taken := s.table.get(to); taken || s.exists(PostsDir+"/"+to) {
			s.log.Warn("store: a post stays where it is: another file has the path the layout gives it",
				slog.String("file", PostsDir+"/"+from), slog.String("path", PostsDir+"/"+to))
			continue
		}
		plan = append(plan, move{PostsDir + "/" + from, PostsDir + "/" + to})
	}
	return len(plan), s.relayout(ctx, plan, message(len(plan)))
}

// RelayoutMedia moves the media files at the top of MediaDir (where
// archivers before layouts put them) into folders by hash (see
// MediaPath), and rewrites the posts that show them to show them there,
// in one commit with message (of the number moved). It reports how many files it moved.
func (s *Store) RelayoutMedia(ctx context.Context, message func(n int) string) (int, error) {
	if err := s.uncommitted(ctx); err != nil {
		return 0, err
	}
	entries, err := os.ReadDir(filepath.Join(s.dir, MediaDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("store: %w", err)
	}
	var plan []move
	for _, e := range entries {
		if e.Type().IsRegular() && validMedia.MatchString(e.Name()) && !s.exists(ShardedMediaPath(e.Name())) {
			plan = append(plan, move{MediaDir + "/" + e.Name(), ShardedMediaPath(e.Name())})
		}
	}
	return len(plan), s.relayout(ctx, plan, message(len(plan)))
}

// uncommitted fails when PostsDir, MediaDir or ForgottenFile hold a
// change that is not committed: a relayout would move a person's work.
func (s *Store) uncommitted(ctx context.Context) error {
	changed, err := s.changedPosts(ctx)
	if err != nil || len(changed) == 0 {
		return err
	}
	list := strings.Join(changed[:min(5, len(changed))], ", ")
	if len(changed) > 5 {
		list += fmt.Sprintf(" and %d more", len(changed)-5)
	}
	return fmt.Errorf("store: %s %s changes that are not committed (git status shows them): commit or discard them, "+
		"then run archiver relayout again; nothing was moved", list, plural(len(changed), "has", "have"))
}

// exists reports whether the store has a file, or anything, at path.
func (s *Store) exists(path string) bool {
	_, err := os.Lstat(filepath.Join(s.dir, filepath.FromSlash(path)))
	return err == nil
}

// validPath reports whether a post's new path is one Write would take in
// a new store's layout, or keeps the name of the earlier tool's post.
func validPath(name string) bool {
	return !strings.Contains(name, "//") && strings.Count(name, "/") <= 4
}

// relayout writes down the plan, and carries it out.
func (s *Store) relayout(ctx context.Context, plan []move, message string) error {
	if len(plan) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString(strconv.Quote(message) + "\n")
	for _, m := range plan {
		b.WriteString(m.from + "\t" + m.to + "\n")
	}
	if err := writeAtomic(filepath.Join(s.meta, relayoutFile), []byte(b.String())); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return s.finishRelayout(ctx)
}

// finishRelayout carries out the plan in relayoutFile, if there is one:
// what a killed run had done of it stays done.
func (s *Store) finishRelayout(ctx context.Context) error {
	message, plan, err := s.readRelayout()
	if err != nil || plan == nil {
		return err
	}
	s.log.Info("store: moving files to the layout", slog.Int("files", len(plan)), slog.String("commit", strings.SplitN(message, "\n", 2)[0]))
	paths := make([]string, 0, 2*len(plan))
	moved := map[string]string{} // media file names moved, to their paths
	for _, m := range plan {
		from, to := filepath.Join(s.dir, filepath.FromSlash(m.from)), filepath.Join(s.dir, filepath.FromSlash(m.to))
		if st, err := os.Lstat(from); err == nil && st.Mode().IsRegular() && !s.exists(m.to) {
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				return fmt.Errorf("store: %w", err)
			}
			if err := os.Rename(from, to); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
		paths = append(paths, m.from, m.to)
		if name, ok := strings.CutPrefix(m.from, MediaDir+"/"); ok {
			moved[name] = m.to
		}
	}
	shown, err := s.showMoved(ctx, moved)
	if err != nil {
		return err
	}
	rewritten := map[string]bool{}
	for _, path := range shown {
		rewritten[path] = true
	}
	for path, hash := range s.journaled() { // those the run that was killed rewrote too
		if got, err := fileHash(filepath.Join(s.dir, filepath.FromSlash(path))); err == nil && got == hash && !rewritten[path] {
			shown = append(shown, path)
		}
	}
	// What was moved and rewritten is durable before it is committed.
	// (Lost before, it is done again: the plan says what to do.)
	syncAll()
	c, err := s.commitFiles(ctx, append(paths, shown...), message)
	if err != nil {
		return err
	}
	if err := s.clearJournal(); err != nil {
		return err
	}
	if err := s.movedPosts(ctx, plan, c); err != nil {
		return err
	}
	s.removeEmptyDirs(plan)
	return os.Remove(filepath.Join(s.meta, relayoutFile))
}

// movedPosts brings the table up to date with the moves of plan, which
// commit c made: many posts moved, it is read anew from git, which is
// quicker than moving each.
func (s *Store) movedPosts(ctx context.Context, plan []move, c *commit) error {
	switch {
	case s.table == nil: // Open reads it next
		return nil
	case c == nil || c.parent != s.head || s.tree == "": // someone committed since
		return s.loadPosts(ctx)
	case len(plan) > maxChanged/2:
		if err := s.rebuild(ctx); err != nil {
			return err
		}
	default:
		for _, m := range plan {
			from, fok := strings.CutPrefix(m.from, PostsDir+"/")
			to, tok := strings.CutPrefix(m.to, PostsDir+"/")
			if p, known := s.table.get(from); fok && tok && known {
				s.table.remove(from)
				p.Name = to
				s.table.put(p)
			}
		}
	}
	s.head, s.tree, s.tableStale = c.id, c.postsTree, true
	return nil
}

// readRelayout reads relayoutFile: nil when there is none.
func (s *Store) readRelayout() (string, []move, error) {
	f, err := os.Open(filepath.Join(s.meta, relayoutFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil, nil
	} else if err != nil {
		return "", nil, fmt.Errorf("store: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var message string
	var plan []move
	for sc.Scan() {
		if message == "" {
			if message, err = strconv.Unquote(sc.Text()); err != nil {
				return "", nil, fmt.Errorf("store: %s is damaged: %w", relayoutFile, err)
			}
			continue
		}
		from, to, ok := strings.Cut(sc.Text(), "\t")
		if !ok || !cleanName(from) || !cleanName(to) {
			return "", nil, fmt.Errorf("store: %s is damaged: line %q", relayoutFile, sc.Text())
		}
		plan = append(plan, move{from, to})
	}
	return message, plan, sc.Err()
}

// flatMediaLink is a link to a media file at the top of MediaDir, as a
// post shows it: (/media/NAME followed by ) or a space and a title.
var flatMediaLink = regexp.MustCompile(`\(/` + MediaDir + `/([0-9a-f]{32}\.[a-z0-9]{2,5})([ )])`)

// showMoved rewrites the posts that show media files moved (by name, to
// their paths) to show them where they are now, and returns their paths.
func (s *Store) showMoved(ctx context.Context, moved map[string]string) ([]string, error) {
	if len(moved) == 0 {
		return nil, nil
	}
	out, err := s.git.run(ctx, nil, "grep", "-z", "-l", "-E", `\(/`+MediaDir+`/[0-9a-f]{32}\.[a-z0-9]{2,5}[ )]`, "--", PostsDir)
	if err != nil && len(out) > 0 || err != nil && !strings.Contains(err.Error(), "exit status 1") {
		return nil, fmt.Errorf("store: finding the posts that show media: %w", err)
	}
	var paths []string
	batch := map[string][]byte{} // a thousand posts journaled at once
	for path := range strings.SplitSeq(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if path == "" {
			continue
		}
		data, err := readRegular(filepath.Join(s.dir, filepath.FromSlash(path)), maxPostSize)
		if err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		edited := flatMediaLink.ReplaceAllFunc(data, func(link []byte) []byte {
			m := flatMediaLink.FindSubmatch(link)
			if to, ok := moved[string(m[1])]; ok {
				return []byte("(/" + to + string(m[2]))
			}
			return link
		})
		if string(edited) != string(data) {
			batch[path] = edited
			paths = append(paths, path)
		}
		if len(batch) == 1000 {
			if err := s.writeMany(batch); err != nil {
				return nil, err
			}
			clear(batch)
		}
	}
	return paths, s.writeMany(batch)
}

// writeMany writes files (by their paths in the store) as Write writes a
// post, journaled first and each replaced whole, but not made durable:
// its caller syncs all at once (syncAll) rather than each file.
func (s *Store) writeMany(files map[string][]byte) error {
	hashes := map[string]string{}
	for path, data := range files {
		hashes[path] = contentHash(data)
	}
	if err := s.journalHashes(hashes); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	temps := map[string]string{}
	defer func() {
		for _, temp := range temps {
			os.Remove(temp) // after a rename, there is nothing to remove
		}
	}()
	for path, data := range files {
		full := filepath.Join(s.dir, filepath.FromSlash(path))
		f, err := os.CreateTemp(filepath.Dir(full), tempPrefix+filepath.Base(full)+"-*")
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		temps[full] = f.Name()
		_, err = f.Write(data)
		if err = errors.Join(err, f.Close(), os.Chmod(f.Name(), 0o644)); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	for full, temp := range temps {
		if err := os.Rename(temp, full); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	return nil
}

// removeEmptyDirs removes the folders the moves of plan left empty.
func (s *Store) removeEmptyDirs(plan []move) {
	left := map[string]bool{}
	for _, m := range plan {
		left[filepath.Dir(m.from)] = true
	}
	for _, dir := range slices.Sorted(maps.Keys(left)) {
		for ; strings.Contains(dir, "/"); dir = filepath.Dir(dir) {
			if os.Remove(filepath.Join(s.dir, filepath.FromSlash(dir))) != nil {
				break
			}
		}
	}
}
