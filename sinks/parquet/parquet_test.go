package parquet

import (
	"bytes"
	"io"
	"strings"
	"testing"

	pq "github.com/parquet-go/parquet-go"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sinks/sinktest"
)

func readParquet(t *testing.T, data []byte, entity record.Entity) [][]string {
	t.Helper()
	rows, err := Cells(bytes.NewReader(data), int64(len(data)), entity)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestConformance(t *testing.T) {
	for _, c := range sinks.Compressions {
		t.Run(c, func(t *testing.T) {
			sinktest.Run(t, func(w io.Writer, e record.Entity) (sinks.Sink, error) {
				// A tiny row group proves rows survive several groups.
				return New(w, e, sinks.Options{Compression: c, MaxRowsPerRowGroup: 3})
			}, readParquet)
		})
	}
}

// TestSchemaMatchesColumns keeps the Parquet schemas and the documented
// column order (the CSV header) the same.
func TestSchemaMatchesColumns(t *testing.T) {
	for _, e := range sinks.Tables {
		var got []string
		for _, f := range Schema(e).Fields() {
			got = append(got, f.Name())
		}
		want := sinks.ColumnNames(e)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: schema columns %v, documented %v", e, got, want)
		}
	}
}

func TestSchemaTypes(t *testing.T) {
	schema := Schema(record.Transactions).String()
	for _, want := range []string{
		"optional fixed_len_byte_array(16) amount (DECIMAL(38,9))",
		"optional int64 created_at (TIMESTAMP(isAdjustedToUTC=true,unit=MICROS))",
		"optional boolean rewarded",
		"optional binary key (STRING)",
	} {
		if !strings.Contains(schema, want) {
			t.Errorf("schema lacks %q:\n%s", want, schema)
		}
	}
}

// TestEveryColumnOptional: lists too, so a list the API did not send is NULL.
func TestEveryColumnOptional(t *testing.T) {
	for _, e := range sinks.Tables {
		for _, f := range Schema(e).Fields() {
			if !f.Optional() {
				t.Errorf("%s.%s is not OPTIONAL", e, f.Name())
			}
		}
	}
}

// TestListsNullWhenNotSent: a partner listing carries no tags and no
// referral links; those are NULL, not an empty list (which would claim "no
// tags"). A list the API sent empty stays an empty list.
func TestListsNullWhenNotSent(t *testing.T) {
	recs := []record.Record{
		{Entity: record.Partners, Partner: &partnero.Partner{ID: "unknown"}},
		{Entity: record.Partners, Partner: &partnero.Partner{ID: "empty", Tags: partnero.Tags{}, ReferralLinks: []string{}}},
		{Entity: record.Partners, Partner: &partnero.Partner{ID: "full", Tags: partnero.Tags{"vip"}, ReferralLinks: []string{"https://x.test/?aff=k"}}},
	}
	var buf bytes.Buffer
	w, err := New(&buf, record.Partners, sinks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(t.Context(), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := pq.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := f.Schema().Lookup("tags", "list", "element")
	links, _ := f.Schema().Lookup("referral_links", "list", "element")
	rows := make([]pq.Row, len(recs))
	n, err := f.RowGroups()[0].Rows().ReadRows(rows)
	if n != len(recs) {
		t.Fatalf("read %d rows: %v", n, err)
	}
	// Definition level 0: the list is NULL; 1: present and empty; 2: an item.
	for i, want := range []int{0, 1, 2} {
		for j, leaf := range []pq.LeafColumn{tags, links} {
			var levels []int
			for _, v := range rows[i] {
				if v.Column() == leaf.ColumnIndex {
					levels = append(levels, v.DefinitionLevel())
				}
			}
			if len(levels) == 0 || levels[0] != want {
				t.Errorf("%s: %s definition levels %v, want %d first", recs[i].Partner.ID, []string{"tags", "referral_links"}[j], levels, want)
			}
		}
	}
}

func TestCompressionCodecInFile(t *testing.T) {
	tests := map[string]string{"zstd": "ZSTD", "snappy": "SNAPPY", "none": "UNCOMPRESSED", "": "ZSTD"}
	for name, want := range tests {
		var buf bytes.Buffer
		w, err := New(&buf, record.Customers, sinks.Options{Compression: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(t.Context(), sinktest.Records(t, record.Customers)[0]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		f, err := pq.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		got := f.Metadata().RowGroups[0].Columns[0].MetaData.Codec.String()
		if got != want {
			t.Errorf("compression %q: codec %s, want %s", name, got, want)
		}
	}
	if _, err := New(io.Discard, record.Customers, sinks.Options{Compression: "lzo"}); err == nil {
		t.Error("an unknown compression was accepted")
	}
}

func TestDecimalEncoding(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{
		{"29.997", false}, {"-5", false}, {"0", false}, {"0.000000001", false}, {"-0.000000001", false},
		{"99999999999999999999999999999.999999999", false}, {"-99999999999999999999999999999.999999999", false},
		{"9223372036.854775807", false}, {"9223372036.854775808", false}, {"-9223372036.854775809", false},
		{"0.0000000001", true}, {"100000000000000000000000000000", true},
	}
	for _, tt := range tests {
		d := partnero.MustDecimal(tt.in)
		enc, err := EncodeDecimal(&d)
		if (err != nil) != tt.wantErr {
			t.Errorf("EncodeDecimal(%s) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil {
			if got := DecodeDecimal(*enc); !got.Equal(d) {
				t.Errorf("round trip of %s gave %s", tt.in, got)
			}
		}
	}
	if enc, err := EncodeDecimal(nil); enc != nil || err != nil {
		t.Errorf("nil amount = %v, %v; want NULL", enc, err)
	}
}

func TestAmountTooPreciseFailsTheRow(t *testing.T) {
	w, err := New(io.Discard, record.Transactions, sinks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	amt := partnero.MustDecimal("1.0000000001")
	err = w.Write(t.Context(), record.Record{Entity: record.Transactions, Transaction: &partnero.Transaction{Key: "k", Amount: &amt}})
	if err == nil || !strings.Contains(err.Error(), "fractional digits") {
		t.Errorf("error = %v, want a precision error", err)
	}
}

func TestCellsRefusesNonParquet(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("key,email\nk,e@x.test\n"), []byte("PAR1 but not really PAR1")} {
		if _, err := Cells(bytes.NewReader(data), int64(len(data)), record.Customers); err == nil {
			t.Errorf("Cells(%q) did not fail", data)
		}
	}
}

// FuzzDecimalRoundTrip: every decimal the API may send either encodes to
// DECIMAL(38,9) and decodes to the same value, or is refused; never rounded.
func FuzzDecimalRoundTrip(f *testing.F) {
	for _, s := range []string{"29.997", "-5", "0", "1e3", "0.000000001", "99999999999999999999999999999.999999999", "-0.5", "1.0000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := partnero.ParseDecimal(s)
		if err != nil {
			return
		}
		enc, err := EncodeDecimal(&d)
		if err != nil {
			if d.Scale() <= DecimalScale && len(strings.TrimLeft(strings.Split(strings.TrimPrefix(d.String(), "-"), ".")[0], "0")) < DecimalPrecision-DecimalScale {
				t.Fatalf("%s fits DECIMAL(38,9) but was refused: %v", d, err)
			}
			return
		}
		if got := DecodeDecimal(*enc); !got.Equal(d) {
			t.Fatalf("%s came back as %s", d, got)
		}
	})
}
