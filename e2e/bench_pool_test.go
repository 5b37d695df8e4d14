package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// BenchmarkFreshTransactionsFloor imports transactions of new customers,
// one each (one request per customer, created with the transaction), with
// --rate auto into a sandbox allowing 50 requests per 1 s window with
// 50 ms latency, and reports the wall time against the floor of
// requests / budget: what the worker pool, sized as the client learns,
// leaves unused. BENCH_SCALE=full imports 10,000 (quick: 1,000).
//
//	go test -run '^$' -bench FreshTransactionsFloor -benchtime=1x ./e2e/
func BenchmarkFreshTransactionsFloor(b *testing.B) {
	const budget = 50.0
	n := 1000
	if os.Getenv("BENCH_SCALE") == "full" {
		n = 10000
	}
	for b.Loop() {
		dir := b.TempDir()
		sb := startSandbox(b, sandbox.Config{RateLimit: budget, RateWindow: time.Second, Latency: 50 * time.Millisecond, Seed: 9})
		d := generate(b, dir, genOptions{Partners: 5, PerCustomer: 1, NewCustomers: n})
		if res := runImport(b, sb, dir, "partners", d.partnersFile, "--rate", "auto", "-q"); res.code != 0 {
			b.Fatalf("partners: %s", res)
		}
		report := filepath.Join(dir, "tx.json")
		if res := runImport(b, sb, dir, "transactions", d.txFile, "--rate", "auto", "-q", "--report", report); res.code != 0 {
			b.Fatalf("transactions: %s", res)
		}
		var r struct {
			Seconds  float64 `json:"duration_seconds"`
			Requests struct {
				Total       int64 `json:"total"`
				RateLimited int64 `json:"rate_limited"`
			} `json:"requests"`
		}
		if raw, err := os.ReadFile(report); err != nil {
			b.Fatal(err)
		} else if err := json.Unmarshal(raw, &r); err != nil {
			b.Fatalf("%s: %v", report, err)
		}
		floor := float64(r.Requests.Total) / budget
		b.ReportMetric(r.Seconds, "wall-s")
		b.ReportMetric(floor, "floor-s")
		b.ReportMetric(r.Seconds/floor, "wall/floor")
		b.ReportMetric(float64(r.Requests.RateLimited), "429s")
		b.Logf("row: fresh transactions, 1 per customer, %d rows at %g req/s: wall %.1f s beside the floor %.1f s (%d requests / budget) = %.3f× (goal ≤ 1.05×), %d 429s",
			n, budget, r.Seconds, floor, r.Requests.Total, r.Seconds/floor, r.Requests.RateLimited)
	}
}
