package store_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestAddURL: the earlier tool's post gains another URL and a source id;
// nothing else of it changes, and it is known by both URLs.
func TestAddURL(t *testing.T) {
	dir := t.TempDir()
	name := "2024-07-26-hx2-southeast-asian-diplomats-meet-07262024084201.md"
	storetest.WriteFile(t, filepath.Join(dir, store.PostsDir, name), storetest.SamplePost)
	s := open(t, dir)
	arc := "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/2024/07/26/southeast-asian-diplomats-meet/"
	for range 2 { // the second time, nothing changes
		if _, err := s.AddURL(name, arc, "ABCDEF"); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := s.Read(name)
	fm, err := store.ParseFrontMatter(data)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fm.Also, []string{arc}) || fm.SourceID != "ABCDEF" || fm.From != storetest.SampleFrom {
		t.Errorf("also %q, source id %q, from %q", fm.Also, fm.SourceID, fm.From)
	}
	lines := strings.Split(string(data), "\n")
	want := strings.Split(storetest.SamplePost, "\n")
	added := slices.DeleteFunc(slices.Clone(lines), func(l string) bool { return slices.Contains(want, l) })
	if len(lines) != len(want)+2 || len(added) != 2 {
		t.Errorf("lines added %q; the file:\n%s", added, data)
	}
	if p, _ := s.Post(name); !slices.Equal(p.Also, []string{arc}) {
		t.Errorf("the store knows %+v", p)
	}
	if _, err := s.Commit(context.Background(), "Add a URL\n"); err != nil {
		t.Fatal(err)
	}
	storetest.CheckRepo(t, dir)

	// A list written by a person, over several lines, grows.
	other := "https://www.rfa.org/mandarin/other/"
	edited := strings.Replace(string(data), `also_from: ["`+arc+`"]`, "also_from:\n  - "+arc, 1)
	if err := s.Write(name, []byte(edited)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddURL(name, other, ""); err != nil {
		t.Fatal(err)
	}
	data, _ = s.Read(name)
	if fm, err := store.ParseFrontMatter(data); err != nil || !slices.Equal(fm.Also, []string{arc, other}) {
		t.Errorf("also %v (%v):\n%s", fm.Also, err, data)
	}
}
