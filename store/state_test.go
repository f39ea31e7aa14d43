package store_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store/storetest"
)

type testState struct {
	Feeds  map[string]string
	Failed []string
	Next   time.Time
}

func TestState(t *testing.T) {
	s, dir := newStore(t)
	var v testState
	v.Failed = []string{"as it was"}
	if err := s.LoadState(&v); err != nil {
		t.Fatalf("LoadState with none saved: %v", err)
	}
	if !reflect.DeepEqual(v, testState{Failed: []string{"as it was"}}) {
		t.Errorf("LoadState with none saved changed the value to %+v", v)
	}

	saved := testState{
		Feeds:  map[string]string{"https://example.org/feed": `"etag-1"`},
		Failed: []string{"https://example.org/a", "https://example.org/世界"},
		Next:   time.Date(2024, 7, 26, 19, 35, 21, 442e6, time.UTC),
	}
	if err := s.SaveState(saved); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveState(saved); err != nil { // over an old one
		t.Fatal(err)
	}
	var got testState
	if err := s.LoadState(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, saved) {
		t.Errorf("LoadState = %+v, want %+v", got, saved)
	}
	storetest.CheckRepo(t, dir) // the state is not in the work tree

	// Saved by one Open, read by the next.
	s.Close()
	s = open(t, dir)
	got = testState{}
	if err := s.LoadState(&got); err != nil || !reflect.DeepEqual(got, saved) {
		t.Errorf("LoadState after reopening = %+v, %v", got, err)
	}

	if err := s.SaveState(func() {}); err == nil {
		t.Error("SaveState of a func succeeded")
	}
	if err := s.LoadState(&got); err != nil || !reflect.DeepEqual(got, saved) {
		t.Errorf("a failed SaveState changed the state to %+v, %v", got, err)
	}
}

func TestStateCorrupt(t *testing.T) {
	s, dir := newStore(t)
	file := filepath.Join(dir, ".git", "archiver", "state.json")
	storetest.WriteFile(t, file, `{"Feeds": {"x": `)
	var v testState
	err := s.LoadState(&v)
	if err == nil {
		t.Fatal("LoadState of a corrupt state succeeded")
	}
	if !strings.Contains(err.Error(), "set aside") {
		t.Errorf("the error does not say the state was set aside: %v", err)
	}
	if _, err := os.Stat(file); err == nil {
		t.Error("the corrupt state is still in place")
	}
	if data, err := os.ReadFile(file + ".broken"); err != nil || string(data) != `{"Feeds": {"x": ` {
		t.Errorf("the corrupt state was not kept aside: %q, %v", data, err)
	}

	v = testState{Failed: []string{"kept"}}
	if err := s.LoadState(&v); err != nil {
		t.Fatalf("LoadState after a corrupt state: %v", err)
	}
	if !reflect.DeepEqual(v, testState{Failed: []string{"kept"}}) {
		t.Errorf("the value became %+v", v)
	}
	if err := s.SaveState(testState{Failed: []string{"new"}}); err != nil {
		t.Fatal(err)
	}
	v = testState{}
	if err := s.LoadState(&v); err != nil || !reflect.DeepEqual(v.Failed, []string{"new"}) {
		t.Errorf("LoadState = %+v, %v", v, err)
	}
}
