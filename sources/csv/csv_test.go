package csv_test

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources/csv"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

func encode(t testing.TB, table sourcetest.Table, comma rune, crlf bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := stdcsv.NewWriter(&buf)
	w.Comma = comma
	w.UseCRLF = crlf
	if err := w.Write(table.Columns); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteAll(table.Rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(t testing.TB, data []byte, opts csv.Options) *csv.Reader {
	t.Helper()
	r, err := csv.NewReader(bytes.NewReader(data), "test.csv", opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	return r
}

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name  string
		comma rune
		crlf  bool
		bom   bool
	}{
		{"comma", ',', false, false},
		{"semicolon CRLF BOM", ';', true, true},
		{"tab", '\t', false, false},
		{"pipe CRLF", '|', true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sourcetest.Run(t, sourcetest.Suite{
				Open: func(t *testing.T, table sourcetest.Table) sourcetest.Source {
					data := encode(t, table, tc.comma, tc.crlf)
					if tc.bom {
						data = append([]byte("\xEF\xBB\xBF"), data...)
					}
					return open(t, data, csv.Options{})
				},
				OpenWithBadRow: func(t *testing.T, table sourcetest.Table, bad int) sourcetest.Source {
					// A row with one field too many.
					rows := append([][]string{}, table.Rows[:bad]...)
					rows = append(rows, append(make([]string, len(table.Columns)), "extra"))
					rows = append(rows, table.Rows[bad:]...)
					return open(t, encode(t, sourcetest.Table{Columns: table.Columns, Rows: rows}, tc.comma, tc.crlf), csv.Options{})
				},
			})
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		head string
		def  rune
		want rune
	}{
		{"comma", "a,b,c\n1,2,3\n", ',', ','},
		{"semicolon", "a;b;c\n1;2;3\n", ',', ';'},
		{"tab", "a\tb\n1\t2\n", ',', '\t'},
		{"pipe", "a|b\n1|2\n", ',', '|'},
		{"post affiliate pro affiliates", "!USERID;!REFID;!DATEINSERTED\nu1;ref1;2024-01-01 10:00:00\n", ',', ';'},
		{"commas inside values of a semicolon file", "name;note\nann;\"a, b, c\"\nbob;\"x, y\"\n", ',', ';'},
		{"decimal commas in a semicolon file", "amount;currency\n1,50;EUR\n2,75;EUR\n", ',', ';'},
		{"quoted newline", "a,b\n\"x\ny\",2\n", ',', ','},
		{"one column uses default", "email\na@x.com\n", '\t', '\t'},
		{"empty", "", ',', ','},
		{"header only", "a;b;c", ',', ';'},
		{"inconsistent falls back to header", "a,b,c\n1,2\n", ',', ','},
		{"CRLF", "a;b\r\n1;2\r\n", ',', ';'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := csv.Detect([]byte(tt.head), tt.def); got != tt.want {
				t.Errorf("Detect(%q) = %q, want %q", tt.head, got, tt.want)
			}
		})
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		want    []string
		wantErr string
	}{
		{"trimmed and BOM", "\xEF\xBB\xBF key , email \n1,a\n", []string{"key", "email"}, ""},
		{"post affiliate pro names kept", "!TRANSID,!USERID,!COMMISSION\n", []string{"!TRANSID", "!USERID", "!COMMISSION"}, ""},
		{"duplicate", "key,email,key\n", nil, `duplicate column "key" (columns 1 and 3)`},
		{"empty name", "key,,email\n", nil, "column 2 has an empty name"},
		// An empty file has no rows, whatever its format (a JSON lines
		// file of no bytes is a file of no rows too).
		{"empty file", "", nil, ""},
		{"only BOM", "\xEF\xBB\xBF", nil, ""},
		{"only blank lines", "\n\r\n\n", nil, ""},
		// Spreadsheets end every line with a delimiter: an empty last
		// header cell is not a column.
		{"trailing empty header cells", "key,email,,\n", []string{"key", "email"}, ""},
		{"empty name before a trailing one", "key,,email,\n", nil, "column 2 has an empty name"},
		{"invalid UTF-8 name", "k\xffey,email\n", nil, "not valid UTF-8"},
		{"unterminated quote", "\"key,email\n", nil, "header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := csv.NewReader(strings.NewReader(tt.data), "h.csv", csv.Options{})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "h.csv") {
					t.Errorf("err = %v, want it to name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Columns(); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("Columns() = %q, want %q", got, tt.want)
			}
			if tt.want == nil {
				if row, err := r.Next(t.Context()); !errors.Is(err, io.EOF) {
					t.Errorf("Next on an empty file = %+v, %v; want io.EOF", row, err)
				}
			}
		})
	}
}

// readAll returns each row's key column and the row errors, in order, as
// one list of strings ("ok:k1" or "err:LINE:CODE") for easy comparison.
func readAll(t *testing.T, r *csv.Reader) []string {
	t.Helper()
	var out []string
	for {
		row, err := r.Next(t.Context())
		var re *record.RowError
		switch {
		case errors.Is(err, io.EOF):
			return out
		case errors.As(err, &re):
			if re.Origin != row.Origin {
				t.Errorf("row error origin %v, row origin %v", re.Origin, row.Origin)
			}
			out = append(out, "err:"+re.Origin.String()+":"+re.Code)
		case err != nil:
			return append(out, "fatal:"+err.Error())
		default:
			out = append(out, "ok:"+row.Origin.String()+":"+row.Text[0])
		}
	}
}

func TestHostileFiles(t *testing.T) {
	tests := []struct {
		name string
		data string
		opts csv.Options
		want []string
	}{
		{"CRLF", "key,v\r\nk1,a\r\nk2,b\r\n", csv.Options{}, []string{"ok:test.csv:2:k1", "ok:test.csv:3:k2"}},
		{"BOM and CRLF", "\xEF\xBB\xBFkey;v\r\nk1;a\r\n", csv.Options{}, []string{"ok:test.csv:2:k1"}},
		{"embedded newlines keep the start line", "key,v\nk1,\"a\nb\nc\"\nk2,d\n", csv.Options{}, []string{"ok:test.csv:2:k1", "ok:test.csv:5:k2"}},
		{"blank lines skipped", "key,v\n\nk1,a\n\n\nk2,b\n", csv.Options{}, []string{"ok:test.csv:3:k1", "ok:test.csv:6:k2"}},
		{"no final newline", "key,v\nk1,a", csv.Options{}, []string{"ok:test.csv:2:k1"}},
		{"ragged short and long", "key,v,w\nk1,a\nk2,a,b\nk3,a,b,c\n", csv.Options{},
			[]string{"err:test.csv:2:malformed_row", "ok:test.csv:3:k2", "err:test.csv:4:malformed_row"}},
		{"bad quote is a row error and reading goes on", "key,v\nk1,a\"b\nk2,\"x\"y\nk3,c\n", csv.Options{},
			[]string{"err:test.csv:2:malformed_row", "err:test.csv:3:malformed_row", "ok:test.csv:4:k3"}},
		{"unterminated quote at the end", "key,v\nk1,a\nk2,\"never closed\n", csv.Options{},
			[]string{"ok:test.csv:2:k1", "err:test.csv:3:malformed_row"}},
		{"blank lines before an unbalanced quote keep the line numbers", "key,v\nk1,a\n\n\r\nk2,\"open\nk3,b\n", csv.Options{},
			[]string{"ok:test.csv:2:k1", "err:test.csv:5:malformed_row", "err:test.csv:6:malformed_row"}},
		{"invalid UTF-8", "key,v\nk1,caf\xe9\nk2,ok\n", csv.Options{}, []string{"err:test.csv:2:malformed_row", "ok:test.csv:3:k2"}},
		{"wrong delimiter forced: one field per row is ragged", "key;v\nk1;a\n", csv.Options{Delimiter: ','},
			[]string{"ok:test.csv:2:k1;a"}},
		{"trailing delimiter on every line", "key,v,\nk1,a,\nk2,b\nk3,c, \n", csv.Options{},
			[]string{"ok:test.csv:2:k1", "ok:test.csv:3:k2", "ok:test.csv:4:k3"}},
		{"a value under a header cell without a name", "key,v,\nk1,a,x\nk2,b,\n", csv.Options{},
			[]string{"err:test.csv:2:malformed_row", "ok:test.csv:3:k2"}},
		{"too many trailing fields", "key,v,\nk1,a,,,\n", csv.Options{},
			[]string{"err:test.csv:2:malformed_row"}},
		{"Latin-1 file", "key,name\nk1,Jos\xe9\nk2,Zo\xeb\n", csv.Options{},
			[]string{"err:test.csv:2:malformed_row", "err:test.csv:3:malformed_row"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, open(t, []byte(tt.data), tt.opts))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}

func TestWrongDelimiterGivenIsVisible(t *testing.T) {
	// A semicolon file read as comma-separated has one column named
	// "key;email": the mapping then reports it unknown, which is the clue.
	r := open(t, []byte("key;email\nk1;a@x.com\n"), csv.Options{Delimiter: ','})
	if got := r.Columns(); len(got) != 1 || got[0] != "key;email" {
		t.Fatalf("Columns() = %q", got)
	}
	if r.Delimiter() != ',' {
		t.Fatalf("Delimiter() = %q", r.Delimiter())
	}
}

func TestRaggedRowKeepsFields(t *testing.T) {
	r := open(t, []byte("a,b,c\n1,2\n"), csv.Options{})
	row, err := r.Next(t.Context())
	var re *record.RowError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a RowError", err)
	}
	if !strings.Contains(re.Message, "2 fields, header has 3") {
		t.Errorf("message = %q", re.Message)
	}
	if len(row.Text) != 2 || row.Text[0] != "1" || row.Text[1] != "2" {
		t.Errorf("row.Text = %q, want the fields as read", row.Text)
	}
}

func TestTenMegabyteCell(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	data := "key,blob\nk1,\"" + big + "\"\nk2,small\n"
	r := open(t, []byte(data), csv.Options{})
	row, err := r.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(row.Text[1]) != len(big) {
		t.Fatalf("cell has %d bytes, want %d", len(row.Text[1]), len(big))
	}
	row, err = r.Next(t.Context())
	if err != nil || row.Text[0] != "k2" || row.Origin.Line != 3 {
		t.Fatalf("row after the big cell = %+v, %v", row.Origin, err)
	}
}

func TestRecordOverLimitIsFatalAndNamed(t *testing.T) {
	// A stray quote swallows the rest of the file into one field; past
	// MaxRecordBytes that stops with an error naming the starting line.
	var b bytes.Buffer
	b.WriteString("key,v\nk1,a\nk2,\"oops\n")
	line := strings.Repeat("y", 1<<20) + "\n"
	for b.Len() <= 4<<20 {
		b.WriteString(line)
	}
	r := open(t, b.Bytes(), csv.Options{})
	csv.SetMaxRecordBytes(r, 2<<20)
	if _, err := r.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, err := r.Next(t.Context())
	var re *record.RowError
	if err == nil || errors.As(err, &re) || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("err = %v, want a fatal error naming line 3", err)
	}
	if _, again := r.Next(t.Context()); again == nil || again.Error() != err.Error() {
		t.Fatalf("next call = %v, want the same fatal error", again)
	}
}

type failingReader struct{ data io.Reader }

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.data.Read(p)
	if errors.Is(err, io.EOF) {
		return n, errors.New("disk on fire")
	}
	return n, err
}

func TestStreamErrorIsFatal(t *testing.T) {
	data := "key\n" + strings.Repeat("k1\n", 100_000) // more than the reader buffers up front
	r, err := csv.NewReader(&failingReader{strings.NewReader(data)}, "f.csv", csv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := readAll(t, r)
	last := got[len(got)-1]
	if !strings.HasPrefix(last, "fatal:") || !strings.Contains(last, "disk on fire") {
		t.Fatalf("got %q, want a fatal error last", got)
	}
}

func TestRowsDoNotAlias(t *testing.T) {
	r := open(t, []byte("a,b\n1,2\n3,4\n"), csv.Options{})
	first, _ := r.Next(context.Background())
	second, _ := r.Next(context.Background())
	if first.Text[0] != "1" || second.Text[0] != "3" {
		t.Fatalf("rows alias: %q %q", first.Text, second.Text)
	}
	first.Text[1] = "changed"
	if second.Text[1] != "4" {
		t.Fatalf("writing one row changed another: %q", second.Text)
	}
}

func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		"key,v\nk1,a\n",
		"\xEF\xBB\xBFkey;v\r\nk1;\"a;b\"\r\n",
		"a,b\n1,\"x\ny\"\n2\n",
		"a\tb\n1\t\"\"\"\"\n",
		"a,b\n\"unterminated\n",
		"a,b\n1,2\n\n\r\n3,\"open\n4,5\n6,\"x\"\n7,8\n",
		"a,a\n",
		"a,b\nk1,caf\xe9\n",
		"",
		"|||\n|||\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := csv.NewReader(bytes.NewReader(data), "fuzz.csv", csv.Options{})
		if err != nil {
			if !strings.Contains(err.Error(), "fuzz.csv") {
				t.Fatalf("header error without the file name: %v", err)
			}
			return
		}
		var prev int64
		for range len(data) + 2 {
			row, err := r.Next(t.Context())
			var re *record.RowError
			switch {
			case errors.Is(err, io.EOF):
				return
			case errors.As(err, &re):
				if re.Origin.File != "fuzz.csv" || re.Origin.Line <= 0 {
					t.Fatalf("row error without a position: %+v", re)
				}
				// Every row, good or bad, is on a later line than the
				// one before (lines consumed by a quote included).
				if re.Origin.Line <= prev {
					t.Fatalf("row error at line %d after line %d", re.Origin.Line, prev)
				}
				prev = re.Origin.Line
			case err != nil:
				if !strings.Contains(err.Error(), "fuzz.csv") {
					t.Fatalf("fatal error without the file name: %v", err)
				}
				return
			default:
				if row.Origin.Line <= prev {
					t.Fatalf("line %d after %d", row.Origin.Line, prev)
				}
				prev = row.Origin.Line
				if len(row.Text) != len(r.Columns()) {
					t.Fatalf("row has %d fields, header %d", len(row.Text), len(r.Columns()))
				}
			}
		}
		t.Fatal("no io.EOF")
	})
}

// An unterminated quote makes encoding/csv read every following line into one
// field up to the next quote. Those lines must not vanish: each comes back as
// a row error at its own line, with its text, and the one that opened the
// quote says which lines were consumed.
func TestUnterminatedQuoteKeepsEveryConsumedLine(t *testing.T) {
	data := "key,name\n" + // 1
		"k1,Ann\n" + // 2
		"k2,\"Bob\n" + // 3: the quote is never closed here
		"k3,Cy\n" + // 4
		"\n" + // 5: blank, inside the field
		"k4,Di\n" + // 6
		"k5,\"Ed\"\n" + // 7: its opening quote closes the field of line 3
		"k6,Fay\n" // 8: read normally again
	r := open(t, []byte(data), csv.Options{})
	type got struct {
		line int64
		ok   bool
		text []string
		raw  string
		msg  string
	}
	var rows []got
	for {
		row, err := r.Next(t.Context())
		if errors.Is(err, io.EOF) {
			break
		}
		var re *record.RowError
		switch {
		case errors.As(err, &re):
			if re.Code != record.CodeMalformedRow || re.Origin.Line != row.Origin.Line {
				t.Fatalf("row error %+v for row at %v", re, row.Origin)
			}
			rows = append(rows, got{line: re.Origin.Line, text: row.Text, raw: string(row.Raw), msg: re.Message})
		case err != nil:
			t.Fatal(err)
		default:
			rows = append(rows, got{line: row.Origin.Line, ok: true, text: row.Text})
		}
	}
	want := []struct {
		line int64
		ok   bool
		raw  string
		text []string
	}{
		{2, true, "", []string{"k1", "Ann"}},
		{3, false, "k2,\"Bob", nil},
		{4, false, "k3,Cy", []string{"k3", "Cy"}},
		{6, false, "k4,Di", []string{"k4", "Di"}},
		{7, false, "k5,\"Ed\"", []string{"k5", "Ed"}},
		{8, true, "", []string{"k6", "Fay"}},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(rows), rows, len(want))
	}
	for i, w := range want {
		g := rows[i]
		if g.line != w.line || g.ok != w.ok || g.raw != w.raw || strings.Join(g.text, "|") != strings.Join(w.text, "|") {
			t.Errorf("row %d = %+v, want %+v", i, g, w)
		}
	}
	if m := rows[1].msg; !strings.Contains(m, "lines 3-7") || !strings.Contains(m, "4 more lines") {
		t.Errorf("opening line's message %q does not say which lines were consumed", m)
	}
	if m := rows[2].msg; !strings.Contains(m, "line 3") {
		t.Errorf("consumed line's message %q does not name the line that opened the quote", m)
	}
}

// An unterminated quote that runs to the end of the file: every line after it
// is reported, the last one without its newline too.
func TestUnterminatedQuoteToEndOfFile(t *testing.T) {
	data := "key,name\nk1,\"Ann\nk2,Bob\r\nk3,Cy"
	got := readAll(t, open(t, []byte(data), csv.Options{}))
	want := []string{"err:test.csv:2:malformed_row", "err:test.csv:3:malformed_row", "err:test.csv:4:malformed_row"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// Post Affiliate Pro writes the section's name above the header
// (support.qualityunit.com article 146800): [[COMMISSIONS]] with ','
// and [[AFFILIATES]] with ';'. The header is the next line, line numbers
// stay the file's, and a second section is a clear error, not rows read
// under the wrong header.
func TestPostAffiliateProSectionLine(t *testing.T) {
	commissions := "[[COMMISSIONS]]\r\n!TRANSID,!USERID,!RTYPE,!TOTALCOST\r\nt1,u1,S,10.00\r\nt2,u2,U,5.00\r\n"
	r := open(t, []byte(commissions), csv.Options{})
	if got := strings.Join(r.Columns(), "|"); got != "!TRANSID|!USERID|!RTYPE|!TOTALCOST" {
		t.Fatalf("columns %q", got)
	}
	if r.Delimiter() != ',' {
		t.Errorf("delimiter %q", r.Delimiter())
	}
	row, err := r.Next(context.Background())
	if err != nil || row.Origin.Line != 3 || row.Text[0] != "t1" {
		t.Fatalf("first row %+v, %v: want t1 on line 3", row, err)
	}

	affiliates := "[[AFFILIATES]]\n!USERID;!REFID;!DATEINSERTED\nu1;ref1;2024-01-02 10:00:00\n"
	r = open(t, []byte(affiliates), csv.Options{})
	if r.Delimiter() != ';' || len(r.Columns()) != 3 {
		t.Fatalf("delimiter %q, columns %q", r.Delimiter(), r.Columns())
	}

	both := commissions + "[[AFFILIATES]]\r\n!USERID;!REFID\r\nu1;ref1\r\n"
	r = open(t, []byte(both), csv.Options{})
	var n int
	for {
		_, err = r.Next(context.Background())
		if err != nil {
			break
		}
		n++
	}
	if n != 2 || err == nil || errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "line 5 starts another section, [[AFFILIATES]]") {
		t.Errorf("read %d rows, then %v: want 2 rows and an error naming line 5", n, err)
	}

	// Only the section line alone: no rows.
	r = open(t, []byte("[[COMMISSIONS]]\n"), csv.Options{})
	if _, err := r.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Errorf("section line alone: %v", err)
	}
	// A one-column file whose values look like that is left alone.
	r = open(t, []byte("code\n[[x]]\n"), csv.Options{})
	if row, err := r.Next(context.Background()); err != nil || row.Text[0] != "[[x]]" {
		t.Errorf("one column: %+v %v", row, err)
	}
}

// TestRaggedRowMemory: a row far wider than the header (a broken file) costs
// about its own size, not a slab sized for 256 rows of its width (400 MB
// for this row before the readers shared one slab allocator). Not parallel:
// TotalAlloc counts the whole test binary.
func TestRaggedRowMemory(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,email\np1,a@example.com\n")
	b.WriteString(strings.Repeat("x,", 99_999) + "x\n")
	r, err := csv.NewReader(strings.NewReader(b.String()), "ragged.csv", csv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Next(t.Context()); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	row, _ := r.Next(t.Context()) // a row error: too many cells
	runtime.ReadMemStats(&after)
	if len(row.Text) != 100_000 {
		t.Fatalf("row of %d cells, want 100000", len(row.Text))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("reading one 100,000-cell row allocated %d MB", grew>>20)
	}
}
