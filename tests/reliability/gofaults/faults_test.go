// Package gofaults holds the tests the reliability suite debugs in `dlv test` mode:
// one that runs until it is killed, one that fails and one that panics. Run one at a
// time with -test.run.
package gofaults

import (
	"fmt"
	"os"
	"testing"
	"time"
)

// tick is called every 50 ms by TestForever: the breakpoint target of running tests.
//
//go:noinline
func tick(n int) int {
	return n + 1
}

func TestForever(t *testing.T) {
	fmt.Printf("gofaults started pid=%d\n", os.Getpid())
	for n := 0; ; n = tick(n) {
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFails(t *testing.T) {
	t.Fatal("gofaults: deliberate failure")
}

func TestPanics(t *testing.T) {
	panic("gofaults: deliberate panic")
}
