package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
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

// watchPeakRSS polls the child's VmHWM (its peak resident set, in kB)
// until stop is called. The child's rusage cannot be used: Linux starts a
// process's ru_maxrss from the RSS of the process it was forked from, here
// the benchmark itself. VmHWM only grows, so at most the last few
// milliseconds of the run can be missed.
func watchPeakRSS(pid int) (stop func() int64) {
	var peak atomic.Int64
	done := make(chan struct{})
	finished := make(chan struct{})
	status := fmt.Sprintf("/proc/%d/status", pid)
	go func() {
		defer close(finished)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			if kb := vmHWM(status); kb > peak.Load() {
				peak.Store(kb)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() int64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// vmHWM reads VmHWM in kB from a /proc status file (0 if unreadable).
func vmHWM(path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// BenchmarkValidate runs `partnero-etl validate transactions` as a child
// process on generated files of 100k and 1M rows in each input format (one
// row in a thousand has a bad email, so the reject path is exercised) and
// reports rows per second of wall time and the child's peak RSS (VmHWM). Comparing
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
					var out bytes.Buffer
					cmd.Stdout, cmd.Stderr = &out, &out
					start := time.Now()
					if err := cmd.Start(); err != nil {
						b.Fatal(err)
					}
					stop := watchPeakRSS(cmd.Process.Pid)
					err := cmd.Wait()
					elapsed += time.Since(start)
					peakKB = max(peakKB, stop())
					runs++
					if code := cmd.ProcessState.ExitCode(); code != exitRejects {
						b.Fatalf("exit code %d (%v), want %d:\n%s", code, err, exitRejects, out.String())
					}
				}
				b.ReportMetric(float64(n)*float64(runs)/elapsed.Seconds(), "rows/s")
				b.ReportMetric(float64(peakKB)/1024, "peakRSS-MB")
			})
		}
	}
}
