package posts

import (
	"path"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// An article is known by several identities: the key of each URL its post
// is known by (from, also_from), its guid's key, the publisher's id of the
// story (SourceKey), and, to recognise a story across a site's move to
// new URLs, its title on its day (TitleKey). The store indexes each
// post by them (Keys), so that nothing here reads all of an archive of a
// million posts.

// Keys are the identities of a post, for the store to find it by
// (store.Options.Keys): each kind of identity apart, so that Index can
// tell which a post has.
func Keys(p store.Post) []string {
	var keys []string
	if p.From != "" {
		keys = append(keys, keyFrom+feeds.Key(p.From))
	}
	for _, u := range p.Also {
		keys = append(keys, keyAlso+feeds.Key(u))
	}
	if g := feeds.GUIDKey(p.Feed, p.GUID); g != "" {
		keys = append(keys, keyGUID+g)
	}
	if p.SourceID != "" {
		keys = append(keys, keySource+SourceKey(p.SourceID))
	}
	if t := PostTitleKey(p); t != "" {
		keys = append(keys, keyTitle+t)
	}
	return keys
}

// KeysVersion names what Keys gives: change it whenever Keys, or the
// keys it is made of (feeds.Key, feeds.GUIDKey, SourceKey, TitleKey),
// change, and stores index their posts anew.
const KeysVersion = "posts.Keys 1"

// The kinds of identity in Keys.
const (
	keyFrom   = "from\x00"
	keyAlso   = "also\x00"
	keyGUID   = "guid\x00"
	keySource = "id\x00"
	keyTitle  = "title\x00"
)

// Index finds the posts of a store by their identities (Get, Titled),
// and those a Writer wrote in this batch by the identities of their
// stories too (the keys of a feed entry that led to its post). The zero
// Index is empty.
type Index struct {
	st     Finder
	keys   map[string]string   // URL, guid and source keys → the post, of this batch
	titles map[string][]string // TitleKey → the posts of that title that day, of this batch
}

// Finder finds posts by their Keys: store.Store, storetest.Memory.
type Finder interface {
	Find(key string) []string // the names of the posts with key, sorted
}

// Posts are the posts of a store, by name and by their Keys
// (store.Store has them).
type Posts interface {
	Finder
	Post(name string) (store.Post, bool)
	Len() int
}

// NewIndex is the index of the posts of st.
func NewIndex(st Finder) *Index { return &Index{st: st} }

// Get is the post of key ("" for none): a URL's or guid's key, or a
// SourceKey. A post the URL is from comes before one that has it in
// also_from; a guid that two posts have is no identity (a broken feed
// wrote it in every entry).
func (ix *Index) Get(key string) string {
	if ix == nil || key == "" {
		return ""
	}
	if name := ix.keys[key]; name != "" {
		return name
	}
	if ix.st == nil {
		return ""
	}
	for _, kind := range []string{keyFrom, keyAlso, keySource} {
		if names := ix.st.Find(kind + key); len(names) > 0 {
			return names[0]
		}
	}
	if names := ix.st.Find(keyGUID + key); len(names) == 1 {
		return names[0]
	}
	return ""
}

// Titled are the posts of a title on a day (TitleKey), oldest file name
// first.
func (ix *Index) Titled(key string) []string {
	var names []string
	if ix.st != nil {
		names = ix.st.Find(keyTitle + key)
	}
	names = append(names, ix.titles[key]...)
	slices.Sort(names)
	return slices.Compact(names)
}

// add indexes the post name by keys, and by the source id and the title
// of p.
func (ix *Index) add(name string, keys []string, sourceID, title string) {
	if ix.keys == nil {
		ix.keys, ix.titles = map[string]string{}, map[string][]string{}
	}
	for _, k := range keys {
		if k != "" {
			ix.keys[k] = name
		}
	}
	if sourceID != "" {
		ix.keys[SourceKey(sourceID)] = name
	}
	if t := TitleKey(title, postDay(name)); t != "" && !slices.Contains(ix.titles[t], name) {
		ix.titles[t] = append(ix.titles[t], name)
	}
}

// Resolve finds the post of an entry of keys whose link led to page
// before: by its link, by that page, or by its guid. A guid alone is not
// trusted (broken feeds repeat one in every entry): it comes back as guid,
// for the fetch to tell whether the link leads to that post's page.
func (ix *Index) Resolve(keys []string, page string) (name, guid string) {
	if name := ix.Get(keys[0]); name != "" {
		return name, ""
	}
	if name := ix.Get(page); page != "" && name != "" {
		return name, ""
	}
	for _, k := range keys[1:] {
		if name := ix.Get(k); name != "" {
			return "", name
		}
	}
	return "", ""
}

// TakenDown are the keys of the articles the store st does not take
// again: taken down from the archive, or forgotten.
func TakenDown(st interface{ TakenDown() ([]string, error) }) (map[string]bool, error) {
	urls, err := st.TakenDown()
	keys := map[string]bool{}
	for _, u := range urls {
		keys[feeds.Key(u)] = true
	}
	return keys, err
}

// SourceKey is the identity of a story by the publisher's id of it (an
// Arc ANS _id).
func SourceKey(id string) string { return "source:" + id }

// Days are the days (YYYY-MM-DD) a post of a story published at t may
// be named for: in loc, and in UTC, as an earlier tool may have named its
// files; each once.
func Days(t time.Time, loc *time.Location) []string {
	days := []string{t.In(loc).Format(time.DateOnly)}
	if utc := t.UTC().Format(time.DateOnly); utc != days[0] {
		days = append(days, utc)
	}
	return days
}

// TitleKey is the identity of a story by its title on its day
// (YYYY-MM-DD): the same story under a URL of another era of the site.
// Spaces, the width of characters and case do not count. "" for no title.
func TitleKey(title, day string) string {
	if day == "" {
		return ""
	}
	b := make([]byte, 0, len("title:")+len(day)+1+len(title))
	b = append(append(append(b, "title:"...), day...), ':')
	start := len(b)
	for _, r := range title {
		switch {
		case r < utf8.RuneSelf: // ASCII: no width to fold
			if !unicode.IsSpace(r) {
				b = append(b, byte(unicode.ToLower(r)))
			}
			continue
		case r >= 0x4E00 && r <= 0x9FFF: // CJK ideographs: neither width nor case
			b = utf8.AppendRune(b, r)
			continue
		}
		if p := width.LookupRune(r); p.Folded() != 0 {
			r = p.Folded()
		}
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
	}
	if len(b) == start {
		return ""
	}
	return string(b)
}

// PostTitleKey is the TitleKey of a post: its title on the day of its
// file name.
func PostTitleKey(p store.Post) string { return TitleKey(p.Title, postDay(p.Name)) }

// postDay is the day in a post's file name, "" if it has none.
func postDay(name string) string {
	name = path.Base(name) // in a folder of the layout, the name is the file's
	if len(name) < 10 {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, name[:10]); err != nil {
		return ""
	}
	return name[:10]
}
