package upsert

import (
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// A customers re-run whose rows name their partner by referral key resolves
// each key once, however many workers miss it at the same moment: the
// partner_conflict check needs the key's partner id, and concurrent misses
// used to send one partners:search each.
func TestPartnerKeyLookupsAreSingleFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := newFake()
		f.searchDelay = 50 * time.Millisecond
		f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Key: "ann"}, {ID: "p2", Email: "b@x.io", Key: "bob"}}
		const workers = 8
		for i := range 2 * workers {
			f.customers = append(f.customers, api.Customer{Key: fmt.Sprint("c", i), Partner: &api.PartnerRef{ID: api.ID(fmt.Sprint("p", 1+i%2))}})
		}
		s := New(f, Options{Entity: record.Customers})
		if err := s.Prepare(t.Context(), int64(2*workers)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([][]record.Result, 2*workers)
		for i := range 2 * workers {
			wg.Go(func() {
				key := []string{"ann", "bob"}[i%2]
				res, err := s.Write(t.Context(), []record.Record{customerRec(i+2, api.Customer{Key: fmt.Sprint("c", i), Partner: &api.PartnerRef{Key: key}})})
				if err != nil {
					t.Error(err)
				}
				results[i] = res
			})
		}
		wg.Wait()
		for i, res := range results {
			if got := outcomes(t, res); !equal(got, []string{"unchanged"}) {
				t.Errorf("customer c%d: %v, want unchanged", i, got)
			}
		}
		if n := f.calls["GET /partners:search"]; n != 2 {
			t.Errorf("%d partner searches for 2 distinct keys, want 2 (calls %v)", n, f.calls)
		}
	})
}
