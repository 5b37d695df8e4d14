// Package sinks owns the interface every export writer implements and the
// pieces they share: the tables an export writes (partners, customers,
// transactions and the rewards split out of transactions), their documented
// column order, and the writer options.
//
// A Sink writes the records of one table to one io.Writer in one format; it
// knows nothing of files, names or atomic renames (pipeline/export owns those),
// so the same writer serves a temp file, a part file or standard output.
// Sub-packages: csv, jsonl, parquet, and sinktest, the conformance suite every
// file sink passes.
package sinks

import (
	"context"
	"fmt"
	"strings"

	"github.com/partnero-etl/partnero-etl/record"
)

// Sink writes records of one table. Write is called from one goroutine; Close
// flushes whatever the format buffers (a Parquet footer, a CSV writer) but
// never closes the io.Writer the sink was built on: the caller owns that and
// decides whether the output is committed or thrown away. A *record.RowError
// from Write is that record's own problem (an amount the format cannot hold):
// nothing of it was written and the sink goes on.
type Sink interface {
	Write(ctx context.Context, rec record.Record) error
	Close() error
}

// Options configure the file writers. The zero value is usable: CSV without
// formula neutralising, Parquet with zstd and the default row group size.
type Options struct {
	// Compression is the Parquet codec: "zstd" (default when empty), "snappy"
	// or "none".
	Compression string
	// MaxRowsPerRowGroup bounds the rows a Parquet writer buffers before it
	// flushes a row group; 0 means DefaultRowGroupRows.
	MaxRowsPerRowGroup int64
	// CSVSafe prefixes a cell that starts with = + - @ (or a tab or carriage
	// return) with a single quote, so a spreadsheet shows it instead of
	// executing it as a formula.
	CSVSafe bool
	// CreatedBy is written into file metadata where the format has a place
	// for it (Parquet's created_by).
	CreatedBy string
}

// DefaultRowGroupRows is the Parquet row group size when Options leaves it 0:
// large enough for good compression, small enough that a writer holds a few
// tens of megabytes at most.
const DefaultRowGroupRows = 25_000

// Compressions lists the accepted values of Options.Compression.
var Compressions = []string{"zstd", "snappy", "none"}

// ParseCompression validates a --compression value; "" means zstd.
func ParseCompression(s string) (string, error) {
	switch v := strings.ToLower(strings.TrimSpace(s)); v {
	case "", "zstd":
		return "zstd", nil
	case "snappy", "none":
		return v, nil
	}
	return "", fmt.Errorf("unknown compression %q: want zstd, snappy or none", s)
}

// Formats lists the file formats an export writes.
var Formats = []string{"parquet", "csv", "jsonl"}

// Tables are the tables an export may write, in dependency order.
var Tables = []record.Entity{record.Partners, record.Customers, record.Transactions, record.Rewards}
