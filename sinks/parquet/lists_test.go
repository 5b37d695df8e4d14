package parquet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// kindLeaf is how each column kind shows in parquet-go's schema text.
var kindLeaf = map[sinks.Kind]string{
	sinks.KindString:  "optional binary %s (STRING)",
	sinks.KindJSON:    "optional binary %s (STRING)",
	sinks.KindDecimal: "optional fixed_len_byte_array(16) %s (DECIMAL(38,9))",
	sinks.KindTime:    "optional int64 %s (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
	sinks.KindBool:    "optional boolean %s",
	sinks.KindInt:     "optional int64 %s",
	sinks.KindList:    "optional group %s (LIST)",
}

// TestListTableSchemas: the Parquet schema of each new table has the
// documented columns, in order, each OPTIONAL with its kind's type.
func TestListTableSchemas(t *testing.T) {
	for _, e := range sinks.ListTables {
		s := Schema(e)
		if s == nil {
			t.Fatalf("%s: no schema", e)
		}
		var got []string
		for _, f := range s.Fields() {
			got = append(got, f.Name())
			if !f.Optional() {
				t.Errorf("%s.%s is not OPTIONAL", e, f.Name())
			}
		}
		if strings.Join(got, ",") != strings.Join(sinks.ColumnNames(e), ",") {
			t.Errorf("%s: schema columns %v, documented %v", e, got, sinks.ColumnNames(e))
		}
		text := s.String()
		for _, c := range sinks.Columns(e) {
			want := strings.Replace(kindLeaf[c.Kind], "%s", c.Name, 1)
			if !strings.Contains(text, want) {
				t.Errorf("%s: schema lacks %q:\n%s", e, want, text)
			}
		}
	}
}

// TestListTableAmounts: a payout of exactly zero is 0, not NULL (a zero
// discount is a fact); an absent one is NULL; an amount with ten fractional
// digits fails the export rather than being rounded.
func TestListTableAmounts(t *testing.T) {
	zero := partnero.MustDecimal("0")
	fine := partnero.MustDecimal("120.123456789")
	tooFine := partnero.MustDecimal("0.0000000001")
	var buf bytes.Buffer
	w, err := New(&buf, record.PayoutRequests, sinks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range []*partnero.Decimal{&zero, nil, &fine} {
		if err := w.Write(t.Context(), record.Record{Entity: record.PayoutRequests, PayoutRequest: &partnero.PayoutRequest{ID: partnero.ID(string(rune('a' + i))), Amount: a}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Write(t.Context(), record.Record{Entity: record.PayoutRequests, PayoutRequest: &partnero.PayoutRequest{ID: "x", Amount: &tooFine}}); err == nil {
		t.Error("an amount past DECIMAL(38,9) was written")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rows, err := readRows(bytes.NewReader(buf.Bytes()), int64(buf.Len()), func(r payoutRequestRow) []string {
		return []string{cellString(r.ID), cellDecimal(r.Amount)}
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a", "0"}, {"b", ""}, {"c", "120.123456789"}}
	for i := range want {
		if i >= len(rows) || strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("rows %q, want %q", rows, want)
			break
		}
	}
}
