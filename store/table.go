package store

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// The table of posts is what the store knows of each post (its name and
// identity from its front matter), and the index of the posts by name
// and by each key Options.Keys gives them. A million posts make hundreds
// of MB of it, so it is never read whole: it is a file in the git
// directory (tableFile) read a piece at a time, its keys a sorted array
// of hashes searched in place, with the posts changed since it was
// written in memory (changed) and saved beside it (deltaFile). When the
// changes grow large, the file is written anew with them.
//
// The file: tableMagic; the posts, each its fields as length-prefixed
// strings; their offsets, 8 bytes each; the keys, sorted, each 8 bytes:
// the top 38 bits of the FNV-1a hash of a key, and the number of the post
// it is a key of in the 26 bits below (the posts a hash finds are read,
// and their keys compared, so a hash two keys share only costs a read);
// the tree of PostsDir and the commit it describes, and the version of
// the keys, as length-prefixed strings; and a trailer of six numbers
// that say where each part is.

const (
	tableFile    = "posts.table"
	deltaFile    = "posts.delta"
	tableMagic   = "archiver posts 6\n"
	trailerSize  = 6 * 8
	keyEntrySize = 8
	postBits     = 26 // a table holds fewer than 1<<postBits posts: 67 million
	// maxChanged is how many posts may differ from the file before it is
	// written anew: the changes are read at every Open.
	maxChanged = 20000
)

var errTable = errors.New("the table of posts is not one this archiver reads")

// change is a post written (post) or removed (nil) since the file was.
type change struct {
	post   *Post
	inFile bool // the file has a post of that name
}

// table is the posts of the store: a file of them, and the changes since.
type table struct {
	f          *os.File // nil: no file, every post is in changed
	n          int      // the posts in the file
	offsetsAt  int64
	keysAt     int64
	nkeys      int
	nested     int                 // the posts in the file in a folder of PostsDir
	tree, head string              // of the file
	version    string              // of the keys in the file
	changed    map[string]change   // the posts written or removed since the file, by name
	byKey      map[string][]string // the keys of the changed posts; nil until asked for
	keys       func(Post) []string // Options.Keys
}

// keyHash is the FNV-1a hash of a key.
func keyHash(key string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(key); i++ {
		h = (h ^ uint64(key[i])) * 1099511628211
	}
	return h
}

// keyEntry is the entry in the file of a key of hash h of post i.
func keyEntry(h uint64, i int) uint64 { return h>>postBits<<postBits | uint64(i) }

// nameKey is the key every post is found by its name with.
func nameKey(name string) string { return "\x00name\x00" + name }

// fromKey is the key every post is found with by the URL it is from, as
// its front matter says it.
func fromKey(from string) string { return "\x00from\x00" + from }

// openTable opens the file of the table at path, for keys of version.
func openTable(path, version string, keys func(Post) []string) (*table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t := &table{f: f, changed: map[string]change{}, keys: keys}
	if err := t.readTrailer(); err != nil {
		f.Close()
		return nil, err
	}
	if t.version != version {
		f.Close()
		return nil, fmt.Errorf("%w: keys of version %q", errTable, t.version)
	}
	return t, nil
}

// readTrailer reads where the parts of the file are.
func (t *table) readTrailer() error {
	st, err := t.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	magic := make([]byte, len(tableMagic))
	var tr [trailerSize]byte
	if size < int64(len(tableMagic)+trailerSize) {
		return errTable
	}
	if _, err := t.f.ReadAt(magic, 0); err != nil || string(magic) != tableMagic {
		return errTable
	}
	if _, err := t.f.ReadAt(tr[:], size-trailerSize); err != nil {
		return err
	}
	u := func(i int) int64 { return int64(binary.LittleEndian.Uint64(tr[8*i:])) }
	t.offsetsAt, t.keysAt, t.n, t.nkeys, t.nested = u(0), u(1), int(u(2)), int(u(3)), int(u(4))
	metaAt := u(5)
	if t.n < 0 || t.nkeys < 0 || t.offsetsAt < int64(len(tableMagic)) || t.keysAt != t.offsetsAt+8*int64(t.n) ||
		metaAt != t.keysAt+keyEntrySize*int64(t.nkeys) || metaAt > size-trailerSize || metaAt-t.offsetsAt < 0 {
		return errTable
	}
	meta := make([]byte, size-trailerSize-metaAt)
	if _, err := t.f.ReadAt(meta, metaAt); err != nil {
		return err
	}
	r := cacheReader{data: string(meta)}
	t.tree, t.head, t.version = r.string(), r.string(), r.string()
	return r.err
}

// close closes the file.
func (t *table) close() {
	if t.f != nil {
		t.f.Close()
	}
}

// offset is where post i of the file starts.
func (t *table) offset(i int) (int64, error) {
	if i == t.n {
		return t.offsetsAt, nil
	}
	var b [8]byte
	if _, err := t.f.ReadAt(b[:], t.offsetsAt+8*int64(i)); err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(b[:])), nil
}

// record reads post i of the file.
func (t *table) record(i int) (Post, error) {
	from, err1 := t.offset(i)
	to, err2 := t.offset(i + 1)
	if err := errors.Join(err1, err2); err != nil {
		return Post{}, err
	}
	if from < int64(len(tableMagic)) || to < from || to > t.offsetsAt || to-from > maxPostSize {
		return Post{}, errTable
	}
	data := make([]byte, to-from)
	if _, err := t.f.ReadAt(data, from); err != nil {
		return Post{}, err
	}
	return decodePost(&cacheReader{data: string(data)})
}

// decodePost reads a post's fields.
func decodePost(r *cacheReader) (Post, error) {
	p := Post{Name: r.string(), From: r.string(), GUID: r.string(), Feed: r.string(), SourceID: r.string(), Title: r.string()}
	also := r.uint()
	if also > uint64(len(r.data)) {
		return Post{}, errTable
	}
	for range also {
		p.Also = append(p.Also, r.string())
	}
	return p, r.err
}

// appendPost appends a post's fields to buf.
func appendPost(buf []byte, p *Post) []byte {
	str := func(v string) { buf = append(binary.AppendUvarint(buf, uint64(len(v))), v...) }
	for _, v := range []string{p.Name, p.From, p.GUID, p.Feed, p.SourceID, p.Title} {
		str(v)
	}
	buf = binary.AppendUvarint(buf, uint64(len(p.Also)))
	for _, v := range p.Also {
		str(v)
	}
	return buf
}

// lookup calls fn with the number of each post of the file that may
// have key (the hash says so), until fn returns false.
func (t *table) lookup(key string, fn func(i int) bool) error {
	if t.f == nil || t.nkeys == 0 {
		return nil
	}
	h := keyHash(key) >> postBits
	var e [keyEntrySize]byte
	entry := func(j int) (uint64, error) {
		if _, err := t.f.ReadAt(e[:], t.keysAt+keyEntrySize*int64(j)); err != nil {
			return 0, err
		}
		return binary.LittleEndian.Uint64(e[:]), nil
	}
	lo, hi := 0, t.nkeys // the first entry of hash h is in [lo, hi]
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		v, err := entry(mid)
		if err != nil {
			return err
		}
		if v>>postBits < h {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	for j := lo; j < t.nkeys; j++ {
		v, err := entry(j)
		if err != nil {
			return err
		}
		if v>>postBits != h {
			return nil
		}
		i := int(v & (1<<postBits - 1))
		if i >= t.n {
			return errTable
		}
		if !fn(i) {
			return nil
		}
	}
	return nil
}

// get is the post of that name.
func (t *table) get(name string) (Post, bool) {
	if c, ok := t.changed[name]; ok {
		if c.post == nil {
			return Post{}, false
		}
		return *c.post, true
	}
	var found Post
	t.lookup(nameKey(name), func(i int) bool {
		if p, err := t.record(i); err == nil && p.Name == name {
			found = p
			return false
		}
		return true
	})
	return found, found.Name != ""
}

// inFile reports whether the file has a post of that name (changed since
// or not).
func (t *table) inFile(name string) bool {
	in := false
	t.lookup(nameKey(name), func(i int) bool {
		p, err := t.record(i)
		in = err == nil && p.Name == name
		return !in
	})
	return in
}

// find are the names of the posts that have key, sorted.
func (t *table) find(key string) []string {
	var names []string
	t.lookup(key, func(i int) bool {
		if p, err := t.record(i); err == nil {
			if _, changed := t.changed[p.Name]; !changed && slices.Contains(t.keysOf(p), key) {
				names = append(names, p.Name)
			}
		}
		return true
	})
	if t.byKey == nil {
		t.byKey = map[string][]string{}
		for name, c := range t.changed {
			if c.post != nil {
				for _, k := range t.keysOf(*c.post) {
					t.byKey[k] = append(t.byKey[k], name)
				}
			}
		}
	}
	names = append(names, t.byKey[key]...)
	slices.Sort(names)
	return slices.Compact(names)
}

// keysOf are the keys of p in the file.
func (t *table) keysOf(p Post) []string {
	keys := []string{nameKey(p.Name)}
	if p.From != "" {
		keys = append(keys, fromKey(p.From))
	}
	if t.keys != nil {
		keys = append(keys, t.keys(p)...)
	}
	return keys
}

// hashes are the hashes of p's keys in the file.
func (t *table) hashes(p Post) []uint64 {
	keys := t.keysOf(p)
	hashes := make([]uint64, len(keys))
	for i, k := range keys {
		hashes[i] = keyHash(k)
	}
	return hashes
}

// put records p, new or changed.
func (t *table) put(p Post) {
	t.set(p.Name, &p)
	if t.byKey != nil {
		for _, k := range t.keysOf(p) {
			t.byKey[k] = append(t.byKey[k], p.Name)
		}
	}
}

// remove records that the post of that name is gone.
func (t *table) remove(name string) { t.set(name, nil) }

// set records the post of that name as p (nil: removed).
func (t *table) set(name string, p *Post) {
	c, seen := t.changed[name]
	if !seen {
		c.inFile = t.inFile(name)
	} else if c.post != nil && t.byKey != nil {
		t.dropKeys(*c.post)
	}
	c.post = p
	t.changed[name] = c
}

func (t *table) dropKeys(p Post) {
	for _, k := range t.keysOf(p) {
		t.byKey[k] = slices.DeleteFunc(t.byKey[k], func(n string) bool { return n == p.Name })
	}
}

// each calls fn for every post, reading the file through once.
func (t *table) each(fn func(Post)) error {
	if t.f != nil {
		r := bufio.NewReaderSize(io.NewSectionReader(t.f, int64(len(tableMagic)), t.offsetsAt-int64(len(tableMagic))), 1<<16)
		for range t.n {
			p, err := readRecord(r)
			if err != nil {
				return err
			}
			if _, changed := t.changed[p.Name]; !changed {
				fn(p)
			}
		}
	}
	for _, c := range t.changed {
		if c.post != nil {
			fn(*c.post)
		}
	}
	return nil
}

// readRecord reads one post's fields from r.
func readRecord(r *bufio.Reader) (Post, error) {
	var fields [6]string
	for i := range fields {
		s, err := readString(r)
		if err != nil {
			return Post{}, err
		}
		fields[i] = s
	}
	p := Post{Name: fields[0], From: fields[1], GUID: fields[2], Feed: fields[3], SourceID: fields[4], Title: fields[5]}
	also, err := binary.ReadUvarint(r)
	if err != nil || also > maxPostSize {
		return Post{}, errors.Join(err, errTable)
	}
	for range also {
		s, err := readString(r)
		if err != nil {
			return Post{}, err
		}
		p.Also = append(p.Also, s)
	}
	return p, nil
}

func readString(r *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil || n > maxPostSize {
		return "", errors.Join(err, errTable)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return string(b), nil
}

// count is the number of posts, and of those in folders.
func (t *table) count() (all, nested int) {
	all, nested = t.n, t.nested
	for name, c := range t.changed {
		d := 0
		switch {
		case c.post == nil && c.inFile:
			d = -1
		case c.post != nil && !c.inFile:
			d = 1
		}
		all += d
		if strings.Contains(name, "/") {
			nested += d
		}
	}
	return all, nested
}

// tableWriter writes a table file.
type tableWriter struct {
	f       *os.File
	w       *bufio.Writer
	off     int64
	offsets []byte
	keys    []uint64 // keyEntry's
	nested  int
	buf     []byte
}

// newTableWriter starts a table file at a temporary path beside path.
func newTableWriter(path string) (*tableWriter, error) {
	f, err := os.CreateTemp(dirOf(path), tempPrefix+"table-*")
	if err != nil {
		return nil, err
	}
	tw := &tableWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), off: int64(len(tableMagic))}
	tw.w.WriteString(tableMagic)
	return tw, nil
}

// add writes p, with the hashes of its keys.
func (tw *tableWriter) add(p *Post, hashes []uint64) error {
	i := len(tw.offsets) / 8
	if i >= 1<<postBits {
		return fmt.Errorf("more than %d posts: a table holds fewer", 1<<postBits)
	}
	tw.offsets = binary.LittleEndian.AppendUint64(tw.offsets, uint64(tw.off))
	tw.buf = appendPost(tw.buf[:0], p)
	if _, err := tw.w.Write(tw.buf); err != nil {
		return err
	}
	tw.off += int64(len(tw.buf))
	for _, h := range hashes {
		tw.keys = append(tw.keys, keyEntry(h, i))
	}
	if strings.Contains(p.Name, "/") {
		tw.nested++
	}
	return nil
}

// finish writes the rest of the file, of tree at head with keys of
// version, and renames it to path.
func (tw *tableWriter) finish(path, tree, head, version string) error {
	defer os.Remove(tw.f.Name()) // after the rename, nothing
	slices.Sort(tw.keys)
	n := len(tw.offsets) / 8
	offsetsAt := tw.off
	tw.w.Write(tw.offsets)
	keysAt := offsetsAt + int64(len(tw.offsets))
	var e [keyEntrySize]byte
	for _, k := range tw.keys {
		binary.LittleEndian.PutUint64(e[:], k)
		tw.w.Write(e[:])
	}
	metaAt := keysAt + keyEntrySize*int64(len(tw.keys))
	var meta []byte
	for _, v := range []string{tree, head, version} {
		meta = append(binary.AppendUvarint(meta, uint64(len(v))), v...)
	}
	tw.w.Write(meta)
	var tr []byte
	for _, v := range []int64{offsetsAt, keysAt, int64(n), int64(len(tw.keys)), int64(tw.nested), metaAt} {
		tr = binary.LittleEndian.AppendUint64(tr, uint64(v))
	}
	tw.w.Write(tr)
	err := tw.w.Flush()
	if err = errors.Join(err, tw.f.Close()); err != nil {
		return err
	}
	return os.Rename(tw.f.Name(), path)
}

// abort gives up the file.
func (tw *tableWriter) abort() {
	tw.f.Close()
	os.Remove(tw.f.Name())
}

// dirOf is the directory of path.
func dirOf(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[:i]
	}
	return "."
}

// deltaMagic starts the file of the changes since the table's file.
const deltaMagic = "archiver posts delta 6\n"

// saveDelta writes the changes to path, with the tree and the commit
// they bring the file to.
func (t *table) saveDelta(path, tree, head string) error {
	buf := []byte(deltaMagic)
	str := func(v string) { buf = append(binary.AppendUvarint(buf, uint64(len(v))), v...) }
	for _, v := range []string{t.tree, t.head, tree, head} {
		str(v)
	}
	buf = binary.AppendUvarint(buf, uint64(len(t.changed)))
	for name, c := range t.changed {
		flags := byte(0)
		if c.inFile {
			flags |= 1
		}
		if c.post == nil {
			buf = append(buf, flags)
			str(name)
			continue
		}
		buf = appendPost(append(buf, flags|2), c.post)
	}
	return writeAtomic(path, buf)
}

// loadDelta reads the changes at path, if they are of the file, and
// returns the tree and the commit they bring it to; the file's own when
// there are none.
func (t *table) loadDelta(path string) (string, string) {
	data, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(data), deltaMagic) {
		return t.tree, t.head
	}
	r := &cacheReader{data: string(data[len(deltaMagic):])}
	baseTree, baseHead, tree, head := r.string(), r.string(), r.string(), r.string()
	n := r.uint()
	if r.err != nil || baseTree != t.tree || baseHead != t.head || n > uint64(len(r.data)) {
		return t.tree, t.head
	}
	changed := make(map[string]change, n)
	for range n {
		if len(r.data) == 0 {
			return t.tree, t.head
		}
		flags := r.data[0]
		r.data = r.data[1:]
		c := change{inFile: flags&1 != 0}
		var name string
		if flags&2 != 0 {
			p, err := decodePost(r)
			if err != nil {
				return t.tree, t.head
			}
			c.post, name = &p, p.Name
		} else {
			name = r.string()
		}
		changed[name] = c
	}
	if r.err != nil {
		return t.tree, t.head
	}
	t.changed, t.byKey = changed, nil
	return tree, head
}

// cacheReader reads the fields of the table's files.
type cacheReader struct {
	data string
	err  error
}

func (r *cacheReader) uint() uint64 {
	v, n := binary.Uvarint([]byte(r.data[:min(len(r.data), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.err = errTable
		return 0
	}
	r.data = r.data[n:]
	return v
}

func (r *cacheReader) string() string {
	n := r.uint()
	if r.err != nil || n > uint64(len(r.data)) {
		r.err = errTable
		return ""
	}
	s := r.data[:n]
	r.data = r.data[n:]
	return s
}
