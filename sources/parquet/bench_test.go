package parquet_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/gen"
	"github.com/partnero-etl/partnero-etl/sources/parquet"
)

// BenchmarkReader reads generated transactions rows; rows/s is the figure
// to compare with the validate benchmark (reading is one of its stages).
func BenchmarkReader(b *testing.B) {
	const n = 20_000
	var buf bytes.Buffer
	if err := gen.WriteTransactions(b.Context(), &buf, "parquet", n, gen.Options{}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := openparquet(b, data)
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

func openparquet(b *testing.B, data []byte) *parquet.Reader {
	r, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)), "bench.parquet")
	if err != nil {
		b.Fatal(err)
	}
	return r
}
