package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"
)

// progressSnapshot is what a progress display shows at one moment: units
// done, the total when known (0 or less: unknown) and a short detail such as
// the request rate against the budget.
type progressSnapshot struct {
	Done   int64
	Total  int64
	Detail string
}

// progressOptions configure a progress display.
type progressOptions struct {
	// Label names the work ("importing customers").
	Label string
	// Unit names what Done counts ("rows").
	Unit string
	// Quiet shows nothing at all.
	Quiet bool
	// Interval is the time between plain lines off a terminal; 0 means 10 s.
	Interval time.Duration
	// Refresh is the time between bar updates on a terminal; 0 means 200 ms.
	Refresh time.Duration
	// Width returns the terminal's width in columns; nil measures the
	// terminal the display writes to (80 when it cannot).
	Width func() int
}

// startProgress shows progress on streams.ErrOut until the returned stop is
// called (once; it waits for the display to finish). On a terminal it is a
// status line with a bar redrawn in place, fitted to the terminal's width,
// refreshed from one goroutine every Refresh; elsewhere a plain
// line every Interval, so logs of unattended runs show life without filling
// up. snap is called from the display goroutine only.
func startProgress(ctx context.Context, streams *ioStreams, opts progressOptions, snap func() progressSnapshot) (stop func()) {
	if opts.Quiet {
		return func() {}
	}
	if opts.Unit == "" {
		opts.Unit = "rows"
	}
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 200 * time.Millisecond
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			<-finished
		})
	}
	meter := newRateMeter(time.Now(), rateWindow)
	draw := runLines
	if streams.ErrTTY {
		draw = runBar
	}
	go func() {
		defer close(finished)
		draw(ctx, streams.ErrOut, opts, snap, meter, done)
	}()
	return stop
}

// runLines writes a plain progress line every Interval until done: the
// display off a terminal.
func runLines(ctx context.Context, w io.Writer, opts progressOptions, snap func() progressSnapshot, meter *rateMeter, done <-chan struct{}) {
	t := time.NewTicker(opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s := snap()
			rate, ok := meter.add(time.Now(), s.Done)
			writeProgressLine(w, opts, s, rate, ok)
		case <-done:
			return
		case <-ctx.Done():
			<-done
			return
		}
	}
}

// writeProgressLine writes one plain progress line; rate is the units per
// second of the last window (when ok).
func writeProgressLine(w io.Writer, opts progressOptions, s progressSnapshot, rate float64, ok bool) {
	line := fmt.Sprintf("%s: %d", opts.Label, s.Done)
	if s.Total > 0 {
		line += fmt.Sprintf("/%d %s (%.0f%%)", s.Total, opts.Unit, 100*float64(s.Done)/float64(s.Total))
	} else {
		line += " " + opts.Unit
	}
	if r := rateAndETA(s, rate, ok, opts.Unit); r != "" {
		line += ", " + r
	}
	if s.Detail != "" {
		line += ", " + s.Detail
	}
	fmt.Fprintln(w, line)
}
