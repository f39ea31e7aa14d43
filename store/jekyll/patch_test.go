package jekyll_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store/jekyll"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestAddURL: the earlier tool's post gains another URL and a source id;
// nothing else of it changes.
func TestAddURL(t *testing.T) {
	t.Parallel()
	arc := "https://www.rfa.org/mandarin/yataibaodao/junshiwaijiao/2024/07/26/southeast-asian-diplomats-meet/"
	data := []byte(storetest.SamplePost)
	for i := range 2 { // the second time, nothing changes
		edited, changed, err := jekyll.AddURL(data, arc, "ABCDEF")
		if err != nil || changed != (i == 0) {
			t.Fatalf("AddURL, time %d: changed %v, %v", i+1, changed, err)
		}
		data = edited
	}
	fm, err := jekyll.Parse(data)
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

	// A list written by a person, over several lines, grows.
	other := "https://www.rfa.org/mandarin/other/"
	edited := strings.Replace(string(data), `also_from: ["`+arc+`"]`, "also_from:\n  - "+arc, 1)
	data, _, err = jekyll.AddURL([]byte(edited), other, "")
	if err != nil {
		t.Fatal(err)
	}
	if fm, err := jekyll.Parse(data); err != nil || !slices.Equal(fm.Also, []string{arc, other}) {
		t.Errorf("also %v (%v):\n%s", fm.Also, err, data)
	}
}
