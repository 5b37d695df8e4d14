package interop

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	sinkparquet "github.com/partnero-etl/partnero-etl/sinks/parquet"
	"github.com/partnero-etl/partnero-etl/sinks/sinktest"
)

// wantType is the Arrow type each documented column kind must read as.
func wantType(k sinks.Kind) arrow.DataType {
	switch k {
	case sinks.KindDecimal:
		return &arrow.Decimal128Type{Precision: sinkparquet.DecimalPrecision, Scale: sinkparquet.DecimalScale}
	case sinks.KindTime:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case sinks.KindBool:
		return arrow.FixedWidthTypes.Boolean
	case sinks.KindInt:
		return arrow.PrimitiveTypes.Int64
	case sinks.KindList:
		// Parquet's three-level LIST with a required "element": no NULL
		// inside a list; the list itself is NULL when the API did not send
		// it (see TestArrowListsNullWhenNotSent).
		return arrow.ListOfField(arrow.Field{Name: "element", Type: arrow.BinaryTypes.String, Nullable: false})
	}
	return arrow.BinaryTypes.String
}

// cell renders one value as sinks.Column.Value would ("" for NULL).
func cell(t *testing.T, arr arrow.Array, i int) string {
	t.Helper()
	if arr.IsNull(i) {
		return ""
	}
	switch a := arr.(type) {
	case *array.String:
		return a.Value(i)
	case *array.Boolean:
		return strconv.FormatBool(a.Value(i))
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Timestamp:
		return time.UnixMicro(int64(a.Value(i))).UTC().Format(partnero.TimeLayout)
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		d, err := partnero.ParseDecimal(a.Value(i).ToString(scale))
		if err != nil {
			t.Fatalf("decimal: %v", err)
		}
		return d.String()
	case *array.List:
		start, end := a.ValueOffsets(i)
		vals := a.ListValues().(*array.String)
		var parts []string
		for j := start; j < end; j++ {
			parts = append(parts, vals.Value(int(j)))
		}
		return strings.Join(parts, sinks.ListSeparator)
	}
	t.Fatalf("unexpected Arrow array %T", arr)
	return ""
}

// readArrow reads a Parquet file with Arrow and returns its rows as cells.
func readArrow(t *testing.T, data []byte, entity record.Entity) [][]string {
	t.Helper()
	pr, err := file.NewParquetReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("arrow could not open the file: %v", err)
	}
	defer pr.Close()
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	cols := sinks.Columns(entity)
	if int(tbl.NumCols()) != len(cols) {
		t.Fatalf("%d columns, documented %d", tbl.NumCols(), len(cols))
	}
	rows := make([][]string, tbl.NumRows())
	for i := range rows {
		rows[i] = make([]string, len(cols))
	}
	for j, c := range cols {
		f := tbl.Schema().Field(j)
		if f.Name != c.Name {
			t.Errorf("column %d is %s, documented %s", j, f.Name, c.Name)
		}
		if want := wantType(c.Kind); !arrow.TypeEqual(f.Type, want) {
			t.Errorf("column %s reads as %s, documented %s", c.Name, f.Type, want)
		}
		row := 0
		for _, chunk := range tbl.Column(j).Data().Chunks() {
			for i := 0; i < chunk.Len(); i++ {
				rows[row][j] = cell(t, chunk, i)
				row++
			}
		}
	}
	return rows
}

// TestArrowReadsTheExport runs the sink conformance suite with Arrow as the
// reader: documented types and exact values (unrounded commissions, micro-
// second UTC timestamps, NULLs, unicode, lists) for every table and codec.
func TestArrowReadsTheExport(t *testing.T) {
	for _, codec := range sinks.Compressions {
		t.Run(codec, func(t *testing.T) {
			sinktest.Run(t, func(w io.Writer, e record.Entity) (sinks.Sink, error) {
				return sinkparquet.New(w, e, sinks.Options{Compression: codec, MaxRowsPerRowGroup: 4})
			}, readArrow)
		})
	}
}

// TestArrowListsNullWhenNotSent: Arrow reads a list the API did not send (a
// partner listing carries no tags or referral links) as NULL, and one it
// sent empty as an empty list, not NULL.
func TestArrowListsNullWhenNotSent(t *testing.T) {
	var buf bytes.Buffer
	w, err := sinkparquet.New(&buf, record.Partners, sinks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*partnero.Partner{{ID: "unknown"}, {ID: "empty", Tags: partnero.Tags{}, ReferralLinks: []string{}}} {
		if err := w.Write(t.Context(), record.Record{Entity: record.Partners, Partner: p}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	pr, err := file.NewParquetReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	for j, f := range tbl.Schema().Fields() {
		if f.Name != "tags" && f.Name != "referral_links" {
			continue
		}
		if !f.Nullable {
			t.Errorf("%s is not nullable", f.Name)
		}
		arr := tbl.Column(j).Data().Chunk(0).(*array.List)
		if !arr.IsNull(0) {
			t.Errorf("%s of a partner whose listing did not carry it is not NULL", f.Name)
		}
		if start, end := arr.ValueOffsets(1); arr.IsNull(1) || start != end {
			t.Errorf("%s sent empty: null %v, %d items", f.Name, arr.IsNull(1), end-start)
		}
	}
}
