package main

import (
	"fmt"
	"time"
)

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
