package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/gen"
)

// builtBinary builds the command once per test binary: peak memory must be
// measured in a process of its own, whose rusage says what it used.
var builtBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "partnero-etl-bench-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "partnero-etl")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

// BenchmarkValidate runs `partnero-etl validate transactions` as a child
// process on generated files of 100k and 1M rows in each input format (one
// row in a thousand has a bad email, so the reject path is exercised) and
// reports rows per second of wall time and the child's peak RSS. Comparing
// the 100k and 1M figures shows what grows with the input: the reading,
// mapping and reject stages are bounded; the in-file duplicate index
// (mapping.Duplicates) holds a hash per distinct identity.
func BenchmarkValidate(b *testing.B) {
	bin, err := builtBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(filepath.Dir(bin)) })
	dir := b.TempDir()
	for _, format := range []string{"csv", "jsonl", "parquet"} {
		for _, n := range []int{100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/%dk", format, n/1000), func(b *testing.B) {
				path := filepath.Join(dir, fmt.Sprintf("tx-%d.%s", n, format))
				if _, err := os.Stat(path); err != nil {
					if err := gen.WriteTransactionsFile(context.Background(), path, format, n, gen.Options{BadEvery: 1000}); err != nil {
						b.Fatal(err)
					}
				}
				var elapsed time.Duration
				var peakKB int64
				runs := 0
				for b.Loop() {
					cmd := exec.Command(bin, "validate", "transactions", path, "--rejects", filepath.Join(dir, "rejects.csv"))
					start := time.Now()
					out, err := cmd.CombinedOutput()
					elapsed += time.Since(start)
					runs++
					if code := cmd.ProcessState.ExitCode(); code != exitRejects {
						b.Fatalf("exit code %d (%v), want %d:\n%s", code, err, exitRejects, out)
					}
					if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
						peakKB = max(peakKB, ru.Maxrss) // kilobytes on Linux
					}
				}
				b.ReportMetric(float64(n)*float64(runs)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(peakKB)/1024, "peakRSS-MB")
			})
		}
	}
}
