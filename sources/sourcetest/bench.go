package sourcetest

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/gen"
)

// BenchmarkReader reads n generated transactions rows in format ("csv",
// "jsonl" or "parquet") through the reader open returns, and reports rows/s:
// the figure to compare with the validate benchmark, of which reading is one
// stage. Every reader's benchmark is this one, so their figures compare.
func BenchmarkReader(b *testing.B, format string, n int, open func(b *testing.B, data []byte) Source) {
	var buf bytes.Buffer
	if err := gen.WriteTransactions(b.Context(), &buf, format, n, gen.Options{}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := open(b, data)
		rows := 0
		for {
			_, err := r.Next(b.Context())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
