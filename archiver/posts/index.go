package posts

import (
	"path"
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/width"

	"github.com/rfa-archive/archiver/feeds"
	"github.com/rfa-archive/archiver/store"
)

// An article is known by several identities: the key of each URL its post
// is known by (from, also_from), its guid's key, the publisher's id of the
// story (SourceKey), and, to recognise a story across a site's move to
// new URLs, its title on its day (TitleKey).

// Index maps each identity of each post in the store to its file name.
// A Writer keeps it up to date with the posts it writes. The zero Index
// is empty.
type Index struct {
	keys   map[string]string   // URL, guid and source keys → the post
	titles map[string][]string // TitleKey → the posts of that title that day, oldest file name first; nil unless asked for
}

// Posts are the posts of a store, by name (store.Store has them).
type Posts interface {
	Post(name string) (store.Post, bool)
	Posts(fn func(store.Post))
	Len() int
}

// NewIndex indexes the posts of st by their URLs and guids; with all, by
// their source ids and their titles on their days too (what a backfill
// needs). A guid that two posts have is no identity (a broken feed wrote
// it in every entry): it is left out. The URL a post is from comes before
// another's also_from.
func NewIndex(st Posts, all bool) *Index {
	ix := &Index{keys: make(map[string]string, st.Len()+st.Len()/4)}
	if all {
		ix.titles = map[string][]string{}
	}
	shared := map[string]string{} // a guid → the post, "" once two have it
	var also []store.Post
	st.Posts(func(post store.Post) {
		if post.From != "" {
			ix.keys[feeds.Key(post.From)] = post.Name
		}
		if all {
			ix.addSource(post.SourceID, post.Name)
			ix.addTitle(post.Title, post.Name)
		}
		if len(post.Also) > 0 {
			also = append(also, post)
		}
		if g := feeds.GUIDKey(post.Feed, post.GUID); g != "" {
			if other, seen := shared[g]; seen && other != post.Name {
				shared[g] = ""
			} else {
				shared[g] = post.Name
			}
		}
	})
	for _, post := range also {
		for _, u := range post.Also {
			if _, taken := ix.keys[feeds.Key(u)]; !taken {
				ix.keys[feeds.Key(u)] = post.Name
			}
		}
	}
	for key, name := range shared {
		if _, taken := ix.keys[key]; name != "" && !taken {
			ix.keys[key] = name
		}
	}
	for _, names := range ix.titles {
		slices.Sort(names)
	}
	return ix
}

// Get is the post of key ("" for none): a URL's or guid's key, or a
// SourceKey.
func (ix *Index) Get(key string) string {
	if ix == nil {
		return ""
	}
	return ix.keys[key]
}

// Titled are the posts of a title on a day (TitleKey), oldest file name
// first.
func (ix *Index) Titled(key string) []string { return ix.titles[key] }

// add indexes the post name by keys, and by the source id and the title
// of p.
func (ix *Index) add(name string, keys []string, sourceID, title string) {
	if ix.keys == nil {
		ix.keys = map[string]string{}
	}
	for _, k := range keys {
		if k != "" {
			ix.keys[k] = name
		}
	}
	ix.addSource(sourceID, name)
	if ix.titles != nil && !slices.Contains(ix.titles[TitleKey(title, postDay(name))], name) {
		ix.addTitle(title, name)
	}
}

func (ix *Index) addSource(id, name string) {
	if id != "" {
		ix.keys[SourceKey(id)] = name
	}
}

func (ix *Index) addTitle(title, name string) {
	if t := TitleKey(title, postDay(name)); t != "" && ix.titles != nil {
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

// TitleKey is the identity of a story by its title on its day
// (YYYY-MM-DD): the same story under a URL of another era of the site.
// Spaces, the width of characters and case do not count. "" for no title.
func TitleKey(title, day string) string {
	var b strings.Builder
	for _, r := range width.Fold.String(title) {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	if b.Len() == 0 || day == "" {
		return ""
	}
	return "title:" + day + ":" + b.String()
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
