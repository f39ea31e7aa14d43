package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rfa-archive/archiver/store"
	"github.com/rfa-archive/archiver/store/storetest"
)

// holdEnv, set, makes the test binary a process that opens the store at
// its value, says "locked" and waits to be killed: another archiver.
const holdEnv = "STORE_TEST_HOLD_LOCK"

func TestMain(m *testing.M) {
	if dir := os.Getenv(holdEnv); dir != "" {
		s, err := store.Open(context.Background(), options(dir))
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		defer s.Close()
		fmt.Println("locked")
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	home, err := os.MkdirTemp("", "store-test-home-")
	if err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	storetest.CleanProcessEnv(home) // the tests may run in parallel
	code := m.Run()
	removeBigStore()
	os.RemoveAll(home)
	os.Exit(code)
}

func TestLockBusy(t *testing.T) {
	t.Parallel()
	first, dir := newStore(t)
	s, err := store.Open(context.Background(), options(dir))
	if !errors.Is(err, store.ErrBusy) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("second Open = %v, want ErrBusy", err)
	}

	// With a wait that ends before the first closes.
	opts := options(dir)
	opts.LockWait = 150 * time.Millisecond
	s, err = store.Open(context.Background(), opts)
	if !errors.Is(err, store.ErrBusy) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open with a short wait = %v, want ErrBusy", err)
	}

	// A cancelled wait ends with the context's error.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	opts.LockWait = time.Minute
	s, err = store.Open(ctx, opts)
	if !errors.Is(err, context.Canceled) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open with a cancelled context = %v, want context.Canceled", err)
	}

	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, dir)
}

func TestLockWait(t *testing.T) {
	t.Parallel()
	first, dir := newStore(t)
	var closing atomic.Bool
	done := make(chan error, 1)
	time.AfterFunc(200*time.Millisecond, func() {
		closing.Store(true)
		done <- first.Close()
	})
	opts := options(dir)
	opts.LockWait = time.Minute
	s, err := store.Open(context.Background(), opts)
	if err != nil {
		t.Fatalf("Open while waiting: %v", err)
	}
	defer s.Close()
	if !closing.Load() {
		t.Error("the second Open got the lock while the first held it")
	}
	if err := <-done; err != nil {
		t.Errorf("Close: %v", err)
	}
	// The new holder keeps others out in turn.
	if s2, err := store.Open(context.Background(), options(dir)); !errors.Is(err, store.ErrBusy) {
		if err == nil {
			s2.Close()
		}
		t.Errorf("third Open = %v, want ErrBusy", err)
	}
}

// TestLockDiesWithHolder checks the lock is the OS's: a holder killed
// before it can close frees it.
func TestLockDiesWithHolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	open(t, dir).Close() // create it, so the child only has to lock it

	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("the child said %q, %v", line, err)
	}

	if s, err := store.Open(context.Background(), options(dir)); !errors.Is(err, store.ErrBusy) {
		if err == nil {
			s.Close()
		}
		t.Fatalf("Open while the child holds the lock = %v, want ErrBusy", err)
	}
	if err := cmd.Process.Signal(os.Kill); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	s, err := store.Open(context.Background(), options(dir))
	if err != nil {
		t.Fatalf("Open after the holder was killed: %v", err)
	}
	s.Close()
}
