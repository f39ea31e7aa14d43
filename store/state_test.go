package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// TestSuite runs the store suite against the git store.
func TestSuite(t *testing.T) {
	t.Parallel()
	storetest.Suite(t, func(t *testing.T) (func() storetest.Store, string) {
		dir := filepath.Join(t.TempDir(), "archive")
		return func() storetest.Store { return open(t, dir) }, dir
	})
}

func TestStateCorrupt(t *testing.T) {
	t.Parallel()
	s, dir := newStore(t)
	file := filepath.Join(dir, ".git", "archiver", "state.json")
	storetest.WriteFile(t, file, `{"feeds": {"x": `)
	var v map[string]string
	err := s.LoadState("feeds", &v)
	if err == nil || !strings.Contains(err.Error(), "set aside") {
		t.Fatalf("LoadState of a corrupt state = %v, want it set aside", err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("the corrupt state is still in place")
	}
	if data, err := os.ReadFile(file + ".broken"); err != nil || string(data) != `{"feeds": {"x": ` {
		t.Errorf("the corrupt state was not kept aside: %q, %v", data, err)
	}
	if err := s.SaveState(map[string]any{"feeds": map[string]string{"new": "1"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.LoadState("feeds", &v); err != nil || v["new"] != "1" {
		t.Errorf("LoadState = %+v, %v", v, err)
	}

	// A section that is not what it should be is dropped; the others stay.
	storetest.WriteFile(t, file, `{"feeds": [1, 2], "seen": {"a": "b"}}`)
	s.Close()
	s = open(t, dir)
	if err := s.LoadState("feeds", &v); err == nil {
		t.Error("LoadState of a broken section succeeded")
	}
	var seen map[string]string
	if err := s.LoadState("seen", &seen); err != nil || seen["a"] != "b" {
		t.Errorf("another section = %v, %v", seen, err)
	}
	peek, err := store.ReadState(context.Background(), dir)
	if err != nil || peek.LoadState("seen", &seen) != nil || peek.LoadState("feeds", &v) == nil {
		t.Errorf("ReadState = %v, %v", peek, err)
	}
}
