// Package jsonl reads JSON lines (one JSON object per line, also called
// NDJSON) into record.Row values.
//
// The top-level keys of each object become the row's columns in the order the
// line writes them, and their decoded values the row's Values; nested objects
// and arrays stay map[string]any and []any, so mappings reach them by dotted
// paths ("customer.email", "links.0.token"). Numbers are json.Number: exact,
// never a float. Each row keeps its line as Raw so a reject file can
// reproduce it. A line that is not a JSON object is a *record.RowError with its
// line number and the reader goes on; blank lines are skipped.
//
// A file that starts with '[' is one JSON array of objects instead (the
// usual ".json" export): its elements are read one at a time, never the
// whole array at once, with the same decoding and the same row errors; a
// row's Origin.Line is then the element's position in the array.
package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/partnero-etl/partnero-etl/internal/slab"
	"github.com/partnero-etl/partnero-etl/record"
)

// MaxLineBytes bounds one line. A longer line is a row error (the rest of it
// is skipped, not held), so a file without newlines cannot exhaust memory.
const MaxLineBytes = 64 << 20

// utf8BOM is the byte order mark some tools write at the start of a UTF-8 file.
var utf8BOM = []byte("\xEF\xBB\xBF")

// Reader reads JSON lines. It is not safe for concurrent use.
type Reader struct {
	name    string
	closer  io.Closer
	maxLine int
	br      *bufio.Reader
	line    int64 // number of the last line read
	buf     []byte
	header  *record.Header
	keys    [][]byte       // scratch: the raw keys of the current line
	vals    []any          // scratch: the values of the current line
	slab    slab.Slab[any] // the rows' values: 64 rows of 8 or more a slab
	closed  bool
	done    bool
	err     error

	// started is set once the start of the input was looked at: a file
	// whose first character is '[' is one JSON array of objects (what
	// many tools write as ".json"), read element by element.
	started  bool
	array    bool
	elements int64 // array elements read
	arrLine  int64 // the line the array mode is on
	rows     int64 // rows returned, good or bad, for messages
	tail     bool  // the array's ']' was read
}

// NewReader returns a Reader over r; name is the origin recorded in every
// row. If r is an io.Closer, Close closes it.
func NewReader(r io.Reader, name string) *Reader {
	closer, _ := r.(io.Closer)
	return &Reader{name: name, closer: closer, br: bufio.NewReaderSize(r, 64<<10), maxLine: MaxLineBytes,
		slab: slab.Slab[any]{Width: 8}}
}

// Next returns the next object. See sources.Source for the error contract;
// with a row error the Row's Raw holds the offending line (truncated to
// 64 KiB when longer).
func (r *Reader) Next(ctx context.Context) (record.Row, error) {
	row, err := r.next(ctx)
	if _, bad := errors.AsType[*record.RowError](err); err == nil || bad {
		r.rows++
	}
	return row, err
}

func (r *Reader) next(ctx context.Context) (record.Row, error) {
	if r.closed {
		return record.Row{}, fmt.Errorf("read %s: reader is closed", r.name)
	}
	for {
		if r.done {
			return record.Row{}, r.err
		}
		if err := ctx.Err(); err != nil {
			return record.Row{}, err
		}
		if !r.started {
			if err := r.start(); err != nil {
				r.done, r.err = true, fmt.Errorf("read %s: %w", r.name, err)
				return record.Row{}, r.err
			}
		}
		if r.array {
			return r.nextElement()
		}
		line, tooLong, err := r.readLine()
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.done, r.err = true, io.EOF
			} else {
				r.done, r.err = true, fmt.Errorf("read %s: line %d, after %d rows: %w", r.name, r.line, r.rows, err)
			}
			return record.Row{}, r.err
		}
		origin := record.Origin{File: r.name, Line: r.line}
		if tooLong {
			return record.Row{Origin: origin}, &record.RowError{Origin: origin, Code: record.CodeMalformedRow,
				Message: fmt.Sprintf("line is longer than %d MiB", r.maxLine>>20)}
		}
		if r.line == 1 {
			// Windows editors and some exporters start UTF-8 files with a
			// byte order mark; it is not part of the first object.
			line = bytes.TrimPrefix(line, utf8BOM)
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue // blank lines separate nothing
		}
		row, rerr := r.decode(line, origin)
		if rerr != nil {
			raw := line
			if len(raw) > 64<<10 {
				raw = raw[:64<<10]
			}
			return record.Row{Origin: origin, Raw: bytes.Clone(raw)}, rerr
		}
		return row, nil
	}
}

// start skips a byte order mark and leading white space and looks at the
// first character: '[' opens a JSON array.
func (r *Reader) start() error {
	r.started = true
	if b, err := r.br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = r.br.Discard(len(utf8BOM))
	}
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		switch c {
		case '\n':
			r.line++
			continue
		case ' ', '\t', '\r':
			continue
		case '[':
			r.array, r.arrLine = true, r.line+1
			return nil
		}
		return r.br.UnreadByte()
	}
}

// nextElement returns the next element of a JSON array as a row. Its
// Origin.Line is the element's position in the array (1-based), which stays
// meaningful when the whole array is on one line; messages about it name
// its line in the file too. The element is kept in Raw as compact JSON on
// one line, so a JSON lines reject file can hold it.
func (r *Reader) nextElement() (record.Row, error) {
	elem, line, tooLong, last, err := r.scanElement()
	if err != nil {
		r.done, r.err = true, fmt.Errorf("read %s: %w", r.name, err)
		return record.Row{}, r.err
	}
	if elem == nil && !tooLong {
		// The array ended: only white space may follow.
		if err := r.rest(); err != nil {
			r.done, r.err = true, fmt.Errorf("read %s: %w", r.name, err)
			return record.Row{}, r.err
		}
		r.done, r.err = true, io.EOF
		return record.Row{}, io.EOF
	}
	r.elements++
	r.tail = last
	origin := record.Origin{File: r.name, Line: r.elements}
	if tooLong {
		return record.Row{Origin: origin}, &record.RowError{Origin: origin, Code: record.CodeMalformedRow,
			Message: fmt.Sprintf("array element %d (line %d) is longer than %d MiB", r.elements, line, r.maxLine>>20)}
	}
	if len(elem) == 0 {
		return record.Row{Origin: origin}, &record.RowError{Origin: origin, Code: record.CodeMalformedRow,
			Message: fmt.Sprintf("array element %d (line %d) is empty (two commas in a row?)", r.elements, line)}
	}
	one := elem
	var compact bytes.Buffer
	if bytes.ContainsAny(elem, "\r\n\t ") && json.Compact(&compact, elem) == nil {
		one = compact.Bytes()
	}
	row, rerr := r.decode(one, origin)
	if rerr != nil {
		rerr.Message = fmt.Sprintf("array element %d (line %d): %s", r.elements, line,
			strings.Replace(rerr.Message, "line is a JSON", "element is a JSON", 1))
		raw := one
		if len(raw) > 64<<10 {
			raw = raw[:64<<10]
		}
		return record.Row{Origin: origin, Raw: bytes.Clone(raw)}, rerr
	}
	return row, nil
}

// scanElement reads up to the ',' or ']' that ends the next array element
// (outside strings and nested values) and returns the element's bytes,
// trimmed, and the line it starts on. elem is nil when the array's ']'
// came instead of an element; last is true when the element ended the
// array. An end of input inside the array is an error: the file was cut
// short.
func (r *Reader) scanElement() (elem []byte, line int64, tooLong, last bool, err error) {
	if r.tail {
		return nil, 0, false, true, nil
	}
	if cap(r.buf) > 1<<20 {
		r.buf = nil
	}
	r.buf = r.buf[:0]
	depth, inStr, esc, begun := 0, false, false, false
	line = r.arrLine
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, 0, false, false, fmt.Errorf("line %d: the JSON array is not closed: the input ends inside it after %d %s (a truncated file?)",
					r.arrLine, r.elements, plural(r.elements, "element", "elements"))
			}
			return nil, 0, false, false, fmt.Errorf("line %d: %w", r.arrLine, err)
		}
		if c == '\n' {
			r.arrLine++
		}
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case (c == '}' || c == ']') && depth > 0:
			depth--
		case c == ']' || (c == ',' && depth == 0):
			elem = bytes.TrimSpace(r.buf)
			if c == ']' && len(elem) == 0 && !begun {
				return nil, 0, false, true, nil // "[]" or the end after a last ','
			}
			if elem == nil {
				elem = []byte{}
			}
			return elem, line, tooLong, c == ']', nil
		}
		if !begun && c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			begun, line = true, r.arrLine
		}
		if tooLong {
			continue
		}
		if len(r.buf) >= r.maxLine {
			tooLong, r.buf = true, r.buf[:0]
			continue
		}
		r.buf = append(r.buf, c)
	}
}

// rest checks that nothing but white space follows the array.
func (r *Reader) rest() error {
	for {
		c, err := r.br.ReadByte()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch c {
		case '\n':
			r.arrLine++
		case ' ', '\t', '\r':
		default:
			return fmt.Errorf("line %d: unexpected %q after the JSON array that holds the rows: a file holds one array, or one object per line", r.arrLine, c)
		}
	}
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// readLine returns the next line without its newline. The slice is valid
// until the next call. A line over MaxLineBytes is consumed and reported.
func (r *Reader) readLine() (line []byte, tooLong bool, err error) {
	if cap(r.buf) > 1<<20 {
		r.buf = nil // one long line must not pin its buffer for the rest of the file
	}
	r.buf = r.buf[:0]
	for {
		chunk, err := r.br.ReadSlice('\n')
		if !tooLong && len(r.buf)+len(chunk) > r.maxLine {
			tooLong = true
			r.buf = r.buf[:0] // drop what was held: the line is reported, not kept
		}
		switch {
		case err == nil:
			r.line++
			if len(r.buf) == 0 || tooLong {
				return chunk, tooLong, nil
			}
			r.buf = append(r.buf, chunk...)
			return r.buf, tooLong, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if !tooLong {
				r.buf = append(r.buf, chunk...)
			}
		case errors.Is(err, io.EOF):
			if len(chunk) == 0 && len(r.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			r.line++ // a last line without its newline
			r.buf = append(r.buf, chunk...)
			return r.buf, tooLong, nil
		default:
			return nil, false, err
		}
	}
}

func (r *Reader) decode(line []byte, origin record.Origin) (record.Row, *record.RowError) {
	bad := func(format string, args ...any) *record.RowError {
		return &record.RowError{Origin: origin, Code: record.CodeMalformedRow, Message: fmt.Sprintf(format, args...)}
	}
	if !utf8.Valid(line) {
		return record.Row{}, bad("invalid UTF-8 at byte %d: the file must be UTF-8", invalidUTF8At(line)+1)
	}
	p := parser{b: line}
	if line[0] != '{' {
		// Not an object: say what it is, if it is JSON at all.
		if _, err := p.value(); err != nil {
			return record.Row{}, bad("%v", err)
		}
		if p.space(); p.i < len(line) {
			return record.Row{}, bad("%v", p.unexpected("after the JSON value"))
		}
		return record.Row{}, bad("line is a JSON %s, not an object", kindAt(line[0]))
	}

	// The top level by hand, so that keys keep their order; values
	// through the parser.
	r.keys, r.vals = r.keys[:0], r.vals[:0]
	p.i, p.depth = 1, 1
	p.space()
	if p.peek() == '}' {
		p.i++
	} else {
		for {
			p.space()
			key, err := p.rawString()
			if err != nil {
				return record.Row{}, bad("%v", err)
			}
			p.space()
			if p.peek() != ':' {
				return record.Row{}, bad("%v", p.unexpected("after an object key, want ':'"))
			}
			p.i++
			v, err := p.value()
			if err != nil {
				return record.Row{}, bad("%v", err)
			}
			r.keys = append(r.keys, key)
			r.vals = append(r.vals, v)
			p.space()
			if c := p.peek(); c == '}' {
				p.i++
				break
			} else if c != ',' {
				return record.Row{}, bad("%v", p.unexpected("after an object value, want ',' or '}'"))
			}
			p.i++
		}
	}
	if p.space(); p.i < len(line) {
		return record.Row{}, bad("%v", p.unexpected("after the object"))
	}

	header, vals, err := r.headerFor(r.keys, r.vals)
	if err != nil {
		return record.Row{}, bad("%v", err)
	}
	values := r.slab.Take(len(vals))
	copy(values, vals)
	return record.Row{Origin: origin, Header: header, Values: values, Raw: bytes.Clone(line)}, nil
}

// headerFor returns a Header for the raw keys, reusing the previous line's
// when the keys are the same (the usual case: it saves a map per row). A
// key written twice keeps its first position and its last value, as JSON
// decoders do.
func (r *Reader) headerFor(keys [][]byte, vals []any) (*record.Header, []any, error) {
	if h := r.header; h != nil && len(h.Names) == len(keys) {
		same := true
		for i, k := range keys {
			if !rawKeyEquals(k, h.Names[i]) {
				same = false
				break
			}
		}
		if same {
			return h, vals, nil
		}
	}
	names := make([]string, 0, len(keys))
	pos := make(map[string]int, len(keys))
	out := vals[:0]
	for i, k := range keys {
		var name string
		if err := json.Unmarshal(k, &name); err != nil {
			return nil, nil, fmt.Errorf("key %s: %v", k, err)
		}
		if j, dup := pos[name]; dup {
			out[j] = vals[i]
			continue
		}
		pos[name] = len(names)
		names = append(names, name)
		out = append(out, vals[i])
	}
	r.header = record.NewHeader(names)
	return r.header, out, nil
}

// rawKeyEquals compares a quoted JSON key with a name without allocating
// when the key has no escapes.
func rawKeyEquals(raw []byte, name string) bool {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner) == name
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && s == name
}

// Close closes the underlying file, if any. It is safe to call twice.
func (r *Reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.closer != nil {
		return r.closer.Close()
	}
	return nil
}

func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return 0
}
