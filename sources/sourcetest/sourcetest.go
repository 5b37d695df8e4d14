// Package sourcetest is the conformance suite every source passes: the
// contract of sources.Source written down as tests. A reader's test calls Run
// with a function that writes a table in its format and opens it.
//
// The suite checks that every value comes back, that rows stay valid after
// later reads (no buffer reuse leaks into a returned Row), that origins name
// the input and increase, that io.EOF stays io.EOF, that Close is idempotent
// and Next after Close fails cleanly, that a cancelled context is honoured
// without losing the row, and (for formats that can hold one) that a row the
// reader cannot decode is a *record.RowError after which reading goes on.
package sourcetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

// Source is the interface under test (the same as sources.Source; declared
// here so that the readers' tests do not import package sources).
type Source interface {
	Next(ctx context.Context) (record.Row, error)
	Close() error
}

// Table is what a test writes: column names and rows of string values.
type Table struct {
	Columns []string
	Rows    [][]string
}

// Suite describes a source to the conformance tests.
type Suite struct {
	// Open writes table in the source's format and returns a source reading
	// it. Every value is a non-null string; a format without strings (none
	// of ours) would convert. Required.
	Open func(t *testing.T, table Table) Source
	// OpenWithBadRow is like Open, but inserts before row index bad one row
	// the reader cannot decode (a ragged CSV row, a JSON line that is not an
	// object). Nil for formats that cannot hold a bad row alone (Parquet).
	OpenWithBadRow func(t *testing.T, table Table, bad int) Source
}

// Run runs the conformance tests as subtests of t.
func Run(t *testing.T, s Suite) {
	t.Helper()
	if s.Open == nil {
		t.Fatal("sourcetest: Suite.Open is required")
	}
	t.Run("ReadsEveryValue", func(t *testing.T) { testReadsEveryValue(t, s) })
	t.Run("ManyRows", func(t *testing.T) { testManyRows(t, s) })
	t.Run("WideAndLong", func(t *testing.T) { testWideAndLong(t, s) })
	t.Run("Empty", func(t *testing.T) { testEmpty(t, s) })
	t.Run("EOFStaysEOF", func(t *testing.T) { testEOFStaysEOF(t, s) })
	t.Run("CloseIdempotent", func(t *testing.T) { testClose(t, s) })
	t.Run("Cancelled", func(t *testing.T) { testCancelled(t, s) })
	if s.OpenWithBadRow != nil {
		t.Run("BadRowKeepsSourceUsable", func(t *testing.T) { testBadRow(t, s) })
	}
}

// Awkward returns a table whose values exercise quoting and encoding: the
// delimiters, quotes, newlines, non-ASCII text, empty strings and spaces.
// (No CR LF inside a value: CSV readers, encoding/csv included, turn a
// quoted CR LF into LF.)
func Awkward() Table {
	return Table{
		Columns: []string{"key", "email", "note", "amount"},
		Rows: [][]string{
			{"k1", "ann@example.com", "plain", "10.50"},
			{"k2", "bob@example.com", "comma, semicolon; tab\tpipe|", "0"},
			{"k3", "", `quote " and "quoted"`, "-3"},
			{"k4", "zoë@example.com", "line one\nline two\nline three", "1e3"},
			{"k5", "  spaced@example.com  ", "ünïcödé 日本語 🎉", ""},
			{"k6", "x@example.com", `{"looks":"like json"}`, "12345678901234567890.123456789"},
		},
	}
}

// ReadAll reads src to the end and returns the rows and the row errors
// (whose rows come back too, as the reader returned them). A fatal error
// fails the test.
func ReadAll(t testing.TB, src Source) (rows []record.Row, rowErrs []*record.RowError) {
	t.Helper()
	ctx := context.Background()
	for range 10_000_000 {
		row, err := src.Next(ctx)
		var re *record.RowError
		switch {
		case errors.Is(err, io.EOF):
			return rows, rowErrs
		case errors.As(err, &re):
			rowErrs = append(rowErrs, re)
		case err != nil:
			t.Fatalf("Next after %d rows: fatal error %v", len(rows), err)
		default:
			rows = append(rows, row)
		}
	}
	t.Fatal("Next never returned io.EOF")
	return nil, nil
}

// Text returns the value of a column of row as text, whatever type the
// source decoded it to; ok is false when the column is missing.
func Text(row record.Row, column string) (string, bool) {
	v, ok := row.Lookup(column)
	if !ok {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case nil:
		return "", true
	case json.Number:
		return x.String(), true
	case time.Time:
		return x.Format(time.RFC3339Nano), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return fmt.Sprint(v), true
}

func checkRows(t *testing.T, table Table, rows []record.Row) {
	t.Helper()
	if len(rows) != len(table.Rows) {
		t.Fatalf("read %d rows, want %d", len(rows), len(table.Rows))
	}
	for i, row := range rows {
		for j, col := range table.Columns {
			got, ok := Text(row, col)
			if !ok {
				t.Errorf("row %d (%v): column %q missing", i, row.Origin, col)
				continue
			}
			if want := table.Rows[i][j]; got != want {
				t.Errorf("row %d (%v): column %q = %q, want %q", i, row.Origin, col, clip(got), clip(want))
			}
		}
	}
}

func checkOrigins(t *testing.T, rows []record.Row) {
	t.Helper()
	var prev int64
	for i, row := range rows {
		if row.Origin.File == "" {
			t.Errorf("row %d: Origin.File is empty", i)
		}
		if i > 0 && row.Origin.File != rows[0].Origin.File {
			t.Errorf("row %d: Origin.File = %q, row 0 said %q", i, row.Origin.File, rows[0].Origin.File)
		}
		if row.Origin.Line <= prev {
			t.Errorf("row %d: Origin.Line = %d, not after the previous row's %d", i, row.Origin.Line, prev)
		}
		prev = row.Origin.Line
	}
}

func testReadsEveryValue(t *testing.T, s Suite) {
	table := Awkward()
	src := s.Open(t, table)
	defer src.Close()
	// All rows are read before any is checked: a reader that reuses a
	// buffer behind a returned Row fails here.
	rows, rowErrs := ReadAll(t, src)
	if len(rowErrs) > 0 {
		t.Fatalf("unexpected row errors: %v", rowErrs)
	}
	checkRows(t, table, rows)
	checkOrigins(t, rows)
}

func testManyRows(t *testing.T, s Suite) {
	table := Table{Columns: []string{"id", "value"}}
	for i := range 5000 {
		table.Rows = append(table.Rows, []string{strconv.Itoa(i), strings.Repeat("v", i%97)})
	}
	src := s.Open(t, table)
	defer src.Close()
	rows, rowErrs := ReadAll(t, src)
	if len(rowErrs) > 0 {
		t.Fatalf("unexpected row errors: %v", rowErrs[0])
	}
	checkRows(t, table, rows)
	checkOrigins(t, rows)
}

func testWideAndLong(t *testing.T, s Suite) {
	table := Table{}
	for i := range 300 {
		table.Columns = append(table.Columns, "col_"+strconv.Itoa(i))
	}
	for r := range 3 {
		row := make([]string, len(table.Columns))
		for i := range row {
			row[i] = fmt.Sprintf("r%dc%d", r, i)
		}
		table.Rows = append(table.Rows, row)
	}
	table.Rows[1][7] = strings.Repeat("long value ", 100_000) // about 1 MB
	src := s.Open(t, table)
	defer src.Close()
	rows, rowErrs := ReadAll(t, src)
	if len(rowErrs) > 0 {
		t.Fatalf("unexpected row errors: %v", rowErrs[0])
	}
	checkRows(t, table, rows)
}

func testEmpty(t *testing.T, s Suite) {
	src := s.Open(t, Table{Columns: []string{"key", "email"}})
	defer src.Close()
	row, err := src.Next(t.Context())
	if !errors.Is(err, io.EOF) {
		t.Fatalf("Next on an input without rows = %+v, %v; want io.EOF", row, err)
	}
}

func testEOFStaysEOF(t *testing.T, s Suite) {
	src := s.Open(t, Table{Columns: []string{"key"}, Rows: [][]string{{"a"}, {"b"}}})
	defer src.Close()
	rows, _ := ReadAll(t, src)
	if len(rows) != 2 {
		t.Fatalf("read %d rows, want 2", len(rows))
	}
	for i := range 3 {
		if _, err := src.Next(t.Context()); !errors.Is(err, io.EOF) {
			t.Fatalf("call %d after io.EOF returned %v, want io.EOF", i+1, err)
		}
	}
}

func testClose(t *testing.T, s Suite) {
	src := s.Open(t, Table{Columns: []string{"key"}, Rows: [][]string{{"a"}, {"b"}}})
	if _, err := src.Next(t.Context()); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := src.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	_, err := src.Next(t.Context())
	var re *record.RowError
	if err == nil || errors.Is(err, io.EOF) || errors.As(err, &re) {
		t.Fatalf("Next after Close = %v, want a fatal error", err)
	}

	// Closing before reading anything is fine too.
	src = s.Open(t, Table{Columns: []string{"key"}, Rows: [][]string{{"a"}}})
	if err := src.Close(); err != nil {
		t.Fatalf("Close before reading: %v", err)
	}
}

func testCancelled(t *testing.T, s Suite) {
	src := s.Open(t, Table{Columns: []string{"key"}, Rows: [][]string{{"a"}, {"b"}}})
	defer src.Close()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.Next(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next with a cancelled context = %v, want context.Canceled", err)
	}
	// The cancelled call consumed nothing.
	rows, _ := ReadAll(t, src)
	if len(rows) != 2 {
		t.Fatalf("after a cancelled Next, read %d rows, want 2", len(rows))
	}
	if got, _ := Text(rows[0], "key"); got != "a" {
		t.Fatalf("first row after a cancelled Next has key %q, want \"a\"", got)
	}
}

func testBadRow(t *testing.T, s Suite) {
	table := Awkward()
	for _, bad := range []int{0, 2, len(table.Rows)} {
		t.Run("before row "+strconv.Itoa(bad), func(t *testing.T) {
			src := s.OpenWithBadRow(t, table, bad)
			defer src.Close()
			rows, rowErrs := ReadAll(t, src)
			if len(rowErrs) != 1 {
				t.Fatalf("got %d row errors, want 1: %v", len(rowErrs), rowErrs)
			}
			re := rowErrs[0]
			if re.Code != record.CodeMalformedRow {
				t.Errorf("row error code = %q, want %q", re.Code, record.CodeMalformedRow)
			}
			if re.Origin.File == "" || re.Origin.Line <= 0 {
				t.Errorf("row error origin = %+v, want the file and a line", re.Origin)
			}
			if re.Message == "" {
				t.Error("row error has no message")
			}
			checkRows(t, table, rows)
			checkOrigins(t, rows)
			if bad < len(rows) && re.Origin.Line >= rows[bad].Origin.Line {
				t.Errorf("bad row at line %d, but the next good row is at line %d", re.Origin.Line, rows[bad].Origin.Line)
			}
			if bad > 0 && re.Origin.Line <= rows[bad-1].Origin.Line {
				t.Errorf("bad row at line %d, but the previous good row is at line %d", re.Origin.Line, rows[bad-1].Origin.Line)
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + fmt.Sprintf("...(%d bytes)", len(s))
	}
	return s
}
