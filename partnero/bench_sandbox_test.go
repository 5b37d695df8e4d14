package partnero_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

// BenchmarkClientAgainstSandbox measures how close the client's pacing gets
// to a server's rate limit: 16 workers list partners against the sandbox
// throttled to 50 requests per second, for a fixed time after a warm-up in
// which --rate auto learns the budget. It reports the sustained successful
// requests per second, that figure as a share of the budget, the 429s the
// sandbox answered, and the client's budget at the end. Each case is one
// timed run (b.Loop stops after it); run with -benchtime=1x:
//
//	go test -run '^$' -bench ClientAgainstSandbox -benchtime=1x ./partnero/
func BenchmarkClientAgainstSandbox(b *testing.B) {
	const (
		key     = "bench-key"
		budget  = 50.0
		workers = 16
		measure = 5 * time.Second
	)
	cases := []struct {
		name      string
		window    time.Duration // the sandbox throttle's window
		rate      string
		noHeaders bool // strip X-RateLimit-* and Retry-After: only 429s tell
		warmup    time.Duration
	}{
		{"window=1m/rate=auto", time.Minute, "auto", false, time.Second},
		{"window=1m/rate=50per_s", time.Minute, "50/s", false, time.Second},
		{"window=1s/rate=auto", time.Second, "auto", false, 10 * time.Second},
		{"window=1s/rate=50per_s", time.Second, "50/s", false, time.Second},
		{"window=1s/rate=auto/no_headers", time.Second, "auto", true, 20 * time.Second},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var opts []sandboxtest.Option
			if tc.noHeaders {
				opts = append(opts, sandboxtest.Wrap(stripRateHeaders))
			}
			env := sandboxtest.Start(b, sandbox.Config{Keys: []string{key}, RateLimit: budget, RateWindow: tc.window, Latency: 5 * time.Millisecond, Seed: 1}, opts...)
			srv := env.Server
			rate, err := partnero.ParseRate(tc.rate)
			if err != nil {
				b.Fatal(err)
			}
			c := env.Client(b, partnero.WithRate(rate))
			ctx := b.Context()
			for i := range 20 {
				if _, err := c.Partners.Create(ctx, &partnero.Partner{Email: fmt.Sprintf("p%d@example.com", i), Name: "Bench"}); err != nil {
					b.Fatal(err)
				}
			}
			listFor(ctx, c, workers, tc.warmup)
			before := srv.Stats().RateLimited
			var ok int64
			var elapsed time.Duration
			for b.Loop() {
				start := time.Now()
				ok = listFor(ctx, c, workers, measure)
				elapsed = time.Since(start)
			}
			perSecond := float64(ok) / elapsed.Seconds()
			b.ReportMetric(perSecond, "req/s")
			b.ReportMetric(100*perSecond/budget, "%budget")
			b.ReportMetric(float64(srv.Stats().RateLimited-before), "429s")
			b.ReportMetric(c.Limit(), "client-req/s")
		})
	}
}

// listFor runs workers listing partners for d; it returns the successes.
func listFor(ctx context.Context, c *partnero.Client, workers int, d time.Duration) int64 {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				if _, err := c.Partners.List(ctx, partnero.ListOptions{Limit: 50}); err == nil {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return ok.Load()
}

// stripRateHeaders hides the throttle's headers, as an API that publishes
// none would: the client can only learn from the 429s themselves.
func stripRateHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&stripWriter{ResponseWriter: w}, r)
	})
}

type stripWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *stripWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		for _, k := range []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"} {
			w.Header().Del(k)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *stripWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}
