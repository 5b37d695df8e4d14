package csv_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/gen"
	"github.com/partnero-etl/partnero-etl/sources/csv"
)

// BenchmarkReader reads generated transactions rows; rows/s is the figure
// to compare with the validate benchmark (reading is one of its stages).
func BenchmarkReader(b *testing.B) {
	const n = 20_000
	var buf bytes.Buffer
	if err := gen.WriteTransactions(b.Context(), &buf, "csv", n, gen.Options{}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := opencsv(b, data)
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

func opencsv(b *testing.B, data []byte) *csv.Reader {
	r, err := csv.NewReader(bytes.NewReader(data), "bench.csv", csv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}
