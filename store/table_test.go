package store

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// testKeys gives a post the keys a test finds it by.
func testKeys(p Post) []string {
	keys := []string{"id:" + p.SourceID}
	for _, a := range p.Also {
		keys = append(keys, "also:"+a)
	}
	return keys
}

// writeTestTable writes a table of n posts at path.
func writeTestTable(t *testing.T, path string, n int) {
	t.Helper()
	tw, err := newTableWriter(path)
	if err != nil {
		t.Fatal(err)
	}
	tt := &table{keys: testKeys}
	for i := range n {
		p := Post{Name: fmt.Sprintf("2024/%02d/2024-%02d-01-s%d.md", 1+i%12, 1+i%12, i), From: fmt.Sprintf("https://example.org/%d", i),
			SourceID: fmt.Sprint("S", i%(n-1)), Title: fmt.Sprint("第", i, "篇"), Also: []string{fmt.Sprint("https://old.example.org/", i)}}
		if i == 7 {
			p.Name = "2024-01-01-flat.md"
		}
		if err := tw.add(&p, tt.hashes(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.finish(path, "TREE", "HEAD", "v1"); err != nil {
		t.Fatal(err)
	}
}

// TestTable: every post of a table of thousands is found by its name
// and each of its keys, however many posts share a key; changes since
// the file count at once, and are saved and read back beside it.
func TestTable(t *testing.T) {
	t.Parallel()
	const n = 5000
	path := filepath.Join(t.TempDir(), tableFile)
	writeTestTable(t, path, n)
	if _, err := openTable(path, "v2", testKeys); err == nil {
		t.Error("a table of keys of another version opened")
	}
	tb, err := openTable(path, "v1", testKeys)
	if err != nil {
		t.Fatal(err)
	}
	defer tb.close()
	if all, nested := tb.count(); all != n || nested != n-1 || tb.tree != "TREE" || tb.head != "HEAD" {
		t.Fatalf("count %d, %d; tree %q head %q", all, nested, tb.tree, tb.head)
	}
	for i := range n {
		name := fmt.Sprintf("2024/%02d/2024-%02d-01-s%d.md", 1+i%12, 1+i%12, i)
		if i == 7 {
			name = "2024-01-01-flat.md"
		}
		if p, ok := tb.get(name); !ok || p.From != fmt.Sprintf("https://example.org/%d", i) || p.Title != fmt.Sprint("第", i, "篇") {
			t.Fatalf("get(%s) = %+v, %v", name, p, ok)
		}
		if got := tb.find("also:" + fmt.Sprint("https://old.example.org/", i)); !slices.Equal(got, []string{name}) {
			t.Fatalf("find(also %d) = %q", i, got)
		}
		if got := tb.find(fromKey(fmt.Sprintf("https://example.org/%d", i))); !slices.Equal(got, []string{name}) {
			t.Fatalf("find(from %d) = %q", i, got)
		}
	}
	if got := tb.find("id:S0"); len(got) != 2 { // posts 0 and n-1
		t.Errorf("find of a key two posts have = %q", got)
	}
	if _, ok := tb.get("2024/01/2024-01-01-none.md"); ok || len(tb.find("id:none")) != 0 {
		t.Error("found what is not there")
	}

	// Changes: one removed, one changed, one new.
	tb.remove("2024-01-01-flat.md")
	changed, _ := tb.get("2024/02/2024-02-01-s1.md")
	changed.SourceID = "NEW"
	tb.put(changed)
	tb.put(Post{Name: "2025/01/2025-01-01-new.md", From: "https://example.org/new", SourceID: "S5"})
	check := func(tb *table) {
		t.Helper()
		if all, nested := tb.count(); all != n || nested != n {
			t.Errorf("count after the changes = %d, %d", all, nested)
		}
		if _, ok := tb.get("2024-01-01-flat.md"); ok || len(tb.find(fromKey("https://example.org/7"))) != 0 {
			t.Error("a removed post is found")
		}
		if got := tb.find("id:S1"); len(got) != 0 {
			t.Errorf("a changed post is found by its old key: %q", got)
		}
		if got := tb.find("id:NEW"); !slices.Equal(got, []string{"2024/02/2024-02-01-s1.md"}) {
			t.Errorf("find of a changed post's new key = %q", got)
		}
		if got := tb.find("id:S5"); !slices.Equal(got, []string{"2024/06/2024-06-01-s5.md", "2025/01/2025-01-01-new.md"}) {
			t.Errorf("find of a key of the file and of a new post = %q", got)
		}
		seen := 0
		tb.each(func(p Post) { seen++ })
		if seen != n {
			t.Errorf("each gave %d posts, want %d", seen, n)
		}
	}
	check(tb)

	delta := filepath.Join(filepath.Dir(path), deltaFile)
	if err := tb.saveDelta(delta, "TREE2", "HEAD2"); err != nil {
		t.Fatal(err)
	}
	again, err := openTable(path, "v1", testKeys)
	if err != nil {
		t.Fatal(err)
	}
	defer again.close()
	if tree, head := again.loadDelta(delta); tree != "TREE2" || head != "HEAD2" {
		t.Errorf("the changes bring the table to %s %s", tree, head)
	}
	check(again)
}

// FuzzTable opens any file as a table, with any changes beside it: it
// fails or reads, never panics, and asks no more memory than the file.
func FuzzTable(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, tableFile)
	tw, _ := newTableWriter(path)
	p := Post{Name: "2024-01-01-a.md", From: "https://example.org/a", Also: []string{"x"}}
	tw.add(&p, []uint64{keyHash(nameKey(p.Name)), keyHash("k")})
	tw.finish(path, "T", "H", "v")
	good, _ := os.ReadFile(path)
	f.Add(good, []byte(deltaMagic))
	f.Add(good[:len(good)-3], []byte(nil))
	f.Fuzz(func(t *testing.T, file, delta []byte) {
		dir := t.TempDir()
		path := filepath.Join(dir, tableFile)
		os.WriteFile(path, file, 0o644)
		os.WriteFile(filepath.Join(dir, deltaFile), delta, 0o644)
		tb, err := openTable(path, "v", func(Post) []string { return []string{"k"} })
		if err != nil {
			return
		}
		defer tb.close()
		tb.loadDelta(filepath.Join(dir, deltaFile))
		tb.get("2024-01-01-a.md")
		tb.find("k")
		tb.count()
		tb.each(func(Post) {})
	})
}

// TestKeyHash: the hash of keys is FNV-1a, as the files of tables
// written before say.
func TestKeyHash(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"", "a", "\x00name\x002024/01/2024-01-01-a.md", "标题"} {
		h := fnv.New64a()
		h.Write([]byte(k))
		if keyHash(k) != h.Sum64() {
			t.Errorf("keyHash(%q) = %x, FNV-1a %x", k, keyHash(k), h.Sum64())
		}
	}
}
