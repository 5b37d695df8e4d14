package jsonl_test

import (
	"bytes"
	"testing"

	"github.com/partnero-etl/partnero-etl/sources/jsonl"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

func BenchmarkReader(b *testing.B) {
	sourcetest.BenchmarkReader(b, "jsonl", 20_000, func(b *testing.B, data []byte) sourcetest.Source {
		return jsonl.NewReader(bytes.NewReader(data), "bench.jsonl")
	})
}
