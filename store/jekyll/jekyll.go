// Package jekyll is the format of the archive's posts: Jekyll posts, a
// YAML front matter and a Markdown body, as the earlier tool wrote them.
// It renders a post, parses one back, reads the identity of many at once
// quickly, patches a key of one in place (an earlier tool's post keeps
// every other byte), and rewrites the images a body shows. Each front
// matter key is spelled here, once. It knows nothing of git or HTML.
package jekyll

// The front matter keys: the earlier tool's first, in its order, then
// archiver's own.
const (
	KeyLayout      = "layout"
	KeyTitle       = "title"
	KeyDate        = "date"
	KeyAuthor      = "author"
	KeyFrom        = "from" // the article's URL
	KeyTags        = "tags"
	KeyComments    = "comments"
	KeyCategories  = "categories"
	KeyModified    = "last_modified_at"
	KeyByline      = "byline"
	KeySection     = "section"
	KeyDescription = "description"
	KeyImage       = "image"
	KeyAudio       = "audio"
	KeySourceID    = "source_id" // the publisher's id of the story
	KeyAlso        = "also_from" // other URLs of the article: the site moved it
	KeyGUID        = "guid"
	KeyFeed        = "feed"
	KeyRemovedAt   = "removed_at" // when the site was first seen not to serve the story any more
)

// Required are the keys every post has.
var Required = []string{KeyLayout, KeyTitle, KeyDate, KeyFrom}
