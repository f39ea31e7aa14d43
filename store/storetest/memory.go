package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/jekyll"
)

// Memory is a store in memory, for the tests of what writes an archive
// (the pass, the backfill): it keeps posts, media and state as a git
// store does (Suite checks that it does), without git or files, so that
// such tests take milliseconds. A person's commit is Put; TakeDown takes
// a story down. It is safe for concurrent use.
type Memory struct {
	// Keys are the identities Find finds a post by, as the git store's
	// Options.Keys (posts.Keys, for the pass and the backfill).
	Keys      func(store.Post) []string
	mu        sync.Mutex
	work      map[string][]byte // the work tree, by path: _posts/NAME, media/NAME
	head      map[string][]byte // the files committed
	pending   []string          // paths written since the last commit
	posts     map[string]store.Post
	media     map[string]string // by URL
	forgotten []string
	state     map[string]json.RawMessage
	commits   []memoryCommit // oldest first
	label     string
}

type memoryCommit struct {
	message string
	paths   []string // changed, sorted
	status  []string // of each path, as git show --name-status says it: A, M
}

// NewMemory returns an empty store in memory, with one commit, as a new
// git store has.
func NewMemory() *Memory {
	return &Memory{work: map[string][]byte{}, head: map[string][]byte{}, posts: map[string]store.Post{}, media: map[string]string{},
		state: map[string]json.RawMessage{}, commits: []memoryCommit{{message: "Start the archive\n"}}}
}

// Put commits the post name, data, as a person (or the earlier tool)
// would have.
func (m *Memory) Put(name, data string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	fm, err := jekyll.Parse([]byte(data))
	if err != nil {
		return err
	}
	path := store.PostsDir + "/" + name
	m.work[path], m.head[path] = []byte(data), []byte(data)
	m.posts[name] = store.PostOf(name, fm)
	m.commits = append(m.commits, memoryCommit{message: "Add " + name + "\n", paths: []string{path}, status: []string{"A"}})
	return nil
}

// TakeDown takes the story of url down from the archive, as a person's
// commit removing its post and ForgottenFile do.
func (m *Memory) TakeDown(url string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forgotten = append(m.forgotten, url)
}

// Dir is the store's name in messages.
func (m *Memory) Dir() string { return "memory" }

// Post returns the post of that name, if there is one.
func (m *Memory) Post(name string) (store.Post, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.posts[name]
	return p, ok
}

// Posts calls fn for each post.
func (m *Memory) Posts(fn func(store.Post)) {
	m.mu.Lock()
	all := slices.Collect(maps.Values(m.posts))
	m.mu.Unlock()
	for _, p := range all {
		fn(p)
	}
}

// Find returns the names of the posts that Keys gives key, sorted.
func (m *Memory) Find(key string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for name, p := range m.posts {
		if m.Keys != nil && slices.Contains(m.Keys(p), key) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Len is the number of posts.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.posts)
}

// Read returns the file of the post of that name.
func (m *Memory) Read(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.work[store.PostsDir+"/"+name]
	if !ok || !store.PostName(name, true) {
		return nil, fmt.Errorf("storetest: no post %q", name)
	}
	return slices.Clone(data), nil
}

// Write writes a post, as store.Store.Write does.
func (m *Memory) Write(name string, data []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, exists := m.posts[name]; !store.PostName(name, exists) {
		return fmt.Errorf("storetest: refusing post file name %q", name)
	}
	fm, err := jekyll.Parse(data)
	if err != nil {
		return fmt.Errorf("storetest: %s: %w", name, err)
	}
	m.write(store.PostsDir+"/"+name, data)
	m.posts[name] = store.PostOf(name, fm)
	return nil
}

func (m *Memory) write(path string, data []byte) {
	m.work[path] = slices.Clone(data)
	m.pending = append(m.pending, path)
}

// MediaTemp is a temporary file for WriteMedia.
func (m *Memory) MediaTemp() (*os.File, error) { return os.CreateTemp("", "storetest-media-*") }

// WriteMedia moves the file temp into the store, as store.Store.WriteMedia
// does.
func (m *Memory) WriteMedia(url, name, temp string) error {
	if !store.ValidMediaName(name) {
		return fmt.Errorf("storetest: refusing media file name %q", name)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	path := m.mediaPath(name)
	if _, ok := m.work[path]; !ok {
		data, err := os.ReadFile(temp)
		if err != nil {
			return err
		}
		if store.MediaName(data, strings.TrimPrefix(filepath.Ext(name), ".")) != name {
			return fmt.Errorf("storetest: the file of %s is not what its name says", name)
		}
		m.write(path, data)
	}
	os.Remove(temp)
	m.pending = append(m.pending, path)
	m.media[url] = name
	return nil
}

// Media are the media files by the URL each came from.
func (m *Memory) Media() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.media)
}

// HasMedia reports whether the media file name is in the store.
func (m *Memory) HasMedia(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.work[m.mediaPath(name)]
	return ok
}

// MediaPath is where the media file name is, as store.Store.MediaPath
// says.
func (m *Memory) MediaPath(name string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mediaPath(name)
}

func (m *Memory) mediaPath(name string) string {
	if flat := store.MediaDir + "/" + name; m.work[flat] != nil {
		return flat
	}
	return store.ShardedMediaPath(name)
}

// Flat reports whether the store has posts, all at the top of
// store.PostsDir.
func (m *Memory) Flat() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for name := range m.posts {
		if strings.Contains(name, "/") {
			return false
		}
	}
	return len(m.posts) > 0
}

// TakenDown are the URLs of the stories taken down.
func (m *Memory) TakenDown() ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.forgotten), nil
}

// Label names what is written from now on, for a recovery commit.
func (m *Memory) Label(subject string) { m.label = subject }

// Commit commits what was written since the last commit, if anything
// changed.
func (m *Memory) Commit(ctx context.Context, message string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commit(m.pending, message), nil
}

// CommitPaths commits the files written since the last commit whose
// paths are in paths, with message; the others stay written.
func (m *Memory) CommitPaths(ctx context.Context, paths []string, message string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.commit(slices.DeleteFunc(slices.Clone(m.pending), func(p string) bool { return !slices.Contains(paths, p) }), message), nil
}

// Revisions is how many commits changed the post name.
func (m *Memory) Revisions(ctx context.Context, name string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.commits {
		if slices.Contains(c.paths, store.PostsDir+"/"+name) {
			n++
		}
	}
	return n, nil
}

// PostsOfDays are the names of the posts of the days (YYYY-MM-DD), sorted.
func (m *Memory) PostsOfDays(ctx context.Context, days []string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for name := range m.posts {
		if base := path.Base(name); len(base) > 11 && slices.Contains(days, base[:10]) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// PostDays counts the posts of each day.
func (m *Memory) PostDays(ctx context.Context) (map[string]int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	days := map[string]int{}
	for name := range m.posts {
		if base := path.Base(name); len(base) > 11 {
			days[base[:10]]++
		}
	}
	return days, nil
}

// commit commits the pending paths, and reports whether that made a
// commit.
func (m *Memory) commit(paths []string, message string) bool {
	c := memoryCommit{message: message}
	paths = slices.Compact(slices.Sorted(slices.Values(paths)))
	m.pending = slices.DeleteFunc(m.pending, func(p string) bool { return slices.Contains(paths, p) })
	for _, p := range paths {
		old, had := m.head[p]
		if had && string(m.work[p]) == string(old) {
			continue
		}
		c.paths = append(c.paths, p)
		c.status = append(c.status, map[bool]string{true: "M", false: "A"}[had])
		m.head[p] = m.work[p]
	}
	if len(c.paths) == 0 {
		return false
	}
	m.commits = append(m.commits, c)
	return true
}

// LoadState reads a section of the state into v.
func (m *Memory) LoadState(section string, v any) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	raw, ok := m.state[section]
	if !ok {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// SaveState saves sections of the state.
func (m *Memory) SaveState(sections map[string]any) error {
	next := map[string]json.RawMessage{}
	for name, v := range sections {
		raw, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("storetest: saving state: %w", err)
		}
		next[name] = raw
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	maps.Copy(m.state, next)
	return nil
}

// Pull does nothing: a Memory has no remote.
func (m *Memory) Pull(context.Context) error { return nil }

// Push does nothing: a Memory has no remote.
func (m *Memory) Push(context.Context) error { return nil }

// Maintain does nothing.
func (m *Memory) Maintain(context.Context) error { return nil }

// Close does nothing: the Memory is opened again as it is.
func (m *Memory) Close() error { return nil }

// ForgetState loses the saved state, as a state set aside does.
func (m *Memory) ForgetState() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.state)
}
