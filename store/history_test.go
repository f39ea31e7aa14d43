package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestVersions: a post's versions, oldest first, followed across a
// relayout's rename (which is no version of its own), its removal a
// version without data.
func TestVersions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, dir := newStore(t)
	write := func(name string, data []byte, msg string) {
		t.Helper()
		if err := s.Write(name, data); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Commit(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	first, second := post("https://example.org/a"), append(post("https://example.org/a"), "更正。\n"...)
	write("2024-07-26-a.md", first, "Archive 1 new post")
	write("2024-07-26-b.md", post("https://example.org/b"), "Archive another")
	write("2024-07-26-a.md", second, "Update 1 post")
	if _, err := s.Relayout(ctx, map[string]string{"2024-07-26-a.md": "2024/07/2024-07-26-a.md"}, func(int) string { return "Relayout\n" }); err != nil {
		t.Fatal(err)
	}
	storetest.Git(t, dir, "rm", "--quiet", "_posts/2024/07/2024-07-26-a.md")
	storetest.Git(t, dir, "commit", "--quiet", "-m", "Take it down")

	var got []string
	err := s.Versions(ctx, "2024/07/2024-07-26-a.md", func(v store.Version) error {
		if len(v.Commit) != 40 || v.Date.IsZero() {
			t.Errorf("version %+v: want its commit and date", v)
		}
		got = append(got, fmt.Sprintf("%s %s %q", v.Subject, v.Path, v.Data))
		return nil
	})
	want := []string{
		fmt.Sprintf("Archive 1 new post _posts/2024-07-26-a.md %q", first),
		fmt.Sprintf("Update 1 post _posts/2024-07-26-a.md %q", second),
		`Take it down _posts/2024/07/2024-07-26-a.md ""`,
	}
	if err != nil || strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Versions = %v\n%s\nwant\n%s", err, strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if err := s.Versions(ctx, "2024/07/*.md", func(store.Version) error { t.Error("a pattern matched"); return nil }); err != nil {
		t.Errorf("Versions of a pattern: %v", err)
	}
}
