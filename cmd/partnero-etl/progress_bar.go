package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/term"
)

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
	extras := barExtras(s, rate)
	if s.Total <= 0 {
		return countLine(room, opts, s, extras)
	}
	done := min(max(s.Done, 0), s.Total)
	b := barParts{
		frac:  float64(done) / float64(s.Total),
		count: fmt.Sprintf("%d/%d", done, s.Total),
	}
	b.pct = fmt.Sprintf("%3.0f%%", 100*b.frac)
	// The widest bar that fits beside the whole text, with fewer extras
	// until one of minBar does.
	for i := len(extras); i >= 0; i-- {
		fixed := cols(b.render(opts.Label, 0, extras[:i]))
		if bar := min(maxBar, room-fixed); bar >= minBar {
			return b.render(opts.Label, bar, extras[:i])
		}
	}
	// Shorten the label, then drop it, keeping minBar.
	fixed := cols(b.render("", 0, nil))
	if left := room - fixed - minBar - 1; left >= 4 {
		return b.render(clipText(opts.Label, left), minBar, nil)
	}
	if bar := room - fixed; bar >= 3 {
		return b.render("", min(bar, minBar), nil)
	}
	return clipText(b.pct+" "+b.count, room)
}

// barExtras are the parts of the line after the count, in the order they
// are kept: the rate and ETA, then the detail's parts. A detail of several
// parts ("75 req/s of 80/s budget, 0 retries") loses them one at a time.
func barExtras(s progressSnapshot, rate string) []string {
	var extras []string
	if rate != "" {
		extras = append(extras, rate)
	}
	if s.Detail != "" {
		extras = append(extras, strings.Split(s.Detail, ", ")...)
	}
	return extras
}

// countLine is the status line without a total, so without a bar: the
// count, then as many extras as fit in room columns.
func countLine(room int, opts progressOptions, s progressSnapshot, extras []string) string {
	line := opts.Label + ": " + fmt.Sprintf("%d %s", s.Done, opts.Unit)
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

// barParts are the fixed parts of a status line with a total.
type barParts struct {
	pct   string  // " 42%"
	count string  // "2100/5000"
	frac  float64 // done of the total
}

// render draws "label pct [bar] count, extras..." with a bar of the given
// width (no label: no space before the percentage).
func (p barParts) render(label string, bar int, extras []string) string {
	var b strings.Builder
	if label != "" {
		b.WriteString(label)
		b.WriteByte(' ')
	}
	b.WriteString(p.pct)
	b.WriteString(" [")
	b.WriteString(drawBar(bar, p.frac))
	b.WriteString("] ")
	b.WriteString(p.count)
	for _, e := range extras {
		b.WriteString(", ")
		b.WriteString(e)
	}
	return b.String()
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
