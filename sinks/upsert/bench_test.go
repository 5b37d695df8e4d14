package upsert

import (
	"fmt"
	"sync"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/benchscale"
	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/record"
)

// BenchmarkRerun measures what a re-run of an import already done costs in
// requests, against the sandbox (in process, no rate limit: requests, not
// time, are measured), with 8 workers writing at once as the import's pool
// does. Each figure is beside its floor:
//
//   - partners with referral keys and tags: the floor is the listing
//     (one request per 250 partners); the API lists neither keys nor tags,
//     so each partner whose row gives one is read with GET /partners/{id}
//     (x-listing-floor near 250 says so).
//   - customers naming their partner by referral key: the listing floor is
//     one request per 250 customers; the API floor adds one
//     partners:search per distinct key (a listing carries no keys), which
//     single-flight reaches exactly (x-api-floor 1.00).
//
// BENCH_SCALE=full runs 5 times the rows.
func BenchmarkRerun(b *testing.B) {
	scale := benchscale.Pick(b, 1, 5)
	nPartners, nCustomers := 2000*scale, 10000*scale
	env := sandboxtest.Start(b, sandbox.Config{Keys: []string{"k"}})
	c := env.Client(b, api.WithRate(api.Rate{PerSecond: 1e6}))
	partners := make([]record.Record, nPartners)
	for i := range partners {
		partners[i] = partnerRec(i+2, api.Partner{ID: api.ID(fmt.Sprintf("p%05d", i)), Email: fmt.Sprintf("partner%05d@example.com", i),
			Name: fmt.Sprint("Name", i), Key: fmt.Sprintf("ref%05d", i), Tags: api.Tags{"gold"}})
	}
	// A partner's customers are adjacent, as in an export sorted by
	// partner: the workers miss the same key at once.
	customers := make([]record.Record, nCustomers)
	for i := range customers {
		customers[i] = customerRec(i+2, api.Customer{Key: fmt.Sprintf("c%06d", i), Email: fmt.Sprintf("c%06d@example.org", i),
			Partner: &api.PartnerRef{Key: fmt.Sprintf("ref%05d", i*nPartners/nCustomers)}})
	}
	// importAll writes recs with 8 workers, one record per Write (distinct
	// partition keys), and returns the requests it cost.
	importAll := func(b *testing.B, entity record.Entity, recs []record.Record) int64 {
		before := c.Stats().Requests
		s := New(NewClientTarget(c), Options{Entity: entity})
		if err := s.Prepare(b.Context(), int64(len(recs))); err != nil {
			b.Fatal(err)
		}
		next := make(chan record.Record)
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				for rec := range next {
					res, err := s.Write(b.Context(), []record.Record{rec})
					if err != nil {
						b.Error(err)
						return
					}
					if res[0].Outcome == record.Rejected {
						b.Errorf("line %d rejected: %v", rec.Origin.Line, res[0].Err)
					}
				}
			})
		}
		for _, rec := range recs {
			next <- rec
		}
		close(next)
		wg.Wait()
		return c.Stats().Requests - before
	}
	importAll(b, record.Partners, partners)
	importAll(b, record.Customers, customers)

	pages := func(n int) float64 { return float64((n + 249) / 250) }
	b.Run("partners-with-keys", func(b *testing.B) {
		var req int64
		for b.Loop() {
			req = importAll(b, record.Partners, partners)
		}
		b.ReportMetric(float64(req)/float64(nPartners), "req/row")
		b.ReportMetric(float64(req)/pages(nPartners), "x-listing-floor")
		b.Logf("row: partners re-run, %d rows with referral keys and tags: %d requests, %.3f req/row, %.0f× the listing floor (%.0f pages; goal ≤ 1 request per 100 rows where the API allows: it does not, a listing carries neither keys nor tags and nothing reads them in bulk)",
			nPartners, req, float64(req)/float64(nPartners), float64(req)/pages(nPartners), pages(nPartners))
	})
	b.Run("customers-by-partner-key", func(b *testing.B) {
		var req int64
		for b.Loop() {
			req = importAll(b, record.Customers, customers)
		}
		keys := min(nPartners, nCustomers)
		b.ReportMetric(float64(req)/float64(nCustomers), "req/row")
		b.ReportMetric(float64(req)/pages(nCustomers), "x-listing-floor")
		b.ReportMetric(float64(req)/(pages(nCustomers)+float64(keys)), "x-api-floor")
		b.Logf("row: customers re-run, %d rows naming %d partner keys: %d requests, %.4f req/row, %.2f× the API floor (%.0f listing pages + %d key lookups), %.1f× the listing floor alone",
			nCustomers, keys, req, float64(req)/float64(nCustomers), float64(req)/(pages(nCustomers)+float64(keys)), pages(nCustomers), keys, float64(req)/pages(nCustomers))
	})
}
