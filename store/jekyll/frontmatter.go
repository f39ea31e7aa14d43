package jekyll

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"gopkg.in/yaml.v3"
)

// FrontMatter is a post's YAML front matter.
type FrontMatter struct {
	Fields   map[string]any
	Title    string
	From     string
	Also     []string // also_from: other URLs of the article
	GUID     string
	Feed     string
	SourceID string
	Date     time.Time // zero if missing or not a date
	Body     []byte    // what follows the front matter
}

// ErrNoFrontMatter means a file does not start with a front matter block.
var ErrNoFrontMatter = errors.New("no front matter: the file does not start with a line ---")

// maxFrontMatter bounds how much of a file is read as front matter.
const maxFrontMatter = 1 << 20

// Parse reads the front matter at the start of a post, and the body after
// it.
func Parse(data []byte) (*FrontMatter, error) {
	head, body, err := splitFrontMatter(bufio.NewReader(bytes.NewReader(data)))
	if err != nil {
		return nil, err
	}
	fm, err := decodeFrontMatter(head)
	if err != nil {
		return nil, err
	}
	fm.Body = body
	return fm, nil
}

// ReadFrontMatter reads just the front matter at the start of r, of at
// most maxFrontMatter bytes.
func ReadFrontMatter(r io.Reader) (*FrontMatter, error) {
	head, _, err := splitFrontMatter(bufio.NewReader(io.LimitReader(r, maxFrontMatter)))
	if err != nil {
		return nil, err
	}
	return decodeFrontMatter(head)
}

// splitFrontMatter returns the YAML between the opening and closing ---
// lines, and, when reading all of r, the rest.
func splitFrontMatter(r *bufio.Reader) (head, rest []byte, err error) {
	first, err := r.ReadBytes('\n')
	if err != nil && err != io.EOF {
		return nil, nil, err
	}
	first = bytes.TrimPrefix(first, []byte("\uFEFF"))
	if string(bytes.TrimRight(first, " \t\r\n")) != "---" {
		return nil, nil, ErrNoFrontMatter
	}
	var buf bytes.Buffer
	for {
		line, err := r.ReadBytes('\n')
		if err != nil && err != io.EOF {
			return nil, nil, err
		}
		if t := string(bytes.TrimRight(line, " \t\r\n")); t == "---" || t == "..." {
			rest, _ := io.ReadAll(r)
			return buf.Bytes(), rest, nil
		}
		buf.Write(line)
		if err != nil {
			return nil, nil, errors.New("the front matter has no closing line ---")
		}
	}
}

func decodeFrontMatter(head []byte) (*FrontMatter, error) {
	var node yaml.Node
	if err := yaml.Unmarshal(head, &node); err != nil {
		return nil, fmt.Errorf("front matter is not valid YAML: %w", err)
	}
	fm := &FrontMatter{Fields: map[string]any{}}
	if len(node.Content) == 0 {
		return fm, nil // empty front matter is valid in Jekyll
	}
	if node.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("front matter is not a mapping of keys to values (line %d)", node.Content[0].Line)
	}
	if err := node.Decode(&fm.Fields); err != nil {
		return nil, fmt.Errorf("front matter is not valid YAML: %w", err)
	}
	str := func(key string) string {
		s, _ := fm.Fields[key].(string)
		return s
	}
	fm.Title, fm.From, fm.GUID, fm.Feed, fm.SourceID = str(KeyTitle), str(KeyFrom), str(KeyGUID), str(KeyFeed), str(KeySourceID)
	if also, ok := fm.Fields[KeyAlso].([]any); ok {
		for _, u := range also {
			if u, ok := u.(string); ok && u != "" {
				fm.Also = append(fm.Also, u)
			}
		}
	}
	fm.Date = fm.time(KeyDate)
	return fm, nil
}

// time is the time the front matter's key says, zero if it says none.
func (fm *FrontMatter) time(key string) time.Time {
	switch t := fm.Fields[key].(type) {
	case time.Time:
		return t
	case string:
		d, _ := ParseDate(t)
		return d
	}
	return time.Time{}
}

// LastUpdate is when the post's story was last updated, as its front
// matter says: last_modified_at, else its date.
func (fm *FrontMatter) LastUpdate() time.Time {
	if t := fm.time(KeyModified); !t.IsZero() {
		return t
	}
	return fm.Date
}

// ParseDate reads the date forms Jekyll accepts in front matter.
func ParseDate(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05 -07:00",
		"2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("date %q is not a date Jekyll reads", s)
}
