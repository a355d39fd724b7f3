// Package gofaults holds the tests the reliability suite debugs in `dlv test` mode:
// one that runs until it is killed, one that fails, one that panics and one that
// prints output meant to wreck a terminal. Run one at a time with -test.run.
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

// TestNoisyOutput prints what a terminal would obey (clear screen, leave the alternate
// screen, set the title, colours, C1 controls, bidi overrides, invalid UTF-8), then
// keeps running so the screen can be inspected.
func TestNoisyOutput(t *testing.T) {
	fmt.Print("\x1b[2J\x1b[H\x1b[?1049l\x1b]0;pwned-title\x07\x1b[31mSHOULD-NOT-BE-RED\x1b[0m \x9b2J \x07\x08 " +
		"\u202eevil-rtl \u200bzero-width \u6f22\u5b57 \U0001F389 e\u0301 \xff\xfe\r\n")
	fmt.Println("noisy output done")
	for {
		time.Sleep(time.Second)
	}
}
