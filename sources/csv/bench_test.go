package csv_test

import (
	"bytes"
	"testing"

	"github.com/partnero-etl/partnero-etl/sources/csv"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

func BenchmarkReader(b *testing.B) {
	sourcetest.BenchmarkReader(b, "csv", 20_000, func(b *testing.B, data []byte) sourcetest.Source {
		r, err := csv.NewReader(bytes.NewReader(data), "bench.csv", csv.Options{})
		if err != nil {
			b.Fatal(err)
		}
		return r
	})
}
