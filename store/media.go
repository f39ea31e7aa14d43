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
	return MediaNameOf(hex.EncodeToString(sum[:]), ext)
}

// MediaNameOf is the name of the media file whose SHA-256 is sum (in hex),
// of type ext.
func MediaNameOf(sum, ext string) string { return sum[:32] + "." + ext }

// MediaTemp is a new temporary file to download a medium into, for
// WriteMedia: in the store (on its file system), never in the work tree.
// A run that is killed leaves it for the next Open to remove.
func (s *Store) MediaTemp() (*os.File, error) {
	f, err := os.CreateTemp(s.meta, tempPrefix+"media-*")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	return f, nil
}

// WriteMedia moves the file at temp (see MediaTemp) into the store as the
// media file name (MediaName of its bytes), atomically, to be committed
// with the posts, and remembers that it came from url. A file of that
// name, whole, is already there when another post showed it first: temp
// may be gone then.
func (s *Store) WriteMedia(url, name, temp string) error {
	if !validMedia.MatchString(name) {
		return fmt.Errorf("store: refusing media file name %q", name)
	}
	rel := s.MediaPath(name)
	path := filepath.Join(s.dir, filepath.FromSlash(rel))
	if hash, err := fileHash(path); err == nil && MediaNameOf(hash, strings.TrimPrefix(filepath.Ext(name), ".")) == name {
		os.Remove(temp)
	} else if err := s.moveMedia(name, rel, temp); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.pending = append(s.pending, rel)
	return s.rememberMedia(url, name)
}

// MediaPath is where the media file name is, relative to the store: in
// MediaDir, in folders by the first two pairs of digits of its hash
// (media/ab/cd/abcd….jpg), so that no folder holds more than a forge
// shows; or at the top of MediaDir, where archivers before layouts put
// them, until archiver relayout moves them.
func (s *Store) MediaPath(name string) string {
	if flat := MediaDir + "/" + name; s.flatMedia(flat) {
		return flat
	}
	return ShardedMediaPath(name)
}

// flatMedia reports whether a media file is at the path flat, at the top
// of MediaDir.
func (s *Store) flatMedia(flat string) bool {
	_, err := os.Lstat(filepath.Join(s.dir, filepath.FromSlash(flat)))
	return err == nil
}

// ShardedMediaPath is where the media file name goes in a store of
// layouts (see MediaPath).
func ShardedMediaPath(name string) string {
	if len(name) < 4 {
		return MediaDir + "/" + name
	}
	return MediaDir + "/" + name[:2] + "/" + name[2:4] + "/" + name
}

// moveMedia moves temp, durably, to the media file name, at rel,
// journaled first.
func (s *Store) moveMedia(name, rel, temp string) error {
	hash, err := fileHash(temp)
	if err != nil {
		return err
	}
	if MediaNameOf(hash, strings.TrimPrefix(filepath.Ext(name), ".")) != name {
		return fmt.Errorf("the file of %s is not what its name says", name)
	}
	path := filepath.Join(s.dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := s.journalHash(rel, hash); err != nil {
		return err
	}
	if err := syncFile(temp); err != nil {
		return err
	}
	if err := os.Chmod(temp, 0o644); err != nil {
		return err
	}
	if err := os.Rename(temp, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
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
	if !validMedia.MatchString(name) {
		return false
	}
	_, err := os.Stat(filepath.Join(s.dir, filepath.FromSlash(s.MediaPath(name))))
	return err == nil
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
