package pipeline

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/record"
)

// RejectColumns are the columns a reject file adds to the input's own. They
// start with "_" so that a corrected reject file fed back as input is read
// like the original: mappings ignore columns whose names start with "_".
var RejectColumns = []string{"_line", "_key", "_error_code", "_error_message"}

// The reject file formats.
const (
	RejectsCSV   = "csv"
	RejectsJSONL = "jsonl"
)

func isRejectColumn(name string) bool {
	for _, c := range RejectColumns {
		if name == c {
			return true
		}
	}
	return name == "_raw"
}

// RejectFormatFor returns the reject file format for an input format: JSON
// lines for JSON lines input, CSV otherwise (Parquet input gets a CSV with
// its nested columns flattened to dotted paths).
func RejectFormatFor(inputFormat string) string {
	if inputFormat == "jsonl" {
		return RejectsJSONL
	}
	return RejectsCSV
}

// RejectPath returns the default reject file path for an input: beside it,
// named after it without its format extensions ("sales.csv.gz" gives
// "sales.rejects.csv"); standard input ("-") gives "stdin.rejects.<format>"
// in the current directory.
func RejectPath(input, rejectFormat string) string {
	if input == "-" {
		return "stdin.rejects." + rejectFormat
	}
	dir, base := filepath.Split(input)
	lower := strings.ToLower(base)
	if strings.HasSuffix(lower, ".gz") {
		base, lower = base[:len(base)-3], lower[:len(lower)-3]
	}
	if ext := filepath.Ext(lower); ext != "" && len(ext) < len(base) {
		base = base[:len(base)-len(ext)]
	}
	return filepath.Join(dir, base+".rejects."+rejectFormat)
}

// RejectOptions configure a RejectWriter.
type RejectOptions struct {
	// Path of the reject file.
	Path string
	// Format is RejectsCSV or RejectsJSONL.
	Format string
	// Delimiter of a CSV reject file: the input's, so the file reads like
	// the input. 0 means comma.
	Delimiter rune
	// Columns are the input's columns when known before reading (a CSV
	// header, the leaf paths of a Parquet schema); otherwise a CSV reject
	// file takes the columns of the first rejected row.
	Columns []string
}

// RejectWriter writes rejected rows to a reject file: each row as the input
// had it, plus _line, _key, _error_code and _error_message. In CSV the extra
// columns come last; in JSON lines they are added to the original object.
//
// The file is private (mode 0600: it holds personal data) and appears only
// when complete: rows go to a temporary file beside it, which Close renames
// into place. A Path naming a device or a FIFO (/dev/null, a named pipe) is
// written through instead and never replaced (see internal/atomicfile). When
// no row was rejected, Close writes nothing and removes a regular reject
// file left at Path by an earlier run, since it would describe rows that are
// now fine. It is not safe for concurrent use (the engine serialises calls).
type RejectWriter struct {
	opts RejectOptions

	tmp   *atomicfile.File
	bw    *bufio.Writer
	cw    *csv.Writer
	cols  []string // the input columns written (reserved names removed)
	rec   []string // scratch record
	index map[*record.Header][]int
	count int64
	err   error // sticky: after a write error every call fails
	done  bool
}

// NewRejectWriter returns a writer that creates opts.Path on the first
// rejected row.
func NewRejectWriter(opts RejectOptions) (*RejectWriter, error) {
	switch opts.Format {
	case RejectsCSV, RejectsJSONL:
	default:
		return nil, fmt.Errorf("reject file format %q: want csv or jsonl", opts.Format)
	}
	if opts.Path == "" {
		return nil, errors.New("reject file: no path")
	}
	if opts.Delimiter == 0 {
		opts.Delimiter = ','
	}
	w := &RejectWriter{opts: opts, index: make(map[*record.Header][]int)}
	if opts.Columns != nil {
		w.cols = inputColumns(opts.Columns)
	}
	return w, nil
}

func inputColumns(names []string) []string {
	cols := make([]string, 0, len(names))
	for _, n := range names {
		if !isRejectColumn(n) {
			cols = append(cols, n)
		}
	}
	return cols
}

// Path returns where the reject file is (or would be) written.
func (w *RejectWriter) Path() string { return w.opts.Path }

// Count returns the number of rows written so far.
func (w *RejectWriter) Count() int64 { return w.count }

// Reject writes one rejected row. row may be nil (a row known only by its
// error's origin); key is the record's identity when mapping got that far.
func (w *RejectWriter) Reject(row *record.Row, key string, rerr *record.RowError) error {
	if w.err != nil {
		return w.err
	}
	if w.done {
		return errors.New("reject file: write after close")
	}
	if rerr == nil {
		rerr = &record.RowError{Code: record.CodeInvalidValue, Message: "rejected without a reason"}
	}
	if row == nil {
		row = &record.Row{Origin: rerr.Origin}
	}
	if err := w.open(row); err != nil {
		w.err = err
		return err
	}
	var err error
	if w.opts.Format == RejectsJSONL {
		err = w.writeJSON(row, key, rerr)
	} else {
		err = w.writeCSV(row, key, rerr)
	}
	if err != nil {
		w.err = fmt.Errorf("write %s: %w", w.opts.Path, err)
		return w.err
	}
	w.count++
	return nil
}

func (w *RejectWriter) open(row *record.Row) error {
	if w.tmp != nil {
		return nil
	}
	f, err := atomicfile.Create(w.opts.Path, 0o600)
	if err != nil {
		return fmt.Errorf("create reject file: %w", err)
	}
	w.tmp = f
	w.bw = bufio.NewWriterSize(f, 64<<10)
	if w.opts.Format == RejectsJSONL {
		return nil
	}
	if w.cols == nil && row.Header != nil {
		w.cols = inputColumns(row.Header.Names)
	}
	w.cw = csv.NewWriter(w.bw)
	w.cw.Comma = w.opts.Delimiter
	header := append(append([]string{}, w.cols...), RejectColumns...)
	w.rec = make([]string, len(header))
	return w.cw.Write(header)
}

// message is the error without its origin and code, which have columns.
func message(rerr *record.RowError) string {
	var b strings.Builder
	switch {
	case rerr.Field != "" && rerr.Column != "" && rerr.Column != rerr.Field:
		fmt.Fprintf(&b, "%s (column %q): ", rerr.Field, rerr.Column)
	case rerr.Field != "":
		b.WriteString(rerr.Field + ": ")
	case rerr.Column != "":
		fmt.Fprintf(&b, "column %q: ", rerr.Column)
	}
	b.WriteString(rerr.Message)
	return b.String()
}

func line(row *record.Row, rerr *record.RowError) int64 {
	if row.Origin.Line > 0 {
		return row.Origin.Line
	}
	return rerr.Origin.Line
}

func (w *RejectWriter) writeCSV(row *record.Row, key string, rerr *record.RowError) error {
	n := len(w.cols)
	msg := message(rerr)
	switch {
	case row.Text != nil && row.Header != nil:
		idx := w.textIndex(row.Header)
		for i, j := range idx {
			w.rec[i] = ""
			if j >= 0 && j < len(row.Text) {
				w.rec[i] = row.Text[j]
			}
		}
		if len(row.Text) > len(row.Header.Names) {
			// A ragged row: keep the extra fields where a reader can see them.
			msg += "; extra fields: " + strings.Join(quoteAll(row.Text[len(row.Header.Names):]), ", ")
		}
	default:
		for i, c := range w.cols {
			w.rec[i] = ""
			if row.Header != nil {
				if v, ok := row.Lookup(c); ok {
					w.rec[i] = textValue(v)
				}
			}
		}
		if row.Header == nil && len(row.Raw) > 0 {
			msg += "; input: " + string(row.Raw)
		}
	}
	w.rec[n] = strconv.FormatInt(line(row, rerr), 10)
	w.rec[n+1] = key
	w.rec[n+2] = rerr.Code
	w.rec[n+3] = msg
	return w.cw.Write(w.rec)
}

// textIndex maps each reject column to its position in a CSV row's header,
// computed once per header.
func (w *RejectWriter) textIndex(h *record.Header) []int {
	if idx, ok := w.index[h]; ok {
		return idx
	}
	idx := make([]int, len(w.cols))
	for i, c := range w.cols {
		idx[i] = h.Index(c)
	}
	w.index[h] = idx
	return idx
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// textValue renders a decoded value as a CSV cell: text as is, numbers
// exactly, times in RFC 3339, lists and objects as JSON.
func textValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format(time.RFC3339Nano)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (w *RejectWriter) writeJSON(row *record.Row, key string, rerr *record.RowError) error {
	var b bytes.Buffer
	raw := bytes.TrimSpace(row.Raw)
	switch {
	case len(raw) > 1 && raw[0] == '{' && row.Header != nil && !hasReserved(row.Header):
		// The line as read, with the reject fields added at the end.
		body := bytes.TrimSpace(raw[1 : len(raw)-1])
		b.WriteByte('{')
		b.Write(body)
		if len(body) > 0 {
			b.WriteByte(',')
		}
	case row.Header != nil && row.Values != nil:
		// A re-fed reject file (or a structured row without its line):
		// rebuild the object without the old reject fields.
		b.WriteByte('{')
		for i, name := range row.Header.Names {
			if isRejectColumn(name) || i >= len(row.Values) {
				continue
			}
			k, _ := json.Marshal(name)
			v, err := json.Marshal(row.Values[i])
			if err != nil {
				return err
			}
			b.Write(k)
			b.WriteByte(':')
			b.Write(v)
			b.WriteByte(',')
		}
	default:
		// A line that was not a JSON object: keep its text.
		b.WriteByte('{')
		if len(raw) > 0 {
			s, _ := json.Marshal(string(raw))
			b.WriteString(`"_raw":`)
			b.Write(s)
			b.WriteByte(',')
		}
	}
	b.WriteString(`"_line":`)
	b.WriteString(strconv.FormatInt(line(row, rerr), 10))
	for _, kv := range [][2]string{{"_key", key}, {"_error_code", rerr.Code}, {"_error_message", message(rerr)}} {
		s, _ := json.Marshal(kv[1])
		b.WriteString(`,"` + kv[0] + `":`)
		b.Write(s)
	}
	b.WriteString("}\n")
	_, err := w.bw.Write(b.Bytes())
	return err
}

func hasReserved(h *record.Header) bool {
	for _, n := range h.Names {
		if isRejectColumn(n) {
			return true
		}
	}
	return false
}

// Close finishes the reject file: flushes, syncs and renames it into place;
// with no rejected rows, it removes a stale file at Path instead. It is safe
// to call twice.
func (w *RejectWriter) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.tmp == nil {
		if w.err != nil {
			return w.err
		}
		if err := atomicfile.RemoveRegular(w.opts.Path); err != nil {
			return fmt.Errorf("remove stale reject file: %w", err)
		}
		return nil
	}
	err := w.err
	if w.cw != nil {
		w.cw.Flush()
		if err == nil {
			err = w.cw.Error()
		}
	}
	if ferr := w.bw.Flush(); err == nil {
		err = ferr // the first failure only: the others repeat it
	}
	if err != nil {
		w.tmp.Abort()
		if w.err == nil {
			w.err = fmt.Errorf("write %s: %w", w.opts.Path, err)
		}
		return w.err
	}
	if err := w.tmp.Commit(); err != nil {
		w.err = err
		return w.err
	}
	return nil
}
