package jekyll

import (
	"strings"
)

// When archiver keeps a post's images, the post shows the copy in the
// archive and keeps the original's URL: ![alt](orig) becomes
// [![alt](/media/x.jpg)](orig), the picture a link to the original (an
// image that is a link already keeps its link and gets the original as
// its title). The audio of a story gets a link of its own at the end.

// mdImage is an image in Markdown: text[start:end] is ![alt](dest "title").
type mdImage struct {
	start, end int
	alt        string // as written, escapes and all
	dest       string // as written
	title      string // with its quotes, "" if none
}

// Images are the URLs of the images a Markdown body shows that are on the
// web (not copies in the archive), in order, each once, as written.
func Images(body string) []string {
	var urls []string
	for _, img := range mdImages(body) {
		if isWebURL(img.dest) && !contains(urls, img.dest) {
			urls = append(urls, img.dest)
		}
	}
	return urls
}

// LocalMedia rewrites the images of body that local has a copy of (by
// their URL as written) to show the copy, and links the audio audio to
// its copy, if local has one.
func LocalMedia(body string, local map[string]string, audio string) string {
	out := body
	// A rewritten image can change what the text around it reads as (a
	// quote of its title closing another's): an image that appears so is
	// rewritten too, until none is left (of images within images, at most
	// maxRewrites deep).
	for range maxRewrites {
		next := localImages(out, local)
		if next == out {
			break
		}
		out = next
	}
	if path, ok := local[audio]; ok && audio != "" && !strings.Contains(out, "]("+path+")") {
		out = strings.TrimRight(out, "\n") + "\n\n[🔊 " + audioLabel + "](" + path + ")\n"
	}
	return out
}

// maxRewrites bounds LocalMedia's rewrites of a text's images.
const maxRewrites = 16

// localImages rewrites the images of body that local has a copy of to
// show the copy.
func localImages(body string, local map[string]string) string {
	var b strings.Builder
	last := 0
	for _, img := range mdImages(body) {
		path, ok := local[img.dest]
		if !ok {
			continue
		}
		b.WriteString(body[last:img.start])
		linked := strings.HasSuffix(body[:img.start], "[") && strings.HasPrefix(body[img.end:], "](")
		// A link to the image's URL could change what the rest reads as:
		// a URL's brackets would count with the text's.
		if linked || img.title != "" || strings.HasSuffix(body[:img.start], "!") || strings.ContainsAny(img.dest, "[]") {
			b.WriteString("![" + img.alt + "](" + path + " " + quoteTitle(MarkdownURL(img.dest)) + ")")
		} else {
			b.WriteString("[![" + img.alt + "](" + path + ")](" + img.dest + ")")
		}
		last = img.end
	}
	b.WriteString(body[last:])
	return b.String()
}

// audioLabel is the text of the link to a story's audio.
const audioLabel = "audio"

// quoteTitle is s as a Markdown link title.
func quoteTitle(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// MarkdownURL is a link destination as written in Markdown, its escapes
// undone: the URL to fetch.
func MarkdownURL(dest string) string {
	dest = strings.TrimSuffix(strings.TrimPrefix(dest, "<"), ">")
	var b strings.Builder
	for i := 0; i < len(dest); i++ {
		if dest[i] == '\\' && i+1 < len(dest) && isASCIIPunct(dest[i+1]) {
			i++
		}
		b.WriteByte(dest[i])
	}
	return b.String()
}

func isASCIIPunct(c byte) bool {
	return strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

func isWebURL(dest string) bool {
	u := strings.ToLower(MarkdownURL(dest))
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// mdImages finds the images of a Markdown text, in order.
func mdImages(text string) []mdImage {
	var out []mdImage
	for i := 0; i < len(text); {
		j := strings.Index(text[i:], "![")
		if j < 0 {
			break
		}
		start := i + j
		i = start + 2
		if start > 0 && text[start-1] == '\\' {
			continue
		}
		if img, ok := mdImageAt(text, start); ok {
			out = append(out, img)
			i = img.end
		}
	}
	return out
}

// mdImageAt reads the image that starts at text[start] ("!["), if one
// does.
func mdImageAt(text string, start int) (mdImage, bool) {
	altEnd, ok := closing(text, start+2, '[', ']')
	if !ok || altEnd+1 >= len(text) || text[altEnd+1] != '(' {
		return mdImage{}, false
	}
	p := altEnd + 2
	var dest string
	if p < len(text) && text[p] == '<' {
		q := strings.IndexAny(text[p:], ">\n")
		if q < 0 || text[p+q] != '>' {
			return mdImage{}, false
		}
		dest, p = text[p:p+q+1], p+q+1
	} else {
		q, depth := p, 0
	scan:
		for ; q < len(text); q++ {
			switch c := text[q]; {
			case c == '\\':
				q++
			case c == '(':
				depth++
			case c == ')' && depth == 0, c == ' ', c == '\n', c == '\t':
				break scan
			case c == ')':
				depth--
			}
		}
		dest, p = text[p:min(q, len(text))], min(q, len(text))
	}
	img := mdImage{start: start, alt: text[start+2 : altEnd], dest: dest}
	for p < len(text) && text[p] == ' ' {
		p++
	}
	if p < len(text) && (text[p] == '"' || text[p] == '\'') {
		end, ok := closing(text, p+1, 0, text[p])
		if !ok {
			return mdImage{}, false
		}
		img.title, p = text[p:end+1], end+1
		for p < len(text) && text[p] == ' ' {
			p++
		}
	}
	if p >= len(text) || text[p] != ')' || dest == "" {
		return mdImage{}, false
	}
	img.end = p + 1
	return img, true
}

// closing is the index of the close that ends what starts at text[from],
// past escapes and nested open..close pairs (open 0: none), within a
// paragraph.
func closing(text string, from int, open, close byte) (int, bool) {
	depth := 0
	for k := from; k < len(text); k++ {
		switch c := text[k]; {
		case c == '\\':
			k++
		case c == '\n' && strings.HasPrefix(text[k+1:], "\n"):
			return 0, false
		case c == close && depth == 0:
			return k, true
		case c == close:
			depth--
		case open != 0 && c == open:
			depth++
		}
	}
	return 0, false
}

// Localize rewrites a post's file, data, to show the media of local (by
// URL, the path of the archive's copy) from the archive: its body's
// images, and its audio. Nothing else of the file changes.
func Localize(data []byte, local map[string]string) ([]byte, error) {
	fm, err := Parse(data)
	if err != nil {
		return nil, err
	}
	audio, _ := fm.Fields[KeyAudio].(string)
	head := data[:len(data)-len(fm.Body)]
	return append(append([]byte{}, head...), LocalMedia(string(fm.Body), local, audio)...), nil
}
