package posts

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// A downloaded file is kept only if it is what its first bytes say: an
// image (JPEG, PNG, GIF, WebP) that is whole in its own format's
// structure, of no more than media.max_pixels pixels (a 50,000 × 50,000
// PNG of a few MiB would make a browser decode 10 GB), or audio (MP3,
// WAV, AIFF, Ogg, M4A). A GIF header before an HTML page is neither. The
// file is read through once, a piece at a time; no pixel is decoded.

// errNotWhole means a file is not whole in the format its bytes begin.
var errNotWhole = errors.New("it is not a whole file of that type")

// checkImage reads the image r of the type ext (jpg, png, gif, webp)
// through, and fails unless it is whole and of at most maxPixels pixels.
func checkImage(r io.Reader, ext string, maxPixels int64) error {
	br := bufio.NewReader(r)
	var w, h int64
	var err error
	switch ext {
	case "png":
		w, h, err = walkPNG(br)
	case "gif":
		w, h, err = walkGIF(br)
	case "jpg":
		w, h, err = walkJPEG(br)
	case "webp":
		w, h, err = walkWebP(br)
	default:
		return nil // audio: its first bytes are all that is checked
	}
	switch {
	case err != nil:
		return fmt.Errorf("%w: %s: %v", ErrNotMedia, ext, err)
	case w <= 0 || h <= 0:
		return fmt.Errorf("%w: %s of %d × %d pixels", ErrNotMedia, ext, w, h)
	case w*h > maxPixels:
		return fmt.Errorf("%w: %d × %d pixels, more than media.max_pixels (%d)", ErrTooManyPixels, w, h, maxPixels)
	}
	return nil
}

// ErrTooManyPixels means an image has more pixels than media.max_pixels.
var ErrTooManyPixels = errors.New("the image is too large to show")

// walkPNG reads a PNG through: its chunks, each with its CRC, from IHDR
// to IEND. It returns the image's size.
func walkPNG(r *bufio.Reader) (w, h int64, err error) {
	sig := make([]byte, 8)
	if _, err := io.ReadFull(r, sig); err != nil || string(sig) != "\x89PNG\r\n\x1a\n" {
		return 0, 0, errNotWhole
	}
	for first := true; ; first = false {
		var head [8]byte
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return 0, 0, errNotWhole
		}
		n, kind := binary.BigEndian.Uint32(head[:4]), string(head[4:])
		if n > 1<<31-1 || first != (kind == "IHDR") {
			return 0, 0, errNotWhole
		}
		crc := crc32.NewIEEE()
		crc.Write(head[4:])
		data := &bytes.Buffer{}
		dst := io.Writer(crc)
		if kind == "IHDR" {
			dst = io.MultiWriter(crc, data)
		}
		if _, err := io.CopyN(dst, r, int64(n)); err != nil {
			return 0, 0, errNotWhole
		}
		var sum [4]byte
		if _, err := io.ReadFull(r, sum[:]); err != nil || binary.BigEndian.Uint32(sum[:]) != crc.Sum32() {
			return 0, 0, errNotWhole
		}
		switch kind {
		case "IHDR":
			if data.Len() != 13 {
				return 0, 0, errNotWhole
			}
			w, h = int64(binary.BigEndian.Uint32(data.Bytes()[0:4])), int64(binary.BigEndian.Uint32(data.Bytes()[4:8]))
		case "IEND":
			return w, h, nil
		}
	}
}

// walkGIF reads a GIF through: its screen, each extension and frame and
// their data's sub-blocks, to its trailer. It returns the screen's size,
// or a frame's if larger.
func walkGIF(r *bufio.Reader) (w, h int64, err error) {
	head := make([]byte, 13)
	if _, err := io.ReadFull(r, head); err != nil || (string(head[:6]) != "GIF87a" && string(head[:6]) != "GIF89a") {
		return 0, 0, errNotWhole
	}
	w, h = int64(binary.LittleEndian.Uint16(head[6:8])), int64(binary.LittleEndian.Uint16(head[8:10]))
	if err := skipTable(r, head[10]); err != nil {
		return 0, 0, err
	}
	for {
		kind, err := r.ReadByte()
		if err != nil {
			return 0, 0, errNotWhole
		}
		switch kind {
		case 0x3B: // the trailer
			return w, h, nil
		case 0x21: // an extension: its label, then its sub-blocks
			if _, err := r.ReadByte(); err != nil {
				return 0, 0, errNotWhole
			}
		case 0x2C: // a frame: its descriptor, its colours, its code size, then its sub-blocks
			desc := make([]byte, 9)
			if _, err := io.ReadFull(r, desc); err != nil {
				return 0, 0, errNotWhole
			}
			w, h = max(w, int64(binary.LittleEndian.Uint16(desc[4:6]))), max(h, int64(binary.LittleEndian.Uint16(desc[6:8])))
			if err := skipTable(r, desc[8]); err != nil {
				return 0, 0, err
			}
			if size, err := r.ReadByte(); err != nil || size < 2 || size > 11 {
				return 0, 0, errNotWhole
			}
		default:
			return 0, 0, errNotWhole
		}
		if err := skipSubBlocks(r); err != nil {
			return 0, 0, err
		}
	}
}

// skipTable skips the colour table a GIF's packed field says follows.
func skipTable(r *bufio.Reader, packed byte) error {
	if packed&0x80 == 0 {
		return nil
	}
	if _, err := r.Discard(3 << ((packed & 7) + 1)); err != nil {
		return errNotWhole
	}
	return nil
}

// skipSubBlocks skips a GIF's sub-blocks, to the empty one that ends them.
func skipSubBlocks(r *bufio.Reader) error {
	for {
		n, err := r.ReadByte()
		if err != nil {
			return errNotWhole
		}
		if n == 0 {
			return nil
		}
		if _, err := r.Discard(int(n)); err != nil {
			return errNotWhole
		}
	}
}

// walkJPEG reads a JPEG through: SOI, then its segments, each by its
// length, and the entropy-coded data of each scan, to EOI. It returns the
// size its frame header (SOFn) gives.
func walkJPEG(r *bufio.Reader) (w, h int64, err error) {
	if soi, err := r.Peek(2); err != nil || string(soi) != "\xFF\xD8" {
		return 0, 0, errNotWhole
	}
	r.Discard(2)
	for scanned := false; ; {
		if !scanned { // a scan's end read the 0xFF of the marker after it
			if b, err := r.ReadByte(); err != nil || b != 0xFF {
				return 0, 0, errNotWhole
			}
		}
		marker, err := r.ReadByte()
		for err == nil && marker == 0xFF { // fill bytes
			marker, err = r.ReadByte()
		}
		switch {
		case err != nil:
			return 0, 0, errNotWhole
		case marker == 0xD9: // EOI
			return w, h, nil
		case marker >= 0xD0 && marker <= 0xD7 || marker == 0x01: // RSTn, TEM: no length
			scanned = false
			continue
		}
		var n [2]byte
		if _, err := io.ReadFull(r, n[:]); err != nil || binary.BigEndian.Uint16(n[:]) < 2 {
			return 0, 0, errNotWhole
		}
		size := int(binary.BigEndian.Uint16(n[:])) - 2
		if sof := marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC; sof && size >= 5 {
			d, err := r.Peek(5)
			if err != nil {
				return 0, 0, errNotWhole
			}
			h, w = int64(binary.BigEndian.Uint16(d[1:3])), int64(binary.BigEndian.Uint16(d[3:5]))
		}
		if _, err := r.Discard(size); err != nil {
			return 0, 0, errNotWhole
		}
		scanned = marker == 0xDA // SOS: the scan's data follows
		if scanned {
			if err := skipScan(r); err != nil {
				return 0, 0, err
			}
		}
	}
}

// skipScan skips a JPEG scan's entropy-coded data and the 0xFF of the
// marker after it: one that is not a stuffed byte (0xFF00) or a restart.
func skipScan(r *bufio.Reader) error {
	for {
		b, err := r.ReadByte()
		if err != nil {
			return errNotWhole
		}
		if b != 0xFF {
			continue
		}
		next, err := r.Peek(1)
		if err != nil {
			return errNotWhole
		}
		if next[0] != 0x00 && (next[0] < 0xD0 || next[0] > 0xD7) {
			return nil
		}
	}
}

// walkWebP reads a WebP through: its RIFF chunks, whose sizes must add up
// to the file's, its size from the first VP8, VP8L or VP8X chunk.
func walkWebP(r *bufio.Reader) (w, h int64, err error) {
	head := make([]byte, 12)
	if _, err := io.ReadFull(r, head); err != nil || string(head[:4]) != "RIFF" || string(head[8:]) != "WEBP" {
		return 0, 0, errNotWhole
	}
	left := int64(binary.LittleEndian.Uint32(head[4:8])) - 4
	for left > 0 {
		var ch [8]byte
		if _, err := io.ReadFull(r, ch[:]); err != nil {
			return 0, 0, errNotWhole
		}
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		padded := n + n&1
		if 8+padded > left {
			return 0, 0, errNotWhole
		}
		data, err := r.Peek(int(min(n, 10)))
		if err != nil {
			return 0, 0, errNotWhole
		}
		if w == 0 {
			w, h = webpSize(string(ch[:4]), data)
		}
		if _, err := r.Discard(int(padded)); err != nil {
			return 0, 0, errNotWhole
		}
		left -= 8 + padded
	}
	if _, err := r.ReadByte(); left != 0 || err != io.EOF {
		return 0, 0, errNotWhole // the RIFF's size is not the file's
	}
	return w, h, nil
}

// webpSize is the image size the start of a VP8X, VP8L or VP8 chunk
// gives, 0 × 0 for another chunk or one too short.
func webpSize(kind string, d []byte) (w, h int64) {
	le24 := func(b []byte) int64 { return int64(b[0]) | int64(b[1])<<8 | int64(b[2])<<16 }
	switch {
	case kind == "VP8X" && len(d) >= 10:
		return le24(d[4:7]) + 1, le24(d[7:10]) + 1
	case kind == "VP8L" && len(d) >= 5 && d[0] == 0x2F:
		bits := binary.LittleEndian.Uint32(d[1:5])
		return int64(bits&0x3FFF) + 1, int64(bits>>14&0x3FFF) + 1
	case kind == "VP8 " && len(d) >= 10 && string(d[3:6]) == "\x9d\x01\x2a":
		return int64(binary.LittleEndian.Uint16(d[6:8]) & 0x3FFF), int64(binary.LittleEndian.Uint16(d[8:10]) & 0x3FFF)
	}
	return 0, 0
}
