// Package sources owns reading input rows: the Source interface every reader
// implements, and Open, which picks a reader for a file from its name (or an
// explicit format), reads standard input for "-" and decompresses ".gz" on the
// fly. The readers themselves live in the sub-packages csv, jsonl and parquet;
// sourcetest is the conformance suite they all pass.
package sources

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources/csv"
	"github.com/partnero-etl/partnero-etl/sources/jsonl"
	"github.com/partnero-etl/partnero-etl/sources/parquet"
)

// Source yields the rows of one input in order.
type Source interface {
	// Next returns the next row, io.EOF at the end, a *record.RowError for a row
	// that could not be decoded (the source stays usable: call Next again), or
	// any other error, which is fatal. With a RowError the returned Row carries
	// the Origin and whatever could be read of the row (fields of a ragged CSV
	// row, the bytes of a bad JSON line in Raw), so a reject file can show it.
	Next(ctx context.Context) (record.Row, error)
	// Close releases the input; calling it again is a no-op.
	Close() error
}

// Columner is the optional ability of a source that knows its columns
// before reading rows: a CSV header, the leaf paths of a Parquet schema.
type Columner interface {
	Columns() []string
}

// Delimited is the optional ability of a delimited-text source to say which
// delimiter it uses (given or detected), so a reject file can match it.
type Delimited interface {
	Delimiter() rune
}

// The formats Open understands.
const (
	FormatCSV     = "csv"
	FormatJSONL   = "jsonl"
	FormatParquet = "parquet"
)

// Options configure Open.
type Options struct {
	// Format is csv, jsonl or parquet; "" takes it from the file extension.
	Format string
	// Delimiter of a CSV file; 0 detects it.
	Delimiter rune
	// Stdin is read when the path is "-".
	Stdin io.Reader
}

// DetectFormat returns the format a path's extension implies, after a
// ".gz" suffix is stripped: .csv .tsv .txt are csv, .jsonl .ndjson .json are
// jsonl, .parquet (or .pq) is parquet.
func DetectFormat(path string) (string, error) {
	base := strings.ToLower(strings.TrimSuffix(strings.ToLower(filepath.Base(path)), ".gz"))
	switch filepath.Ext(base) {
	case ".csv", ".tsv", ".txt":
		return FormatCSV, nil
	case ".jsonl", ".ndjson", ".json":
		return FormatJSONL, nil
	case ".parquet", ".pq":
		return FormatParquet, nil
	}
	return "", fmt.Errorf("cannot tell the format of %s from its extension: pass --format csv, jsonl or parquet", path)
}

// ParseFormat checks a --format value; "" stays "" (detect).
func ParseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "", FormatCSV, FormatJSONL, FormatParquet:
		return f, nil
	case "tsv":
		return FormatCSV, nil
	case "ndjson", "json":
		return FormatJSONL, nil
	}
	return "", fmt.Errorf("unknown format %q: want csv, jsonl or parquet", s)
}

// FormatOf returns the format Open would use for path and opts.
func FormatOf(path string, opts Options) (string, error) {
	f, err := ParseFormat(opts.Format)
	if err != nil || f != "" {
		return f, err
	}
	if path == "-" {
		return "", errors.New("reading standard input needs --format csv or jsonl")
	}
	return DetectFormat(path)
}

// Open opens the input at path ("-" for opts.Stdin) with the reader its
// format calls for. A name ending in ".gz" is decompressed while reading.
// Parquet needs random access, so it cannot come from standard input or a
// gzip stream. Open reads the header of a CSV file; a file that is not what
// its format says is an error here.
func Open(path string, opts Options) (Source, error) {
	format, err := FormatOf(path, opts)
	if err != nil {
		return nil, err
	}
	gz := strings.HasSuffix(strings.ToLower(path), ".gz")

	if format == FormatParquet {
		if path == "-" || gz {
			return nil, fmt.Errorf("open %s: parquet input must be a plain file (it is read by random access), not standard input or .gz", path)
		}
		src, err := parquet.Open(path)
		if err != nil {
			return nil, pathError(path, err)
		}
		return src, nil
	}

	var r io.ReadCloser
	if path == "-" {
		if opts.Stdin == nil {
			return nil, errors.New("open -: no standard input")
		}
		r = io.NopCloser(opts.Stdin)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err // "open PATH: reason" already
		}
		r = f
	}
	// Gzip is recognised by its name or by its first two bytes, so that
	// a compressed standard input or a file named without ".gz" is read
	// too (text input never starts with 0x1f 0x8b: not UTF-8).
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); gz || bytes.Equal(magic, gzipMagic) {
		zr, err := newGzipReader(br, r)
		if err != nil {
			_ = r.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		r = zr
	} else {
		r = readCloser{Reader: br, Closer: r}
	}

	switch format {
	case FormatCSV:
		def := rune(0)
		if ext := filepath.Ext(strings.TrimSuffix(strings.ToLower(path), ".gz")); ext == ".tsv" {
			def = '\t'
		}
		src, err := csv.NewReader(r, path, csv.Options{Delimiter: opts.Delimiter, DefaultDelimiter: def})
		if err != nil {
			_ = r.Close()
			return nil, err
		}
		return src, nil
	case FormatJSONL:
		return jsonl.NewReader(r, path), nil
	}
	_ = r.Close()
	return nil, fmt.Errorf("open %s: unknown format %q", path, format)
}

// pathError returns the *fs.PathError about path inside err as it is: it
// names the operation and the path already, and a wrapper that adds them
// again reads "open a.csv: open a.csv: no such file or directory".
func pathError(path string, err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok && pe.Path == path {
		return pe
	}
	return err
}

var gzipMagic = []byte{0x1f, 0x8b}

type readCloser struct {
	io.Reader
	io.Closer
}

// gzipReadCloser closes both the decompressor and the file under it.
type gzipReadCloser struct {
	*gzip.Reader
	under io.Closer
}

func newGzipReader(r io.Reader, under io.Closer) (*gzipReadCloser, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return &gzipReadCloser{Reader: zr, under: under}, nil
}

// Read says what a failure of the compressed stream means: gzip reports a
// file cut short as a bare "unexpected EOF".
func (g *gzipReadCloser) Read(p []byte) (int, error) {
	n, err := g.Reader.Read(p)
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		err = &gzipError{msg: "the gzip data is truncated: it ends inside the compressed stream (an interrupted download or copy?)", err: err}
	case errors.Is(err, gzip.ErrChecksum):
		err = &gzipError{msg: "the gzip data is corrupt: its checksum does not match", err: err}
	case errors.Is(err, gzip.ErrHeader):
		err = &gzipError{msg: "the gzip data is corrupt: bad header after the first member", err: err}
	}
	return n, err
}

func (g *gzipReadCloser) Close() error {
	return errors.Join(g.Reader.Close(), g.under.Close())
}

// gzipError explains a failure of the decompressor; it wraps the original.
type gzipError struct {
	msg string
	err error
}

func (e *gzipError) Error() string { return e.msg }
func (e *gzipError) Unwrap() error { return e.err }
