package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// MediaDir holds the images and audio that posts show, when archiver
// keeps them: one file per distinct content, named by its hash.
const MediaDir = "media"

// validMedia is the form of a media file's name: MediaName's.
var validMedia = regexp.MustCompile(`^[0-9a-f]{32}\.[a-z0-9]{2,5}$`)

// ValidMediaName reports whether WriteMedia takes a file of that name.
func ValidMediaName(name string) bool { return validMedia.MatchString(name) }

// MediaName is the name of the media file of data, of type ext (jpg).
func MediaName(data []byte, ext string) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16]) + "." + ext
}

// WriteMedia writes the media file name (MediaName) atomically, to be
// committed with the posts, and remembers that it came from url.
func (s *Store) WriteMedia(url, name string, data []byte) error {
	if !validMedia.MatchString(name) {
		return fmt.Errorf("store: refusing media file name %q", name)
	}
	path := filepath.Join(s.dir, MediaDir, name)
	if old, err := os.ReadFile(path); err != nil || MediaName(old, strings.TrimPrefix(filepath.Ext(name), ".")) != name {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := s.journal(MediaDir+"/"+name, data); err != nil {
			return fmt.Errorf("store: %w", err)
		}
		if err := writeAtomic(path, data); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	s.pending = append(s.pending, MediaDir+"/"+name)
	return s.rememberMedia(url, name)
}

// mediaIndex remembers which URL each media file came from, so that an
// image is downloaded once, however many posts show it. Losing it costs
// downloads, nothing else.
const mediaIndex = "media.tsv"

// Media are the media files of the store by the URL each came from, as
// archiver wrote them: a file a person removed since is still listed (see
// HasMedia). The map is the store's: it changes as media are written.
func (s *Store) Media() map[string]string {
	if s.media != nil {
		return s.media
	}
	s.media = map[string]string{}
	f, err := os.Open(filepath.Join(s.meta, mediaIndex))
	if err != nil {
		return s.media
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if url, name, ok := strings.Cut(sc.Text(), "\t"); ok {
			s.media[url] = name
		}
	}
	return s.media
}

// HasMedia reports whether the media file name is in the work tree. It
// may be asked from several goroutines.
func (s *Store) HasMedia(name string) bool {
	_, err := os.Stat(filepath.Join(s.dir, MediaDir, name))
	return validMedia.MatchString(name) && err == nil
}

func (s *Store) rememberMedia(url, name string) error {
	if s.Media()[url] == name || strings.ContainsAny(url, "\t\n") {
		return nil
	}
	s.media[url] = name
	f, err := os.OpenFile(filepath.Join(s.meta, mediaIndex), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = fmt.Fprintf(f, "%s\t%s\n", url, name)
	return errors.Join(err, f.Close())
}
