package pipeline

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/gen"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

func TestRejectPath(t *testing.T) {
	tests := []struct{ in, format, want string }{
		{"sales.csv", "csv", "sales.rejects.csv"},
		{"dir/sales.csv.gz", "csv", "dir/sales.rejects.csv"},
		{"dir/sales.JSONL", "jsonl", "dir/sales.rejects.jsonl"},
		{"wh/tx.parquet", "csv", "wh/tx.rejects.csv"},
		{"noext", "csv", "noext.rejects.csv"},
		{".hidden", "csv", ".hidden.rejects.csv"},
		{"-", "jsonl", "stdin.rejects.jsonl"},
	}
	for _, tt := range tests {
		if got := RejectPath(tt.in, tt.format); got != filepath.FromSlash(tt.want) {
			t.Errorf("RejectPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// readInput opens path as an input and returns its rows, failing on errors.
func readInput(t *testing.T, path string) ([]record.Row, sources.Source) {
	t.Helper()
	src, err := sources.Open(path, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = src.Close() })
	rows, errs := sourcetest.ReadAll(t, src)
	if len(errs) > 0 {
		t.Fatalf("row errors reading %s: %v", path, errs)
	}
	return rows, src
}

func writeFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// rejectAll writes every row of the input at path to a reject file with
// code "invalid_email" and returns the reject file's path.
func rejectAll(t *testing.T, path string, which func(int) bool) string {
	t.Helper()
	format, err := sources.FormatOf(path, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, src := readInput(t, path)
	opts := RejectOptions{Path: RejectPath(path, RejectFormatFor(format)), Format: RejectFormatFor(format)}
	if c, ok := src.(sources.Columner); ok {
		opts.Columns = c.Columns()
	}
	if d, ok := src.(sources.Delimited); ok {
		opts.Delimiter = d.Delimiter()
	}
	w, err := NewRejectWriter(opts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		if which(i) {
			rerr := &record.RowError{Origin: rows[i].Origin, Field: "customer.email", Column: "customer.email", Code: record.CodeInvalidEmail, Message: "not an email address"}
			if err := w.Reject(&rows[i], "key-"+rows[i].Origin.String(), rerr); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	return w.Path()
}

func TestRejectsCSVRoundTrip(t *testing.T) {
	in := writeFile(t, "in.csv", "key;email;note\r\nk1;a@x.com;plain\r\nk2;bad;\"semi; and\nnewline\"\r\nk3;also bad;x\r\n")
	out := rejectAll(t, in, func(i int) bool { return i > 0 })
	if want := filepath.Join(filepath.Dir(in), "in.rejects.csv"); out != want {
		t.Fatalf("reject path %q, want %q", out, want)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(data), "key;email;note;_line;_key;_error_code;_error_message\n") {
		t.Errorf("reject file does not use the input's delimiter and columns:\n%s", data)
	}
	rows, src := readInput(t, out)
	wantCols := []string{"key", "email", "note", "_line", "_key", "_error_code", "_error_message"}
	if got := src.(sources.Columner).Columns(); !slices.Equal(got, wantCols) {
		t.Fatalf("columns %q, want %q", got, wantCols)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rejected rows, want 2", len(rows))
	}
	want := [][]string{
		{"k2", "bad", "semi; and\nnewline", "3", "key-" + in + ":3", "invalid_email", `customer.email: not an email address`},
		{"k3", "also bad", "x", "5", "key-" + in + ":5", "invalid_email", `customer.email: not an email address`},
	}
	for i, r := range rows {
		if !slices.Equal(r.Text, want[i]) {
			t.Errorf("reject row %d = %q\nwant %q", i, r.Text, want[i])
		}
	}

	// Fed back, the reject file rejects again without doubling the
	// reserved columns.
	again := rejectAll(t, out, func(int) bool { return true })
	rows, src = readInput(t, again)
	if got := src.(sources.Columner).Columns(); !slices.Equal(got, wantCols) {
		t.Fatalf("columns after a second round %q, want %q", got, wantCols)
	}
	if rows[1].Text[3] != "4" {
		t.Errorf("second round _line = %q, want the reject file's line 4 (k2 spans lines 2-3)", rows[1].Text[3])
	}
}

func TestRejectsJSONLRoundTrip(t *testing.T) {
	in := writeFile(t, "in.jsonl", `{"key":"k1","customer":{"email":"a@x.com"},"amount":1.50}`+"\n"+
		`{"key":"k2","customer":{"email":"bad"},"amount":12345678901234567890.5}`+"\n")
	out := rejectAll(t, in, func(i int) bool { return i == 1 })
	data, _ := os.ReadFile(out)
	want := `{"key":"k2","customer":{"email":"bad"},"amount":12345678901234567890.5,"_line":2,"_key":"key-` + in +
		`:2","_error_code":"invalid_email","_error_message":"customer.email: not an email address"}` + "\n"
	if string(data) != want {
		t.Errorf("reject file:\n%s\nwant\n%s", data, want)
	}
	// Fed back: the old reject fields are replaced, not repeated.
	again := rejectAll(t, out, func(int) bool { return true })
	data, _ = os.ReadFile(again)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(data), `"_line"`) != 1 || m["_line"] != float64(1) || m["amount"] != 12345678901234567890.5 {
		t.Errorf("second round: %s", data)
	}
}

func TestRejectsParquetFlattensToCSV(t *testing.T) {
	var b bytes.Buffer
	if err := gen.WriteTransactions(t.Context(), &b, "parquet", 3, gen.Options{BadEvery: 2}); err != nil {
		t.Fatal(err)
	}
	in := writeFile(t, "tx.parquet", b.String())
	out := rejectAll(t, in, func(i int) bool { return i == 1 })
	if filepath.Ext(out) != ".csv" {
		t.Fatalf("reject file %s, want a .csv", out)
	}
	rows, src := readInput(t, out)
	wantCols := append(slices.Clone(gen.TransactionColumns), RejectColumns...)
	if got := src.(sources.Columner).Columns(); !slices.Equal(got, wantCols) {
		t.Fatalf("columns %q\nwant %q", got, wantCols)
	}
	tx := gen.Row(1, gen.Options{BadEvery: 2})
	for col, want := range map[string]string{
		"key": tx.Key, "amount": tx.Amount(), "customer.email": tx.CustomerEmail,
		"created_at": "2024-01-01T00:00:01Z", "_line": "2",
	} {
		if got, _ := sourcetest.Text(rows[0], col); got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
}

func TestRejectsMalformedRows(t *testing.T) {
	t.Run("ragged csv", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.csv")
		w, _ := NewRejectWriter(RejectOptions{Path: path, Format: RejectsCSV, Columns: []string{"a", "b"}})
		h := record.NewHeader([]string{"a", "b"})
		for _, text := range [][]string{{"1"}, {"1", "2", "3", "4"}} {
			row := &record.Row{Origin: record.Origin{File: "in.csv", Line: 7}, Header: h, Text: text}
			if err := w.Reject(row, "", &record.RowError{Origin: row.Origin, Code: record.CodeMalformedRow, Message: "wrong field count"}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		want := "a,b,_line,_key,_error_code,_error_message\n1,,7,,malformed_row,wrong field count\n" +
			`1,2,7,,malformed_row,"wrong field count; extra fields: ""3"", ""4"""` + "\n"
		if string(data) != want {
			t.Errorf("got\n%s\nwant\n%s", data, want)
		}
	})
	t.Run("bad json line", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "r.jsonl")
		w, _ := NewRejectWriter(RejectOptions{Path: path, Format: RejectsJSONL})
		row := &record.Row{Origin: record.Origin{File: "in.jsonl", Line: 3}, Raw: []byte(`{"key": "k1",`)}
		if err := w.Reject(row, "", &record.RowError{Origin: row.Origin, Code: record.CodeMalformedRow, Message: "invalid JSON"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Reject(nil, "", &record.RowError{Origin: record.Origin{Line: 9}, Code: record.CodeMalformedRow, Message: "line too long"}); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(path)
		want := `{"_raw":"{\"key\": \"k1\",","_line":3,"_key":"","_error_code":"malformed_row","_error_message":"invalid JSON"}` + "\n" +
			`{"_line":9,"_key":"","_error_code":"malformed_row","_error_message":"line too long"}` + "\n"
		if string(data) != want {
			t.Errorf("got\n%s\nwant\n%s", data, want)
		}
	})
}

func TestRejectsNoFileWhenNothingRejected(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.rejects.csv")
	if err := os.WriteFile(path, []byte("stale"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := NewRejectWriter(RejectOptions{Path: path, Format: RejectsCSV})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("stale reject file still there: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 0 {
		t.Fatalf("left files behind: %v", entries)
	}
}

func TestRejectsWriteErrorIsSticky(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing-dir", "r.csv")
	w, _ := NewRejectWriter(RejectOptions{Path: path, Format: RejectsCSV})
	rerr := &record.RowError{Code: record.CodeInvalidValue, Message: "x"}
	err1 := w.Reject(nil, "", rerr)
	err2 := w.Reject(nil, "", rerr)
	if err1 == nil || err2 == nil || w.Close() == nil {
		t.Fatalf("errors = %v, %v; want failures", err1, err2)
	}
	if _, err := NewRejectWriter(RejectOptions{Path: path, Format: "xml"}); err == nil {
		t.Fatal("format xml accepted")
	}
}

// The reject writer must stay out of the hot path's way: rows are
// reused slabs, so it must not keep references after Reject returns.
func TestRejectsDoesNotKeepRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, _ := NewRejectWriter(RejectOptions{Path: path, Format: RejectsCSV, Columns: []string{"a"}})
	h := record.NewHeader([]string{"a"})
	text := []string{"first"}
	row := &record.Row{Origin: record.Origin{Line: 2}, Header: h, Text: text}
	_ = w.Reject(row, "", &record.RowError{Code: "x", Message: "m"})
	text[0] = "changed"
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(path)
	defer f.Close()
	data, _ := io.ReadAll(f)
	if !strings.Contains(string(data), "first") {
		t.Fatalf("row written late: %s", data)
	}
}

// A reject file named on a device node or a FIFO (--rejects /dev/null, a
// named pipe) is written through and never replaced by a regular file, with
// rows or without.
func TestRejectsOnAFIFOWriteThrough(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "rejects.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	isFIFO := func() bool {
		fi, err := os.Lstat(fifo)
		return err == nil && fi.Mode()&os.ModeNamedPipe != 0
	}

	w, err := NewRejectWriter(RejectOptions{Path: fifo, Format: RejectsCSV, Columns: []string{"key"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !isFIFO() {
		t.Fatal("a run without rejects removed the FIFO at the reject path")
	}

	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- err.Error()
			return
		}
		b, _ := io.ReadAll(f)
		f.Close()
		got <- string(b)
	}()
	w, err = NewRejectWriter(RejectOptions{Path: fifo, Format: RejectsCSV, Columns: []string{"key"}})
	if err != nil {
		t.Fatal(err)
	}
	hdr := record.NewHeader([]string{"key"})
	row := &record.Row{Origin: record.Origin{File: "in.csv", Line: 2}, Header: hdr, Text: []string{"k1"}}
	if err := w.Reject(row, "k1", &record.RowError{Origin: row.Origin, Code: record.CodeInvalidValue, Message: "bad"}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if s := <-got; !strings.Contains(s, "k1,2,k1,invalid_value") {
		t.Errorf("the reader got %q", s)
	}
	if !isFIFO() {
		t.Fatal("the FIFO was replaced by a regular file")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left beside the FIFO: %v", entries)
	}
}
