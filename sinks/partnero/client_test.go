package partnero

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
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
		if !api.IsAmbiguous(err) || api.IsValidation(err) || fatal(err) {
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
