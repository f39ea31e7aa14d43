package history

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// diffTests are the cases of TestDiff.
var diffTests = []struct {
	name, a, b, want string
}{
	{
		name: "chinese by character",
		a:    "今天北京下雨",
		b:    "今天上海下雨",
		want: "    今天[-北京-]{+上海+}下雨\n",
	},
	{
		name: "paragraph inserted between unchanged ones",
		a:    "第一段。\n\n第三段。",
		b:    "第一段。\n\n第二段。\n\n第三段。",
		want: "    {+第二段。+}\n",
	},
	{
		name: "paragraph removed",
		a:    "第一段。\n\n第二段。\n\n第三段。",
		b:    "第一段。\n\n第三段。",
		want: "    [-第二段。-]\n",
	},
	{
		name: "two paragraphs edited",
		a:    "The cat sat.\n\n他去了北京。\n\nUnchanged.",
		b:    "The dog sat.\n\n他去了上海。\n\nUnchanged.",
		want: "    The [-cat-]{+dog+} sat.\n    他去了[-北京-]{+上海+}。\n",
	},
	{
		name: "edits at the start and the end",
		a:    "昨天北京下雨",
		b:    "今天北京下雪",
		want: "    [-昨-]{+今+}天北京下[-雨-]{+雪+}\n",
	},
	{
		name: "identical",
		a:    "第一段。\n\n第二段。",
		b:    "第一段。\n\n第二段。",
		want: "",
	},
	{
		name: "both empty",
		want: "",
	},
	{
		name: "trailing spaces and blank lines are no change",
		a:    "第一段。  \n\n第二段。\t\n",
		b:    "第一段。\n\n \n\n第二段。",
		want: "",
	},
	{
		name: "mixed ascii and chinese",
		a:    "RFA reported on 3 March that 北京 banned the app.",
		b:    "RFA reported on 4 March that 上海 banned the app.",
		want: "    RFA reported on [-3-]{+4+} March that [-北京-]{+上海+} banned the app.\n",
	},
	{
		name: "a run rewritten is one pair, not split at a character shared by chance",
		a:    "今天北京下雨",
		b:    "明日上海天晴",
		want: "    [-今天北京下雨-]{+明日上海天晴+}\n",
	},
	{
		name: "removed and added paragraphs paired in order, the rest whole",
		a:    "Alpha.\n\nBeta.\n\nKept.",
		b:    "Alpha!\n\nBeta!\n\nGamma.\n\nKept.",
		want: "    Alpha[-.-]{+!+}\n    Beta[-.-]{+!+}\n    {+Gamma.+}\n",
	},
	{
		name: "soft line break kept",
		a:    "第一行\n第二行",
		b:    "第一行\n第三行",
		want: "    第一行\n第[-二-]{+三+}行\n",
	},
	{
		name: "all removed",
		a:    "甲。\n\n乙。",
		want: "    [-甲。-]\n    [-乙。-]\n",
	},
	{
		name: "invalid utf-8 bytes differ",
		a:    "a\xffb",
		b:    "a\xfeb",
		want: "    a[-\xff-]{+\xfe+}b\n",
	},
}

func TestDiff(t *testing.T) {
	t.Parallel()
	for _, tt := range diffTests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Diff(tt.a, tt.b); got != tt.want {
				t.Errorf("Diff(%q, %q)\n got %q\nwant %q", tt.a, tt.b, got, tt.want)
			}
		})
	}
}

// TestDiffBounded checks that paragraphs too long or too different to
// compare by character are shown whole, and that those within the bounds
// are not.
func TestDiffBounded(t *testing.T) {
	t.Parallel()
	long := randomText(1, maxRunes, 1000)
	tests := []struct {
		name, a, b, want string
	}{
		{
			name: "unrelated paragraphs of the longest size",
			a:    long,
			b:    randomText(2, maxRunes, 1000),
			want: "    [-" + long + "-]{+" + randomText(2, maxRunes, 1000) + "+}\n",
		},
		{
			name: "unrelated paragraphs of two letters",
			a:    randomText(3, maxRunes, 2),
			b:    randomText(4, maxRunes, 2),
			want: "    [-" + randomText(3, maxRunes, 2) + "-]{+" + randomText(4, maxRunes, 2) + "+}\n",
		},
		{
			name: "one character changed in the longest paragraph",
			a:    long,
			b:    long[:30000] + "X" + long[30003:],
			want: "    " + long[:30000] + "[-" + long[30000:30003] + "-]{+X+}" + long[30003:] + "\n",
		},
		{
			name: "one character changed in a paragraph too long",
			a:    long + "甲",
			b:    long + "乙",
			want: "    [-" + long + "甲-]{+" + long + "乙+}\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Diff(tt.a, tt.b); got != tt.want {
				t.Errorf("Diff: got %d bytes starting %.80q, want %d bytes starting %.80q", len(got), got, len(tt.want), tt.want)
			}
		})
	}
}

// TestDiffManyParagraphs checks that texts too different to align by
// paragraph have their paragraphs paired in order, the equal ones not shown.
func TestDiffManyParagraphs(t *testing.T) {
	t.Parallel()
	var a, b, want strings.Builder
	for i := range 3000 {
		p := "段落 " + strconv.Itoa(i)
		a.WriteString(p + "\n\n")
		if i == 1500 {
			b.WriteString(p + "\n\n")
			continue
		}
		b.WriteString(p + "。\n\n")
		want.WriteString("    " + p + "{+。+}\n")
	}
	if got := Diff(a.String(), b.String()); got != want.String() {
		t.Errorf("Diff: got %d bytes starting %.80q, want %d bytes starting %.80q", len(got), got, want.Len(), want.String())
	}
}

// TestMatchesShortest checks the matches against the longest common
// subsequence found the slow way, on many small random pairs.
func TestMatchesShortest(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	for range 2000 {
		a, b := randomInts(r, 12, 3), randomInts(r, 12, 3)
		ms, ok := matches(a, b, 100)
		if !ok {
			t.Fatalf("matches(%v, %v): gave up within the limit", a, b)
		}
		n, ia, ib := 0, 0, 0
		for _, m := range ms {
			if m.N <= 0 || m.A < ia || m.B < ib {
				t.Fatalf("matches(%v, %v) = %v: out of order", a, b, ms)
			}
			for i := range m.N {
				if a[m.A+i] != b[m.B+i] {
					t.Fatalf("matches(%v, %v) = %v: %v is not a match", a, b, ms, m)
				}
			}
			n, ia, ib = n+m.N, m.A+m.N, m.B+m.N
		}
		if want := lcs(a, b); n != want {
			t.Fatalf("matches(%v, %v) = %v: %d matched, want %d", a, b, ms, n, want)
		}
	}
}

func TestMatchesLimit(t *testing.T) {
	t.Parallel()
	a := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	b := []int{1, 20, 3, 40, 5, 60, 7, 80, 9, 100} // 10 edits
	if _, ok := matches(a, b, 10); !ok {
		t.Errorf("matches with 10 edits, limit 10: gave up")
	}
	if _, ok := matches(a, b, 6); ok {
		t.Errorf("matches with 10 edits, limit 6: did not give up")
	}
	if _, ok := matches(a, []int{11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 10); ok {
		t.Errorf("matches with nothing in common, 20 edits, limit 10: did not give up")
	}
}

// BenchmarkDiff measures an article's usual edit and the worst cases the
// bounds allow.
func BenchmarkDiff(b *testing.B) {
	article := strings.Repeat(randomText(7, 300, 3000)+"\n\n", 10)
	edited := strings.Replace(article, "\n\n", "\n\n新增的一段。\n\n", 1)
	edited = strings.Replace(edited, string([]rune(article)[50:60]), "改了几个字", 1)
	cases := []struct{ name, a, b string }{
		{"article-edit", article, edited},
		{"unrelated-20000", randomText(1, maxRunes, 1000), randomText(2, maxRunes, 1000)},
		{"two-letters-20000", randomText(3, maxRunes, 2), randomText(4, maxRunes, 2)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				Diff(c.a, c.b)
			}
		})
	}
}

// randomText is n runes drawn from the first letters of the CJK block,
// the same for the same seed.
func randomText(seed uint64, n, letters int) string {
	r := rand.New(rand.NewPCG(seed, seed))
	rs := make([]rune, n)
	for i := range rs {
		rs[i] = 0x4E00 + rune(r.IntN(letters))
	}
	return string(rs)
}

// randomInts is up to n numbers below k.
func randomInts(r *rand.Rand, n, k int) []int {
	out := make([]int, r.IntN(n+1))
	for i := range out {
		out[i] = r.IntN(k)
	}
	return out
}

// lcs is the length of the longest common subsequence of a and b, by
// dynamic programming.
func lcs(a, b []int) int {
	prev, cur := make([]int, len(b)+1), make([]int, len(b)+1)
	for i := range a {
		for j := range b {
			if a[i] == b[j] {
				cur[j+1] = prev[j] + 1
			} else {
				cur[j+1] = max(prev[j+1], cur[j])
			}
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
