package gen

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
)

func TestRow(t *testing.T) {
	tests := []struct {
		i          int
		opts       Options
		key, email string
		amount     string
	}{
		{0, Options{}, "tx-1", "customer0@example.com", "1.00"},
		{3, Options{}, "tx-4", "customer0@example.com", "238570"}, // JPY: no minor unit
		{9, Options{BadEvery: 10}, "tx-10", "customer2-at-example.com", "713.71"},
		{8, Options{BadEvery: 10}, "tx-9", "customer2@example.com", "634.52"},
	}
	for _, tt := range tests {
		r := Row(tt.i, tt.opts)
		if r.Key != tt.key || r.CustomerEmail != tt.email || r.Amount() != tt.amount {
			t.Errorf("Row(%d) = %s %s %s; want %s %s %s", tt.i, r.Key, r.CustomerEmail, r.Amount(), tt.key, tt.email, tt.amount)
		}
	}
	//lint:ignore SA4000 two calls, not one value: the test is that they agree
	if Row(42, Options{}) != Row(42, Options{}) {
		t.Error("rows are not deterministic")
	}
}

func TestWriteTransactions(t *testing.T) {
	for _, format := range []string{"csv", "jsonl", "parquet"} {
		var b bytes.Buffer
		if err := WriteTransactions(t.Context(), &b, format, 10, Options{}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if b.Len() == 0 {
			t.Errorf("%s: nothing written", format)
		}
	}
	var b bytes.Buffer
	if err := WriteTransactions(t.Context(), &b, "csv", 2, Options{}); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(b.String(), "\n"); lines != 3 {
		t.Errorf("csv has %d lines, want header + 2", lines)
	}
	if err := WriteTransactions(t.Context(), &b, "xml", 1, Options{}); err == nil {
		t.Error("format xml accepted")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := WriteTransactions(ctx, &b, "jsonl", 10, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
