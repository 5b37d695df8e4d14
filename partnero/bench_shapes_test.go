package partnero_test

import (
	"context"
	"fmt"

	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// benchFull reports whether BENCH_SCALE asks for full-size runs. The quick
// default runs every shape in minutes: a 60 s window is shrunk to 6 s (the
// same budget per second, a tenth of the burst), and runs are short.
func benchFull() bool { return os.Getenv("BENCH_SCALE") == "full" }

// benchShape is one server the pacer must stand at the limit of: the
// sandbox's fixed window (Laravel's throttle), 25-75 ms latency and 2%
// 5xx, with or without X-RateLimit-* headers (and Retry-After).
type benchShape struct {
	perSecond float64
	window    time.Duration
	headers   bool
}

func (s benchShape) name() string {
	h := "headers"
	if !s.headers {
		h = "no_headers"
	}
	return fmt.Sprintf("%gper_s/window=%v/%s", s.perSecond, s.window, h)
}

// benchShapes are the 10 shapes: fixed windows of 1 s and 60 s, with and
// without headers, at 20/s and 50/s; and Laravel's minute window at 20/s
// and 50/s where only Retry-After is sent (headers stripped, Retry-After
// kept: a proxy that drops unknown headers).
var benchShapes = []struct {
	benchShape
	retryAfterOnly bool
}{
	{benchShape{20, time.Second, true}, false}, {benchShape{50, time.Second, true}, false},
	{benchShape{20, time.Minute, true}, false}, {benchShape{50, time.Minute, true}, false},
	{benchShape{20, time.Second, false}, false}, {benchShape{50, time.Second, false}, false},
	{benchShape{20, time.Minute, false}, false}, {benchShape{50, time.Minute, false}, false},
	{benchShape{20, time.Minute, false}, true}, {benchShape{50, time.Minute, false}, true},
}

// BenchmarkPacerShapes measures budget used, 429s and warm-up in each
// server shape for --rate auto, a fixed --rate equal to the budget, and a
// naive client (8 workers evenly paced at the budget; only the refused
// worker sleeps, for Retry-After or 1 s). Each case is one timed run:
//
//	go test -run '^$' -bench PacerShapes -benchtime=1x ./partnero/
//	BENCH_SCALE=full go test -run '^$' -bench PacerShapes -benchtime=1x -timeout 4h ./partnero/
func BenchmarkPacerShapes(b *testing.B) {
	for _, sh := range benchShapes {
		s := sh.benchShape
		window, warm, measure := s.window, 20*time.Second, 15*time.Second
		if s.window == time.Minute {
			warm, measure = 2*time.Minute, 3*time.Minute
			if !benchFull() {
				window, warm, measure = 6*time.Second, 12*time.Second, 24*time.Second
			}
		}
		name := s.name()
		if sh.retryAfterOnly {
			name += "+retry_after"
		}
		runs := map[string]shapeRun{}
		for _, client := range []string{"auto", "fixed", "naive"} {
			b.Run(name+"/"+client, func(b *testing.B) {
				var res shapeRun
				for b.Loop() {
					res = runBenchShape(b, benchShape{s.perSecond, window, s.headers}, sh.retryAfterOnly, client, warm, measure)
				}
				b.ReportMetric(100*res.used, "%budget")
				b.ReportMetric(100*res.share429, "%429")
				b.ReportMetric(res.warmup.Seconds(), "warmup-s")
				runs[client] = res
				if client == "naive" {
					// The shape's row for make bench's summary: both
					// pacing modes beside the naive client of this run.
					b.Logf("row: %s", shapeRow(name, runs))
				}
			})
		}
	}
}

// shapeRow states one shape's goals (issue: "at the rate limit in every
// server shape") beside the naive client measured in the same run: auto
// ≥ 97% of the budget at ≤ 1% 429s with a warm-up ≤ 10 s in every shape,
// and a fixed --rate equal to the budget ≥ 97% at ≤ 1% where headers are
// sent.
func shapeRow(name string, runs map[string]shapeRun) string {
	auto, fixed, naive := runs["auto"], runs["fixed"], runs["naive"]
	ratio := func(r shapeRun) string {
		if naive.used <= 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f×", r.used/naive.used)
	}
	return fmt.Sprintf("pacer %s: auto %.1f%% of the budget, %.2f%% 429s, warm-up %.0f s (goal ≥ 97%%, ≤ 1%%, ≤ 10 s); fixed %.1f%%, %.2f%% 429s; naive %.1f%%, %.2f%% 429s; auto/naive %s, fixed/naive %s",
		name, 100*auto.used, 100*auto.share429, auto.warmup.Seconds(), 100*fixed.used, 100*fixed.share429,
		100*naive.used, 100*naive.share429, ratio(auto), ratio(fixed))
}

type shapeRun struct {
	used, share429 float64
	warmup         time.Duration
}

// admitted is what the sandbox's throttle let through: every answer but
// 429s and requests the client left during the latency.
func admitted(st sandbox.Stats) int64 {
	return st.Total - st.RateLimited - st.ByStatus["canceled"]
}

func runBenchShape(b *testing.B, s benchShape, retryAfterOnly bool, client string, warm, measure time.Duration) shapeRun {
	const key = "bench-key"
	srv, err := sandbox.New(sandbox.Config{Keys: []string{key}, RateLimit: s.perSecond, RateWindow: s.window,
		Latency: 50 * time.Millisecond, Jitter: 25 * time.Millisecond, FaultRate: 0.02, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	var h http.Handler = srv
	if !s.headers {
		h = stripHeaders(srv, !retryAfterOnly)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()

	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	var wg sync.WaitGroup
	switch client {
	case "naive":
		runNaive(ctx, &wg, ts.URL+"/v1/partners", key, s.perSecond, 8)
	default:
		r := partnero.Rate{Auto: true}
		if client == "fixed" {
			r = partnero.Rate{PerSecond: s.perSecond}
		}
		c, err := partnero.NewClient(partnero.WithBaseURL(ts.URL+"/v1/"), partnero.WithAPIKey(key), partnero.WithRate(r))
		if err != nil {
			b.Fatal(err)
		}
		for range 16 {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, _ = c.Partners.List(ctx, partnero.ListOptions{})
				}
			})
		}
	}

	// The warm-up ends where the first stretch (10 s, or a window if
	// longer) at 97% of the budget starts.
	stretch := max(10*time.Second, s.window)
	marks := []int64{admitted(srv.Stats())}
	start := time.Now()
	for i := 1; time.Since(start) < warm; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second)))
		marks = append(marks, admitted(srv.Stats()))
	}
	warmup := warm
	k := int(stretch / time.Second)
	for i := 0; i+k < len(marks); i++ {
		if float64(marks[i+k]-marks[i]) >= 0.97*s.perSecond*stretch.Seconds() {
			warmup = time.Duration(i) * time.Second
			break
		}
	}
	before := srv.Stats()
	t0 := time.Now()
	time.Sleep(measure)
	after := srv.Stats()
	elapsed := time.Since(t0)
	cancel()
	wg.Wait()
	total := after.Total - before.Total
	return shapeRun{
		used:     float64(admitted(after)-admitted(before)) / (s.perSecond * elapsed.Seconds()),
		share429: float64(after.RateLimited-before.RateLimited) / float64(max(total, 1)),
		warmup:   warmup,
	}
}

// runNaive starts the naive client: workers each send one request every
// workers/perSecond seconds, staggered, so together they send at the
// budget; a refused worker alone sleeps for Retry-After (1 s when absent).
func runNaive(ctx context.Context, wg *sync.WaitGroup, url, key string, perSecond float64, workers int) {
	hc := partnero.NewHTTPClient()
	period := time.Duration(float64(workers) / perSecond * float64(time.Second))
	for w := range workers {
		wg.Go(func() {
			next := time.Now().Add(period * time.Duration(w) / time.Duration(workers))
			for ctx.Err() == nil {
				if d := time.Until(next); d > 0 {
					select {
					case <-time.After(d):
					case <-ctx.Done():
						return
					}
				}
				next = next.Add(period)
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := hc.Do(req)
				if err != nil {
					continue
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusTooManyRequests {
					pause := time.Second
					if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil {
						pause = time.Duration(s) * time.Second
					}
					select {
					case <-time.After(pause):
					case <-ctx.Done():
						return
					}
					next = maxT(next, time.Now())
				}
			}
		})
	}
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// stripHeaders hides X-RateLimit-* (and Retry-After too when all is set),
// as an API or a proxy that publishes none would.
func stripHeaders(h http.Handler, all bool) http.Handler {
	names := []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"}
	if all {
		names = append(names, "Retry-After")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(&headerFilter{ResponseWriter: w, drop: names}, r)
	})
}

type headerFilter struct {
	http.ResponseWriter
	drop  []string
	wrote bool
}

func (w *headerFilter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		for _, k := range w.drop {
			w.Header().Del(k)
		}
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *headerFilter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}
