package storetest_test

import (
	"testing"

	"github.com/rfa-archive/archiver/store/storetest"
)

func TestMemory(t *testing.T) {
	storetest.Suite(t, func(t *testing.T) (func() storetest.Store, *storetest.Memory) {
		m := storetest.NewMemory()
		return func() storetest.Store { return m }, m
	})
}
