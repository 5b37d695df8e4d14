package main

import (
	"bytes"
	"context"
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
