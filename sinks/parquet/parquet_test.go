package parquet

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sinks/sinktest"
)

func s(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func b(p *bool) string {
	if p == nil {
		return ""
	}
	return strconv.FormatBool(*p)
}

func tm(p *time.Time) string {
	if p == nil {
		return ""
	}
	return p.UTC().Format(partnero.TimeLayout)
}

func d(p *[16]byte) string {
	if p == nil {
		return ""
	}
	return DecodeDecimal(*p).String()
}

func l(v []string) string { return strings.Join(v, sinks.ListSeparator) }

func readRows[T any](t *testing.T, data []byte, cells func(T) []string) [][]string {
	t.Helper()
	f, err := pq.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	r := pq.NewGenericReader[T](f)
	defer r.Close()
	var out [][]string
	buf := make([]T, 7)
	for {
		n, err := r.Read(buf)
		for _, row := range buf[:n] {
			out = append(out, cells(row))
		}
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func readParquet(t *testing.T, data []byte, entity record.Entity) [][]string {
	t.Helper()
	switch entity {
	case record.Partners:
		return readRows(t, data, func(r partnerRow) []string {
			rc := ""
			if r.ReferralsCount != nil {
				rc = strconv.FormatInt(*r.ReferralsCount, 10)
			}
			return []string{s(r.ID), s(r.Email), s(r.Name), s(r.Surname), s(r.Key), s(r.Status), b(r.Approved), b(r.TOS), rc,
				s(r.ReferralLink), l(r.ReferralLinks), l(r.Tags), s(r.CustomFields), tm(r.CreatedAt), tm(r.UpdatedAt)}
		})
	case record.Customers:
		return readRows(t, data, func(r customerRow) []string {
			return []string{s(r.Key), s(r.Email), s(r.Name), s(r.Surname), s(r.Partner), s(r.Status), b(r.Deleted), l(r.Tags),
				tm(r.CreatedAt), tm(r.UpdatedAt), tm(r.DeletedAt)}
		})
	case record.Transactions:
		return readRows(t, data, func(r transactionRow) []string {
			return []string{s(r.Key), s(r.Action), d(r.Amount), s(r.AmountUnits), s(r.Partner), s(r.Customer), s(r.ProductID),
				l(r.ProductType), b(r.Rewarded), b(r.Rewardable), b(r.Credit), b(r.IsCurrency), tm(r.CreatedAt), tm(r.DeletedAt)}
		})
	case record.Rewards:
		return readRows(t, data, func(r rewardRow) []string {
			return []string{s(r.TransactionKey), s(r.Key), s(r.Action), s(r.Status), d(r.Amount), s(r.AmountUnits), s(r.Partner),
				s(r.Customer), s(r.ProductTypeData), tm(r.CreatedAt), tm(r.DeletedAt)}
		})
	}
	t.Fatalf("no table %s", entity)
	return nil
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
