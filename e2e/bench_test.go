package e2e

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/benchscale"
	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/pipeline"
)

// Benchmark settings: the API's budget and latency the import is measured
// against, and the data set (scaled by PARTNERO_BENCH_SCALE, default 1 at
// BENCH_SCALE=full and 0.1 at quick: 2,000 partners, 10,000 customers,
// 50,000 transactions at 1).
const (
	benchBudget  = 50.0 // requests per second per key
	benchLatency = 50 * time.Millisecond
	// naiveSample bounds the rows the naive client writes: its cost per row
	// is the same on any sample, and at one request per row the full set
	// would take 20 minutes.
	naiveSample = 1000
)

func benchScale(b *testing.B) float64 {
	s := os.Getenv("PARTNERO_BENCH_SCALE")
	if s == "" {
		// BENCH_SCALE=quick (make bench's default) runs a tenth of it.
		return benchscale.Pick(b, 0.1, 1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		b.Fatalf("PARTNERO_BENCH_SCALE=%q: want a positive number", s)
	}
	return f
}

// measured is one timed import of the binary.
type measured struct {
	name     string
	rows     int64
	requests int64
	r429     int64
	seconds  float64
	rssMB    float64
}

func (m measured) perRow() float64 { return float64(m.requests) / float64(max(m.rows, 1)) }
func (m measured) budgetUse() float64 {
	return float64(m.requests) / m.seconds / benchBudget
}

// BenchmarkImport imports a generated migration into a sandbox limited to
// 50 requests/s with 50 ms latency: fresh, then again (a re-run), and
// compares with a naive client that spends one request per row.
func BenchmarkImport(b *testing.B) {
	scale := benchScale(b)
	for b.Loop() {
		dir := b.TempDir()
		sb := startSandbox(b, sandbox.Config{Keys: []string{testKey, "naive-key"}, RateLimit: benchBudget, Latency: benchLatency, Seed: 7})
		d := generate(b, dir, genOptions{
			Partners:    int(2000 * scale),
			Customers:   int(10000 * scale),
			PerCustomer: 5,
		})
		var runs []measured
		for _, pass := range []string{"fresh", "re-run"} {
			for _, step := range []struct{ entity, file string }{
				{"partners", d.partnersFile}, {"customers", d.customersFile}, {"transactions", d.txFile},
			} {
				m := benchImport(b, sb, dir, step.entity, step.file)
				m.name = step.entity + " " + pass
				runs = append(runs, m)
			}
		}
		naive := benchNaive(b, sb, d)

		var peak float64
		for _, m := range runs {
			b.Logf("%-22s %7d rows %7d requests %.4f req/row %6.1f s  %5.1f%% of budget  %d 429s  peak RSS %.0f MB",
				m.name, m.rows, m.requests, m.perRow(), m.seconds, 100*m.budgetUse(), m.r429, m.rssMB)
			peak = max(peak, m.rssMB)
		}
		for _, m := range naive {
			b.Logf("%-22s %7d rows %7d requests %.4f req/row %6.1f s  %5.1f%% of budget  %d 429s",
				m.name, m.rows, m.requests, m.perRow(), m.seconds, 100*m.budgetUse(), m.r429)
		}
		txFresh, txRerun := runs[2], runs[5]
		var req, r429 int64
		for _, m := range runs {
			req += m.requests
			r429 += m.r429
		}
		b.ReportMetric(100*txFresh.budgetUse(), "tx-fresh-%budget")
		b.ReportMetric(100*runs[1].budgetUse(), "cust-fresh-%budget")
		b.ReportMetric(100*float64(r429)/float64(max(req, 1)), "%429")
		b.ReportMetric(runs[0].perRow(), "partners-fresh-req/row")
		b.ReportMetric(runs[1].perRow(), "customers-fresh-req/row")
		b.ReportMetric(txFresh.perRow(), "tx-fresh-req/row")
		rerunReq, rerunRows := runs[3].requests+runs[4].requests+runs[5].requests, runs[3].rows+runs[4].rows+runs[5].rows
		b.ReportMetric(float64(rerunReq)/float64(rerunRows), "rerun-req/row")
		b.ReportMetric(txRerun.perRow(), "tx-rerun-req/row")
		b.ReportMetric(naive[0].perRow(), "naive-fresh-req/row")
		b.ReportMetric(naive[1].perRow(), "naive-rerun-req/row")
		b.ReportMetric(100*naive[0].budgetUse(), "naive-%budget")
		b.ReportMetric(peak, "peak-RSS-MB")
		b.ReportMetric(float64(txFresh.rows)/txFresh.seconds, "tx-fresh-rows/s")
	}
}

func benchImport(b *testing.B, sb *sandboxProc, dir, entity, file string) measured {
	b.Helper()
	report := filepath.Join(dir, entity+".bench.json")
	cmd, out, errOut := importCmd(context.Background(), sb, dir, entity, file, "--report", report, "--rate", "auto", "-q")
	if err := cmd.Run(); err != nil {
		b.Fatalf("import %s: %v\n%s\n%s", entity, err, out, errOut)
	}
	rb, err := os.ReadFile(report)
	if err != nil {
		b.Fatal(err)
	}
	var r pipeline.Report
	if err := json.Unmarshal(rb, &r); err != nil {
		b.Fatal(err)
	}
	m := measured{rows: r.Counts.Read, requests: r.Requests.Total, r429: r.Requests.RateLimited, seconds: r.Seconds}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.rssMB = float64(ru.Maxrss) / 1024 // Linux reports kilobytes
	}
	return m
}

// benchNaive writes a sample of the transactions with one request per row
// (no lookups, no batches: what a simple script does), into a program of its
// own with its own budget, then "re-runs" it the naive safe way: one lookup
// per row.
func benchNaive(b *testing.B, sb *sandboxProc, d *dataset) []measured {
	b.Helper()
	ctx := context.Background()
	c, err := api.NewClient(api.WithBaseURL(sb.baseURL()), api.WithAPIKey("naive-key"))
	if err != nil {
		b.Fatal(err)
	}
	// The naive client needs the partners and customers of its sample.
	f, err := os.Open(d.txFile)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	rows = rows[1:min(len(rows), naiveSample+1)]
	seenP, seenC := map[string]bool{}, map[string]bool{}
	for _, r := range rows {
		if p := r[5]; p != "" && !seenP[p] {
			seenP[p] = true
			if _, err := c.Partners.Create(ctx, &api.Partner{ID: api.ID(p), Email: p + "@example.com"}); err != nil {
				b.Fatal(err)
			}
		}
		if k := r[4]; !seenC[k] {
			seenC[k] = true
			if _, err := c.Customers.Create(ctx, &api.Customer{Key: k, Partner: &api.PartnerRef{ID: api.ID(r[5])}}); err != nil {
				b.Fatal(err)
			}
		}
	}
	measure := func(name string, do func(r []string) error) measured {
		before := c.Stats()
		start := time.Now()
		for _, r := range rows {
			if err := do(r); err != nil {
				b.Fatalf("%s: %v", name, err)
			}
		}
		after := c.Stats()
		return measured{name: name, rows: int64(len(rows)), requests: after.Requests - before.Requests,
			r429: after.RateLimited - before.RateLimited, seconds: time.Since(start).Seconds()}
	}
	fresh := measure("naive fresh (sample)", func(r []string) error {
		amount, err := api.ParseDecimal(r[1])
		if err != nil {
			return err
		}
		_, err = c.Transactions.Create(ctx, &api.Transaction{Key: r[0], Amount: &amount, AmountUnits: r[2], Action: r[3], Customer: api.CustomerRef{Key: r[4]}}, nil)
		return err
	})
	rerun := measure("naive re-run (sample)", func(r []string) error {
		page, err := c.Transactions.List(ctx, api.ListOptions{Filters: map[string]string{"key": r[0]}})
		if err != nil {
			return err
		}
		if len(page.Items) == 0 {
			return fmt.Errorf("transaction %s missing", r[0])
		}
		return nil
	})
	return []measured{fresh, rerun}
}
