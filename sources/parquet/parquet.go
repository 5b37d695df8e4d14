// Package parquet reads Parquet files of any schema into record.Row values,
// streaming one row group at a time and a few hundred rows at a time within
// it: the file is never held in memory.
//
// The top-level fields of the schema are the row's columns; a nested group
// becomes a map[string]any, a LIST a []any and a MAP a map[string]any, so a
// mapping reaches nested values by dotted paths ("customer.email",
// "links.0.token"). Leaf values are decoded by their logical type:
// timestamps and dates to time.Time in UTC, decimals to an exact json.Number,
// strings, enums, JSON and UUIDs to string, integers to int64 (an unsigned
// 64-bit value too large for int64 to json.Number), DOUBLE to float64, FLOAT
// to the json.Number of its shortest float32 decimal (see leafConverter), and
// nulls to nil. Origin.Line is the 1-based row number in the file.
//
// parquet-go panics on some malformed input; every call into it here
// recovers and turns the panic into an error, so a corrupt or non-Parquet
// file is a clear error, never a crash.
package parquet

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"strconv"
	"time"

	pq "github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/partnero-etl/partnero-etl/internal/slab"
	"github.com/partnero-etl/partnero-etl/record"
)

// batchRows is how many rows are read from a row group per call: enough to
// amortise the call, few enough to keep memory small for wide rows.
const batchRows = 128

// Reader reads the rows of one Parquet file. It is not safe for concurrent use.
type Reader struct {
	name    string
	closer  io.Closer
	file    *pq.File
	groups  []pq.RowGroup
	group   int // index of the next row group to open
	rows    pq.Rows
	buf     []pq.Row
	n, i    int // rows in buf, next row in buf
	rowNum  int64
	header  *record.Header
	fields  []fieldDecoder
	columns [][]pq.Value
	leaves  []string
	slab    slab.Slab[any] // the rows' values: 64 rows of 4 or more a slab
	closed  bool
	done    bool
	err     error
}

type fieldDecoder struct {
	first, end int // the leaf columns of the field
	decode     decodeFunc
}

// Open opens a Parquet file by path.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r, err := NewReader(f, st.Size(), path)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads the Parquet file in ra of the given size; name is the
// origin recorded in rows. The caller closes ra (Open's Reader closes its file).
func NewReader(ra io.ReaderAt, size int64, name string) (r *Reader, err error) {
	defer recoverInto(&err, "open "+name)
	if err := checkFooter(ra, size); err != nil {
		return nil, fmt.Errorf("open %s: not a readable Parquet file: %w", name, err)
	}
	file, err := pq.OpenFile(ra, size, pq.SkipPageIndex(true), pq.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("open %s: not a readable Parquet file: %w", name, err)
	}
	if err := checkPages(ra, size, file.Metadata()); err != nil {
		return nil, fmt.Errorf("open %s: not a readable Parquet file: %w", name, err)
	}
	schema := file.Schema()
	r = &Reader{name: name, file: file, groups: file.RowGroups(), slab: slab.Slab[any]{Width: 4}}
	var names []string
	col := 0
	for _, f := range schema.Fields() {
		first := col
		next, dec, err := decoderOf(f, f.Name(), col)
		if err != nil {
			return nil, fmt.Errorf("open %s: column %s: %w", name, f.Name(), err)
		}
		col = next
		names = append(names, f.Name())
		r.fields = append(r.fields, fieldDecoder{first: first, end: col, decode: dec})
		r.leaves = appendLeafPaths(r.leaves, f, f.Name(), "")
	}
	r.header = record.NewHeader(names)
	r.columns = make([][]pq.Value, col)
	return r, nil
}

// checkFooter reads the file's last 8 bytes (footer length, magic) and checks
// that the footer fits in the file. The Parquet library allocates a buffer
// of the length the file claims before reading it: a 28-byte file claiming
// a 4 GiB footer would cost 4 GiB.
func checkFooter(ra io.ReaderAt, size int64) error {
	const magic = 4
	if size < magic+8 {
		return fmt.Errorf("%d bytes is too short for a Parquet file", size)
	}
	var tail [8]byte
	if n, err := ra.ReadAt(tail[:], size-8); n < len(tail) {
		return fmt.Errorf("read footer: %w", err)
	}
	if m := string(tail[4:]); m != "PAR1" && m != "PARE" {
		return fmt.Errorf("no Parquet magic at the end (found %q)", m)
	}
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if footer > size-magic-8 {
		return fmt.Errorf("footer claims %d bytes but the file has only %d (truncated or corrupt)", footer, size)
	}
	return nil
}

// maxPageBytes and maxPageValues bound what a page may claim. Writers cut
// pages at about 1 MiB (and well under a million values); a page claiming
// more is a corrupt or crafted header, and the library would allocate what
// it claims before reading it. 64 MiB is also the largest row the text
// readers take.
const (
	maxPageBytes  = 64 << 20
	maxPageValues = 1 << 24
)

// checkPages walks the page headers of every column chunk before anything is
// read: each chunk must lie inside the file, and each page inside its chunk
// and under maxPageBytes and maxPageValues. The Parquet library allocates a buffer of the size
// a page header claims before it reads the page, so a 4 KB file claiming a
// 1.8 GB page cost 1.8 GB. This reads one small header per page (about one
// per MiB of data), never the data.
func checkPages(ra io.ReaderAt, size int64, meta *format.FileMetaData) error {
	var proto thrift.CompactProtocol
	for g, rg := range meta.RowGroups {
		for c, cc := range rg.Columns {
			if cc.FilePath != "" {
				return fmt.Errorf("row group %d, column %d: data in another file (%s) is not supported", g, c, cc.FilePath)
			}
			md := cc.MetaData
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 && md.DictionaryPageOffset < start {
				start = md.DictionaryPageOffset
			}
			end := start + md.TotalCompressedSize
			if start < 4 || md.TotalCompressedSize < 0 || end < start || end > size {
				return fmt.Errorf("row group %d, column %d: its data (%d bytes at %d) lies outside the file (%d bytes)",
					g, c, md.TotalCompressedSize, start, size)
			}
			for pos := start; pos < end; {
				cr := &countingReader{r: io.NewSectionReader(ra, pos, end-pos)}
				br := bufio.NewReaderSize(cr, 4<<10)
				var h format.PageHeader
				if err := thrift.NewDecoder(proto.NewReader(br)).Decode(&h); err != nil {
					return fmt.Errorf("row group %d, column %d: page header at %d: %w", g, c, pos, err)
				}
				pos += cr.n - int64(br.Buffered())
				switch {
				case h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes:
					return fmt.Errorf("row group %d, column %d: a page claims %d bytes uncompressed (at most %d MiB)",
						g, c, h.UncompressedPageSize, maxPageBytes>>20)
				case pageValues(&h) > maxPageValues:
					return fmt.Errorf("row group %d, column %d: a page claims %d values (at most %d)",
						g, c, pageValues(&h), maxPageValues)
				case h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > end-pos:
					return fmt.Errorf("row group %d, column %d: a page claims %d bytes, but its column chunk has %d left",
						g, c, h.CompressedPageSize, end-pos)
				}
				pos += int64(h.CompressedPageSize)
			}
		}
	}
	return nil
}

// pageValues is the number of values a page header claims.
func pageValues(h *format.PageHeader) int64 {
	n := int64(0)
	if v := h.DataPageHeader; v.Valid {
		n = max(n, int64(v.V.NumValues))
	}
	if v := h.DataPageHeaderV2; v.Valid {
		n = max(n, int64(v.V.NumValues), int64(v.V.NumRows))
	}
	if v := h.DictionaryPageHeader; v.Valid {
		n = max(n, int64(v.V.NumValues))
	}
	return n
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// Columns returns the paths of the leaf columns ("customer.email"); a LIST
// or MAP column is named once by its own path ("links"), since its elements
// are addressed by index or key.
func (r *Reader) Columns() []string { return r.leaves }

// NumRows returns the number of rows the file declares.
func (r *Reader) NumRows() int64 { return r.file.NumRows() }

// Next returns the next row. See sources.Source for the error contract. A
// Parquet file has no partly readable rows: a decoding failure is fatal.
func (r *Reader) Next(ctx context.Context) (record.Row, error) {
	if r.closed {
		return record.Row{}, fmt.Errorf("read %s: reader is closed", r.name)
	}
	if r.done {
		return record.Row{}, r.err
	}
	if err := ctx.Err(); err != nil {
		return record.Row{}, err
	}
	row, err := r.next()
	if err != nil {
		r.done = true
		if errors.Is(err, io.EOF) {
			r.err = io.EOF
		} else {
			r.err = fmt.Errorf("read %s: row %d: %w", r.name, r.rowNum+1, err)
		}
		r.closeRows()
		return record.Row{}, r.err
	}
	return row, nil
}

func (r *Reader) next() (row record.Row, err error) {
	defer recoverInto(&err, "decode")
	for r.i >= r.n {
		if err := r.fill(); err != nil {
			return record.Row{}, err
		}
	}
	prow := r.buf[r.i]
	r.i++
	r.rowNum++

	for i := range r.columns {
		r.columns[i] = nil
	}
	prow.Range(func(c int, vals []pq.Value) bool {
		if c < len(r.columns) {
			r.columns[c] = vals
		}
		return true
	})
	values := r.slab.Take(len(r.fields))
	for i, f := range r.fields {
		v, err := f.decode(levels{}, r.columns[f.first:f.end])
		if err != nil {
			return record.Row{}, fmt.Errorf("column %s: %w", r.header.Names[i], err)
		}
		values[i] = v
	}
	return record.Row{Origin: record.Origin{File: r.name, Line: r.rowNum}, Header: r.header, Values: values}, nil
}

// fill reads the next batch of rows, moving to the next row group when the
// current one is exhausted.
func (r *Reader) fill() error {
	if r.rows == nil {
		if r.group >= len(r.groups) {
			return io.EOF
		}
		r.rows = r.groups[r.group].Rows()
		r.group++
		if r.buf == nil {
			r.buf = make([]pq.Row, batchRows)
		}
	}
	n, err := r.rows.ReadRows(r.buf)
	r.n, r.i = n, 0
	if errors.Is(err, io.EOF) {
		r.closeRows()
		err = nil
	}
	return err
}

func (r *Reader) closeRows() {
	if r.rows != nil {
		_ = r.rows.Close()
		r.rows = nil
	}
}

// Close closes the file. It is safe to call twice.
func (r *Reader) Close() (err error) {
	if r.closed {
		return nil
	}
	r.closed = true
	defer recoverInto(&err, "close "+r.name)
	r.closeRows()
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

func recoverInto(err *error, op string) {
	if p := recover(); p != nil {
		*err = fmt.Errorf("%s: malformed Parquet data (the parquet library panicked: %v)", op, p)
	}
}

// levels tracks, while descending the schema, how deep in repeated fields
// we are and which definition level means "present".
type levels struct {
	repDepth int
	def      int
}

// decodeFunc decodes one value of a node from the values of its leaf
// columns within one row (or one element of an enclosing list).
type decodeFunc func(lv levels, cols [][]pq.Value) (any, error)

// decoderOf builds the decoder of node whose first leaf column is col and
// returns the column after its last leaf.
func decoderOf(node pq.Node, name string, col int) (int, decodeFunc, error) {
	switch {
	case node.Optional():
		next, inner, err := decoderOf(pq.Required(node), name, col)
		return next, func(lv levels, cols [][]pq.Value) (any, error) {
			lv.def++
			if len(cols) > 0 && (len(cols[0]) == 0 || cols[0][0].DefinitionLevel() < lv.def) {
				return nil, nil
			}
			return inner(lv, cols)
		}, err
	case node.Repeated():
		next, inner, err := decoderOf(pq.Required(node), name, col)
		return next, repeated(inner), err
	case !node.Leaf() && isLogical[*format.ListType](node):
		return listDecoder(node, name, col)
	case !node.Leaf() && isLogical[*format.MapType](node):
		return mapDecoder(node, name, col)
	case node.Leaf():
		conv, err := leafConverter(node.Type())
		if err != nil {
			return 0, nil, err
		}
		return col + 1, func(_ levels, cols [][]pq.Value) (any, error) {
			if len(cols) == 0 || len(cols[0]) == 0 || cols[0][0].IsNull() {
				return nil, nil
			}
			return conv(cols[0][0])
		}, nil
	default:
		return groupDecoder(node, col)
	}
}

func groupDecoder(node pq.Node, col int) (int, decodeFunc, error) {
	fields := node.Fields()
	type part struct {
		name       string
		first, end int
		decode     decodeFunc
	}
	parts := make([]part, len(fields))
	start := col
	for i, f := range fields {
		next, dec, err := decoderOf(f, f.Name(), col)
		if err != nil {
			return 0, nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		parts[i] = part{f.Name(), col - start, next - start, dec}
		col = next
	}
	return col, func(lv levels, cols [][]pq.Value) (any, error) {
		m := make(map[string]any, len(parts))
		for _, p := range parts {
			v, err := p.decode(lv, cols[p.first:p.end])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p.name, err)
			}
			m[p.name] = v
		}
		return m, nil
	}, nil
}

// repeated decodes the values of a repeated node into a []any: each element
// starts where a leaf value's repetition level is at most this depth.
func repeated(inner decodeFunc) decodeFunc {
	return func(lv levels, cols [][]pq.Value) (any, error) {
		lv.repDepth++
		lv.def++
		if len(cols) == 0 || len(cols[0]) == 0 || cols[0][0].DefinitionLevel() < lv.def {
			return []any{}, nil
		}
		n := 1
		for _, v := range cols[0][1:] {
			if v.RepetitionLevel() <= lv.repDepth {
				n++
			}
		}
		out := make([]any, n)
		rest := make([][]pq.Value, len(cols))
		copy(rest, cols)
		elem := make([][]pq.Value, len(cols))
		for i := range n {
			for j, c := range rest {
				k := 1
				for k < len(c) && c[k].RepetitionLevel() > lv.repDepth {
					k++
				}
				k = min(k, len(c))
				elem[j], rest[j] = c[:k], c[k:]
			}
			v, err := inner(lv, elem)
			if err != nil {
				return nil, fmt.Errorf("element %d: %w", i, err)
			}
			out[i] = v
		}
		return out, nil
	}
}

// listDecoder handles the LIST annotation: a group holding one repeated
// group holding the element (three-level), or a repeated element directly
// (the legacy two-level form).
func listDecoder(node pq.Node, name string, col int) (int, decodeFunc, error) {
	fields := node.Fields()
	if len(fields) != 1 || !fields[0].Repeated() {
		return 0, nil, errors.New("LIST group without a single repeated field")
	}
	rep := fields[0]
	var (
		next  int
		inner decodeFunc
		err   error
	)
	if !rep.Leaf() && len(rep.Fields()) == 1 && rep.Name() != "array" && rep.Name() != name+"_tuple" {
		next, inner, err = decoderOf(rep.Fields()[0], rep.Fields()[0].Name(), col)
	} else {
		next, inner, err = decoderOf(pq.Required(rep), rep.Name(), col)
	}
	return next, repeated(inner), err
}

// mapDecoder handles the MAP annotation: a repeated key_value group whose
// pairs become a map keyed by the key's text.
func mapDecoder(node pq.Node, name string, col int) (int, decodeFunc, error) {
	fields := node.Fields()
	if len(fields) != 1 || !fields[0].Repeated() || fields[0].Leaf() {
		return 0, nil, errors.New("MAP group without a repeated key_value group")
	}
	next, pairs, err := decoderOf(fields[0], fields[0].Name(), col)
	if err != nil {
		return 0, nil, err
	}
	return next, func(lv levels, cols [][]pq.Value) (any, error) {
		v, err := pairs(lv, cols)
		if err != nil {
			return nil, err
		}
		list, _ := v.([]any)
		m := make(map[string]any, len(list))
		for _, p := range list {
			kv, _ := p.(map[string]any)
			if kv == nil {
				continue
			}
			var key any
			var val any
			for name, x := range kv {
				if name == "key" {
					key = x
				} else {
					val = x
				}
			}
			m[textOf(key)] = val
		}
		return m, nil
	}, nil
}

func textOf(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case time.Time:
		return x.Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

func isLogical[T any](node pq.Node) bool {
	lt := node.Type().LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(T)
	return ok
}

// leafConverter returns the function turning a leaf value of type t into
// the Go value a Row carries.
func leafConverter(t pq.Type) (func(pq.Value) (any, error), error) {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	kind := t.Kind()
	switch l := lt.(type) {
	case *format.TimestampType:
		unit := l.Unit.Value
		if unit == nil {
			return nil, errors.New("timestamp without a unit")
		}
		d := unit.Duration()
		return func(v pq.Value) (any, error) {
			n := v.Int64()
			switch d {
			case time.Millisecond:
				return time.UnixMilli(n).UTC(), nil
			case time.Microsecond:
				return time.UnixMicro(n).UTC(), nil
			}
			return time.Unix(0, n).UTC(), nil
		}, nil
	case *format.DateType:
		return func(v pq.Value) (any, error) {
			return time.Unix(int64(v.Int32())*86400, 0).UTC(), nil
		}, nil
	case *format.TimeType:
		unit := l.Unit.Value
		if unit == nil {
			return nil, errors.New("time without a unit")
		}
		d := unit.Duration()
		return func(v pq.Value) (any, error) {
			n := v.Int64()
			if kind == pq.Int32 {
				n = int64(v.Int32())
			}
			return time.Time{}.Add(time.Duration(n) * d).Format("15:04:05.999999999"), nil
		}, nil
	case *format.DecimalType:
		scale := int(l.Scale)
		return func(v pq.Value) (any, error) {
			switch kind {
			case pq.Int32:
				return json.Number(scaledInt(int64(v.Int32()), scale)), nil
			case pq.Int64:
				return json.Number(scaledInt(v.Int64(), scale)), nil
			}
			return json.Number(scaled(twosComplement(v.ByteArray()), scale)), nil
		}, nil
	case *format.UUIDType:
		return func(v pq.Value) (any, error) { return formatUUID(v.ByteArray()), nil }, nil
	case *format.IntType:
		if !l.IsSigned {
			return func(v pq.Value) (any, error) {
				if kind == pq.Int32 {
					return int64(uint32(v.Int32())), nil
				}
				u := uint64(v.Int64())
				if u > math.MaxInt64 {
					return json.Number(strconv.FormatUint(u, 10)), nil
				}
				return int64(u), nil
			}, nil
		}
	case *format.Float16Type:
		return func(v pq.Value) (any, error) { return float16(v.ByteArray()), nil }, nil
	}
	if ct := t.ConvertedType(); ct != nil && lt == nil {
		switch *ct {
		case deprecated.TimestampMillis:
			return func(v pq.Value) (any, error) { return time.UnixMilli(v.Int64()).UTC(), nil }, nil
		case deprecated.TimestampMicros:
			return func(v pq.Value) (any, error) { return time.UnixMicro(v.Int64()).UTC(), nil }, nil
		case deprecated.Date:
			return func(v pq.Value) (any, error) { return time.Unix(int64(v.Int32())*86400, 0).UTC(), nil }, nil
		}
	}
	switch kind {
	case pq.Boolean:
		return func(v pq.Value) (any, error) { return v.Boolean(), nil }, nil
	case pq.Int32:
		return func(v pq.Value) (any, error) { return int64(v.Int32()), nil }, nil
	case pq.Int64:
		return func(v pq.Value) (any, error) { return v.Int64(), nil }, nil
	case pq.Int96:
		// The legacy (Impala, Spark) timestamp: nanoseconds of the day
		// and a Julian day number.
		return func(v pq.Value) (any, error) {
			i := v.Int96()
			nanos := int64(uint64(i[1])<<32 | uint64(i[0]))
			days := int64(i[2]) - 2440588 // Julian day of 1970-01-01
			return time.Unix(days*86400, nanos).UTC(), nil
		}, nil
	case pq.Float:
		// A FLOAT holds the nearest float32 to what its writer meant
		// (0.1 is 0.100000001490116...). Widened to float64 it would
		// print with float64 digits (0.10000000149011612) and money
		// would fail every scale check; the shortest decimal that reads
		// back as the same float32 is the value the writer wrote, kept
		// exact as a json.Number like a DECIMAL. NaN and infinities
		// stay floats (they are not numbers to a mapping).
		return func(v pq.Value) (any, error) {
			f := v.Float()
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return float64(f), nil
			}
			return json.Number(strconv.FormatFloat(float64(f), 'f', -1, 32)), nil
		}, nil
	case pq.Double:
		return func(v pq.Value) (any, error) { return v.Double(), nil }, nil
	case pq.ByteArray, pq.FixedLenByteArray:
		// Strings, enums, JSON, BSON and plain binary all come out as text;
		// string() copies, so the row does not pin the page buffer.
		cache := new(stringCache)
		return func(v pq.Value) (any, error) { return cache.get(v.ByteArray()), nil }, nil
	}
	return nil, fmt.Errorf("unsupported physical type %v", kind)
}

// stringCache remembers the last few short values of one column, already
// boxed in an interface: a low-cardinality column (currencies, statuses,
// types) then costs no allocation per row. Strings are immutable, so rows
// may share them.
type stringCache struct {
	vals  [4]string
	boxed [4]any
	next  int
}

func (c *stringCache) get(b []byte) any {
	if len(b) > 32 {
		return string(b)
	}
	for i := range c.vals {
		if c.boxed[i] != nil && c.vals[i] == string(b) {
			return c.boxed[i]
		}
	}
	s := string(b)
	i := c.next
	c.vals[i], c.boxed[i] = s, s
	c.next = (i + 1) % len(c.vals)
	return c.boxed[i]
}

// twosComplement reads a big-endian two's complement integer.
func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

// scaledInt is scaled for the common INT32/INT64 decimals, without big.Int.
func scaledInt(n int64, scale int) string {
	if scale <= 0 {
		return scaled(big.NewInt(n), scale)
	}
	var buf [48]byte
	u := uint64(n)
	if n < 0 {
		u = ^u + 1 // also right for math.MinInt64
	}
	digits := strconv.AppendUint(buf[:0], u, 10)
	var out [64]byte
	o := out[:0]
	if n < 0 {
		o = append(o, '-')
	}
	if len(digits) <= scale {
		o = append(o, '0', '.')
		for range scale - len(digits) {
			o = append(o, '0')
		}
		return string(append(o, digits...))
	}
	o = append(o, digits[:len(digits)-scale]...)
	o = append(o, '.')
	return string(append(o, digits[len(digits)-scale:]...))
}

// scaled writes unscaled × 10^-scale as exact decimal text.
func scaled(unscaled *big.Int, scale int) string {
	s := unscaled.String()
	if scale <= 0 {
		if scale < 0 && unscaled.Sign() != 0 {
			s += string(make0(-scale))
		}
		return s
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	for len(s) <= scale {
		s = "0" + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		s = "-" + s
	}
	return s
}

func make0(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = '0'
	}
	return b
}

func formatUUID(b []byte) string {
	if len(b) != 16 {
		return hex.EncodeToString(b)
	}
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// float16 decodes an IEEE 754 half-precision number (little endian).
func float16(b []byte) float64 {
	if len(b) != 2 {
		return math.NaN()
	}
	h := binary.LittleEndian.Uint16(b)
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// appendLeafPaths lists the dotted paths of node's leaves under prefix; a
// LIST or MAP counts as one leaf.
func appendLeafPaths(out []string, node pq.Node, name, prefix string) []string {
	path := name
	if prefix != "" {
		path = prefix + "." + path
	}
	if node.Leaf() || node.Repeated() || isLogical[*format.ListType](node) || isLogical[*format.MapType](node) {
		return append(out, path)
	}
	for _, f := range node.Fields() {
		out = appendLeafPaths(out, f, f.Name(), path)
	}
	return out
}
