package jekyll

import (
	"bytes"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A story the site moved keeps its post, known by both URLs: the post
// gains the new URL (KeyAlso), and the story's source id if it had none.
// The rest of the file stays as it is, byte for byte: the post may be the
// earlier tool's.

// AddURL returns the post data known by url too, and by sourceID if it
// has no source id, and whether that changed it.
func AddURL(data []byte, url, sourceID string) ([]byte, bool, error) {
	fm, err := Parse(data)
	if err != nil {
		return nil, false, err
	}
	if fm.From == url || slices.Contains(fm.Also, url) {
		return data, false, nil
	}
	lines := []string{keyLine(KeyAlso, append(slices.Clone(fm.Also), url))}
	if fm.SourceID == "" && sourceID != "" {
		lines = append(lines, keyLine(KeySourceID, sourceID))
	}
	edited, err := setLines(data, lines)
	if err != nil {
		return nil, false, err
	}
	return edited, true, nil
}

// MarkRemoved returns the post data marked as removed from the site at
// at (removed_at), and whether that changed it: a post marked already
// keeps the first time its story was seen gone.
func MarkRemoved(data []byte, at time.Time) ([]byte, bool, error) {
	fm, err := Parse(data)
	if err != nil {
		return nil, false, err
	}
	if Removed(fm) {
		return data, false, nil
	}
	edited, err := setLines(data, []string{keyLine(KeyRemovedAt, at.UTC().Format(DateFormat))})
	return edited, err == nil, err
}

// Removed reports whether the post of fm says its story was removed from
// the site.
func Removed(fm *FrontMatter) bool {
	v, ok := fm.Fields[KeyRemovedAt]
	return ok && v != nil && v != ""
}

// keyLine is a front matter line: key and value in YAML, on one line.
func keyLine(key string, value any) string {
	v := &yaml.Node{}
	v.Encode(value)
	v.Style = yaml.FlowStyle
	for _, c := range v.Content {
		c.Style = yaml.DoubleQuotedStyle
	}
	if v.Kind == yaml.ScalarNode {
		v.Style = yaml.DoubleQuotedStyle
	}
	out, _ := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{{Kind: yaml.ScalarNode, Value: key}, v}})
	return strings.TrimRight(string(out), "\n")
}

// setLines puts lines ("key: value") into the front matter of data: each
// replaces the line of its key, or goes at the end.
func setLines(data []byte, lines []string) ([]byte, error) {
	rest := data
	var out bytes.Buffer
	first, replacing := true, false
	for len(rest) > 0 {
		line, after, _ := bytes.Cut(rest, []byte("\n"))
		rest = after
		t := strings.TrimRight(string(line), " \t\r")
		continued := strings.HasPrefix(t, " ") || strings.HasPrefix(t, "\t") || strings.HasPrefix(t, "-") && t != "---"
		switch {
		case first:
			first = false
		case replacing && continued:
			continue // the rest of the value replaced
		case t == "---" || t == "...":
			for _, l := range lines {
				if l != "" {
					out.WriteString(l + "\n")
				}
			}
			out.Write(line)
			out.WriteString("\n")
			out.Write(rest)
			return out.Bytes(), nil
		default:
			replacing = false
			if i := slices.IndexFunc(lines, func(l string) bool { k, _, _ := strings.Cut(l, ":"); return strings.HasPrefix(t, k+":") }); i >= 0 {
				out.WriteString(lines[i] + "\n")
				lines[i], replacing = "", true
				continue
			}
		}
		out.Write(line)
		out.WriteString("\n")
	}
	return nil, ErrNoFrontMatter
}
