package upsert

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/record"
)

// TestNoBlindRetriesOfTransactionCreates checks that, with the client built as
// NewClientTarget asks, a transaction create whose answer is lost, or a 5xx,
// reaches the sink as one ambiguous error (no second POST), while other
// requests keep the client's retries.
func TestNoBlindRetriesOfTransactionCreates(t *testing.T) {
	var posts, gets atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/transactions":
			if posts.Add(1) == 1 {
				// Committed, then the connection drops.
				hj, _ := w.(http.Hijacker)
				conn, _, _ := hj.Hijack()
				conn.Close()
				return
			}
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
		case r.Method == http.MethodGet:
			if gets.Add(1) == 1 {
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"data":[],"links":{"next":null},"meta":{"current_page":1,"per_page":250},"status":1}`))
		}
	}))
	defer srv.Close()

	c, err := api.NewClient(api.WithBaseURL(srv.URL+"/v1/"), api.WithAPIKey("k"),
		api.WithTransactionCreateRetries(false), api.WithRate(api.Rate{PerSecond: 1000}), api.WithMaxAttempts(3))
	if err != nil {
		t.Fatal(err)
	}
	target := NewClientTarget(c)
	d := api.MustDecimal("1")
	for want := int64(1); want <= 2; want++ {
		_, err = target.CreateTransaction(t.Context(), &api.Transaction{Key: "t1", Amount: &d, Customer: api.CustomerRef{Key: "c1"}}, false)
		if !api.IsAmbiguous(err) || errors.Is(err, api.ErrValidation) || api.IsFatal(err) {
			t.Fatalf("create %d: err = %v (status %d)", want, err, api.StatusCode(err))
		}
		if posts.Load() != want {
			t.Fatalf("%d POSTs after create %d: the client retried a create", posts.Load(), want)
		}
	}
	if _, _, err := target.ListTransactions(t.Context(), 1, 250); err != nil {
		t.Fatalf("list: %v", err)
	}
	if gets.Load() != 2 {
		t.Errorf("GET sent %d times, want 2 (a 503 is still retried)", gets.Load())
	}
}

func sandboxSink(t *testing.T) (*api.Client, func(Options) *Sink) {
	t.Helper()
	c := sandboxtest.Start(t, sandbox.Config{Keys: []string{"k"}}).Client(t,
		api.WithTransactionCreateRetries(false), api.WithRate(api.Rate{PerSecond: 1000}))
	return c, func(o Options) *Sink { return New(NewClientTarget(c), o) }
}

// Against the sandbox: a partner's changed key and tags reach the API on
// re-import, and an identical re-import is unchanged.
func TestSandboxPartnerKeyAndTags(t *testing.T) {
	c, newSink := sandboxSink(t)
	steps := []struct {
		in   api.Partner
		want string
	}{
		{api.Partner{ID: "p1", Email: "a@x.io", Name: "Ann", Key: "alice", Tags: api.Tags{"vip"}}, "created"},
		{api.Partner{ID: "p1", Email: "a@x.io", Name: "Ann", Key: "alice2", Tags: api.Tags{"gold"}}, "updated"},
		{api.Partner{ID: "p1", Email: "a@x.io", Name: "Ann", Key: "alice2", Tags: api.Tags{"gold"}}, "unchanged"},
		{api.Partner{Email: "a@x.io", Key: "alice3"}, "updated"},
	}
	for i, st := range steps {
		for _, listing := range []bool{true, false} {
			if i == 0 && !listing {
				continue
			}
			s := newSink(Options{Entity: record.Partners})
			if listing {
				if err := s.Prepare(t.Context(), 10); err != nil {
					t.Fatal(err)
				}
			}
			want := st.want
			if !listing {
				want = "unchanged" // the listing run just wrote it
			}
			if got := writeAll(t, s, partnerRec(i+2, st.in)); !equal(got, []string{want}) {
				t.Fatalf("step %d (listing %v): %v, want %s", i, listing, got, want)
			}
		}
	}
	p, err := c.Partners.Get(t.Context(), "p1")
	if err != nil {
		t.Fatal(err)
	}
	if referralKey(p) != "alice3" || fmt.Sprint(p.Tags) != "[gold]" {
		t.Errorf("partner key %q tags %v", referralKey(p), p.Tags)
	}
}

// Against the sandbox: transactions naming their customer by email land
// under that customer, in both ways of learning what exists.
func TestSandboxTransactionsByEmail(t *testing.T) {
	c, newSink := sandboxSink(t)
	if _, err := c.Partners.Create(t.Context(), &api.Partner{ID: "p1", Email: "a@x.io", Key: "ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Customers.Create(t.Context(), &api.Customer{Key: "c1", Email: "c1@x.io", Partner: &api.PartnerRef{ID: "p1"}}); err != nil {
		t.Fatal(err)
	}
	for n, est := range []int64{1000, -2} {
		s := newSink(Options{Entity: record.Transactions})
		if est > -2 {
			if err := s.Prepare(t.Context(), est); err != nil {
				t.Fatal(err)
			}
		}
		k := fmt.Sprint("t", n)
		got := writeAll(t, s, txByEmail(2, k+"a", "c1@x.io", "10"), txByEmail(3, k+"b", "c1@x.io", "20"), txByEmail(4, k+"c", "nobody@x.io", "5"))
		if want := []string{"created", "created", "rejected:unknown_customer"}; !equal(got, want) {
			t.Fatalf("estimate %d: %v, want %v", est, got, want)
		}
	}
	page, err := c.Customers.Transactions(t.Context(), "c1", api.ListOptions{Limit: 250})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 4 {
		t.Errorf("c1 has %d transactions, want 4", len(page.Items))
	}
}

// The sink's batches stay within the sandbox's cap on transactions[]: a
// customer with a long history lands in full, each request a batch (no
// refusal and no fallback to one request per transaction).
func TestSandboxBatchesStayUnderTheCap(t *testing.T) {
	if New(nil, Options{}).opt.MaxBatch > sandbox.MaxBatchTransactions {
		t.Fatalf("default batch %d exceeds the sandbox's cap %d", New(nil, Options{}).opt.MaxBatch, sandbox.MaxBatchTransactions)
	}
	c, newSink := sandboxSink(t)
	if _, err := c.Partners.Create(t.Context(), &api.Partner{ID: "p1", Email: "p@x.io"}); err != nil {
		t.Fatal(err)
	}
	n := 2*sandbox.MaxBatchTransactions + 50
	var recs []record.Record
	for i := range n {
		recs = append(recs, txRec(i+2, fmt.Sprintf("t%d", i), "c1", "1.50", &api.PartnerRef{ID: "p1"}))
	}
	s := newSink(Options{Entity: record.Transactions, CreateCustomers: true})
	if err := s.Prepare(t.Context(), int64(n)); err != nil {
		t.Fatal(err)
	}
	for i, o := range writeAll(t, s, recs...) {
		if o != "created" {
			t.Fatalf("row %d: %s", i, o)
		}
	}
	st := c.Stats().ByRoute
	if batches, singles := st["POST /transactions (batch)"], st["POST /transactions"]; batches != 3 || singles != 0 {
		t.Errorf("%d batch and %d single creates, want 3 batches: %v", batches, singles, st)
	}
}
