package parquet_test

import (
	"bytes"
	"testing"

	"github.com/partnero-etl/partnero-etl/sources/parquet"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

func BenchmarkReader(b *testing.B) {
	sourcetest.BenchmarkReader(b, "parquet", 20_000, func(b *testing.B, data []byte) sourcetest.Source {
		r, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)), "bench.parquet")
		if err != nil {
			b.Fatal(err)
		}
		return r
	})
}
