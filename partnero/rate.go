package partnero

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a request budget. Auto learns it from the API (rate-limit headers
// when the API sends them, additive increase / multiplicative decrease when it
// does not); PerSecond > 0 is a fixed budget; the zero Rate is no budget at
// all (only 429s slow the client down).
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

// Pacing constants. Auto mode starts conservatively and finds the budget.
const (
	autoStartRate = 5.0    // requests per second before anything is known
	minAutoRate   = 0.2    // never slower than one request in 5 s
	maxAutoRate   = 1000.0 // a ceiling for additive increase
	// headerWindow is the window X-RateLimit-Limit counts over when the API
	// does not say: Laravel's throttle counts per minute ("600 per minute").
	headerWindow    = time.Minute
	maxHeaderWindow = time.Hour
	// headerShare is the share of a header-learned budget the client uses: a
	// token bucket with burst 1 can fit one request more than rate*window in
	// a window, and other tools may share the key.
	headerShare = 0.98
	// gateBase and gateMax bound the pause after a 429 without Retry-After.
	gateBase = time.Second
	gateMax  = 30 * time.Second
)

// pacer is the pacing every request made with one client shares: a token
// bucket for the long-run rate, and a not-before gate that a 429 closes for
// every caller at once.
//
// rate.Limiter alone cannot do the second, and SetLimit does not reschedule
// callers already holding reservations (cancelling many reservations does not
// restore the bucket exactly either). So callers take turns: one caller at a
// time holds the turn and the only outstanding reservation; when the gate or
// the limit changes (the changed channel is closed) it cancels that one
// reservation, which the limiter undoes exactly, and reserves again under the
// new rules. Everyone else queues for the turn.
type pacer struct {
	limiter *rate.Limiter
	mode    Rate
	turn    chan struct{} // a one-slot semaphore: who may reserve

	mu          sync.Mutex
	limit       float64       // current budget, req/s; +Inf when none
	notBefore   time.Time     // the gate: no request starts before it
	changed     chan struct{} // closed and replaced when limit or gate change
	fromHeaders bool          // the budget came from X-RateLimit-Limit
	strikes     int           // 429 events in a row, for the gate's backoff
	lastEvent   time.Time     // the last 429 that counted: earlier requests do not count again
	// Header state (auto mode with X-RateLimit-Limit): the limit counts
	// requests per window, whose length no header gives. It starts as
	// Laravel's minute and shrinks when Remaining proves it shorter.
	hdrLimit   float64
	window     time.Duration
	evalStart  time.Time
	evalHits   int
	evalMinRem float64
	// AIMD state (auto mode without headers).
	peak        float64 // the budget at the last 429: recover fast up to near it
	windowStart time.Time
	windowOK    int // successes since windowStart

	waited atomic.Int64 // callers that had to wait since windowStart: was the budget the bottleneck?
}

func newPacer(r Rate) *pacer {
	p := &pacer{mode: r, changed: make(chan struct{}), turn: make(chan struct{}, 1)}
	switch {
	case r.Auto:
		p.limit = autoStartRate
	case r.PerSecond > 0:
		p.limit = r.PerSecond
	default:
		p.limit = math.Inf(1)
	}
	// Burst 1: requests are spaced evenly, never bunched, so a budget that
	// matches the server's is not exceeded in any window.
	p.limiter = rate.NewLimiter(limitOf(p.limit), 1)
	return p
}

// currentLimit returns the budget (0 when there is none).
func (p *pacer) currentLimit() (float64, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if math.IsInf(p.limit, 1) {
		return 0, p.fromHeaders
	}
	return p.limit, p.fromHeaders
}

// wait blocks until the caller may send one request: the gate is open and
// the token bucket gives a token. Cancellation wins: it returns ctx.Err()
// itself (never rate.Limiter's "would exceed deadline" error).
func (p *pacer) wait(ctx context.Context) error {
	select {
	case p.turn <- struct{}{}:
	default:
		p.waited.Add(1)
		select {
		case p.turn <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	defer func() { <-p.turn }()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		p.mu.Lock()
		gate, changed := p.notBefore, p.changed
		p.mu.Unlock()
		if d := time.Until(gate); d > 0 {
			if err := sleep(ctx, d); err != nil {
				return err
			}
			continue // the gate may have moved on meanwhile
		}
		r := p.limiter.Reserve()
		d := r.Delay()
		if d == 0 {
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
			// select picks at random when changed is ready too: a gate
			// closed at this very moment still holds this request back.
			p.mu.Lock()
			closed := time.Now().Before(p.notBefore)
			p.mu.Unlock()
			if !closed {
				return nil
			}
		case <-changed:
			t.Stop()
			r.Cancel()
		case <-ctx.Done():
			t.Stop()
			r.Cancel()
			return ctx.Err()
		}
	}
}

// limitOf converts a budget to the limiter's type: rate.Inf (not +Inf, which
// the limiter's arithmetic would turn into NaN) means no budget.
func limitOf(l float64) rate.Limit {
	if math.IsInf(l, 1) {
		return rate.Inf
	}
	return rate.Limit(l)
}

// signalLocked wakes every waiter to requeue under the new gate or limit.
func (p *pacer) signalLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

func (p *pacer) setLimitLocked(l float64) {
	if l == p.limit {
		return
	}
	p.limit = l
	p.limiter.SetLimit(limitOf(l))
	p.signalLocked()
}

// observe learns from one answer: sentAt is when the request left, status
// its HTTP status (0 for a network error), retryAfter what a 429 asked for.
func (p *pacer) observe(sentAt time.Time, status int, h http.Header, retryAfter time.Duration) {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mode.Auto && h != nil {
		p.learnLocked(h, now)
	}
	if status == http.StatusTooManyRequests {
		// Requests already in flight when the last 429 came back were sent
		// under the old rules: their 429s belong to the same event.
		event := sentAt.After(p.lastEvent)
		if event {
			p.strikes++
			p.lastEvent = now
		}
		d := retryAfter
		if d <= 0 {
			// No word from the server: back off exponentially, with
			// jitter so that many clients do not come back together.
			d = min(gateMax, gateBase<<min(p.strikes-1, 10))
			d = d/2 + rand.N(d/2+1)
		}
		if until := now.Add(d); until.After(p.notBefore) {
			p.notBefore = until
			p.signalLocked()
		}
		if event && p.mode.Auto && p.fromHeaders {
			// The window is longer than assumed (or someone else spends
			// the key's budget): lengthen it; Remaining shortens it again
			// if this was a fluke.
			p.window = min(maxHeaderWindow, p.window*5/4)
			p.setHeaderBudgetLocked()
		}
		if event && p.mode.Auto && !p.fromHeaders {
			// Multiplicative decrease, once per congestion event.
			p.peak = p.limit
			p.setLimitLocked(max(minAutoRate, p.limit/2))
			p.windowStart, p.windowOK = now, 0
			p.waited.Store(0)
		}
		return
	}
	if status == 0 || status >= 500 {
		return // says nothing about the budget
	}
	p.strikes = 0
	if !p.mode.Auto || p.fromHeaders {
		return
	}
	// Additive increase, once per success window: about one second's worth
	// of requests at the current budget, all without a 429.
	if p.windowStart.IsZero() {
		p.windowStart = now
	}
	p.windowOK++
	if p.windowOK < int(math.Ceil(p.limit)) || now.Sub(p.windowStart) < time.Second {
		return
	}
	// Only grow when the budget was what held requests back: a budget
	// raised while demand was below it would burst later.
	saturated := p.waited.Swap(0) >= int64(p.windowOK/2)
	if saturated {
		next := p.limit + 1
		if p.peak == 0 {
			next = p.limit * 2 // slow start: nothing known yet
		} else if p.limit < 0.85*p.peak {
			next = min(p.limit*1.5, 0.85*p.peak) // back to near the last good budget
		}
		p.setLimitLocked(min(maxAutoRate, next))
	}
	p.windowStart, p.windowOK = now, 0
}

// learnLocked sets the budget from X-RateLimit-Limit (requests per window)
// and X-RateLimit-Remaining.
//
// The window is assumed to be a minute (Laravel's throttle), but servers
// count per second too. Remaining tells: over one assumed window of sending
// at the budget, Remaining must drop to about Limit - budget x window. If it
// stays high, the server refills faster than assumed: the hits seen in one
// window (Limit - lowest Remaining) divided by the rate sent is the real
// window, and the budget grows to match. A 429 lengthens the window by a
// quarter (the server counts over longer than assumed, or another client
// spends the same key). The check needs the budget to have
// been the bottleneck (callers waited), else low traffic would look the same.
// It concludes early when the requests seen outnumber what one window could
// have counted.
func (p *pacer) learnLocked(h http.Header, now time.Time) {
	n, ok := headerFloat(h, "X-RateLimit-Limit")
	if !ok || n <= 0 {
		return
	}
	if !p.fromHeaders || n != p.hdrLimit {
		p.fromHeaders, p.hdrLimit = true, n
		if p.window == 0 {
			p.window = headerWindow
		}
		p.resetEvalLocked(now)
		p.setHeaderBudgetLocked()
		return
	}
	rem, ok := headerFloat(h, "X-RateLimit-Remaining")
	if !ok {
		return
	}
	p.evalHits++
	p.evalMinRem = min(p.evalMinRem, rem)
	elapsed := now.Sub(p.evalStart)
	// Without a reset, Remaining drops by one per request: Limit - lowest
	// Remaining >= requests seen. Twice as many requests as that prove the
	// window has already turned over, before a whole assumed window passed.
	turnedOver := p.evalHits >= 4 && float64(p.evalHits) >= 2*max(1, n-p.evalMinRem)
	if elapsed < time.Second || (elapsed < p.window && !turnedOver) {
		return
	}
	if saturated := p.waited.Swap(0) >= int64(p.evalHits/2); saturated {
		perWindow := max(1, n-p.evalMinRem)
		sent := float64(p.evalHits) / elapsed.Seconds()
		actual := time.Duration(perWindow / sent * float64(time.Second))
		if actual < p.window*95/100 {
			p.window = max(time.Second, actual)
			p.setHeaderBudgetLocked()
		}
	}
	p.resetEvalLocked(now)
}

func (p *pacer) resetEvalLocked(now time.Time) {
	p.evalStart, p.evalHits, p.evalMinRem = now, 0, math.Inf(1)
	p.waited.Store(0)
}

func (p *pacer) setHeaderBudgetLocked() {
	budget := max(minAutoRate, p.hdrLimit/p.window.Seconds()*headerShare)
	// Avoid waking every waiter for a change that does not matter.
	if math.Abs(budget-p.limit) > 0.005*p.limit {
		p.setLimitLocked(budget)
	}
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
