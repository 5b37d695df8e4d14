// Package csv reads delimited text files (CSV, TSV, semicolon- or
// pipe-separated exports) with a header row into record.Row values.
//
// It owns what makes real-world exports awkward: a byte-order mark, CRLF line
// ends, quoted fields holding delimiters and newlines, a delimiter that has to
// be guessed from the first lines, rows with the wrong number of fields and
// text that is not UTF-8. A bad row is a *record.RowError and the reader stays
// usable; only an unreadable stream is fatal.
//
// Columns are arbitrary, so rows are read with encoding/csv configured for this
// one file (never with package-level settings) and kept as text: no numeric
// parsing happens here, money, ids and times are the mapping's business.
package csv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/partnero-etl/partnero-etl/internal/slab"
	"github.com/partnero-etl/partnero-etl/record"
)

// MaxRecordBytes bounds one record (all its fields and line breaks). A file
// with a stray quote would otherwise make one "field" of the rest of the
// file; past this size reading stops with a fatal error that names the line
// where the record started. A 10 MB cell is fine.
const MaxRecordBytes = 64 << 20

// Candidates are the delimiters Detect chooses from, in order of preference
// when the evidence ties.
var candidates = [...]byte{',', ';', '\t', '|'}

// Options configure a Reader.
type Options struct {
	// Delimiter separates fields; 0 detects it from the first lines among
	// comma, semicolon, tab and pipe.
	Delimiter rune
	// DefaultDelimiter is used when detection finds no evidence (a one-column
	// file); 0 means comma. A .tsv file sets it to tab.
	DefaultDelimiter rune
}

// Reader reads rows from delimited text. It is not safe for concurrent use.
type Reader struct {
	name   string
	closer io.Closer
	guard  *limitedReader
	rec    *recorder
	cr     *csv.Reader
	header *record.Header
	delim  rune
	// trailing is the number of empty header cells after the last name
	// ("key,email,"): rows may have as many empty cells more.
	trailing int
	// section is the Post Affiliate Pro section line above the header
	// ([[COMMISSIONS]]), when the file has one.
	section string
	rows    int64 // rows returned, good or bad, for messages
	closed  bool
	done    bool // io.EOF or a fatal error was returned
	err     error

	// pending holds the lines a quoting error consumed, handed out one
	// by one before reading on.
	pending []pendingRow

	// slab hands out the []string of each row from one larger allocation,
	// so a row costs one string (from encoding/csv) and a share of a slab.
	slab slab.Slab[string]
}

// NewReader reads the header row of r and returns a Reader positioned on the
// first data row. name is the origin recorded in every row ("-" for standard
// input). If r is an io.Closer, Close closes it. A missing, empty or duplicate
// header name is an error: the columns are how the mapping finds values.
func NewReader(r io.Reader, name string, opts Options) (*Reader, error) {
	closer, _ := r.(io.Closer)
	br := bufio.NewReaderSize(r, 64<<10)
	if err := skipBOM(br); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	delim := opts.Delimiter
	if delim == 0 {
		def := opts.DefaultDelimiter
		if def == 0 {
			def = ','
		}
		// Peek may return fewer bytes and an error at EOF: that is all
		// the evidence there is. A failing stream (a truncated gzip file)
		// fails again when the rows are read: the rows before the
		// failure are read first, and the error then says how many.
		head, _ := br.Peek(br.Size())
		delim = Detect(skipSectionLine(head), def)
	}
	if !validDelimiter(delim) {
		return nil, fmt.Errorf("read %s: invalid delimiter %q", name, delim)
	}
	guard := &limitedReader{r: br, max: MaxRecordBytes}
	rec := &recorder{r: guard}
	cr := csv.NewReader(rec)
	cr.Comma = delim
	cr.FieldsPerRecord = -1 // checked here, so a ragged row is a row error
	cr.ReuseRecord = true
	cr.LazyQuotes = false

	rd := &Reader{name: name, closer: closer, guard: guard, rec: rec, cr: cr, delim: delim}
	guard.arm()
	fields, err := cr.Read()
	rec.drop(cr.InputOffset())
	if errors.Is(err, io.EOF) {
		// No header because no bytes (or only blank lines): a file of
		// no rows, as an empty JSON lines file is. The caller says
		// "the input has no rows"; refusing it would make an empty
		// export an error in one format and not in the other.
		rd.header = record.NewHeader(nil)
		rd.done, rd.err = true, io.EOF
		return rd, nil
	}
	if err == nil && len(fields) == 1 && isSectionLine(fields[0]) {
		// Post Affiliate Pro writes its section's name above the header
		// ([[COMMISSIONS]], [[AFFILIATES]]; support.qualityunit.com
		// article 146800, "Csv file headers format"): the header is the
		// next line. It stays counted, so line numbers are the file's.
		rd.section = strings.TrimSpace(fields[0])
		guard.arm()
		fields, err = cr.Read()
		rec.drop(cr.InputOffset())
		if errors.Is(err, io.EOF) {
			rd.header = record.NewHeader(nil)
			rd.done, rd.err = true, io.EOF
			return rd, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: header: %w", name, rd.describe(err))
	}
	// Spreadsheets often end every line with a delimiter: the empty
	// header cells at the end are no columns, and the rows' cells under
	// them must be empty.
	named := len(fields)
	for named > 0 && strings.TrimSpace(strings.TrimPrefix(fields[named-1], "\uFEFF")) == "" {
		named--
	}
	if named == 0 {
		return nil, fmt.Errorf("read %s: header: the first line has no column names", name)
	}
	rd.trailing = len(fields) - named
	names, err := headerNames(fields[:named])
	if err != nil {
		return nil, fmt.Errorf("read %s: header: %w", name, err)
	}
	rd.header = record.NewHeader(names)
	// 256 rows of the header's width a slab; a huge ragged row gets its
	// own slice.
	rd.slab = slab.Slab[string]{Rows: 256, Width: len(names)}
	return rd, nil
}

// headerNames cleans the header row: spaces and a stray BOM trimmed; names
// must be valid UTF-8, non-empty and unique. Names are kept as written
// otherwise (Post Affiliate Pro's "!USERID" stays "!USERID").
func headerNames(fields []string) ([]string, error) {
	names := make([]string, len(fields))
	seen := make(map[string]int, len(fields))
	for i, f := range fields {
		n := strings.TrimSpace(strings.TrimPrefix(f, "\uFEFF"))
		if !utf8.ValidString(n) {
			return nil, fmt.Errorf("column %d: name is not valid UTF-8", i+1)
		}
		if n == "" {
			return nil, fmt.Errorf("column %d has an empty name", i+1)
		}
		if j, dup := seen[n]; dup {
			return nil, fmt.Errorf("duplicate column %q (columns %d and %d)", n, j+1, i+1)
		}
		seen[n] = i
		names[i] = strings.Clone(n)
	}
	return names, nil
}

// Columns returns the header names in file order.
func (r *Reader) Columns() []string { return r.header.Names }

// Delimiter returns the field delimiter in use (given or detected); a reject
// file for this input uses the same one.
func (r *Reader) Delimiter() rune { return r.delim }

// Next returns the next row. See sources.Source for the error contract. A
// row with the wrong number of fields or invalid UTF-8 comes back as a
// *record.RowError together with a Row holding the fields as read, so a
// reject file can show them.
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
	if len(r.pending) > 0 {
		p := r.pending[0]
		r.pending = r.pending[1:]
		r.rows++
		return p.row, p.err
	}
	r.guard.arm()
	start := r.cr.InputOffset()
	fields, err := r.cr.Read()
	end := r.cr.InputOffset()
	var raw []byte
	if err != nil {
		raw = r.rec.bytes(start, end)
	}
	r.rec.drop(end)
	if err != nil {
		var pe *csv.ParseError
		switch {
		case errors.Is(err, io.EOF):
			r.done, r.err = true, io.EOF
			return record.Row{}, io.EOF
		case errors.As(err, &pe) && !errors.Is(err, errTooLarge) && !isIOError(pe.Err):
			// A quoting error ends that record only: encoding/csv
			// resumes after the line where it noticed. When a quote
			// was left open, that can be many lines later: every line
			// it consumed is handed out on its own.
			r.pending = r.consumed(pe, raw)
			p := r.pending[0]
			r.pending = r.pending[1:]
			r.rows++
			return p.row, p.err
		default:
			r.done, r.err = true, fmt.Errorf("read %s: after %d rows: %w", r.name, r.rows, r.describe(err))
			return record.Row{}, r.err
		}
	}
	r.rows++
	line, _ := r.cr.FieldPos(0)
	origin := record.Origin{File: r.name, Line: int64(line)}
	if len(fields) == 1 && len(r.header.Names) > 1 && isSectionLine(fields[0]) {
		// A second section of a Post Affiliate Pro export: its rows
		// have another header, and reading them under this one would
		// misfile every value.
		r.done = true
		r.err = fmt.Errorf("read %s: line %d starts another section, %s, after %d rows: export or save each section to its own file", r.name, line, strings.TrimSpace(fields[0]), r.rows-1)
		return record.Row{}, r.err
	}
	want := len(r.header.Names)
	extra := -1 // the first unnamed cell holding a value
	if n := len(fields); n > want && n <= want+r.trailing {
		for i := want; i < n; i++ {
			if strings.TrimSpace(fields[i]) != "" {
				extra = i
				break
			}
		}
		if extra < 0 {
			fields = fields[:want]
		}
	}
	text := r.slab.Take(len(fields))
	copy(text, fields)
	row := record.Row{Origin: origin, Header: r.header, Text: text}

	if extra >= 0 {
		return row, &record.RowError{
			Origin:  origin,
			Code:    record.CodeMalformedRow,
			Message: fmt.Sprintf("field %d holds %q, but its header cell is empty (no column name)", extra+1, fields[extra]),
		}
	}
	if len(fields) != want {
		return row, &record.RowError{
			Origin:  origin,
			Code:    record.CodeMalformedRow,
			Message: fmt.Sprintf("row has %d fields, header has %d", len(fields), want),
		}
	}
	for i, f := range fields {
		if !utf8.ValidString(f) {
			_, col := r.cr.FieldPos(i)
			return row, &record.RowError{
				Origin:  origin,
				Column:  r.header.Names[i],
				Code:    record.CodeMalformedRow,
				Message: fmt.Sprintf("invalid UTF-8 at column %d (byte %d of the line): the file must be UTF-8", i+1, col),
			}
		}
	}
	return row, nil
}

// pendingRow is a row and its error, queued.
type pendingRow struct {
	row record.Row
	err error
}

// consumed turns the text of a record that ended in a quoting error into
// row errors, one per non-blank physical line, each with its own line number
// and text (Raw), so a reject file keeps every line and says where it was.
// A consumed line that reads as a complete row on its own also gets its
// fields (Text), so the reject file shows them in their columns and can be
// fed back once the stray quote is fixed. The first line's message says
// which lines were consumed.
func (r *Reader) consumed(pe *csv.ParseError, raw []byte) []pendingRow {
	startLine := int64(pe.StartLine)
	lines := bytes.SplitAfter(raw, []byte("\n"))
	if n := len(lines); n > 0 && len(lines[n-1]) == 0 {
		lines = lines[:n-1]
	}
	// encoding/csv skips empty lines before a record, and StartLine is
	// the line after them.
	for len(lines) > 1 && len(bytes.TrimRight(lines[0], "\r\n")) == 0 {
		lines = lines[1:]
	}
	if len(lines) == 0 { // nothing recorded: keep what the error says
		lines = [][]byte{nil}
	}
	last := startLine + int64(len(lines)) - 1
	var out []pendingRow
	for i, l := range lines {
		ln := startLine + int64(i)
		text := bytes.TrimRight(l, "\r\n")
		if i > 0 && len(bytes.TrimSpace(text)) == 0 {
			continue // a blank line holds no row
		}
		origin := record.Origin{File: r.name, Line: ln}
		row := record.Row{Origin: origin, Raw: bytes.Clone(text)}
		var msg string
		switch {
		case last == startLine:
			msg = fmt.Sprintf("line %d, column %d: %v", pe.Line, pe.Column, pe.Err)
		case i == 0:
			msg = fmt.Sprintf("unbalanced quote: the quoted field opened on line %d ran on to line %d, "+
				"so lines %d-%d were read as one record (%d more %s); none of them was imported, "+
				"each is in the reject file with its text (%v at line %d, column %d)",
				startLine, last, startLine, last, last-startLine, plural(last-startLine, "line", "lines"), pe.Err, pe.Line, pe.Column)
		default:
			msg = fmt.Sprintf("not imported: this line was swallowed by the unbalanced quote opened on line %d (lines %d-%d were read as one record)",
				startLine, startLine, last)
			if fields, ok := r.parseLine(text); ok {
				row.Header, row.Text = r.header, fields
			}
		}
		out = append(out, pendingRow{row: row, err: &record.RowError{Origin: origin, Code: record.CodeMalformedRow, Message: msg}})
	}
	return out
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseLine reads one line on its own as a row: ok when it is a complete,
// well-formed row of the header's width in valid UTF-8.
func (r *Reader) parseLine(line []byte) ([]string, bool) {
	if r.header == nil {
		return nil, false
	}
	cr := csv.NewReader(bytes.NewReader(line))
	cr.Comma = r.delim
	cr.FieldsPerRecord = len(r.header.Names)
	fields, err := cr.Read()
	if err != nil {
		return nil, false
	}
	if _, err := cr.Read(); !errors.Is(err, io.EOF) {
		return nil, false
	}
	for _, f := range fields {
		if !utf8.ValidString(f) {
			return nil, false
		}
	}
	return fields, true
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

func (r *Reader) describe(err error) error {
	if errors.Is(err, errTooLarge) {
		line, _ := r.cr.FieldPos(0)
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			line = pe.StartLine
		}
		return fmt.Errorf("record starting at line %d is larger than %d MiB (an unbalanced quote?)", line, r.guard.max>>20)
	}
	return err
}

// isIOError reports whether a ParseError wraps a failure of the underlying
// stream rather than a quoting problem.
func isIOError(err error) bool {
	return !errors.Is(err, csv.ErrQuote) && !errors.Is(err, csv.ErrBareQuote) && !errors.Is(err, csv.ErrFieldCount)
}

var errTooLarge = errors.New("record too large")

// recorder keeps the bytes encoding/csv read but has not yet consumed as a
// record (it reads ahead into its own buffer), so that the text of a record
// that fails to parse can be handed on as read. drop releases what a
// finished record used, so it holds at most one record plus read-ahead,
// which the limitedReader under it bounds.
type recorder struct {
	r    io.Reader
	buf  []byte // buf[head:] is held
	head int
	base int64 // input offset of buf[head]
}

func (c *recorder) Read(p []byte) (int, error) {
	if c.head > 0 && c.head >= len(c.buf)/2 {
		// Compact only now and then: dropping after every record would
		// copy the read-ahead once per row.
		n := copy(c.buf, c.buf[c.head:])
		c.buf, c.head = c.buf[:n], 0
	}
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	return n, err
}

// bytes returns a copy of the input between two offsets still held.
func (c *recorder) bytes(from, to int64) []byte {
	held := c.buf[c.head:]
	from, to = max(from-c.base, 0), min(to-c.base, int64(len(held)))
	if from >= to {
		return nil
	}
	return bytes.Clone(held[from:to])
}

// drop forgets the input before offset off.
func (c *recorder) drop(off int64) {
	n := min(max(off-c.base, 0), int64(len(c.buf)-c.head))
	c.head += int(n)
	c.base += n
}

// limitedReader fails once more than MaxRecordBytes were read since it was
// last armed (before each record), which bounds the memory one record takes.
type limitedReader struct {
	r    io.Reader
	max  int64
	left int64
}

func (l *limitedReader) arm() { l.left = l.max }

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// isSectionLine reports whether a one-cell line is a Post Affiliate Pro
// section name: [[COMMISSIONS]], [[AFFILIATES]].
func isSectionLine(cell string) bool {
	c := strings.TrimSpace(cell)
	if len(c) < 5 || !strings.HasPrefix(c, "[[") || !strings.HasSuffix(c, "]]") {
		return false
	}
	for _, r := range c[2 : len(c)-2] {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == ' ') {
			return false
		}
	}
	return true
}

// skipSectionLine drops a leading section line from the bytes the
// delimiter is detected in: it holds no delimiter.
func skipSectionLine(head []byte) []byte {
	i := bytes.IndexByte(head, '\n')
	if i < 0 {
		return head
	}
	if isSectionLine(strings.TrimRight(string(head[:i]), "\r")) {
		return head[i+1:]
	}
	return head
}

func skipBOM(br *bufio.Reader) error {
	b, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
		_, _ = br.Discard(3)
	}
	return nil
}

func validDelimiter(r rune) bool {
	return r != 0 && r != '"' && r != '\r' && r != '\n' && r != utf8.RuneError && utf8.ValidRune(r)
}

// Detect guesses the delimiter of delimited text from its first lines: the
// candidate (comma, semicolon, tab, pipe) that appears outside quotes the
// same number of times on every complete line, preferring the one with the
// most occurrences; failing that, the one most frequent on the header line;
// failing that, def.
func Detect(head []byte, def rune) rune {
	lines := splitRecords(head, 20)
	if len(lines) == 0 {
		return def
	}
	best, bestCount := rune(0), 0
	for _, c := range candidates {
		n := countOutsideQuotes(lines[0], c)
		if n == 0 {
			continue
		}
		consistent := true
		for _, l := range lines[1:] {
			if countOutsideQuotes(l, c) != n {
				consistent = false
				break
			}
		}
		if consistent && n > bestCount {
			best, bestCount = rune(c), n
		}
	}
	if best != 0 {
		return best
	}
	for _, c := range candidates {
		if n := countOutsideQuotes(lines[0], c); n > bestCount {
			best, bestCount = rune(c), n
		}
	}
	if best != 0 {
		return best
	}
	return def
}

// splitRecords cuts up to max complete records (ending in a newline outside
// quotes) from head, skipping blank lines. A last record without its newline
// counts only when head holds the whole input (it is shorter than a buffer).
func splitRecords(head []byte, max int) [][]byte {
	var out [][]byte
	inQuote := false
	start := 0
	for i := 0; i < len(head) && len(out) < max; i++ {
		switch head[i] {
		case '"':
			inQuote = !inQuote
		case '\n':
			if !inQuote {
				rec := bytes.TrimRight(head[start:i], "\r")
				if len(bytes.TrimSpace(rec)) > 0 {
					out = append(out, rec)
				}
				start = i + 1
			}
		}
	}
	if len(out) < max && start < len(head) && !inQuote && len(head) < 64<<10 {
		if rec := bytes.TrimRight(head[start:], "\r"); len(bytes.TrimSpace(rec)) > 0 {
			out = append(out, rec)
		}
	}
	return out
}

func countOutsideQuotes(line []byte, c byte) int {
	n := 0
	inQuote := false
	for _, b := range line {
		switch {
		case b == '"':
			inQuote = !inQuote
		case b == c && !inQuote:
			n++
		}
	}
	return n
}

// DelimiterName spells a delimiter for messages and flags: "tab" for a tab.
func DelimiterName(r rune) string {
	if r == '\t' {
		return "tab"
	}
	return strconv.QuoteRune(r)
}
