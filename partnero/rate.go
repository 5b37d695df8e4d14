package partnero

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Rate is a request budget. Auto learns it from the API (rate-limit headers
// when the API sends them; when it does not, additive increase /
// multiplicative decrease, or the fixed window its 429s show); PerSecond > 0
// is a fixed budget; the zero Rate is no budget at all (only 429s slow the
// client down).
type Rate struct {
	Auto      bool
	PerSecond float64
}

// String renders r the way ParseRate reads it.
func (r Rate) String() string {
	switch {
	case r.Auto:
		return "auto"
	case r.PerSecond <= 0:
		return "none"
	default:
		return strconv.FormatFloat(r.PerSecond, 'f', -1, 64) + "/s"
	}
}

// ParseRate reads "auto", "none", or a budget "N/unit" with unit s, sec,
// second, m, min, minute, h, hour (a bare number is per second): "10/s",
// "600/min", "3600/h", "0.5/s".
func ParseRate(s string) (Rate, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	switch t {
	case "auto":
		return Rate{Auto: true}, nil
	case "none", "unlimited":
		return Rate{}, nil
	}
	num, unit, hasUnit := strings.Cut(t, "/")
	n, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n <= 0 {
		return Rate{}, fmt.Errorf("invalid rate %q: want auto, none, or a positive budget such as 10/s or 600/min", s)
	}
	per := time.Second
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			per = time.Minute
		case "h", "hr", "hour":
			per = time.Hour
		default:
			return Rate{}, fmt.Errorf("invalid rate %q: unit must be s, min or h", s)
		}
	}
	return Rate{PerSecond: n / per.Seconds()}, nil
}

// Pacing constants.
const (
	autoStartRate = 5.0    // requests per second before anything is known
	minAutoRate   = 0.2    // never slower than one request in 5 s
	maxAutoRate   = 1000.0 // a ceiling for growth without headers
	// assumedWindow is the window X-RateLimit-Limit is taken to count over
	// until the answers show how long it is: the shortest servers use. A
	// longer window only lets the first one be spent faster (which the
	// server allows); Remaining stops the client at its end, and the 429
	// of one probe says when it ends.
	assumedWindow = time.Second
	maxWindowLen  = time.Hour
	// slack is how far the token bucket may fall behind the clock: slots a
	// late worker missed can still be used within it (a budget is a
	// ceiling, not a metronome), without ever bunching more than this much.
	slack = 100 * time.Millisecond
	// probeFirst and probeMax bound the pause between probes while a window
	// is spent and the server did not say when it ends.
	probeFirst = 50 * time.Millisecond
	probeMax   = time.Second
	// growth is the share by which a budget learned without headers grows
	// per second in which callers waited for it and no 429 came.
	growth    = 0.005
	overshoot = 0.02
	// recentSpan is how far back successes count for the rate the server
	// just allowed.
	recentSpan = time.Second
	// minCycleOK is the fewest successes between two spent periods that
	// tell the server's rate.
	minCycleOK = 5
	// trialEvery is how many windows a window learned without headers
	// runs at its limit before one window tries one request more (which
	// costs one 429 when the limit is right).
	trialEvery = 30
	// nhSpread is the share of a window learned without headers in which
	// auto sends the window's requests: the last ones must reach the
	// server before the window ends, or they open the next one early.
	nhSpread = 0.8
	// nhMaxWindow is the longest window learned without headers. Paced
	// evenly, a client loses the time from a window's end to its next
	// request: a share that matters in short windows only, and long ones
	// are paced well by the learned rate.
	nhMaxWindow = 10 * time.Second
	// nhMinWindow is the shortest: a shorter cycle is the refill of a
	// token bucket, not a window.
	nhMinWindow = 500 * time.Millisecond
	// nhPauseFirst is how long after giving a learned window up the client
	// waits before it learns one again; each further failure doubles it.
	// A wrong window costs some 15 429s before it is given up (0.3% of
	// five minutes at 20/s).
	nhPauseFirst = 5 * time.Minute
)

// ticket is one request the pacer let go: the answer is reported with it.
type ticket struct {
	seq   int64     // 1-based order of sending
	sent  time.Time // when it left
	probe bool      // sent to find out whether a spent window has ended
}

// pacer is the pacing every request made with one client shares. It keeps
// two things:
//
//   - a budget in requests per second (fixed, learned, or none), spent
//     through a token bucket that may run up to `slack` behind the clock;
//   - a model of the server's fixed window (Laravel's throttle: Limit
//     requests per window, the window opening at the first request after
//     the last one ended), from X-RateLimit-Limit/Remaining when the API
//     sends them. The client counts what it sent into the current window
//     and never sends into a spent one: it waits for the window's end when
//     it knows it, and otherwise lets one probe through, whose 429 says
//     (Retry-After) or whose success shows it.
//
// Without headers the budget is learned from 429s: a 429 starts a "spent"
// period in which one probe at a time goes out; the first success after it
// ends the period, and the successes between two such ends over the time
// between them is the server's rate. Growth is gentle (half a percent per
// window) and only while callers waited for the budget. When such a cycle
// looks like one fixed window of up to nhMaxWindow, auto takes it for one
// (nh below): the window model then runs on the client's own count, and
// its first requests leave together at the window's end, so that the next
// window opens within milliseconds of it (paced evenly, about half a
// request's spacing is lost per window: 3% at 20/s).
//
// Callers take turns: one caller at a time holds the turn and computes when
// it may send; a change of the rules (the changed channel is closed) makes
// it compute again.
type pacer struct {
	mode   Rate
	turn   chan struct{} // a one-slot semaphore: who may reserve
	waited atomic.Int64  // callers that found the turn taken: was the budget the bottleneck?

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when the rules change
	rate    float64       // the bucket's budget, req/s; +Inf when none
	ceiling float64       // a fixed budget the rate never exceeds; +Inf otherwise
	next    time.Time     // the bucket's next free slot
	log     sendLog       // recent sends: never more than the budget in any second
	hold    time.Time     // no request starts before it
	seq     int64         // the last ticket's seq
	flying  int           // tickets not yet answered
	lat     latencyFloor

	// The server's window, from the headers.
	hdr       bool
	limit     int           // requests per window (0: unknown)
	length    time.Duration // the window's length (0: unknown)
	lower     time.Duration // the window is proven longer than this
	start     time.Time     // when the current window opened (zero: not known yet)
	exact     bool          // start is the answer to the window's first request
	prevStart time.Time     // the window before, in case the current one was assumed too early
	firstSeq  int64         // the first request counted in the current window
	used      int           // requests counted in the current window
	remSeq    int64         // the request whose answer gave the last Remaining
	rem       int           // that Remaining

	// A spent window whose end is not known: probes, one at a time.
	spent    bool
	probing  bool
	probeAt  time.Time
	probeGap time.Duration

	// Learning without headers.
	seen429  bool      // slow start ends at the first 429
	spentAt  time.Time // when the current spent period began
	resumeAt time.Time // the end of the last spent period
	okSince  int       // successes since resumeAt
	// cycleRate is what the server allowed between the last two spent
	// periods: growth stays within overshoot of it, so a long window is
	// spent only a little before its end.
	cycleRate float64
	recent    []time.Time // success times within recentSpan
	growAt    time.Time   // the start of the current growth period
	okGrow    int         // successes since growAt

	// A fixed window learned without headers (nh): the successes between
	// two runs of 429s give its limit, the time between them and the last
	// 429 before the end bound its length, and the first answer after a
	// spent window's end marks the next one's start. The window model
	// above then paces as with headers, counting its own sends.
	nh         bool
	last429    time.Time // the answer to the last 429 without headers
	startSent  time.Time // when the request that opened the current window left
	okCur      int       // answers the server counted in the current client window
	refCur     int       // 429s in the current client window
	heldPrev   bool      // the window before the current one was spent: its end, and so the current start, are the server's
	trial      bool      // the current window may take limit+1 (limit is raised for it)
	trialPrev  bool      // the window before was a trial that drew no 429 yet
	trialIn    int       // windows until the next trial
	nhBad      int       // windows in a row spent far below the limit: the model is wrong
	nhAfter    time.Time // no window is learned again before it (the last one was wrong)
	nhPause    time.Duration
	nhPrevRate float64 // the rate learned before the window, to go back to
}

// latencyFloor is the least round trip seen lately: requests sent that much
// before a window ends reach the server after it.
type latencyFloor struct {
	cur, prev time.Duration
	n         int
}

func (l *latencyFloor) add(d time.Duration) {
	if l.n == 0 || d < l.cur {
		l.cur = d
	}
	if l.n++; l.n >= 256 {
		l.prev, l.cur, l.n = l.cur, 0, 0
	}
}

func (l *latencyFloor) get() time.Duration {
	switch {
	case l.n == 0:
		return l.prev
	case l.prev == 0:
		return l.cur
	}
	return min(l.cur, l.prev)
}

func newPacer(r Rate) *pacer {
	p := &pacer{mode: r, changed: make(chan struct{}), turn: make(chan struct{}, 1), ceiling: math.Inf(1), probeGap: probeFirst}
	switch {
	case r.Auto:
		p.rate = autoStartRate
	case r.PerSecond > 0:
		p.rate, p.ceiling = r.PerSecond, r.PerSecond
	default:
		p.rate = math.Inf(1)
	}
	p.log.resize(p.rate)
	return p
}

// currentLimit returns the budget (0 when there is none).
func (p *pacer) currentLimit() (float64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if math.IsInf(p.rate, 1) {
		return 0, p.hdr
	}
	return p.rate, p.hdr
}

// wait blocks until the caller may send one request and returns its ticket.
// Cancellation wins: it returns ctx.Err() itself.
func (p *pacer) wait(ctx context.Context) (ticket, error) {
	select {
	case p.turn <- struct{}{}:
	default:
		p.waited.Add(1)
		select {
		case p.turn <- struct{}{}:
		case <-ctx.Done():
			return ticket{}, ctx.Err()
		}
	}
	defer func() { <-p.turn }()
	for {
		if err := ctx.Err(); err != nil {
			return ticket{}, err
		}
		p.mu.Lock()
		d, tk, ok := p.tryLocked(time.Now())
		changed := p.changed
		p.mu.Unlock()
		if ok {
			return tk, nil
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-changed:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return ticket{}, ctx.Err()
		}
	}
}

// tryLocked issues a ticket now, or says how long to wait before asking
// again (the changed channel may cut that short).
func (p *pacer) tryLocked(now time.Time) (time.Duration, ticket, bool) {
	if now.Before(p.hold) {
		return p.hold.Sub(now), ticket{}, false
	}
	p.expireLocked(now)
	if !p.spent && p.limit > 0 && p.used >= p.limit {
		p.spendLocked(now)
		if now.Before(p.hold) {
			return p.hold.Sub(now), ticket{}, false
		}
	}
	probe := false
	if p.spent {
		if p.probing {
			return time.Second, ticket{}, false // the probe's answer signals
		}
		if now.Before(p.probeAt) {
			return p.probeAt.Sub(now), ticket{}, false
		}
		probe = true
	}
	if !math.IsInf(p.rate, 1) {
		if p.next.IsZero() {
			p.next = now
		}
		if p.next.After(now) {
			return p.next.Sub(now), ticket{}, false
		}
		if d := p.log.wait(now); d > 0 {
			return d, ticket{}, false
		}
		interval := time.Duration(float64(time.Second) / p.rate)
		behind := slack
		if p.nh {
			// The first requests of a window leave together: the
			// first of them to arrive opens it, the sooner after the
			// window before ended the more there are.
			interval = time.Duration(float64(interval) * nhSpread)
			behind = max(slack, interval*time.Duration(min(8, max(1, p.limit/4))))
		}
		p.next = maxTime(p.next, now.Add(-behind)).Add(interval)
		p.log.add(now)
	}
	p.seq++
	p.used++
	p.flying++
	p.probing = probe
	return 0, ticket{seq: p.seq, sent: now, probe: probe}, true
}

// lead is how long before a window's end requests may leave: they reach
// the server after it.
func (p *pacer) lead() time.Duration { return min(p.lat.get(), p.length/4) }

// refine is how much earlier than the window's estimated end the next one
// is tried: the length is an upper bound (the time between two window
// starts), lower is proven by 429s; trying halfway between narrows it in a
// few windows, at the cost of at most one 429 each.
func (p *pacer) refine() time.Duration {
	least := max(p.length/100, 2*p.lead())
	if p.nh {
		// Without headers the bounds are both answers' times, alike
		// in their lag: they may come closer.
		least = max(p.length/200, 5*time.Millisecond)
	}
	if gap := p.length - p.lower; p.lower > 0 && gap > least {
		if p.nh {
			// Without headers a try too early costs the 429s of all
			// the window's first requests: small steps.
			return min(gap/2, p.length/32)
		}
		return gap / 2
	}
	return 0
}

// expireLocked starts a new window once the current one has ended.
func (p *pacer) expireLocked(now time.Time) {
	if p.start.IsZero() || p.length <= 0 || now.Before(p.start.Add(p.length-p.lead()-p.refine())) {
		return
	}
	if p.nh {
		p.nhTurnLocked()
	}
	p.prevStart, p.start = p.start, time.Time{}
	p.firstSeq, p.used = p.seq+1, 0
	if p.spent {
		p.spent, p.probing = false, false
		p.signalLocked()
	}
}

// spendLocked marks the current window spent: wait for its end when it is
// known, else probe.
func (p *pacer) spendLocked(now time.Time) {
	p.used = max(p.used, p.limit)
	if !p.start.IsZero() && p.length > 0 {
		if open := p.start.Add(p.length - p.lead() - p.refine()); open.After(now) {
			p.holdLocked(open)
			return
		}
	}
	if !p.spent {
		p.spent, p.probing = true, false
		p.probeGap = probeFirst
		p.probeAt = now
		p.signalLocked()
	}
}

func (p *pacer) holdLocked(until time.Time) {
	if until.After(p.hold) {
		p.hold = until
		p.signalLocked()
	}
}

// signalLocked wakes the caller holding the turn to compute again.
func (p *pacer) signalLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *pacer) setRateLocked(r float64) {
	r = min(r, p.ceiling)
	if r == p.rate || (!math.IsInf(r, 1) && math.Abs(r-p.rate) <= 0.002*p.rate) {
		return
	}
	p.rate = r
	p.nhLogLocked()
	p.signalLocked()
}

// nhLogLocked sizes the send log: a window learned without headers counts
// auto's sends itself and lets them go in the first part of the window,
// which a log of r per second would spread to its end.
func (p *pacer) nhLogLocked() {
	if p.nh && p.mode.Auto {
		p.log = sendLog{}
		return
	}
	p.log.resize(p.rate)
}

// sendLog is a ring of the last sends: with n slots per span, a send waits
// until the oldest of the last n is a span old. It is what makes a budget a
// ceiling in every window while the token bucket's slack lets a late worker
// use a slot it missed.
type sendLog struct {
	times []time.Time // ring, oldest at pos when full
	pos   int
	full  bool
	span  time.Duration
}

// resize keeps the most recent sends that fit a budget of r per second.
func (l *sendLog) resize(r float64) {
	if math.IsInf(r, 1) || r <= 0 {
		*l = sendLog{}
		return
	}
	// n sends per n/r seconds: r per second in every window of that span.
	n := max(1, int(math.Floor(r)))
	span := time.Duration(float64(n) / r * float64(time.Second))
	old := l.ordered()
	if len(old) > n {
		old = old[len(old)-n:]
	}
	*l = sendLog{times: make([]time.Time, n), span: span}
	for _, t := range old {
		l.add(t)
	}
}

func (l *sendLog) ordered() []time.Time {
	if !l.full {
		return append([]time.Time(nil), l.times[:l.pos]...)
	}
	return append(append([]time.Time(nil), l.times[l.pos:]...), l.times[:l.pos]...)
}

func (l *sendLog) wait(now time.Time) time.Duration {
	if !l.full {
		return 0
	}
	return l.times[l.pos].Add(l.span).Sub(now)
}

func (l *sendLog) add(t time.Time) {
	if len(l.times) == 0 {
		return
	}
	l.times[l.pos] = t
	if l.pos++; l.pos == len(l.times) {
		l.pos, l.full = 0, true
	}
}

// observe learns from the answer to tk: its status (0 for a network error),
// headers, and the Retry-After of a 429.
func (p *pacer) observe(tk ticket, status int, h http.Header, retryAfter time.Duration) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.flying--
	if tk.probe {
		p.probing = false
		p.signalLocked()
	}
	if status != 0 {
		p.lat.add(now.Sub(tk.sent))
	}
	limit, okL := headerFloat(h, "X-RateLimit-Limit")
	rem, okR := headerFloat(h, "X-RateLimit-Remaining")
	withHeaders := okL && okR && limit >= 1 && rem >= 0
	if withHeaders && p.nh {
		p.nhExitLocked() // the server says it now: the headers' model takes over
	}
	switch {
	case status == http.StatusTooManyRequests:
		if withHeaders || p.hdr {
			p.throttledLocked(tk, now, retryAfter)
		} else {
			p.refusedLocked(tk, now)
		}
	case status == 0 || status >= 500:
		// A failed probe is tried again a little later. A 5xx was
		// counted by the server's throttle, if it came from behind it
		// (a proxy's 502 carries no headers): count it as spent.
		if withHeaders {
			p.countedLocked(tk, now, int(limit), int(rem))
		} else if status != 0 && p.nh {
			// From behind the throttle: counted, and it may have
			// opened the window.
			p.nhSucceededLocked(tk, now)
		} else if status != 0 && !p.hdr && !p.spent {
			p.recent = append(p.recent, now)
			p.okSince++
		}
		if tk.probe {
			p.probeAt = now.Add(jitter(p.probeGap))
		}
	default:
		if withHeaders {
			p.countedLocked(tk, now, int(limit), int(rem))
		} else {
			p.succeededLocked(tk, now)
		}
	}
}

// countedLocked learns from an answer the server counted, with headers:
// Remaining is what the window has left after tk.
func (p *pacer) countedLocked(tk ticket, now time.Time, limit, rem int) {
	if !p.hdr || limit != p.limit {
		p.hdr, p.limit = true, limit
		p.spent = false
		p.setHeaderRateLocked()
	}
	if tk.seq <= p.remSeq {
		return // an answer overtaken by a later one: nothing new
	}
	later := int(p.seq - tk.seq) // sent after tk: the server counts them too
	// Requests in flight together reach the server in any order, so
	// Remaining may rise by up to their number without a new window;
	// limit-1 says tk opened one.
	turned := p.remSeq == 0 || rem == limit-1 || rem > p.rem+p.flying+1
	// Remaining went on falling: the server still counts in the window
	// of the last answer. (Neither: too close to tell.)
	same := !turned && rem < p.rem
	p.remSeq, p.rem = tk.seq, rem
	if turned {
		// A window opened between the last answer's request and tk's
		// (when rem is limit-1, with tk). Its start is taken as late as
		// possible: now. The time between two windows opened by the
		// requests answered (both exact) is an upper bound of the
		// window's length; an inexact start would understate it.
		old, oldExact := p.start, p.exact
		if old.IsZero() {
			old = p.prevStart
		}
		exact := rem == limit-1
		if !old.IsZero() && oldExact && exact {
			if gap := now.Sub(old); gap > p.lower && (p.length == 0 || gap < p.length) {
				p.length = min(gap, maxWindowLen)
				p.setHeaderRateLocked()
			}
		}
		p.start, p.exact, p.firstSeq, p.used = now, exact, tk.seq, limit-rem+later
		if p.spent {
			p.spent, p.probing = false, false
			p.signalLocked()
		}
	} else if same && p.start.IsZero() && !p.prevStart.IsZero() && tk.seq >= p.firstSeq {
		// The client assumed the window over, but the server still
		// counts in it: the window is longer than assumed.
		p.lower = max(p.lower, tk.sent.Sub(p.prevStart))
		p.length = max(p.length, p.lower+p.lower/50)
		p.start, p.prevStart = p.prevStart, time.Time{}
		p.setHeaderRateLocked()
	}
	if tk.seq >= p.firstSeq {
		p.used = max(p.used, limit-rem+later)
	}
	if p.used >= p.limit {
		p.spendLocked(now)
	}
}

// throttledLocked handles a 429 when the server sends rate limit headers:
// the window is spent until its end.
func (p *pacer) throttledLocked(tk ticket, now time.Time, retryAfter time.Duration) {
	if tk.seq < p.firstSeq && !p.start.IsZero() {
		return // sent into the window before: this one is not spent
	}
	start := p.start
	if start.IsZero() {
		start = p.prevStart
	}
	if !start.IsZero() && tk.seq >= p.firstSeq {
		// It reached the server after it was sent: the window is
		// longer than that.
		if l := tk.sent.Sub(start); l > p.lower {
			p.lower = l
			if p.length > 0 && p.length <= l {
				p.length = min(maxWindowLen, l+l/50)
				p.setHeaderRateLocked()
			}
		}
		if p.start.IsZero() {
			p.start, p.prevStart = p.prevStart, time.Time{}
		}
	}
	if p.limit == 0 {
		p.limit = 1 // headers on the 429 only: count nothing, probe
	}
	if !p.start.IsZero() && p.length > 0 {
		p.spendLocked(now)
		if now.Before(p.hold) {
			return
		}
	}
	p.spendLocked(now)
	switch {
	case retryAfter > time.Second:
		// Retry-After has whole seconds: the window ends within its
		// last second, which probes find.
		p.probeAt = maxTime(p.probeAt, now.Add(retryAfter-time.Second))
		p.probeGap = probeFirst
	case tk.probe:
		p.probeAt = now.Add(jitter(p.probeGap))
		p.probeGap = min(probeMax, p.probeGap*2)
	}
	p.signalLocked()
}

// setHeaderRateLocked sets auto's budget from the window: Limit per length
// (per assumedWindow until the length is known).
func (p *pacer) setHeaderRateLocked() {
	if !p.mode.Auto || p.limit <= 0 {
		return
	}
	w := p.length
	if w <= 0 {
		w = assumedWindow
	}
	p.setRateLocked(max(minAutoRate, float64(p.limit)/w.Seconds()))
}

// refusedLocked handles a 429 without rate limit headers: the first of a
// run of them cuts the budget to what the server just allowed (at most half
// of it: "none" too backs off) and starts probing.
func (p *pacer) refusedLocked(tk ticket, now time.Time) {
	if p.nh {
		p.nhRefusedLocked(tk, now)
		return
	}
	p.last429 = now
	if !p.spent && !tk.sent.Before(p.resumeAt) {
		p.seen429 = true
		// The rate the server just allowed, but not less than half the
		// budget: one stray 429 must not cost more than that.
		p.trimRecentLocked(now)
		next := float64(len(p.recent)) / recentSpan.Seconds()
		if !math.IsInf(p.rate, 1) {
			next = max(next, p.rate/2)
		}
		p.setRateLocked(max(minAutoRate, next))
		p.spent, p.probing, p.spentAt = true, false, now
		// Only the refused request waits for its Retry-After (the client
		// sees to that); the others wait for a probe to get through.
		p.probeGap = probeFirst
		p.probeAt = now.Add(jitter(p.probeGap))
		p.growAt, p.okGrow = now, 0
		p.waited.Store(0)
		p.signalLocked()
		return
	}
	if tk.probe {
		p.probeAt = now.Add(jitter(p.probeGap))
		p.probeGap = min(probeMax, p.probeGap*2)
	}
}

// succeededLocked learns from a success without rate limit headers.
func (p *pacer) succeededLocked(tk ticket, now time.Time) {
	p.recent = append(p.recent, now)
	if len(p.recent) >= 64 && now.Sub(p.recent[len(p.recent)/2]) > recentSpan {
		p.trimRecentLocked(now) // amortised: at most every other append copies
	}
	if p.nh {
		p.nhSucceededLocked(tk, now)
		return
	}
	p.okSince++
	if p.spent && !tk.sent.Before(p.spentAt) {
		// The spent period is over: a request sent during it got
		// through. The successes since the end of the last one over the
		// time since are what the server allows (when they are enough
		// to tell: a success that slipped in just after the last end
		// would set a rate of nearly nothing).
		p.spent, p.probing = false, false
		if !p.resumeAt.IsZero() {
			if cycle := now.Sub(p.resumeAt); cycle > 0 && p.okSince > minCycleOK {
				p.cycleRate = max(minAutoRate, float64(p.okSince-1)/cycle.Seconds())
				p.setRateLocked(p.cycleRate)
				if p.nhEnterLocked(tk, now, p.okSince-1, cycle) {
					p.okSince = 0
					p.waited.Store(0)
					p.signalLocked()
					return
				}
			}
		}
		p.resumeAt, p.okSince = now, 1
		p.growAt, p.okGrow = now, 0
		p.waited.Store(0)
		p.signalLocked()
		return
	}
	if p.growAt.IsZero() {
		p.growAt = now
	}
	p.okGrow++
	if now.Sub(p.growAt) < time.Second || (p.mode.PerSecond > 0 && p.rate >= p.ceiling) || (!p.mode.Auto && !p.seen429) {
		return
	}
	// Grow only when the budget was what held requests back: a budget
	// raised while demand was below it would burst later.
	if p.waited.Swap(0) >= int64(p.okGrow/2) {
		next := p.rate * (1 + growth)
		if !p.seen429 {
			next = p.rate * 2 // slow start: nothing known yet
		} else if p.cycleRate > 0 {
			next = min(next, max(p.rate, p.cycleRate*(1+overshoot)))
		}
		p.setRateLocked(min(maxAutoRate, next))
	}
	p.growAt, p.okGrow = now, 0
}

func (p *pacer) trimRecentLocked(now time.Time) {
	i := 0
	for i < len(p.recent) && now.Sub(p.recent[i]) > recentSpan {
		i++
	}
	p.recent = append(p.recent[:0], p.recent[i:]...)
}

// jitter returns a pause within [d/2, d], so that clients refused together
// do not come back together.
func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func headerFloat(h http.Header, name string) (float64, bool) {
	v := strings.TrimSpace(h.Get(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, false
	}
	return n, true
}

// backoff is the pause before retry number attempt (1-based) of a request
// that failed with a network error or a 5xx: exponential, capped, jittered.
func backoff(attempt int) time.Duration {
	d := min(gateMax, 250*time.Millisecond<<min(attempt-1, 10))
	return d/2 + rand.N(d/2+1)
}

// sleep waits d or until ctx is done, whichever is first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DefaultMaxWait is how long a call keeps waiting through throttling or an
// outage before it gives up (WithMaxWait).
const DefaultMaxWait = 10 * time.Minute

// gateMax caps the backoff of a request that failed on its own.
const gateMax = 30 * time.Second

// maxOutagePause caps the pause between tries while the API does not
// answer: it is back within seconds of its return.
const maxOutagePause = 5 * time.Second

// WithMaxWait sets how long one call keeps waiting through throttling
// (429s) and outages (no answer, or only 5xx, from the API) before it
// gives up with an *UnavailableError (default DefaultMaxWait). Neither
// counts against WithMaxAttempts: the request was not carried out.
func WithMaxWait(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("max wait %v: want a positive duration", d)
		}
		c.maxWait = d
		return nil
	}
}

// UnavailableError ends a call that the API kept throttling (429) or did
// not answer (network errors, 5xx while no other request succeeded) for
// longer than the client waits, or that a Retry-After sent beyond that. The
// call was not carried out: the work is unfinished, not wrong, and callers
// stop rather than reject it (IsUnavailable).
type UnavailableError struct {
	Waited time.Duration
	Err    error // the last failure
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("the API stayed unavailable (waited %s): %v", e.Waited.Round(time.Second), e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// IsUnavailable reports whether err ended a call that throttling or an
// outage kept from being carried out: run again later, do not reject.
func IsUnavailable(err error) bool {
	var e *UnavailableError
	return errors.As(err, &e)
}

// nhEnterLocked takes the cycle that tk's success just ended (count
// successes since the last spent period's end, over cycle) as one fixed
// window: Laravel's throttle without headers. Its limit is count; its
// length lies between the last 429 of the run and cycle. A wrong guess
// shows as 429s early in a window, and nhRefusedLocked corrects it or
// gives the model up.
func (p *pacer) nhEnterLocked(tk ticket, now time.Time, count int, cycle time.Duration) bool {
	// Only auto: a fixed budget spreads a window's requests over all of
	// it, so the last ones reach the server after its end.
	if p.hdr || !p.mode.Auto || !p.last429.After(p.resumeAt) {
		return false
	}
	lower := p.last429.Sub(p.resumeAt)
	if lower <= 0 || lower >= cycle || cycle < nhMinWindow || cycle > nhMaxWindow || now.Before(p.nhAfter) {
		return false
	}
	p.nhPrevRate = p.rate
	p.nh, p.limit, p.length, p.lower = true, count, cycle, lower
	p.prevStart, p.heldPrev = p.resumeAt, true
	p.start, p.exact, p.startSent = now, true, tk.sent
	p.firstSeq, p.used, p.okCur = tk.seq, int(p.seq-tk.seq+1), 1
	p.trial, p.trialPrev, p.trialIn = false, false, 2
	p.setNHRateLocked()
	p.nhLogLocked()
	return true
}

// nhExitLocked drops the window learned without headers.
func (p *pacer) nhExitLocked() {
	p.nh = false
	p.limit, p.length, p.lower, p.used = 0, 0, 0, 0
	p.start, p.prevStart = time.Time{}, time.Time{}
	p.trial, p.trialPrev = false, false
	p.nhLogLocked()
}

// nhGiveUpLocked drops a learned window that the server's answers
// contradict: learning goes on from the rate the server allowed, and
// another window is tried only after a pause.
func (p *pacer) nhGiveUpLocked(now time.Time) {
	p.nhExitLocked()
	// Back to the rate learned before the window, in a spent period
	// started afresh (no cycle before it to measure).
	p.setRateLocked(p.nhPrevRate)
	p.cycleRate = p.nhPrevRate
	p.resumeAt, p.okSince = time.Time{}, 0
	p.spent, p.probing, p.spentAt = true, false, now
	p.probeGap = probeFirst
	p.probeAt = now.Add(jitter(p.probeGap))
	p.growAt, p.okGrow = now, 0
	p.waited.Store(0)
	p.signalLocked()
	p.nhPause = min(time.Hour, max(nhPauseFirst, 2*p.nhPause))
	p.nhAfter = now.Add(p.nhPause)
}

// setNHRateLocked sets auto's budget to the learned window's limit per
// length.
func (p *pacer) setNHRateLocked() {
	if p.mode.Auto && p.limit > 0 && p.length > 0 {
		p.setRateLocked(max(minAutoRate, float64(p.limit)/p.length.Seconds()))
	}
}

// nhTurnLocked closes the current client window of a window learned
// without headers (the next one opens): it decides whether the next one
// tries one request more.
func (p *pacer) nhTurnLocked() {
	p.heldPrev = p.used >= p.limit
	if p.heldPrev && p.okCur >= p.limit {
		p.nhBad = 0
	}
	ok := p.okCur
	p.okCur, p.refCur = 0, 0
	p.trialPrev = false
	if p.trial {
		// No 429 yet for the trial: it held if the server counted all
		// of it in the window (a late 429 undoes it). Try again right
		// away: the limit climbs by one a window until a 429 says
		// where it is.
		held := p.heldPrev && ok >= p.limit
		p.trial, p.trialPrev, p.trialIn = false, held, 1
		if !held {
			p.limit-- // the trial said nothing
			p.trialIn = trialEvery / 3
		}
	}
	if p.trialIn--; p.trialIn <= 0 && p.heldPrev {
		p.limit++
		p.trial = true
	}
	p.setNHRateLocked()
}

// nhSucceededLocked learns from a success in a window learned without
// headers: the first answer of a client window marks the server's window
// start (the request that opened it came back first), and so does a
// probe's success after a spent window whose end was not known.
func (p *pacer) nhSucceededLocked(tk ticket, now time.Time) {
	if tk.seq < p.firstSeq {
		return // counted in the window before
	}
	if p.start.IsZero() || (p.spent && tk.probe) {
		if !p.start.IsZero() {
			p.nhTurnLocked()
			p.prevStart = p.start
			p.firstSeq = tk.seq
		}
		// What the window holds: the requests sent into it but those
		// refused (probing counted the window as full).
		p.used = int(p.seq-p.firstSeq+1) - p.refCur
		// The time between two window starts bounds the length from
		// above, when the window before was spent (else the request
		// may have been counted in it).
		if p.heldPrev && !p.prevStart.IsZero() {
			if gap := now.Sub(p.prevStart); gap > p.lower && (p.length == 0 || gap < p.length) {
				p.length = min(gap, maxWindowLen)
				p.setNHRateLocked()
			}
		}
		p.start, p.exact, p.startSent = now, true, tk.sent
		if p.spent {
			p.spent, p.probing = false, false
			p.signalLocked()
		}
	}
	p.okCur++
}

// nhRefusedLocked learns from a 429 in a window learned without headers.
func (p *pacer) nhRefusedLocked(tk ticket, now time.Time) {
	p.last429 = now
	if tk.seq < p.firstSeq {
		// Sent into the window before: its trial failed late.
		if p.trialPrev {
			p.trialPrev = false
			p.limit--
			p.trialIn = trialEvery
			p.setNHRateLocked()
		}
		return
	}
	p.used-- // not counted by the server
	p.refCur++
	if p.start.IsZero() || !tk.sent.After(p.startSent) {
		// Sent with the first of the window, it reached the server
		// before the window before ended: the window is longer than
		// that. Probe until one gets through (it opens the next).
		if p.heldPrev && !p.prevStart.IsZero() {
			if l := now.Sub(p.prevStart); l > p.lower {
				p.lower = l
				if p.length <= l {
					p.length = min(maxWindowLen, l+l/50)
					p.setNHRateLocked()
				}
			}
		}
		if p.start.IsZero() {
			p.spendLocked(now)
		}
		if tk.probe {
			p.probeAt = now.Add(jitter(p.probeGap))
			p.probeGap = min(probeMax, p.probeGap*2)
		}
		return
	}
	if p.spent {
		// A probe for the end of a window whose length is not known:
		// the window still runs.
		if l := now.Sub(p.start); l > p.lower {
			p.lower = l
		}
		if tk.probe {
			p.probeAt = now.Add(jitter(p.probeGap))
			p.probeGap = min(probeMax, p.probeGap*2)
		}
		return
	}
	// The window is spent before the client counted it so.
	switch {
	case p.trial:
		p.trial = false
		p.limit--
		p.trialIn = trialEvery
	case !p.heldPrev || p.okCur >= p.limit:
		// The start may not be the server's (the window before was
		// not spent), or the count was right: nothing learned.
	case p.okCur < p.limit/2:
		// Spent far below the limit: the window did not start when
		// it seemed to. Probe for the next start (and give the model
		// up when that keeps happening: the limit is not a fixed
		// window's; learning goes on from the rate it allowed).
		if p.nhBad++; p.nhBad >= 3 {
			p.nhGiveUpLocked(now)
			return
		}
		p.used = max(p.used, p.limit)
		p.start, p.prevStart = time.Time{}, time.Time{}
		p.spent, p.probing = true, false
		p.probeGap = probeFirst
		p.probeAt = now.Add(jitter(p.probeGap))
		p.signalLocked()
		return
	default:
		if now.Sub(p.start) < p.length*6/10 {
			// Spent well before its end: the window is shorter than
			// thought. Probe for its end and measure it again.
			p.length, p.lower = 0, 0
		}
		if p.okCur < minCycleOK {
			p.nhGiveUpLocked(now)
			return
		}
		p.limit = p.okCur
		p.trialIn = 2 // soon: the count may have been short
	}
	p.setNHRateLocked()
	p.spendLocked(now)
}
