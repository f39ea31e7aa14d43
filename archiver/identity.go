package archiver

import (
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
// story (sourceKey), and, to recognise a story across a site's move to
// new URLs, its title on its day (titleKey).

// postIndex maps each identity of each post in the store to its file
// name.
type postIndex map[string]string

// indexPosts indexes the posts of the store: by their URLs and guids, and
// with all, by their source ids too (what a backfill needs). A guid that
// two posts have is no identity (a broken feed wrote it in every entry):
// it is left out. The URL a post is from comes before another's also_from.
func indexPosts(st *store.Store, all bool) postIndex {
	index := make(postIndex, st.Len()+st.Len()/4)
	shared := map[string]string{} // a guid or title key → the post, "" once two have it
	share := func(key, name string) {
		if other, seen := shared[key]; seen && other != name {
			shared[key] = ""
		} else {
			shared[key] = name
		}
	}
	var also []store.Post
	st.Posts(func(post store.Post) {
		if post.From != "" {
			index[feeds.Key(post.From)] = post.Name
		}
		if all && post.SourceID != "" {
			index[sourceKey(post.SourceID)] = post.Name
		}
		if len(post.Also) > 0 {
			also = append(also, post)
		}
		if g := feeds.GUIDKey(post.Feed, post.GUID); g != "" {
			share(g, post.Name)
		}
	})
	for _, post := range also {
		for _, u := range post.Also {
			if _, taken := index[feeds.Key(u)]; !taken {
				index[feeds.Key(u)] = post.Name
			}
		}
	}
	for key, name := range shared {
		if _, taken := index[key]; name != "" && !taken {
			index[key] = name
		}
	}
	return index
}

// resolve finds the post of an entry of keys whose link led to page
// before: by its link, by that page, or by its guid. A guid alone is not
// trusted (broken feeds repeat one in every entry): it comes back as guid,
// for the fetch to tell whether the link leads to that post's page.
func (ix postIndex) resolve(keys []string, page string) (name, guid string) {
	if name := ix[keys[0]]; name != "" {
		return name, ""
	}
	if name := ix[page]; page != "" && name != "" {
		return name, ""
	}
	for _, k := range keys[1:] {
		if name := ix[k]; name != "" {
			return "", name
		}
	}
	return "", ""
}

// titleIndex maps a title on a day (titleKey) to the posts of that title
// that day, oldest file name first: a daily column has several.
type titleIndex map[string][]string

// indexTitles indexes the posts of the store by their titles on their
// days.
func indexTitles(st *store.Store) titleIndex {
	titles := titleIndex{}
	st.Posts(func(post store.Post) {
		if t := titleKey(post.Title, postDay(post.Name)); t != "" {
			titles[t] = append(titles[t], post.Name)
		}
	})
	for _, names := range titles {
		slices.Sort(names)
	}
	return titles
}

// sourceKey is the identity of a story by the publisher's id of it (an
// Arc ANS _id).
func sourceKey(id string) string { return "source:" + id }

// titleKey is the identity of a story by its title on its day
// (YYYY-MM-DD): the same story under a URL of another era of the site.
// Spaces, the width of characters and case do not count. "" for no title.
func titleKey(title, day string) string {
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

// postDay is the day in a post's file name, "" if it has none.
func postDay(name string) string {
	if len(name) < 10 {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, name[:10]); err != nil {
		return ""
	}
	return name[:10]
}
