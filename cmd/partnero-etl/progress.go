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
	meter := newRateMeter(time.Now(), rateWindow)
	if streams.ErrTTY {
		go func() {
			defer close(finished)
			runBar(ctx, streams.ErrOut, opts, snap, meter, done)
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
				s := snap()
				rate, ok := meter.add(time.Now(), s.Done)
				writeProgressLine(streams.ErrOut, opts, s, rate, ok)
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

// rateWindow is the span the displayed rate is measured over: long enough
// to smooth the bursts of a worker pool, short enough to follow a change
// of pace (a rate limit learned, a slower stretch of the input).
const rateWindow = 10 * time.Second

// rateMeter measures units done per second over the last window, from the
// samples the display takes. It starts from zero done at the time the
// display started, not at its first sample: rows finished before the first
// refresh count over the time they took.
type rateMeter struct {
	window  time.Duration
	samples []rateSample // oldest first
}

type rateSample struct {
	at   time.Time
	done int64
}

func newRateMeter(start time.Time, window time.Duration) *rateMeter {
	return &rateMeter{window: window, samples: []rateSample{{at: start}}}
}

// minRateSpan is the shortest time a rate is shown for: rows finished in
// the first instants of a run (a re-run where every row is unchanged ends
// in milliseconds) make rates of millions of rows a second that say nothing.
const minRateSpan = time.Second

// add records that done units were finished at time at and returns the
// rate over the window ending then; ok is false until minRateSpan passed.
func (m *rateMeter) add(at time.Time, done int64) (rate float64, ok bool) {
	m.samples = append(m.samples, rateSample{at: at, done: done})
	// Keep the newest sample at or before the window's start, so that the
	// span is the whole window once the display has run that long.
	cut := at.Add(-m.window)
	drop := 0
	for drop+2 < len(m.samples) && !m.samples[drop+1].at.After(cut) {
		drop++
	}
	m.samples = append(m.samples[:0], m.samples[drop:]...)
	first := m.samples[0]
	span := at.Sub(first.at)
	if span < minRateSpan {
		return 0, false
	}
	return float64(done-first.done) / span.Seconds(), true
}

// rateAndETA reads "115 rows/s, ETA 24s" (no ETA without a total or a
// rate, or once done; nothing when the rate is not known yet).
func rateAndETA(s progressSnapshot, rate float64, ok bool, unit string) string {
	if !ok {
		return ""
	}
	var out string
	if rate >= 10 || rate == 0 {
		out = fmt.Sprintf("%.0f %s/s", rate, unit)
	} else {
		out = fmt.Sprintf("%.1f %s/s", rate, unit)
	}
	if s.Total > 0 && rate > 0 && s.Done < s.Total {
		eta := time.Duration(float64(s.Total-s.Done) / rate * float64(time.Second))
		out += fmt.Sprintf(", ETA %s", eta.Round(time.Second))
	}
	return out
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

func runBar(ctx context.Context, w io.Writer, opts progressOptions, snap func() progressSnapshot, meter *rateMeter, done <-chan struct{}) {
	s := snap()
	total := s.Total
	if total <= 0 {
		total = -1 // a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(opts.Label),
		progressbar.OptionShowCount(),
		// The bar's own rate and ETA start counting at its first render,
		// not at the start (rows finished before it showed absurd rates):
		// the description carries the meter's instead.
		progressbar.OptionSetPredictTime(false),
		// No throttle of its own: it is updated every Refresh from this
		// goroutine, and a throttle would drop the count or the
		// description of an update (both render).
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
		desc := opts.Label
		rate, ok := meter.add(time.Now(), s.Done)
		if r := rateAndETA(s, rate, ok, opts.Unit); r != "" {
			desc += " · " + r
		}
		if s.Detail != "" {
			desc += " · " + s.Detail
		}
		bar.Describe(desc)
		_ = bar.Set64(s.Done)
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
