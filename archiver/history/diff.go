package history

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// The bounds that keep a diff cheap whatever the texts: a pair of
// paragraphs is compared by character only if each has at most maxRunes
// runes and they differ by at most maxEdits insertions and deletions, and
// two texts are aligned by paragraph only if they differ by at most
// maxEdits paragraphs. Past a bound the diff is coarser, never slower.
const (
	maxEdits = 2000
	maxRunes = 20000
)

// indent starts each line of a diff.
const indent = "    "

// Diff is the change from a to b, two texts of Markdown paragraphs (separated by blank lines), for a
// person to read: one line per changed paragraph, each starting with four spaces, the
// changed characters marked inline as git's --word-diff=plain marks words: [-removed-]{+added+}.
// Paragraphs that did not change are not shown. Chinese has no spaces, so
// the diff is by character (rune), not by word: in "今天北京下雨" → "今天上海下雨" only
// "北京" and "上海" are marked: "    今天[-北京-]{+上海+}下雨".
// A paragraph added whole is "    {+…+}", one removed whole "    [-…-]".
//
// Each line ends with a newline; a paragraph's own line breaks are kept,
// so its line may span several. White space at the ends of lines and the
// number of blank lines between paragraphs are not changes. Equal texts
// give "".
func Diff(a, b string) string {
	pa, pb := paragraphs(a), paragraphs(b)
	ids := make(map[string]int)
	ms, ok := matches(intern(pa, ids), intern(pb, ids), maxEdits)
	if !ok {
		ms = nil // pair the paragraphs in order
	}
	var sb strings.Builder
	ia, ib := 0, 0
	for _, m := range append(ms, match{A: len(pa), B: len(pb)}) {
		writeParagraphs(&sb, pa[ia:m.A], pb[ib:m.B])
		ia, ib = m.A+m.N, m.B+m.N
	}
	return sb.String()
}

// paragraphs splits s on blank lines (empty or only white space), each
// line with its trailing white space trimmed.
func paragraphs(s string) []string {
	var paras, lines []string
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.TrimRightFunc(line, unicode.IsSpace)
		if line != "" {
			lines = append(lines, line)
			continue
		}
		if len(lines) > 0 {
			paras = append(paras, strings.Join(lines, "\n"))
			lines = lines[:0]
		}
	}
	if len(lines) > 0 {
		paras = append(paras, strings.Join(lines, "\n"))
	}
	return paras
}

// intern numbers the paragraphs ps, equal paragraphs alike, so that
// aligning them compares numbers rather than texts.
func intern(ps []string, ids map[string]int) []int {
	out := make([]int, len(ps))
	for i, p := range ps {
		id, ok := ids[p]
		if !ok {
			id = len(ids)
			ids[p] = id
		}
		out[i] = id
	}
	return out
}

// writeParagraphs writes the lines of a run of paragraphs removed, then
// added, in one place: the first removed paired with the first added and
// compared by character, and so on; those left over are shown whole.
func writeParagraphs(sb *strings.Builder, gone, added []string) {
	for i := range max(len(gone), len(added)) {
		switch {
		case i >= len(added):
			sb.WriteString(indent + "[-" + gone[i] + "-]\n")
		case i >= len(gone):
			sb.WriteString(indent + "{+" + added[i] + "+}\n")
		case gone[i] != added[i]: // equal only where the alignment gave up
			sb.WriteString(indent)
			writeChars(sb, gone[i], added[i])
			sb.WriteString("\n")
		}
	}
}

// writeChars writes paragraph a changed into b, the changed characters
// marked; past the bounds, all of a removed and all of b added.
func writeChars(sb *strings.Builder, a, b string) {
	if utf8.RuneCountInString(a) > maxRunes || utf8.RuneCountInString(b) > maxRunes {
		sb.WriteString("[-" + a + "-]{+" + b + "+}")
		return
	}
	ta, tb := decode(a), decode(b)
	ms, ok := matches(ta.r, tb.r, maxEdits)
	if !ok {
		sb.WriteString("[-" + a + "-]{+" + b + "+}")
		return
	}
	ia, ib := 0, 0
	for _, m := range append(tidy(ms, len(ta.r), len(tb.r)), match{A: len(ta.r), B: len(tb.r)}) {
		if m.A > ia {
			sb.WriteString("[-" + ta.cut(ia, m.A) + "-]")
		}
		if m.B > ib {
			sb.WriteString("{+" + tb.cut(ib, m.B) + "+}")
		}
		sb.WriteString(ta.cut(m.A, m.A+m.N))
		ia, ib = m.A+m.N, m.B+m.N
	}
}

// text is a paragraph as runes, with where each starts, so that the
// marked output is cut from the paragraph's own bytes.
type text struct {
	s   string
	r   []rune
	off []int // off[i] is where rune i starts in s; off[len(r)] is len(s)
}

// decode splits s into runes. A byte that is not UTF-8 is a rune of its
// own, negative, so that two different such bytes do not compare equal.
func decode(s string) text {
	n := utf8.RuneCountInString(s)
	t := text{s: s, r: make([]rune, 0, n), off: make([]int, 0, n+1)}
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			c = -1 - rune(s[i])
		}
		t.r = append(t.r, c)
		t.off = append(t.off, i)
		i += size
	}
	t.off = append(t.off, len(s))
	return t
}

// cut is the text of runes i to j.
func (t text) cut(i, j int) string { return t.s[t.off[i]:t.off[j]] }

// match says that a[A:A+N] equals b[B:B+N].
type match struct{ A, B, N int }

// tidy drops each match shorter than the edits on both its sides, until
// none is left: a run rewritten shares a character or two with its
// replacement by chance, and marking around them would cut it into bits
// of no meaning. n and m are the lengths of the two sequences.
func tidy(ms []match, n, m int) []match {
	for {
		var dropped bool
		ms, dropped = tidyOnce(ms, n, m)
		if !dropped {
			return ms
		}
	}
}

// tidyOnce is one pass of tidy, which reports whether it dropped any match.
func tidyOnce(ms []match, n, m int) ([]match, bool) {
	var kept []match
	ea, eb := 0, 0 // where the last match kept ends
	for i, cur := range ms {
		na, nb := n, m
		if i+1 < len(ms) {
			na, nb = ms[i+1].A, ms[i+1].B
		}
		before := max(cur.A-ea, cur.B-eb)
		after := max(na-cur.A-cur.N, nb-cur.B-cur.N)
		if cur.N < before && cur.N < after {
			continue
		}
		kept = append(kept, cur)
		ea, eb = cur.A+cur.N, cur.B+cur.N
	}
	return kept, len(kept) < len(ms)
}

// matches is what a and b share along a shortest edit script, in order,
// by Myers' O(ND) algorithm in linear space ("An O(ND) Difference
// Algorithm and Its Variations", 1986, §4b). ok is false when the script
// would need more than about limit insertions and deletions; the search
// stops there, so it costs O((len(a)+len(b))·limit) time at most.
func matches[T comparable](a, b []T, limit int) (ms []match, ok bool) {
	d := differ[T]{a: a, b: b, limit: limit}
	if !d.diff(0, len(a), 0, len(b)) {
		return nil, false
	}
	return d.ms, true
}

// differ gathers the matches between a and b.
type differ[T comparable] struct {
	a, b  []T
	limit int
	ms    []match
}

// diff adds the matches between a[a0:a1] and b[b0:b1], or reports false
// past the limit.
func (d *differ[T]) diff(a0, a1, b0, b1 int) bool {
	if abs((a1-a0)-(b1-b0)) > d.limit {
		return false
	}
	p := 0
	for a0+p < a1 && b0+p < b1 && d.a[a0+p] == d.b[b0+p] {
		p++
	}
	d.add(a0, b0, p)
	a0, b0 = a0+p, b0+p
	s := 0
	for a1-s > a0 && b1-s > b0 && d.a[a1-s-1] == d.b[b1-s-1] {
		s++
	}
	a1, b1 = a1-s, b1-s
	if a0 < a1 && b0 < b1 {
		x, y, ok := bisect(d.a[a0:a1], d.b[b0:b1], d.limit)
		if !ok {
			// Either nothing in common, or too much changed to look.
			if (a1-a0)+(b1-b0) > d.limit {
				return false
			}
		} else if !d.diff(a0, a0+x, b0, b0+y) || !d.diff(a0+x, a1, b0+y, b1) {
			return false
		}
	}
	d.add(a1, b1, s)
	return true
}

// add adds the match of n elements at a[i:] and b[j:], joined to the last
// one if it follows on.
func (d *differ[T]) add(i, j, n int) {
	if n == 0 {
		return
	}
	if k := len(d.ms) - 1; k >= 0 && d.ms[k].A+d.ms[k].N == i && d.ms[k].B+d.ms[k].N == j {
		d.ms[k].N += n
		return
	}
	d.ms = append(d.ms, match{A: i, B: j, N: n})
}

// bisect finds a point (x, y) midway along a shortest edit script from a
// to b, by following the furthest reaching paths from both ends, one more
// edit at a time, until they meet. a and b must be non-empty. ok is false
// when they do not meet within about limit edits, or at all: then a and b
// have nothing in common, or more than limit edits part them.
func bisect[T comparable](a, b []T, limit int) (x, y int, ok bool) {
	n, m := len(a), len(b)
	dmax := min((n+m+1)/2, (limit+1)/2+1)
	off, delta := dmax, n-m
	odd := delta%2 != 0
	// fwd[off+k] is how far along a the forward path on diagonal k
	// (x-y = k) reaches; bwd the same for the backward path, measured from
	// the ends.
	fwd, bwd := paths(2*dmax+2, off), paths(2*dmax+2, off)
	var fLo, fHi, bLo, bHi int // diagonals dropped at each side, their paths off the grid
	for d := range dmax {
		for k := -d + fLo; k <= d-fHi; k += 2 {
			x := start(fwd, off+k, k, d)
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			fwd[off+k] = x
			switch {
			case x > n:
				fHi += 2
			case y > m:
				fLo += 2
			case odd && reached(bwd, off+delta-k, n-x):
				return x, y, true
			}
		}
		for k := -d + bLo; k <= d-bHi; k += 2 {
			x := start(bwd, off+k, k, d)
			y := x - k
			for x < n && y < m && a[n-x-1] == b[m-y-1] {
				x, y = x+1, y+1
			}
			bwd[off+k] = x
			switch {
			case x > n:
				bHi += 2
			case y > m:
				bLo += 2
			case !odd && reached(fwd, off+delta-k, n-x):
				fx := fwd[off+delta-k]
				return fx, fx - (delta - k), true
			}
		}
	}
	return 0, 0, false
}

// paths is the furthest reach of the paths of no edit: 0 on diagonal 0,
// which is at off, and -1, none yet, on the others.
func paths(size, off int) []int {
	v := make([]int, size)
	for i := range v {
		v[i] = -1
	}
	v[off+1] = 0
	return v
}

// start is where the path of d edits on diagonal k, at v[i], begins: one
// step on from the further reaching of its neighbours' paths of d-1 edits.
func start(v []int, i, k, d int) int {
	if k == -d || (k != d && v[i-1] < v[i+1]) {
		return v[i+1] // down, inserting
	}
	return v[i-1] + 1 // right, deleting
}

// reached reports whether the path of the other direction at v[i] has
// come to x or past it, from its end: the two paths meet.
func reached(v []int, i, x int) bool {
	return i >= 0 && i < len(v) && v[i] != -1 && v[i] >= x
}

// abs is |n|.
func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
