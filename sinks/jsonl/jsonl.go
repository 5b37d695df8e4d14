// Package jsonl writes one export table as JSON lines: each record's API
// object exactly as received (record.Raw: unknown fields kept, numbers and
// times untouched), one per line. A record without Raw is marshalled from its
// typed value.
package jsonl

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// Writer is a sinks.Sink writing JSON lines.
type Writer struct {
	w      *bufio.Writer
	entity record.Entity
	buf    bytes.Buffer
}

var _ sinks.Sink = (*Writer)(nil)

// New returns a writer of the given table on w.
func New(w io.Writer, entity record.Entity, _ sinks.Options) (*Writer, error) {
	if sinks.Columns(entity) == nil {
		return nil, fmt.Errorf("jsonl: no table %q", entity)
	}
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), entity: entity}, nil
}

// Write writes one record as one line.
func (w *Writer) Write(ctx context.Context, rec record.Record) error {
	if err := sinks.Entity(rec, w.entity); err != nil {
		return err
	}
	raw := bytes.TrimSpace(rec.Raw)
	if len(raw) == 0 {
		var v any
		switch w.entity {
		case record.Partners:
			v = rec.Partner
		case record.Customers:
			v = rec.Customer
		case record.Transactions:
			v = rec.Transaction
		case record.Rewards:
			v = rec.Transaction.Rewards[0]
		default:
			v = sinks.ListValue(rec)
		}
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: encode: %w", rec.Origin, err)
		}
		raw = b
	}
	// A raw object may span lines (pretty-printed answers): compact it so
	// one line is one record. Compact keeps every byte of every value.
	if bytes.ContainsAny(raw, "\r\n") {
		w.buf.Reset()
		if err := json.Compact(&w.buf, raw); err != nil {
			return fmt.Errorf("%s: invalid JSON object: %w", rec.Origin, err)
		}
		raw = w.buf.Bytes()
	}
	if _, err := w.w.Write(raw); err != nil {
		return err
	}
	return w.w.WriteByte('\n')
}

// Close flushes.
func (w *Writer) Close() error { return w.w.Flush() }
