package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
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

// runBar redraws one status line in place on a terminal: a carriage
// return, the line, and "erase to the end of the line" (a shorter line
// leaves nothing of a longer one behind). The line is fitted to the
// terminal's width, measured at every redraw (a resized window is
// followed): a line as wide as the terminal or wider would wrap, and every
// redraw would then leave the wrapped part behind. It was drawn by a
// progress bar library once; that library shrank the bar to nothing and
// still overflowed the line with the description.
func runBar(ctx context.Context, w io.Writer, opts progressOptions, snap func() progressSnapshot, meter *rateMeter, done <-chan struct{}) {
	width := opts.Width
	if width == nil {
		width = func() int { return terminalWidth(w) }
	}
	drawn := false
	update := func() {
		s := snap()
		rate, ok := meter.add(time.Now(), s.Done)
		line := barLine(width(), opts, s, rateAndETA(s, rate, ok, opts.Unit))
		fmt.Fprint(w, "\r"+line+"\x1b[K")
		drawn = true
	}
	finish := func() {
		update()
		if drawn {
			fmt.Fprintln(w)
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
			finish()
			return
		case <-done:
			finish()
			return
		}
	}
}

// terminalWidth is the width of the terminal w writes to, 80 when it cannot
// be measured.
func terminalWidth(w io.Writer) int {
	if f, ok := w.(*os.File); ok {
		if cols, _, err := term.GetSize(int(f.Fd())); err == nil && cols > 0 {
			return cols
		}
	}
	return 80
}

// Bar widths: the bar never grows past maxBar (a wide terminal gets a
// readable bar, not a ruler) and keeps at least minBar while the text can be
// shortened instead.
const (
	maxBar = 40
	minBar = 10
)

// barLine renders the status line for a terminal of the given width:
//
//	importing partners  42% [========>           ] 2100/5000, 115 rows/s, ETA 24s, 75 req/s of 80
//
// It is at most width-1 columns (the last column would make some terminals
// wrap). What does not fit goes in this order: the detail, the rate and
// ETA, then the label is shortened; the bar keeps minBar columns as long
// as the percentage and the count fit beside it. Without a total there is
// no bar: the count, rate and detail. Only ASCII is drawn, so every
// character is one column in every locale.
func barLine(width int, opts progressOptions, s progressSnapshot, rate string) string {
	room := max(width-1, 1)
	label := opts.Label
	var extras []string // dropped from the end first
	if rate != "" {
		extras = append(extras, rate)
	}
	if s.Detail != "" {
		// A detail of several parts ("75 req/s of 80/s budget, 0
		// retries") loses them one at a time.
		extras = append(extras, strings.Split(s.Detail, ", ")...)
	}
	if s.Total <= 0 {
		line := label + ": " + fmt.Sprintf("%d %s", s.Done, opts.Unit)
		for i := len(extras); i >= 0; i-- {
			full := line
			for _, e := range extras[:i] {
				full += ", " + e
			}
			if cols(full) <= room {
				return full
			}
		}
		return clipText(line, room)
	}
	done := min(max(s.Done, 0), s.Total)
	frac := float64(done) / float64(s.Total)
	pct := fmt.Sprintf("%3.0f%%", 100*frac)
	count := fmt.Sprintf("%d/%d", done, s.Total)
	render := func(label string, bar int, extras []string) string {
		var b strings.Builder
		if label != "" {
			b.WriteString(label)
			b.WriteByte(' ')
		}
		b.WriteString(pct)
		b.WriteString(" [")
		b.WriteString(drawBar(bar, frac))
		b.WriteString("] ")
		b.WriteString(count)
		for _, e := range extras {
			b.WriteString(", ")
			b.WriteString(e)
		}
		return b.String()
	}
	// The widest bar that fits beside the whole text, with fewer extras
	// until one of minBar does.
	for i := len(extras); i >= 0; i-- {
		fixed := cols(render(label, 0, extras[:i]))
		if bar := min(maxBar, room-fixed); bar >= minBar {
			return render(label, bar, extras[:i])
		}
	}
	// Shorten the label, then drop it, keeping minBar.
	fixed := cols(render("", 0, nil))
	if left := room - fixed - minBar - 1; left >= 4 {
		return render(clipText(label, left), minBar, nil)
	}
	if bar := room - fixed; bar >= 3 {
		return render("", min(bar, minBar), nil)
	}
	return clipText(pct+" "+count, room)
}

// drawBar draws a bar of width columns, frac of it done.
func drawBar(width int, frac float64) string {
	full := int(frac * float64(width))
	if full >= width {
		return strings.Repeat("=", width)
	}
	if full == 0 {
		return strings.Repeat(" ", width)
	}
	return strings.Repeat("=", full-1) + ">" + strings.Repeat(" ", width-full)
}

// clipText cuts s to n columns, marking the cut with "..".
func clipText(s string, n int) string {
	if cols(s) <= n {
		return s
	}
	r := []rune(s)
	if n <= 2 {
		return string(r[:max(n, 0)])
	}
	return string(r[:n-2]) + ".."
}

// cols is the width of s on a terminal, one column a character: the line
// draws only ASCII itself, and labels and details are plain text.
func cols(s string) int { return utf8.RuneCountInString(s) }
