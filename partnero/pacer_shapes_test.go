package partnero

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// shape is one server the pacer must stand at the limit of: Laravel's
// fixed window (opening at the first request after the last one ended),
// with or without X-RateLimit-* headers, behind a network with latency and
// a proxy that fails some requests with a 502.
type shape struct {
	perSecond float64
	window    time.Duration
	headers   bool // X-RateLimit-Limit/Remaining, and Retry-After on 429s
}

func (s shape) String() string {
	h := "headers"
	if !s.headers {
		h = "no_headers"
	}
	return fmt.Sprintf("%g/s/window=%v/%s", s.perSecond, s.window, h)
}

// shapes are the server shapes of the pacer's tests and benchmarks.
var shapes = []shape{
	{20, time.Second, true}, {50, time.Second, true},
	{20, time.Minute, true}, {50, time.Minute, true},
	{20, time.Second, false}, {50, time.Second, false},
	{20, time.Minute, false}, {50, time.Minute, false},
}

// shapeServer counts what it admitted, refused and failed.
type shapeServer struct {
	shape
	admitted, refused, failed atomic.Int64
	limit                     atomic.Int64 // the window's limit when set: a server that changes it

	mu    sync.Mutex
	start time.Time
	hits  int
	rng   *rand.Rand
}

func newShapeServer(s shape, seed uint64) *shapeServer {
	return &shapeServer{shape: s, rng: rand.New(rand.NewPCG(seed, seed))}
}

func (s *shapeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	latency := 25*time.Millisecond + time.Duration(s.rng.Int64N(int64(50*time.Millisecond)))
	fail := s.rng.Float64() < 0.02
	s.mu.Unlock()
	time.Sleep(latency) // the network and the framework before the throttle
	limit := int(math.Round(s.perSecond * s.window.Seconds()))
	if n := s.limit.Load(); n > 0 {
		limit = int(n)
	}
	now := time.Now()
	s.mu.Lock()
	if s.start.IsZero() || !now.Before(s.start.Add(s.window)) {
		s.start, s.hits = now, 0
	}
	ok := s.hits < limit
	if ok {
		s.hits++
	}
	remaining, reset := limit-s.hits, s.start.Add(s.window)
	s.mu.Unlock()
	if !ok {
		s.refused.Add(1)
		if s.headers {
			w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(reset.Sub(now).Seconds()))))
		}
		reply(w, 429, `{"message":"Too Many Attempts."}`)
		return
	}
	s.admitted.Add(1)
	if fail {
		s.failed.Add(1)
		w.WriteHeader(502) // the proxy's: no rate limit headers
		return
	}
	if s.headers {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	}
	reply(w, 200, okPage)
}

// shapeResult is what one run against a shape measured.
type shapeResult struct {
	budgetUsed float64       // admitted requests / (budget x measured time)
	share429   float64       // 429s / requests, measured
	warmup     time.Duration // until the first 10 s stretch at >= 97% of budget
}

// runShape runs workers against a fresh server of shape s with rate r for
// warm + measure (fake time inside a synctest bubble), and measures the
// part after warm. It also finds the warm-up: the start of the first 10 s
// stretch (60 s for 60 s windows: a stretch must hold whole windows) in
// which the server admitted the target share of its budget.
func runShape(t testing.TB, s shape, r Rate, workers int, warm, measure time.Duration, seed uint64, target float64) shapeResult {
	srv := newShapeServer(s, seed)
	c, err := NewClient(WithBaseURL("http://api.test/v1/"), WithAPIKey(testKey),
		WithHTTPClient(&http.Client{Transport: handlerTransport{srv}}), WithRate(r))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				_, _ = c.Partners.List(ctx, ListOptions{})
			}
		})
	}
	stretch := max(10*time.Second, s.window)
	start := time.Now()
	marks := []int64{0} // admitted at each second
	for time.Since(start) < warm {
		time.Sleep(time.Second)
		marks = append(marks, srv.admitted.Load())
	}
	// The warm-up ends where the first stretch at the target share of the
	// budget starts: from there on the budget is used.
	warmup := warm
	k := int(stretch / time.Second)
	for i := 0; i+k < len(marks); i++ {
		if float64(marks[i+k]-marks[i]) >= target*s.perSecond*stretch.Seconds() {
			warmup = time.Duration(i) * time.Second
			break
		}
	}
	lastAdmitted := srv.admitted.Load()
	refused0 := srv.refused.Load()
	requests0 := srv.admitted.Load() + srv.refused.Load()
	time.Sleep(measure)
	cancel()
	wg.Wait()
	admitted := srv.admitted.Load() - lastAdmitted
	refused := srv.refused.Load() - refused0
	requests := srv.admitted.Load() + srv.refused.Load() - requests0
	return shapeResult{
		budgetUsed: float64(admitted) / (s.perSecond * measure.Seconds()),
		share429:   float64(refused) / float64(max(1, requests)),
		warmup:     warmup,
	}
}

// TestPacerStandsAtTheLimit runs --rate auto and a fixed --rate equal to
// the server's budget against each shape, with 16 workers, and requires at
// least 97% of the budget with at most 1% 429s after a warm-up of at most
// 10 s (the first 10 s stretch at the required share). Without headers
// auto learns a 1 s window from its 429s and stands at it; a fixed --rate
// without headers paces evenly and is held to what that reaches (88%):
// each window loses the time from its end to the next request.
func TestPacerStandsAtTheLimit(t *testing.T) {
	for _, s := range shapes {
		for _, mode := range []string{"auto", "fixed"} {
			t.Run(s.String()+"/"+mode, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					r := Rate{Auto: true}
					if mode == "fixed" {
						r = Rate{PerSecond: s.perSecond}
					}
					minUsed := 0.97
					if !s.headers && s.window == time.Second && mode == "fixed" {
						minUsed = 0.88
					}
					warm, measure := 30*time.Second, 60*time.Second
					if s.window == time.Minute {
						warm, measure = 4*time.Minute, 5*time.Minute
					}
					res := runShape(t, s, r, 16, warm, measure, 1, minUsed)
					t.Logf("budget used %.1f%%, 429s %.2f%%, warm-up %v", 100*res.budgetUsed, 100*res.share429, res.warmup)
					if res.budgetUsed < minUsed || res.budgetUsed > 1.01 {
						t.Errorf("budget used %.1f%%, want >= %.0f%%", 100*res.budgetUsed, 100*minUsed)
					}
					if res.share429 > 0.01 {
						t.Errorf("%.2f%% 429s, want <= 1%%", 100*res.share429)
					}
					const maxWarm = 10 * time.Second
					if res.warmup > maxWarm {
						t.Errorf("warm-up %v, want <= %v", res.warmup, maxWarm)
					}
				})
			})
		}
	}
}

// TestLowDemandKeepsTheWindow: a client whose demand is below the server's
// budget never spends a window, so new windows show only by Remaining
// rising, and only "Remaining fell" may be read as "the server still counts
// in the old window" (which stretches the learned window). The learned
// budget must stay the server's.
func TestLowDemandKeepsTheWindow(t *testing.T) {
	for _, workers := range []int{2, 4} {
		t.Run(strconv.Itoa(workers), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newShapeServer(shape{50, time.Second, true}, 3)
				c, err := NewClient(WithBaseURL("http://api.test/v1/"), WithAPIKey(testKey),
					WithHTTPClient(&http.Client{Transport: handlerTransport{srv}}), WithRate(Rate{Auto: true}))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
				defer cancel()
				runWorkers(ctx, c, workers)
				if l := c.Limit(); l < 0.95*50 || l > 50.5 {
					t.Errorf("budget %.1f/s after two minutes below a 50/s server's limit", l)
				}
			})
		})
	}
}

// TestLearnedWindowFollowsTheLimit: without headers, auto learns a 1 s
// window from its 429s, and follows the server when it changes its limit:
// a raised limit is found by trying one request more now and then, a
// lowered one by the 429s that come before the window's count is reached.
func TestLearnedWindowFollowsTheLimit(t *testing.T) {
	for _, to := range []int{25, 15} {
		t.Run(strconv.Itoa(to), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv := newShapeServer(shape{20, time.Second, false}, 5)
				c, err := NewClient(WithBaseURL("http://api.test/v1/"), WithAPIKey(testKey),
					WithHTTPClient(&http.Client{Transport: handlerTransport{srv}}), WithRate(Rate{Auto: true}))
				if err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(t.Context())
				var wg sync.WaitGroup
				for range 16 {
					wg.Go(func() {
						for ctx.Err() == nil {
							_, _ = c.Partners.List(ctx, ListOptions{})
						}
					})
				}
				time.Sleep(30 * time.Second)
				srv.limit.Store(int64(to))
				time.Sleep(60 * time.Second) // 30 windows and more: time for a trial and a climb
				admitted0, refused0 := srv.admitted.Load(), srv.refused.Load()
				const measure = 60 * time.Second
				time.Sleep(measure)
				admitted, refused := srv.admitted.Load()-admitted0, srv.refused.Load()-refused0
				cancel()
				wg.Wait()
				used := float64(admitted) / (float64(to) * measure.Seconds())
				share429 := float64(refused) / float64(max(1, admitted+refused))
				t.Logf("limit 20 -> %d per second: budget used %.1f%%, 429s %.2f%%", to, 100*used, 100*share429)
				if used < 0.97 || used > 1.01 {
					t.Errorf("budget used %.1f%% after the limit changed to %d/s, want >= 97%%", 100*used, to)
				}
				if share429 > 0.01 {
					t.Errorf("%.2f%% 429s, want <= 1%%", 100*share429)
				}
			})
		})
	}
}
