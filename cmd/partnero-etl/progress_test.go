package main

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the display goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgressPlainLinesOffATerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		streams := &ioStreams{ErrOut: &buf}
		var done atomic.Int64
		stop := startProgress(context.Background(), streams, progressOptions{Label: "importing partners"}, func() progressSnapshot {
			return progressSnapshot{Done: done.Load(), Total: 100, Detail: "12 requests"}
		})
		done.Store(25)
		time.Sleep(9 * time.Second)
		synctest.Wait()
		if buf.String() != "" {
			t.Fatalf("a line before 10 s: %q", buf.String())
		}
		time.Sleep(2 * time.Second)
		synctest.Wait()
		got := buf.String()
		if !strings.Contains(got, "importing partners: 25/100 rows (25%)") || !strings.Contains(got, "12 requests") || !strings.Contains(got, "ETA") {
			t.Fatalf("line %q", got)
		}
		time.Sleep(30 * time.Second)
		stop()
		if n := strings.Count(buf.String(), "\n"); n != 4 {
			t.Errorf("%d lines in 41 s, want 4:\n%s", n, buf.String())
		}
	})
}

func TestProgressQuietAndTerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		stop := startProgress(context.Background(), &ioStreams{ErrOut: &buf}, progressOptions{Quiet: true}, func() progressSnapshot {
			t.Error("quiet progress asked for a snapshot")
			return progressSnapshot{}
		})
		time.Sleep(time.Minute)
		stop()
		if buf.String() != "" {
			t.Errorf("quiet wrote %q", buf.String())
		}

		var n atomic.Int64
		stop = startProgress(context.Background(), &ioStreams{ErrOut: &buf, ErrTTY: true}, progressOptions{Label: "importing"}, func() progressSnapshot {
			return progressSnapshot{Done: n.Add(1), Total: 0}
		})
		time.Sleep(2 * time.Second)
		stop()
		stop() // a second stop is harmless
		if !strings.Contains(buf.String(), "importing") {
			t.Errorf("bar output %q", buf.String())
		}
	})
}

func TestRateMeter(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return start.Add(time.Duration(s * float64(time.Second))) }
	type sample struct {
		at     float64
		done   int64
		rate   float64
		known  bool
		reason string
	}
	tests := []struct {
		name    string
		samples []sample
	}{
		{"rows done before the first sample count over the time they took", []sample{
			{0.2, 3000, 0, false, "0.2 s is too short for a rate"},
			{1, 3000, 3000, true, "3000 rows in the first second"},
		}},
		{"steady", []sample{{1, 100, 100, true, ""}, {2, 200, 100, true, ""}, {5, 500, 100, true, ""}}},
		{"the window follows a change of pace", []sample{
			{10, 1000, 100, true, "100/s for 10 s"},
			{20, 2000, 100, true, "still 100/s"},
			{30, 2100, 10, true, "the last 10 s at 10/s, not the average since the start"},
			{40, 2100, 0, true, "stalled"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newRateMeter(start, 10*time.Second)
			for _, s := range tt.samples {
				rate, ok := m.add(at(s.at), s.done)
				if ok != s.known || (ok && math.Abs(rate-s.rate) > 1e-9) {
					t.Errorf("at %v s: rate %v %v, want %v %v (%s)", s.at, rate, ok, s.rate, s.known, s.reason)
				}
			}
			if len(m.samples) > 12 {
				t.Errorf("the meter holds %d samples", len(m.samples))
			}
		})
	}
}

// TestProgressBarRate: a bar whose rows all finished before its first
// refresh shows no rate (the bar's own rate counted from its first render:
// millions of rows a second); one that runs shows the rate of its window.
func TestProgressBarRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		stop := startProgress(t.Context(), &ioStreams{ErrOut: &buf, ErrTTY: true}, progressOptions{Label: "importing"}, func() progressSnapshot {
			return progressSnapshot{Done: 3000, Total: 3000}
		})
		time.Sleep(300 * time.Millisecond)
		stop()
		if got := buf.String(); !strings.Contains(got, "3000/3000") || strings.Contains(got, "/s") {
			t.Errorf("a run done in 300 ms: %q", got)
		}

		buf = syncBuffer{}
		start := time.Now()
		stop = startProgress(t.Context(), &ioStreams{ErrOut: &buf, ErrTTY: true}, progressOptions{Label: "importing"}, func() progressSnapshot {
			done := int64(time.Since(start) / (10 * time.Millisecond)) // 100 rows/s
			return progressSnapshot{Done: done, Total: 10000}
		})
		time.Sleep(20 * time.Second)
		stop()
		got := buf.String()
		if !strings.Contains(got, "] 2000/10000, 100 rows/s, ETA 1m20s") {
			t.Errorf("bar output %q", got[max(0, len(got)-400):])
		}
	})
}

// TestProgressLineRateWindow: plain lines show the rate of the last
// window, not the average since the start.
func TestProgressLineRateWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		start := time.Now()
		stop := startProgress(t.Context(), &ioStreams{ErrOut: &buf}, progressOptions{Label: "importing"}, func() progressSnapshot {
			s := time.Since(start).Seconds()
			done := 100 * min(s, 20) // 100 rows/s for 20 s, then 10 rows/s
			if s > 20 {
				done += 10 * (s - 20)
			}
			return progressSnapshot{Done: int64(math.Round(done))}
		})
		time.Sleep(41 * time.Second)
		stop()
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		if len(lines) != 4 || lines[1] != "importing: 2000 rows, 100 rows/s" || lines[3] != "importing: 2200 rows, 10 rows/s" {
			t.Errorf("lines:\n%s", buf.String())
		}
	})
}

// TestBarLineFits: the status line is never as wide as the terminal (it
// would wrap, and each redraw would leave the wrapped part behind), and the
// bar keeps a visible width while text can be dropped instead.
func TestBarLineFits(t *testing.T) {
	opts := progressOptions{Label: "importing transactions", Unit: "rows"}
	snap := progressSnapshot{Done: 2100, Total: 5000, Detail: "75.2 req/s of 80.0/s budget, 0 retries, 3 429s, 12 rejected"}
	rate := "115 rows/s, ETA 24s"
	for _, width := range []int{200, 120, 80, 60, 40, 30, 20, 8} {
		line := barLine(width, opts, snap, rate)
		if cols(line) >= width {
			t.Errorf("width %d: line of %d columns: %q", width, cols(line), line)
		}
		open, end := strings.IndexByte(line, '['), strings.IndexByte(line, ']')
		bar := end - open - 1
		switch {
		case width >= 40 && (open < 0 || bar < minBar || !strings.Contains(line, "2100/5000") || !strings.Contains(line, "42%")):
			t.Errorf("width %d: want a bar of at least %d columns, 42%% and 2100/5000: %q", width, minBar, line)
		case width >= 30 && (open < 0 || bar < 3):
			t.Errorf("width %d: no bar: %q", width, line)
		}
		if width == 120 && (!strings.Contains(line, "importing transactions") || !strings.Contains(line, "ETA 24s")) {
			t.Errorf("width 120 has room for the label and the rate: %q", line)
		}
		if width == 80 && !strings.Contains(line, "importing transactions") {
			t.Errorf("width 80 has room for the label: %q", line)
		}
	}
	if got := barLine(120, opts, progressSnapshot{Done: 5000, Total: 5000}, ""); !strings.Contains(got, "100% ["+strings.Repeat("=", maxBar)+"] 5000/5000") {
		t.Errorf("done: %q", got)
	}
	if got := barLine(80, opts, progressSnapshot{Done: 7, Detail: "partners, 3 requests"}, ""); got != "importing transactions: 7 rows, partners, 3 requests" {
		t.Errorf("no total: %q", got)
	}
}

// TestBarRedrawsInPlace: every redraw starts at the beginning of the line
// and erases what a longer previous line left; the last one ends the line.
func TestBarRedrawsInPlace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var buf syncBuffer
		var n atomic.Int64
		stop := startProgress(t.Context(), &ioStreams{ErrOut: &buf, ErrTTY: true},
			progressOptions{Label: "importing", Width: func() int { return 50 }}, func() progressSnapshot {
				return progressSnapshot{Done: n.Add(7), Total: 1000, Detail: "a detail long enough not to fit in fifty columns"}
			})
		time.Sleep(2 * time.Second)
		stop()
		got := buf.String()
		if strings.Count(got, "\n") != 1 || !strings.HasSuffix(got, "\x1b[K\n") {
			t.Fatalf("want redraws on one line, ended once: %q", got)
		}
		for _, draw := range strings.Split(strings.TrimSuffix(got, "\n"), "\r")[1:] {
			line := strings.TrimSuffix(draw, "\x1b[K")
			if line == draw || cols(line) >= 50 {
				t.Errorf("redraw %q: want at most 49 columns, then erase to the end of the line", draw)
			}
		}
	})
}
