package csv

import (
	"bytes"
	"encoding/csv"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sinks/sinktest"
)

func readCSV(t *testing.T, data []byte, entity record.Entity) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	header, err := r.Read()
	if err != nil {
		t.Fatalf("header: %v", err)
	}
	if !slices.Equal(header, sinks.ColumnNames(entity)) {
		t.Fatalf("header = %v, want %v", header, sinks.ColumnNames(entity))
	}
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestConformance(t *testing.T) {
	sinktest.Run(t, func(w io.Writer, e record.Entity) (sinks.Sink, error) {
		return New(w, e, sinks.Options{})
	}, readCSV)
}

func TestCSVSafe(t *testing.T) {
	var buf bytes.Buffer
	w, err := New(&buf, record.Transactions, sinks.Options{CSVSafe: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sinktest.Records(t, record.Transactions) {
		if err := w.Write(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rows := readCSV(t, buf.Bytes(), record.Transactions)
	names := sinks.ColumnNames(record.Transactions)
	amount := slices.Index(names, "amount")
	action := slices.Index(names, "action")
	sawNegative, sawHyperlink := false, false
	for _, row := range rows {
		for j, cell := range row {
			if j == amount {
				if strings.HasPrefix(cell, "-") {
					sawNegative = true // numbers are left as numbers
				}
				continue
			}
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("column %s: cell %q would run as a formula", names[j], cell)
			}
		}
		if strings.HasPrefix(row[action], "'=HYPERLINK") {
			sawHyperlink = true // neutralised by a leading quote, not dropped
		}
	}
	if !sawNegative {
		t.Error("the negative amount fixture did not come through as a number")
	}
	if !sawHyperlink {
		t.Error("the =HYPERLINK action did not come through as '=HYPERLINK…")
	}
}

func TestNeutralise(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+2", "'=1+2"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@x", "'@x"}, {"\tx", "'\tx"},
		{"plain", "plain"}, {"", ""}, {"a=b", "a=b"}, {"'=x", "'=x"},
	}
	for _, tt := range tests {
		if got := Neutralise(tt.in); got != tt.want {
			t.Errorf("Neutralise(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
