// Command heapgen writes a Go heap profile of a seeded, known shape for
// godbg-tui's pprof decoder tests and benchmarks.
//
// It allocates along -paths random call paths through the f00…f23 functions
// below (each //go:noinline, so every path is a distinct stack), with -sizes
// distinct object sizes per path, keeps one allocation in -keep alive, and
// writes the heap profile to -o. -rate sets runtime.MemProfileRate (1 records
// every allocation: the way to make a big profile). Odd sizes allocate through
// grow, which the compiler inlines, so those locations carry two lines.
// With -wait it then blocks, for a debugger to read its heap.
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"runtime/pprof"
)

type step func(p []uint8, size int)

var (
	steps [24]step
	sink  [][]byte
	count int
	every = 3
)

func keep(b []byte) {
	count++
	if count%every == 0 {
		sink = append(sink, b)
	}
}

func grow(size int) []byte {
	return make([]byte, size)
}

//go:noinline
func f00(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f01(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f02(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f03(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f04(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f05(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f06(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f07(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f08(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f09(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f10(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f11(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f12(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f13(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f14(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f15(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f16(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f17(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f18(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f19(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f20(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f21(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f22(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

//go:noinline
func f23(p []uint8, size int) {
	if len(p) > 0 {
		steps[p[0]](p[1:], size)
		return
	}
	if size%2 == 0 {
		keep(make([]byte, size))
	} else {
		keep(grow(size))
	}
}

func init() {
	steps = [24]step{f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, f10, f11, f12, f13, f14, f15, f16, f17, f18, f19, f20, f21, f22, f23}
}

func main() {
	rate := flag.Int("rate", 512*1024, "runtime.MemProfileRate")
	paths := flag.Int("paths", 200, "distinct call paths")
	depth := flag.Int("depth", 12, "longest call path")
	sizes := flag.Int("sizes", 4, "distinct object sizes per path")
	rounds := flag.Int("rounds", 3, "allocations per path and size")
	keepEvery := flag.Int("keep", 3, "keep one allocation in this many alive")
	seed := flag.Int64("seed", 1, "random seed")
	out := flag.String("o", "heap.pb.gz", "output file")
	wait := flag.Bool("wait", false, "after writing, block forever (for debugger tests and benchmarks)")
	flag.Parse()
	runtime.MemProfileRate = *rate
	every = *keepEvery
	rng := rand.New(rand.NewSource(*seed))
	for i := 0; i < *paths; i++ {
		p := make([]uint8, 1+rng.Intn(*depth))
		for j := range p {
			p[j] = uint8(rng.Intn(len(steps)))
		}
		base := 16 + rng.Intn(4096)
		for s := 0; s < *sizes; s++ {
			for r := 0; r < *rounds; r++ {
				steps[p[0]](p[1:], base+s*4096+i%2)
			}
		}
	}
	runtime.GC()
	f, err := os.Create(*out)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if *wait {
		fmt.Println("heapgen: profile written") // BREAK: written
		select {}
	}
	runtime.KeepAlive(sink)
}
