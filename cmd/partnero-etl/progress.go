package main

import (
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
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
}

// startProgress shows progress on streams.ErrOut until the returned stop is
// called (once; it waits for the display to finish). On a terminal it is a
// progress bar, refreshed from one goroutine and throttled; elsewhere a plain
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
	started := time.Now()
	if streams.ErrTTY {
		go func() {
			defer close(finished)
			runBar(ctx, streams.ErrOut, opts, snap, done)
		}()
		return stop
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(opts.Interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				writeProgressLine(streams.ErrOut, opts, snap(), time.Since(started))
			case <-done:
				return
			case <-ctx.Done():
				<-done
				return
			}
		}
	}()
	return stop
}

// writeProgressLine writes one plain progress line.
func writeProgressLine(w io.Writer, opts progressOptions, s progressSnapshot, elapsed time.Duration) {
	rate := 0.0
	if secs := elapsed.Seconds(); secs > 0 {
		rate = float64(s.Done) / secs
	}
	line := fmt.Sprintf("%s: %d", opts.Label, s.Done)
	if s.Total > 0 {
		line += fmt.Sprintf("/%d %s (%.0f%%)", s.Total, opts.Unit, 100*float64(s.Done)/float64(s.Total))
		if rate > 0 && s.Done < s.Total {
			eta := time.Duration(float64(s.Total-s.Done) / rate * float64(time.Second))
			line += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
		}
	} else {
		line += " " + opts.Unit
	}
	line += fmt.Sprintf(", %.1f %s/s", rate, opts.Unit)
	if s.Detail != "" {
		line += ", " + s.Detail
	}
	fmt.Fprintln(w, line)
}

func runBar(ctx context.Context, w io.Writer, opts progressOptions, snap func() progressSnapshot, done <-chan struct{}) {
	s := snap()
	total := s.Total
	if total <= 0 {
		total = -1 // a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(opts.Label),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString(opts.Unit),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(opts.Refresh),
		progressbar.OptionSetWidth(30),
		progressbar.OptionShowDescriptionAtLineEnd(),
		progressbar.OptionSpinnerType(14),
		// Without a total the bar would start its own goroutine to turn
		// the spinner; it must be fed from this one goroutine only.
		progressbar.OptionSetSpinnerChangeInterval(0),
	)
	update := func() {
		s := snap()
		if total > 0 && s.Done > total {
			s.Done = total
		}
		_ = bar.Set64(s.Done)
		if s.Detail != "" {
			bar.Describe(opts.Label + " · " + s.Detail)
		}
	}
	t := time.NewTicker(opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			update()
		case <-ctx.Done():
			<-done
			update()
			_ = bar.Exit()
			fmt.Fprintln(w)
			return
		case <-done:
			update()
			_ = bar.Finish()
			fmt.Fprintln(w)
			return
		}
	}
}
