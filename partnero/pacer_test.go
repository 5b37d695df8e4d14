package partnero

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/time/rate"
)

// The tests here run inside synctest bubbles: time is fake, so minutes of
// pacing take milliseconds, and the server is a handler behind a
// RoundTripper (a real socket would not be durably blocking).

// handlerTransport serves requests with a handler in the caller's goroutine.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	if rec.Code == statusDrop {
		return nil, errors.New("connection reset by peer")
	}
	return rec.Result(), nil
}

// statusDrop makes handlerTransport fail the request as a network error.
const statusDrop = 999

// bubbleClient returns a client whose requests are served by h.
func bubbleClient(t *testing.T, h http.HandlerFunc, opts ...Option) *Client {
	t.Helper()
	all := append([]Option{
		WithBaseURL("http://api.test/v1/"), WithAPIKey(testKey),
		WithHTTPClient(&http.Client{Transport: handlerTransport{h}}),
	}, opts...)
	c, err := NewClient(all...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

const okPage = `{"data":[],"links":{"next":null},"meta":{"current_page":1,"per_page":15},"status":1}`

// arrivals records when requests reached the server.
type arrivals struct {
	mu    sync.Mutex
	times []time.Time
}

func (a *arrivals) add(t time.Time) {
	a.mu.Lock()
	a.times = append(a.times, t)
	a.mu.Unlock()
}

func (a *arrivals) between(from, to time.Time) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, t := range a.times {
		if !t.Before(from) && t.Before(to) {
			n++
		}
	}
	return n
}

// runWorkers runs n workers calling List until ctx ends; it returns the
// number of successful calls.
func runWorkers(ctx context.Context, c *Client, n int) int64 {
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := c.Partners.List(ctx, ListOptions{}); err == nil {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return ok.Load()
}

func TestFixedBudgetHonoured(t *testing.T) {
	for _, perSecond := range []float64{2, 20, 100} {
		t.Run(strconv.FormatFloat(perSecond, 'f', -1, 64), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var seen arrivals
				c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
					seen.add(time.Now())
					time.Sleep(30 * time.Millisecond)
					reply(w, 200, okPage)
				}, WithRate(Rate{PerSecond: perSecond}))
				start := time.Now()
				const run = 20 * time.Second
				ctx, cancel := context.WithTimeout(t.Context(), run)
				defer cancel()
				runWorkers(ctx, c, 16)
				got := float64(seen.between(start, start.Add(run))) / run.Seconds()
				if got < perSecond*0.97 || got > perSecond*1.03+1/run.Seconds() {
					t.Errorf("sustained %.2f req/s for a budget of %v", got, perSecond)
				}
				// No one-second window may exceed the budget (burst is 1).
				for s := start; s.Before(start.Add(run - time.Second)); s = s.Add(100 * time.Millisecond) {
					if n := seen.between(s, s.Add(time.Second)); float64(n) > perSecond+1 {
						t.Fatalf("%d requests in the second from %v", n, s.Sub(start))
					}
				}
			})
		})
	}
}

// TestRetryAfterHonoured: a 429 without rate limit headers makes the
// refused request wait for its Retry-After, while the other workers stop
// only until one probe gets through (not a global gate per 429).
func TestRetryAfterHonoured(t *testing.T) {
	// minPause: the refused request is not sent again sooner after its
	// 429 came back.
	tests := []struct {
		name       string
		retryAfter func(now time.Time) string
		minPause   time.Duration
	}{
		{"seconds", func(time.Time) string { return "3" }, 3 * time.Second},
		// An HTTP date has whole seconds: 4 s from a moment 1.0x s into the
		// run is the start of second 5.
		{"HTTP date", func(now time.Time) string { return now.Add(4 * time.Second).UTC().Format(http.TimeFormat) }, 3900 * time.Millisecond},
		{"none", func(time.Time) string { return "" }, probeFirst / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const latency = 10 * time.Millisecond
				var seen, refusedSeen arrivals
				var answered atomic.Int64 // UnixNano when the 429 came back
				c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
					now := time.Now()
					seen.add(now)
					time.Sleep(latency)
					if strings.HasSuffix(r.URL.Path, "/refused") {
						refusedSeen.add(now)
						if answered.Load() == 0 {
							if ra := tt.retryAfter(now); ra != "" {
								w.Header().Set("Retry-After", ra)
							}
							answered.Store(time.Now().UnixNano())
							reply(w, 429, `{"message":"Too Many Attempts."}`)
							return
						}
						reply(w, 200, `{"data":{"id":"refused"}}`)
						return
					}
					reply(w, 200, okPage)
				}, WithRate(Rate{PerSecond: 50}))
				ctx, cancel := context.WithTimeout(t.Context(), 8*time.Second)
				defer cancel()
				var wg sync.WaitGroup
				wg.Go(func() { runWorkers(ctx, c, 8) })
				time.Sleep(time.Second)
				if _, err := c.Partners.Get(ctx, "refused"); err != nil {
					t.Fatal(err)
				}
				wg.Wait()

				at := time.Unix(0, answered.Load())
				if len(refusedSeen.times) != 2 || refusedSeen.times[1].Sub(at) < tt.minPause {
					t.Errorf("the refused request was sent at %v, its 429 came back at %v", refusedSeen.times, at)
				}
				// The others go on after a probe, at the budget less a little.
				if n := seen.between(at.Add(100*time.Millisecond), at.Add(1100*time.Millisecond)); n < 45 {
					t.Errorf("only %d requests in the second after the 429", n)
				}
				if s := c.Stats(); s.RateLimited != 1 || s.Retries != 1 {
					t.Errorf("stats = %+v", s)
				}
			})
		})
	}
}

// TestLate429AfterSuccessDoesNotPanic: a 429 without Retry-After for a
// request sent before the last 429 came back, arriving after a success,
// once made the pacer shift by a negative amount and panic.
func TestLate429AfterSuccessDoesNotPanic(t *testing.T) {
	for _, rate := range []Rate{{}, {Auto: true}, {PerSecond: 50}} {
		t.Run(rate.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var slowDone atomic.Bool
				c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
					switch {
					case strings.HasSuffix(r.URL.Path, "/slow") && !slowDone.Load():
						// Sent first, answered last: 429, no Retry-After.
						time.Sleep(3 * time.Second)
						slowDone.Store(true)
						reply(w, 429, `{"message":"Too Many Attempts."}`)
					case strings.HasSuffix(r.URL.Path, "/fast") && !slowDone.Load():
						time.Sleep(100 * time.Millisecond)
						reply(w, 429, `{"message":"Too Many Attempts."}`)
					default:
						reply(w, 200, `{"data":{"id":"x"}}`)
					}
				}, WithRate(rate))
				var wg sync.WaitGroup
				wg.Go(func() {
					if _, err := c.Partners.Get(t.Context(), "slow"); err != nil {
						t.Error(err)
					}
				})
				time.Sleep(time.Millisecond)
				// fast draws a 429 first; its retry succeeds (which
				// resets the old strike count) long before slow's 429.
				wg.Go(func() {
					for range 3 {
						if _, err := c.Partners.Get(t.Context(), "ok"); err != nil {
							t.Error(err)
						}
					}
				})
				if _, err := c.Partners.Get(t.Context(), "fast"); err == nil {
					t.Log("fast got through")
				}
				wg.Wait()
			})
		})
	}
}

// limitedServer is a server with a token-bucket limit and no rate-limit
// headers: the client can only learn the budget from its 429s.
func limitedServer(perSecond float64, burst int, retryAfter string, served *atomic.Int64, limited *atomic.Int64) http.HandlerFunc {
	lim := rate.NewLimiter(rate.Limit(perSecond), burst)
	return func(w http.ResponseWriter, r *http.Request) {
		ok := lim.Allow()
		time.Sleep(20 * time.Millisecond)
		if !ok {
			limited.Add(1)
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			reply(w, 429, `{"message":"Too Many Attempts."}`)
			return
		}
		served.Add(1)
		reply(w, 200, okPage)
	}
}

func TestAIMDConvergesUnderServerLimit(t *testing.T) {
	for _, retryAfter := range []string{"", "1"} {
		t.Run("Retry-After="+retryAfter, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const serverLimit = 20.0
				var served, limited atomic.Int64
				c := bubbleClient(t, limitedServer(serverLimit, 5, retryAfter, &served, &limited), WithRate(Rate{Auto: true}))
				// Warm up, then measure the steady state.
				warm, cancel := context.WithTimeout(t.Context(), 60*time.Second)
				runWorkers(warm, c, 20)
				cancel()
				served.Store(0)
				limited.Store(0)
				const run = 120 * time.Second
				ctx, cancel := context.WithTimeout(t.Context(), run)
				defer cancel()
				runWorkers(ctx, c, 20)
				got := float64(served.Load()) / run.Seconds()
				share429 := float64(limited.Load()) / float64(served.Load()+limited.Load())
				t.Logf("sustained %.1f req/s under a server limit of %v; %.1f%% 429s; client budget now %.1f", got, serverLimit, 100*share429, c.Limit())
				if got < 0.9*serverLimit || got > serverLimit*1.01+5/run.Seconds() {
					t.Errorf("sustained %.1f req/s under a server limit of %v", got, serverLimit)
				}
				if share429 > 0.05 {
					t.Errorf("%.1f%% of requests drew a 429", 100*share429)
				}
				if s := c.Stats(); s.LearnedFromHeaders || s.Limit <= 0 || s.Limit > 2*serverLimit {
					t.Errorf("stats = %+v", s)
				}
			})
		})
	}
}

// fixedWindowServer is Laravel's throttle: limit hits per fixed window that
// opens at the first request, X-RateLimit-* headers on every answer, and a
// 429 with Retry-After until the window ends.
func fixedWindowServer(limit int, window time.Duration, served, limited *atomic.Int64) http.HandlerFunc {
	var mu sync.Mutex
	var start time.Time
	hits := 0
	return func(w http.ResponseWriter, r *http.Request) {
		now := time.Now()
		mu.Lock()
		if start.IsZero() || !now.Before(start.Add(window)) {
			start, hits = now, 0
		}
		ok := hits < limit
		if ok {
			hits++
		}
		remaining, reset := limit-hits, start.Add(window)
		mu.Unlock()
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(limit))
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
		time.Sleep(20 * time.Millisecond)
		if !ok {
			limited.Add(1)
			w.Header().Set("Retry-After", strconv.Itoa(int(reset.Sub(now).Seconds()+0.999)))
			reply(w, 429, `{"message":"Too Many Attempts."}`)
			return
		}
		served.Add(1)
		reply(w, 200, okPage)
	}
}

func TestAutoLearnsFromHeaders(t *testing.T) {
	tests := []struct {
		name   string
		limit  int
		window time.Duration
		warmup time.Duration // how long learning may take
	}{
		// Laravel's default: a per-minute window. The first is spent at
		// once (the client assumes a second until shown otherwise); the
		// 429 of one probe says when it ends, to the second, and a few
		// probes in that last second find the end.
		{"per minute", 1200, time.Minute, 0},
		// A per-second window looks like a per-minute one at first; the
		// Remaining header proves it shorter within seconds.
		{"per second", 20, time.Second, 20 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var served, limited atomic.Int64
				c := bubbleClient(t, fixedWindowServer(tt.limit, tt.window, &served, &limited), WithRate(Rate{Auto: true}))
				if tt.warmup > 0 {
					ctx, cancel := context.WithTimeout(t.Context(), tt.warmup)
					runWorkers(ctx, c, 10)
					cancel()
				}
				served.Store(0)
				limited.Store(0)
				const run = 3 * time.Minute
				ctx, cancel := context.WithTimeout(t.Context(), run)
				defer cancel()
				runWorkers(ctx, c, 10)
				s := c.Stats()
				budget := float64(tt.limit) / tt.window.Seconds()
				got := float64(served.Load()) / run.Seconds()
				t.Logf("sustained %.2f req/s for a server budget of %v/s; %d 429s; client budget %.2f", got, budget, limited.Load(), s.Limit)
				if !s.LearnedFromHeaders || s.Limit < 0.95*budget || s.Limit > budget {
					t.Errorf("stats = %+v", s)
				}
				// A window ending within the run may add one request.
				if got < 0.95*budget || got > budget*1.01 {
					t.Errorf("sustained %.2f req/s for a server budget of %v/s", got, budget)
				}
				if limited.Load() > 8 {
					t.Errorf("%d 429s", limited.Load())
				}
			})
		})
	}
}

func TestCancellationInterruptsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
			reply(w, 200, okPage)
		}, WithRate(Rate{PerSecond: 0.1}))
		if _, err := c.Partners.List(t.Context(), ListOptions{}); err != nil {
			t.Fatal(err)
		}
		// The next token is 10 s away; a 1 s deadline must end the wait at 1 s
		// with the context's own error.
		start := time.Now()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		_, err := c.Partners.List(ctx, ListOptions{})
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != time.Second {
			t.Errorf("err = %v after %v", err, time.Since(start))
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// A gate closed by Retry-After: 60 is interrupted by cancel.
		calls := 0
		c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls++
			w.Header().Set("Retry-After", "60")
			reply(w, 429, `{}`)
		}, WithRate(Rate{}))
		ctx, cancel := context.WithCancel(t.Context())
		time.AfterFunc(2*time.Second, cancel)
		start := time.Now()
		_, err := c.Partners.List(ctx, ListOptions{})
		if !errors.Is(err, context.Canceled) || time.Since(start) != 2*time.Second || calls != 1 {
			t.Errorf("err = %v after %v and %d calls", err, time.Since(start), calls)
		}
	})
}

func TestRetriesBackOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var seen arrivals
		c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
			seen.add(time.Now())
			switch len(seen.times) {
			case 1:
				w.WriteHeader(statusDrop)
			case 2:
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(503)
				io.WriteString(w, "<h1>Service Unavailable</h1>")
			case 3:
				reply(w, 429, `{"message":"Too Many Attempts."}`)
			default:
				reply(w, 200, `{"data":{"id":"p1"}}`)
			}
		}, WithRate(Rate{}))
		if _, err := c.Partners.Get(t.Context(), "p1"); err != nil {
			t.Fatal(err)
		}
		ts := seen.times
		gaps := []time.Duration{ts[1].Sub(ts[0]), ts[2].Sub(ts[1]), ts[3].Sub(ts[2])}
		// Jittered within [d/2, d]: 250 ms, 500 ms, then the pacer's first
		// probe after a 429 that said nothing.
		bounds := [][2]time.Duration{{125 * time.Millisecond, 250 * time.Millisecond}, {250 * time.Millisecond, 500 * time.Millisecond}, {probeFirst / 2, probeFirst}}
		for i, g := range gaps {
			if g < bounds[i][0] || g > bounds[i][1] {
				t.Errorf("pause %d = %v, want within %v", i, g, bounds[i])
			}
		}
		if s := c.Stats(); s.Requests != 4 || s.Retries != 3 || s.NetworkErrors != 1 || s.ServerErrors != 1 || s.RateLimited != 1 {
			t.Errorf("stats = %+v", s)
		}
	})
}

func TestAttemptsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		// One request keeps failing while the API answers others: its
		// own fault, capped at the attempts.
		var calls atomic.Int64
		c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/p1") {
				calls.Add(1)
				w.WriteHeader(502)
				return
			}
			time.Sleep(10 * time.Millisecond)
			reply(w, 200, okPage)
		}, WithRate(Rate{}))
		ctx, cancel := context.WithCancel(t.Context())
		var wg sync.WaitGroup
		wg.Go(func() { runWorkers(ctx, c, 1) })
		time.Sleep(100 * time.Millisecond)
		_, err := c.Partners.Get(t.Context(), "p1")
		cancel()
		wg.Wait()
		if !errors.Is(err, ErrServer) || IsUnavailable(err) || calls.Load() != defaultMaxAttempts {
			t.Errorf("err = %v after %d calls", err, calls.Load())
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// An outage (the API answered, then answers no one) is waited
		// out up to the client's max wait, in pauses of at most
		// maxOutagePause, and then ends as unavailable: unfinished, not
		// wrong.
		calls := 0
		c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls++
			if !strings.HasSuffix(r.URL.Path, "/p1") {
				reply(w, 200, okPage)
				return
			}
			w.WriteHeader(statusDrop)
		}, WithRate(Rate{}), WithMaxWait(time.Minute))
		if _, err := c.Partners.List(t.Context(), ListOptions{}); err != nil {
			t.Fatal(err)
		}
		calls = 0
		start := time.Now()
		_, err := c.Partners.Get(t.Context(), "p1")
		// The first failure counts as the request's own (the API had just
		// answered): the wait starts with the second.
		if d := time.Since(start); !IsUnavailable(err) || d < time.Minute || d > time.Minute+time.Second || calls < 12 || calls > 30 {
			t.Errorf("err = %v after %v and %d calls", err, time.Since(start), calls)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// An API that never answered (a wrong URL, a host that is down)
		// is not an outage: the attempts are counted.
		calls := 0
		c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls++
			w.WriteHeader(statusDrop)
		}, WithRate(Rate{}))
		_, err := c.Partners.Get(t.Context(), "p1")
		if !errors.Is(err, ErrNetwork) || IsUnavailable(err) || calls != defaultMaxAttempts {
			t.Errorf("err = %v after %d calls", err, calls)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		// A Retry-After beyond what the client waits for fails at once.
		calls := 0
		c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
			calls++
			w.Header().Set("Retry-After", "86400")
			reply(w, 429, `{}`)
		}, WithRate(Rate{}))
		_, err := c.Partners.Get(t.Context(), "p1")
		re, ok := errors.AsType[*Error](err)
		if !ok || !errors.Is(err, ErrRateLimited) || !IsUnavailable(err) || re.RetryAfter != 24*time.Hour || calls != 1 {
			t.Errorf("err = %v after %d calls", err, calls)
		}
	})
}

func TestNoRetryOn4xx(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 405, 409, 422} {
		synctest.Test(t, func(t *testing.T) {
			calls := 0
			c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
				calls++
				reply(w, status, `{"message":"no"}`)
			}, WithRate(Rate{}))
			_, err := c.Partners.Get(t.Context(), "p1")
			if StatusCode(err) != status || IsRetryable(err) || calls != 1 {
				t.Errorf("%d: err = %v after %d calls", status, err, calls)
			}
		})
	}
}

func TestTransactionCreateRetriesOff(t *testing.T) {
	tests := []struct {
		name      string
		first     int // the status of the first answer
		wantCalls int
		wantErr   bool
	}{
		{"dropped", statusDrop, 1, true},
		{"502", 502, 1, true},
		{"429 is retried", 429, 2, false},
		{"422 is final anyway", 422, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				calls := 0
				c := bubbleClient(t, func(w http.ResponseWriter, r *http.Request) {
					calls++
					if calls == 1 {
						w.WriteHeader(tt.first)
						return
					}
					if strings.Contains(bodyText(r), `"transactions"`) {
						reply(w, 201, `{"data":[{"key":"t1"}],"status":1}`)
						return
					}
					reply(w, 201, `{"data":{"key":"t1"},"status":1}`)
				}, WithRate(Rate{}), WithTransactionCreateRetries(false))
				_, err := c.Transactions.Create(t.Context(), &Transaction{Key: "t1", Customer: CustomerRef{Key: "c1"}}, nil)
				if (err != nil) != tt.wantErr || calls != tt.wantCalls {
					t.Fatalf("err = %v after %d calls", err, calls)
				}
				if tt.wantErr && IsAmbiguous(err) != (tt.first >= 500) {
					t.Errorf("IsAmbiguous(%v) = %v", err, IsAmbiguous(err))
				}
				// The batch create follows the same rule; other calls retry.
				calls = 0
				_, err = c.Transactions.CreateBatch(t.Context(), CustomerRef{Key: "c1"}, []Transaction{{Key: "t1"}}, nil)
				if (err != nil) != tt.wantErr || calls != tt.wantCalls {
					t.Errorf("batch: err = %v after %d calls", err, calls)
				}
				calls = 0
				if _, err := c.Transactions.Get(t.Context(), "t1"); (tt.first >= 500 || tt.first == 429) && (err != nil || calls != 2) {
					t.Errorf("get: err = %v after %d calls", err, calls)
				}
			})
		})
	}
}

// bodyText reads a client-side request's body ("" when there is none).
func bodyText(r *http.Request) string {
	if r.Body == nil {
		return ""
	}
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return ""
	}
	return string(b)
}
