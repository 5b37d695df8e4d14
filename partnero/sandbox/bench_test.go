package sandbox

import (
	"fmt"
	"path/filepath"
	"testing"
)

// BenchmarkCreateTransaction measures the handler alone (no network): the
// sandbox must never be the bottleneck of a benchmark of the client.
func BenchmarkCreateTransaction(b *testing.B) {
	s := mustNewB(b)
	i := 0
	for b.Loop() {
		i++
		rec := serve(s, testKey, "POST", "/v1/transactions", fmt.Sprintf(`{"key":"t%d","amount":"19.99","customer":{"key":"c"}}`, i))
		if rec.Code != 201 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkListPage250 measures one page of 250 transactions out of 10,000.
func BenchmarkListPage250(b *testing.B) {
	s := mustNewB(b)
	for i := range 10000 {
		serve(s, testKey, "POST", "/v1/transactions", fmt.Sprintf(`{"key":"t%d","amount":"19.99","customer":{"key":"c"}}`, i))
	}
	page := 0
	for b.Loop() {
		page = page%40 + 1
		rec := serve(s, testKey, "GET", fmt.Sprintf("/v1/transactions?limit=250&sort=asc&page=%d", page), "")
		if rec.Code != 200 {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

func mustNewB(b *testing.B) *Server { return mustNewCfg(b, Config{Keys: []string{testKey}}) }

// BenchmarkCreateTransactionDataLog is BenchmarkCreateTransaction with
// --data: every create is logged and synced before its answer.
func BenchmarkCreateTransactionDataLog(b *testing.B) {
	s := mustNewCfg(b, Config{Keys: []string{testKey}, DataFile: filepath.Join(b.TempDir(), "s.json")})
	b.Cleanup(func() { s.Close() })
	i := 0
	for b.Loop() {
		i++
		rec := serve(s, testKey, "POST", "/v1/transactions", fmt.Sprintf(`{"key":"t%d","amount":"19.99","customer":{"key":"c"}}`, i))
		if rec.Code != 201 {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

func mustNewCfg(b *testing.B, cfg Config) *Server {
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	serve(s, testKey, "POST", "/v1/partners", `{"key":"a","email":"a@example.com"}`)
	serve(s, testKey, "POST", "/v1/customers", `{"key":"c","partner":{"key":"a"}}`)
	return s
}
