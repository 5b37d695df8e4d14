package parquet_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources/parquet"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

// encode writes the table with one required string column per table
// column, in small row groups so that reads cross group boundaries.
func encode(t testing.TB, table sourcetest.Table) []byte {
	t.Helper()
	group := pq.Group{}
	for _, c := range table.Columns {
		group[c] = pq.String()
	}
	schema := pq.NewSchema("table", group)
	// The schema orders the columns by name: find each one's position.
	order := make([]int, len(table.Columns))
	for i, c := range table.Columns {
		leaf, ok := schema.Lookup(c)
		if !ok {
			t.Fatalf("column %q not in schema", c)
		}
		order[i] = leaf.ColumnIndex
	}
	var buf bytes.Buffer
	w := pq.NewWriter(&buf, schema, pq.MaxRowsPerRowGroup(700), pq.Compression(&zstd.Codec{}))
	for _, r := range table.Rows {
		row := make(pq.Row, len(r))
		for i, v := range r {
			row[order[i]] = pq.ValueOf(v).Level(0, 0, order[i])
		}
		if _, err := w.WriteRows([]pq.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openBytes(t testing.TB, data []byte) *parquet.Reader {
	t.Helper()
	r, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)), "test.parquet")
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r
}

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Suite{
		Open: func(t *testing.T, table sourcetest.Table) sourcetest.Source {
			return openBytes(t, encode(t, table))
		},
	})
}

type link struct {
	Token string `parquet:"token"`
	URL   string `parquet:"url,optional"`
}

type customer struct {
	Email string   `parquet:"email"`
	Tags  []string `parquet:"tags,list"`
}

type inner struct {
	X string `parquet:"x"`
}

type typed struct {
	ID       int64             `parquet:"id"`
	When     time.Time         `parquet:"when,timestamp(microsecond)"`
	WhenMs   *time.Time        `parquet:"when_ms,timestamp(millisecond),optional"`
	WhenNs   time.Time         `parquet:"when_ns,timestamp(nanosecond)"`
	Day      int32             `parquet:"day,date"`
	Amount   int64             `parquet:"amount,decimal(2:18)"`
	Small    int32             `parquet:"small,decimal(3:9)"`
	Note     *string           `parquet:"note,optional"`
	Customer customer          `parquet:"customer"`
	Links    []link            `parquet:"links,list"`
	Codes    []string          `parquet:"codes"`
	Attrs    map[string]string `parquet:"attrs"`
	U        uint64            `parquet:"u"`
	Flag     bool              `parquet:"flag"`
	F        float32           `parquet:"f"`
	Opt      *int64            `parquet:"opt,optional"`
	Group    *inner            `parquet:"group,optional"`
}

func writeTyped(t testing.TB, rows []typed) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pq.NewGenericWriter[typed](&buf, pq.MaxRowsPerRowGroup(2))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestTypedValues(t *testing.T) {
	when := time.Date(2024, 3, 15, 12, 30, 45, 123456000, time.FixedZone("X", 3600))
	ms := time.Date(2023, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	note := "hello"
	opt := int64(-7)
	rows := []typed{
		{
			ID: 1, When: when, WhenMs: &ms, WhenNs: when, Day: 19797, Amount: -12345, Small: 5,
			Note: &note, Customer: customer{Email: "ann@example.com", Tags: []string{"vip", "eu"}},
			Links: []link{{Token: "ann", URL: "https://x/?via=ann"}, {Token: "ann2"}},
			Codes: []string{"a", "b", "c"}, Attrs: map[string]string{"plan": "pro"},
			U: 1<<63 + 5, Flag: true, F: 1.5, Opt: &opt, Group: &inner{X: "in"},
		},
		{ID: 2, When: when, WhenNs: when}, // nulls and empty lists
		{ID: 3, When: when, WhenNs: when, Links: []link{{Token: "solo"}}, Codes: []string{"z"}},
	}
	r := openBytes(t, writeTyped(t, rows))
	got, errs := sourcetest.ReadAll(t, r)
	if len(errs) > 0 || len(got) != 3 {
		t.Fatalf("rows %d errs %v", len(got), errs)
	}
	for i, row := range got {
		if row.Origin.Line != int64(i+1) || row.Origin.File != "test.parquet" {
			t.Errorf("row %d origin = %v", i, row.Origin)
		}
	}
	tests := []struct {
		row  int
		path string
		want any
	}{
		{0, "id", int64(1)},
		{0, "when", when.UTC()},
		{0, "when_ms", ms},
		{0, "when_ns", when.UTC()},
		{0, "day", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)},
		{0, "amount", json.Number("-123.45")},
		{0, "small", json.Number("0.005")},
		{0, "note", "hello"},
		{0, "customer.email", "ann@example.com"},
		{0, "customer.tags.1", "eu"},
		{0, "links.0.token", "ann"},
		{0, "links.0.url", "https://x/?via=ann"},
		{0, "links.1.token", "ann2"},
		{0, "links.1.url", nil},
		{0, "codes.2", "c"},
		{0, "attrs.plan", "pro"},
		{0, "u", json.Number("9223372036854775813")},
		{0, "flag", true},
		{0, "f", json.Number("1.5")},
		{0, "opt", int64(-7)},
		{0, "group.x", "in"},
		{1, "when_ms", nil},
		{1, "note", nil},
		{1, "links", []any{}},
		{1, "codes", []any{}},
		{1, "opt", nil},
		{1, "group", nil},
		{1, "amount", json.Number("0.00")},
		{2, "links.0.token", "solo"},
		{2, "codes", []any{"z"}},
	}
	for _, tt := range tests {
		v, ok := got[tt.row].Lookup(tt.path)
		if !ok || !reflect.DeepEqual(v, tt.want) {
			t.Errorf("row %d Lookup(%q) = %#v, %v; want %#v", tt.row, tt.path, v, ok, tt.want)
		}
	}
	wantCols := []string{"id", "when", "when_ms", "when_ns", "day", "amount", "small", "note",
		"customer.email", "customer.tags", "links", "codes", "attrs", "u", "flag", "f", "opt", "group.x"}
	if !slices.Equal(r.Columns(), wantCols) {
		t.Errorf("Columns() = %q\nwant        %q", r.Columns(), wantCols)
	}
}

// A FLOAT (32-bit) column holds the nearest float32 to what its writer
// meant: 0.1 is 0.100000001490116119384765625. Read at float64 precision it
// reaches the API as 0.10000000149011612 and fails every money check; read
// at its own precision it is the shortest decimal that is that float32, the
// value the writer wrote.
func TestFloat32AtItsOwnPrecision(t *testing.T) {
	var rows []typed
	for _, f := range []float32{0.1, 19.99, 1234.56, -0.07, 3e-7} {
		rows = append(rows, typed{F: f})
	}
	got, errs := sourcetest.ReadAll(t, openBytes(t, writeTyped(t, rows)))
	if len(errs) > 0 || len(got) != len(rows) {
		t.Fatalf("rows %d errs %v", len(got), errs)
	}
	for i, want := range []json.Number{"0.1", "19.99", "1234.56", "-0.07", "0.0000003"} {
		if v, _ := got[i].Lookup("f"); v != want {
			t.Errorf("row %d: f = %#v, want %#v", i, v, want)
		}
	}
}

func TestNotParquet(t *testing.T) {
	good := writeTyped(t, []typed{{ID: 1}, {ID: 2}, {ID: 3}})
	tests := []struct {
		name string
		data []byte
	}{
		{"csv text", []byte("key,email\nk1,a@x.com\n")},
		{"empty", nil},
		{"magic only", []byte("PAR1")},
		{"truncated to half", good[:len(good)/2]},
		{"truncated by one byte", good[:len(good)-1]},
		{"footer length lies", append(append([]byte{}, good[:len(good)-8]...), 0xff, 0xff, 0xff, 0x7f, 'P', 'A', 'R', '1')},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parquet.NewReader(bytes.NewReader(tt.data), int64(len(tt.data)), "bad.parquet")
			if err == nil || !strings.Contains(err.Error(), "bad.parquet") {
				t.Fatalf("err = %v, want an error naming the file", err)
			}
		})
	}
}

// crafted is a 28-byte file whose footer claims to be 4 GiB long: the
// Parquet library allocates a buffer of the claimed size before reading it.
var crafted = append(append([]byte("PAR1"), make([]byte, 16)...), 0xff, 0xff, 0xff, 0xff, 'P', 'A', 'R', '1')

func TestFooterLongerThanTheFileIsRefusedCheaply(t *testing.T) {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := parquet.NewReader(bytes.NewReader(crafted), int64(len(crafted)), "crafted.parquet")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "crafted.parquet") || !strings.Contains(err.Error(), "footer") {
		t.Fatalf("err = %v, want an error about the footer naming the file", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Fatalf("refusing a %d-byte file allocated %d MiB", len(crafted), grew>>20)
	}
}

// TestCraftedFilesAreCheap reads every file of the fuzz seed corpus (crafted
// files the fuzzer found) and checks that none makes the reader allocate
// more than a file's worth: the Parquet library sizes buffers by what the
// file claims (a footer, a page), before reading them.
func TestCraftedFilesAreCheap(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzReader", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no seed corpus: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data := corpusEntry(t, f)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			if r, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)), "crafted.parquet"); err == nil {
				for range 1000 {
					if _, err := r.Next(t.Context()); err != nil {
						break
					}
				}
			}
			runtime.ReadMemStats(&after)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
				t.Fatalf("reading a %d-byte file allocated %d MiB", len(data), grew>>20)
			}
		})
	}
}

// TestPageClaimsAreChecked rewrites the first page header of a real file to
// claim too much; the file is refused at open, naming what it claims.
func TestPageClaimsAreChecked(t *testing.T) {
	good := writeTyped(t, []typed{{ID: 1}, {ID: 2}})
	f, err := pq.OpenFile(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	start := f.Metadata().RowGroups[0].Columns[0].MetaData.DataPageOffset
	if d := f.Metadata().RowGroups[0].Columns[0].MetaData.DictionaryPageOffset; d > 0 && d < start {
		start = d
	}
	var proto thrift.CompactProtocol
	for _, tc := range []struct {
		name, want string
		edit       func(h *format.PageHeader)
	}{
		{"uncompressed size", "uncompressed", func(h *format.PageHeader) { h.UncompressedPageSize = 100 << 20 }},
		{"values", "values", func(h *format.PageHeader) {
			h.DataPageHeader.V.NumValues = 1 << 30 // whichever the writer used
			h.DataPageHeaderV2.V.NumValues = 1 << 30
			h.DictionaryPageHeader.V.NumValues = 1 << 30
		}},
		{"compressed size", "column chunk has", func(h *format.PageHeader) { h.CompressedPageSize = 1 << 30 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var h format.PageHeader
			cr := bytes.NewReader(good[start:])
			if err := thrift.NewDecoder(proto.NewReader(cr)).Decode(&h); err != nil {
				t.Fatal(err)
			}
			headerLen := int64(len(good)) - start - int64(cr.Len())
			tc.edit(&h)
			b, err := thrift.Marshal(&proto, &h)
			if err != nil {
				t.Fatal(err)
			}
			data := append(append(bytes.Clone(good[:start]), b...), good[start+headerLen:]...)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = parquet.NewReader(bytes.NewReader(data), int64(len(data)), "claims.parquet")
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "claims.parquet") || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a refusal naming the file and %q", err, tc.want)
			}
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
				t.Errorf("refusing it allocated %d MiB", grew>>20)
			}
		})
	}
}

// corpusEntry reads a file of the fuzz corpus ("go test fuzz v1" and one
// []byte value).
func corpusEntry(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a fuzz corpus file", path)
	}
	q, ok := strings.CutPrefix(strings.TrimSpace(lines[1]), "[]byte(")
	if !ok {
		t.Fatalf("%s: not a []byte value", path)
	}
	data, err := strconv.Unquote(strings.TrimSuffix(q, ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(data)
}

func TestCorruptPagesAreErrorsNotPanics(t *testing.T) {
	good := writeTyped(t, []typed{{ID: 1, Note: new("a")}, {ID: 2}, {ID: 3}, {ID: 4}})
	// Flip bytes all over the data area (after the magic, before the
	// footer): every outcome is fine except a panic.
	for off := 4; off < len(good)/2; off += 29 {
		data := bytes.Clone(good)
		data[off] ^= 0xA5
		r, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)), "c.parquet")
		if err != nil {
			continue
		}
		for range 10 {
			if _, err := r.Next(t.Context()); err != nil {
				var re *record.RowError
				if !errors.Is(err, io.EOF) && (errors.As(err, &re) || !strings.Contains(err.Error(), "c.parquet")) {
					t.Fatalf("offset %d: error %v does not name the file", off, err)
				}
				break
			}
		}
		_ = r.Close()
	}
}

func TestOpenFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	if err := os.WriteFile(path, writeTyped(t, []typed{{ID: 9}}), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := parquet.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.NumRows() != 1 {
		t.Errorf("NumRows = %d", r.NumRows())
	}
	rows, _ := sourcetest.ReadAll(t, r)
	if len(rows) != 1 || rows[0].Origin.File != path {
		t.Fatalf("rows = %+v", rows)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := parquet.Open(filepath.Join(t.TempDir(), "missing.parquet")); err == nil {
		t.Fatal("no error for a missing file")
	}
}

func FuzzReader(f *testing.F) {
	good := writeTyped(f, []typed{{ID: 1, Codes: []string{"a"}, Note: new("n")}, {ID: 2}})
	f.Add(good)
	f.Add(good[:len(good)-10])
	f.Add([]byte("PAR1PAR1"))
	f.Add([]byte("key,email\n"))
	f.Add(crafted) // also in testdata/fuzz/FuzzReader
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parquet.NewReader(bytes.NewReader(data), int64(len(data)), "fuzz.parquet")
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.parquet") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		defer r.Close()
		for range 1000 {
			_, err := r.Next(t.Context())
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if !strings.Contains(err.Error(), "fuzz.parquet") {
					t.Fatalf("error without the file name: %v", err)
				}
				return
			}
		}
	})
}
