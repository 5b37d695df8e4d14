//go:build unix

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/benchscale"
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
// process on generated files in each input format (one row in a thousand
// has a bad email, so the reject path is exercised) and reports rows per
// second of wall time, the child's peak RSS (VmHWM), what each row past the
// previous size of its format added to that peak (RSS-B/row: the duplicate
// index keeps a bounded table and spills to a temporary file, so that stays
// small), and for CSV the time
// beside a bare encoding/csv read of the same file in this process
// (x-bare-read: wall time, the best of the runs of each, taken in turn so
// that both see the same load; x-bare-cpu: CPU time, which a busy machine
// disturbs less).
//
// BENCH_SCALE=quick (the default) runs 100k and 1M rows and a CSV of 3M;
// full makes that CSV 10M rows (about 1.2 GB in the temporary folder).
func BenchmarkValidate(b *testing.B) {
	bin, err := builtBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = os.RemoveAll(filepath.Dir(bin)) })
	dir := b.TempDir()
	type size struct {
		format string
		n      int
	}
	// The largest CSV shows what rows add once the duplicate index's table
	// is full (past about 800,000 identities) and spills.
	largestCSV := benchscale.Pick(b, 3_000_000, 10_000_000)
	sizes := []size{{"csv", 100_000}, {"csv", 1_000_000}, {"csv", largestCSV}, {"jsonl", 100_000}, {"jsonl", 1_000_000}, {"parquet", 100_000}, {"parquet", 1_000_000}}
	peaks := map[size]int64{}
	for _, sz := range sizes {
		format, n := sz.format, sz.n
		b.Run(fmt.Sprintf("%s/%s", format, rowsName(n)), func(b *testing.B) {
			path := filepath.Join(dir, fmt.Sprintf("tx-%d.%s", n, format))
			if _, err := os.Stat(path); err != nil {
				if err := gen.WriteTransactionsFile(context.Background(), path, format, n, gen.Options{BadEvery: 1000}); err != nil {
					b.Fatal(err)
				}
			}
			// Best of three, one run of the largest.
			reps := 3
			if n == largestCSV {
				reps = 1
			}
			var elapsed, best, bestBare, cpu, bareCPU time.Duration
			var peakKB int64
			runs := 0
			for b.Loop() {
				for range reps {
					if format == "csv" {
						wall, c := bareCSVRead(b, path, n)
						bareCPU += c
						if bestBare == 0 || wall < bestBare {
							bestBare = wall
						}
					}
					wall, c, kb := runValidateChild(b, bin, path, filepath.Join(dir, "rejects.csv"))
					elapsed += wall
					cpu += c
					peakKB = max(peakKB, kb)
					if best == 0 || wall < best {
						best = wall
					}
					runs++
				}
			}
			peaks[sz] = peakKB
			b.ReportMetric(float64(n)*float64(runs)/elapsed.Seconds(), "rows/s")
			b.ReportMetric(float64(peakKB)/1024, "peakRSS-MB")
			if format == "csv" {
				b.ReportMetric(best.Seconds()/bestBare.Seconds(), "x-bare-read")
				b.ReportMetric(cpu.Seconds()/bareCPU.Seconds(), "x-bare-cpu")
				row := ""
				if n == 1_000_000 {
					row = "row: " // one of the performance goals make bench sums up
				}
				b.Logf("%svalidate CSV %s rows: %.2f× a bare encoding/csv read (%.2f s beside %.2f s, best of %d; goal ≤ 4×); CPU time %.2f× the bare read's",
					row, rowsName(n), best.Seconds()/bestBare.Seconds(), best.Seconds(), bestBare.Seconds(), reps, cpu.Seconds()/bareCPU.Seconds())
			}
			var prev size
			for s := range peaks {
				if s.format == format && s.n < n && s.n > prev.n {
					prev = s
				}
			}
			if prev.n > 0 {
				growth := float64(peakKB-peaks[prev]) * 1024 / float64(n-prev.n)
				b.ReportMetric(growth, "RSS-B/row")
				row := ""
				if format == "csv" && n == largestCSV {
					row = "row: "
				}
				b.Logf("%svalidate %s peak RSS at %s rows: %.0f MB (goal ≤ 120 MB at 10M), %.1f bytes per row past %s (goal ≤ 8 once the index spills, past 1M)",
					row, format, rowsName(n), float64(peakKB)/1024, growth, rowsName(prev.n))
			}
		})
	}
}

func rowsName(n int) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

// runValidateChild runs the validate command on path as a child process and
// returns its wall time, CPU time (user and system) and peak RSS in kB.
func runValidateChild(b *testing.B, bin, path, rejects string) (time.Duration, time.Duration, int64) {
	b.Helper()
	cmd := exec.Command(bin, "validate", "transactions", path, "--rejects", rejects)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := watchPeakRSS(cmd.Process.Pid)
	err := cmd.Wait()
	wall := time.Since(start)
	kb := stop()
	if code := cmd.ProcessState.ExitCode(); code != exitRejects {
		b.Fatalf("exit code %d (%v), want %d:\n%s", code, err, exitRejects, out.String())
	}
	return wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), kb
}

// bareCSVRead reads path with encoding/csv alone (the default Reader over
// a 64 KiB buffer, each record kept as it returns it) and returns the wall
// and CPU time it took.
func bareCSVRead(b *testing.B, path string, want int) (time.Duration, time.Duration) {
	b.Helper()
	runtime.GC()
	cpu0, start := processCPU(), time.Now()
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReaderSize(f, 1<<16))
	n := -1 // the header
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	if n != want {
		b.Fatalf("bare read: %d rows, want %d", n, want)
	}
	return time.Since(start), processCPU() - cpu0
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
