// Package csv writes one export table as CSV: a header row with the table's
// documented column order (sinks.Columns), RFC 4180 quoting, lists joined with
// ";", NULL as an empty cell, and optionally formula cells neutralised.
package csv

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// Writer is a sinks.Sink writing CSV.
type Writer struct {
	w       *csv.Writer
	entity  record.Entity
	cols    []sinks.Column
	safe    bool
	cells   []string
	started bool
}

var _ sinks.Sink = (*Writer)(nil)

// New returns a writer of the given table on w. The header is written with
// the first record, or by Close for an empty table, so an empty export still
// has its header.
func New(w io.Writer, entity record.Entity, opts sinks.Options) (*Writer, error) {
	cols := sinks.Columns(entity)
	if cols == nil {
		return nil, fmt.Errorf("csv: no table %q", entity)
	}
	// Lines end in \n, not \r\n: encoding/csv's CRLF mode would also rewrite
	// newlines inside values, and every CSV reader accepts \n.
	return &Writer{w: csv.NewWriter(w), entity: entity, cols: cols, safe: opts.CSVSafe, cells: make([]string, len(cols))}, nil
}

func (w *Writer) header() error {
	w.started = true
	return w.w.Write(sinks.ColumnNames(w.entity))
}

// Write writes one record as a row.
func (w *Writer) Write(ctx context.Context, rec record.Record) error {
	if err := sinks.Entity(rec, w.entity); err != nil {
		return err
	}
	if !w.started {
		if err := w.header(); err != nil {
			return err
		}
	}
	for i, c := range w.cols {
		v, _ := c.Value(rec)
		if w.safe && c.Kind != sinks.KindDecimal && c.Kind != sinks.KindInt && c.Kind != sinks.KindTime && c.Kind != sinks.KindBool {
			v = Neutralise(v)
		}
		w.cells[i] = v
	}
	return w.w.Write(w.cells)
}

// Close writes the header of an empty table and flushes.
func (w *Writer) Close() error {
	if !w.started {
		if err := w.header(); err != nil {
			return err
		}
	}
	w.w.Flush()
	return w.w.Error()
}

// Neutralise prefixes a cell a spreadsheet would execute as a formula (one
// starting with = + - @, a tab or a carriage return) with a single quote, as
// OWASP recommends. Numbers, times and booleans are never touched, so a
// negative amount stays a number.
func Neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
