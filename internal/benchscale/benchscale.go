// Package benchscale sizes the benchmarks from the BENCH_SCALE environment
// variable, so that `make bench` runs in minutes by default and at the sizes
// the performance goals are stated for when asked: BENCH_SCALE=quick (the
// default) or BENCH_SCALE=full (ten million rows and the long rate runs).
package benchscale

import (
	"os"
	"testing"
)

// Full reports whether BENCH_SCALE asks for full size; any value but
// "", "quick" and "full" stops the benchmark with an error saying so.
func Full(tb testing.TB) bool {
	switch s := os.Getenv("BENCH_SCALE"); s {
	case "", "quick":
		return false
	case "full":
		return true
	default:
		tb.Fatalf("BENCH_SCALE=%q: want quick or full", s)
		return false
	}
}

// Pick returns quick or full as BENCH_SCALE says.
func Pick[T any](tb testing.TB, quick, full T) T {
	if Full(tb) {
		return full
	}
	return quick
}
