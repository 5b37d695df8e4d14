package mapping

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/benchscale"
	"github.com/partnero-etl/partnero-etl/record"
)

// BenchmarkMapTransactionCSV maps canonical CSV transaction rows (the shape
// validate reads at 500k rows/s): ns/op and allocs/op are per row.
func BenchmarkMapTransactionCSV(b *testing.B) {
	h := record.NewHeader([]string{"key", "customer.key", "customer.email", "amount", "currency", "action", "created_at", "product_id"})
	rows := make([]record.Row, 1024)
	for i := range rows {
		rows[i] = record.Row{Origin: record.Origin{File: "tx.csv", Line: int64(i + 2)}, Header: h, Text: []string{
			fmt.Sprintf("ch_%08d", i), fmt.Sprintf("cus_%06d", i%5000), fmt.Sprintf("user%d@example.com", i%5000),
			fmt.Sprintf("%d.%02d", 10+i%500, i%100), "USD", "sale", "2025-04-30T16:44:13Z", "prod_1",
		}}
	}
	m, err := NewMapper(record.Transactions, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res := m.Map(rows[i&1023])
		if res.Err != nil {
			b.Fatal(res.Err)
		}
		i++
	}
}

// BenchmarkMapTransactionPreset maps rows through a spec with minor units,
// a zone-less layout and a status map: the costlier path a migration takes.
func BenchmarkMapTransactionPreset(b *testing.B) {
	spec, err := Parse("bench.yaml", []byte(`
transactions:
  fields:
    key: id
    customer.email: {column: email, transform: [{strip_suffix: " (moved)"}]}
    amount: {column: amount_cents, money: minor}
    currency: currency
    created_at: {column: created, time: {layout: "2006-01-02 15:04:05", zone: Europe/Berlin}}
    action:
      column: status
      map: {approved: sale, pending: sale, denied: skip}
`))
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMapper(record.Transactions, spec)
	if err != nil {
		b.Fatal(err)
	}
	h := record.NewHeader([]string{"id", "email", "amount_cents", "currency", "created", "status"})
	rows := make([]record.Row, 1024)
	for i := range rows {
		rows[i] = record.Row{Origin: record.Origin{File: "tx.csv", Line: int64(i + 2)}, Header: h, Text: []string{
			fmt.Sprintf("evt_%d", i), fmt.Sprintf("user%d@example.com", i%5000), fmt.Sprint(1000 + i), "EUR", "2025-04-30 16:44:13", "approved",
		}}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if res := m.Map(rows[i&1023]); res.Err != nil {
			b.Fatal(res.Err)
		}
		i++
	}
}

// BenchmarkDuplicatesMemory reports the heap Duplicates holds per distinct
// transaction key after n keys, and what each key past the first million
// adds (the table is full by then: the rest is spilled, and only its Bloom
// filter and block index stay in memory). BENCH_SCALE=full checks ten
// million keys.
func BenchmarkDuplicatesMemory(b *testing.B) {
	n := benchscale.Pick(b, 2_000_000, 10_000_000)
	const base = 1_000_000
	for b.Loop() {
		var before, mid, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		d := NewDuplicates(record.Transactions)
		for i := range n {
			if i == base {
				runtime.GC()
				runtime.ReadMemStats(&mid)
			}
			if err := d.Check(keyedTransaction(fmt.Sprintf("ch_%d", i), int64(i+2))); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "bytes/key")
		b.ReportMetric(float64(after.HeapAlloc-mid.HeapAlloc)/float64(n-base), "bytes/key-past-1M")
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		runtime.KeepAlive(d)
		_ = d.Close()
	}
}
