package jsonl_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources/jsonl"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

// encode writes the table as JSON lines, keys in column order.
func encode(t testing.TB, table sourcetest.Table) []byte {
	t.Helper()
	var buf bytes.Buffer
	for _, row := range table.Rows {
		buf.WriteByte('{')
		for i, col := range table.Columns {
			if i > 0 {
				buf.WriteByte(',')
			}
			k, _ := json.Marshal(col)
			v, _ := json.Marshal(row[i])
			buf.Write(k)
			buf.WriteByte(':')
			buf.Write(v)
		}
		buf.WriteString("}\n")
	}
	return buf.Bytes()
}

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Suite{
		Open: func(t *testing.T, table sourcetest.Table) sourcetest.Source {
			return jsonl.NewReader(bytes.NewReader(encode(t, table)), "test.jsonl")
		},
		OpenWithBadRow: func(t *testing.T, table sourcetest.Table, bad int) sourcetest.Source {
			before := encode(t, sourcetest.Table{Columns: table.Columns, Rows: table.Rows[:bad]})
			after := encode(t, sourcetest.Table{Columns: table.Columns, Rows: table.Rows[bad:]})
			data := append(append(before, `{"key": "broken",`+"\n"...), after...)
			return jsonl.NewReader(bytes.NewReader(data), "test.jsonl")
		},
	})
}

func TestValuesAndOrder(t *testing.T) {
	line := `{"zeta":1, "alpha":"a\"b", "customer":{"email":"Ann@Example.com","n":12.50},` +
		`"links":[{"token":"ann"},{"token":"bob"}],"ok":true,"none":null,"big":12345678901234567890.0001,"esc\u0041":"x"}`
	r := jsonl.NewReader(strings.NewReader(line), "v.jsonl")
	row, err := r.Next(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	wantNames := []string{"zeta", "alpha", "customer", "links", "ok", "none", "big", "escA"}
	if !reflect.DeepEqual(row.Header.Names, wantNames) {
		t.Errorf("names = %q, want %q (file order)", row.Header.Names, wantNames)
	}
	tests := []struct {
		path string
		want any
	}{
		{"zeta", json.Number("1")},
		{"alpha", `a"b`},
		{"customer.email", "Ann@Example.com"},
		{"customer.n", json.Number("12.50")},
		{"links.0.token", "ann"},
		{"links.1.token", "bob"},
		{"ok", true},
		{"none", nil},
		{"big", json.Number("12345678901234567890.0001")},
		{"escA", "x"},
	}
	for _, tt := range tests {
		got, ok := row.Lookup(tt.path)
		if !ok || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Lookup(%q) = %#v, %v; want %#v", tt.path, got, ok, tt.want)
		}
	}
	if string(row.Raw) != line {
		t.Errorf("Raw = %s, want the line", row.Raw)
	}
}

func TestHeaderReuseAndChange(t *testing.T) {
	data := `{"a":1,"b":2}` + "\n" + `{"a":3,"b":4}` + "\n" + `{"b":5,"a":6}` + "\n" + `{"a":7,"a":8}` + "\n"
	r := jsonl.NewReader(strings.NewReader(data), "h.jsonl")
	rows, errs := sourcetest.ReadAll(t, r)
	if len(errs) != 0 || len(rows) != 4 {
		t.Fatalf("rows %d errs %v", len(rows), errs)
	}
	if rows[0].Header != rows[1].Header {
		t.Error("same keys in the same order should share one Header")
	}
	if got := rows[2].Header.Names; !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Errorf("third row names = %q", got)
	}
	if v, _ := rows[2].Lookup("a"); v != json.Number("6") {
		t.Errorf("third row a = %v", v)
	}
	// A duplicate key: one column, the last value, as encoding/json does.
	if got := rows[3].Header.Names; !reflect.DeepEqual(got, []string{"a"}) || rows[3].Values[0] != json.Number("8") {
		t.Errorf("duplicate key row = %q %v", got, rows[3].Values)
	}
}

func TestBadLines(t *testing.T) {
	data := strings.Join([]string{
		`{"k":"1"}`,
		``,
		`   `,
		`[1,2]`,
		`"just a string"`,
		`{"k": "caf` + "\xe9" + `"}`,
		`{"k": }`,
		`{"k":"2"}` + "\r",
		`{"k":"3"}`, // no final newline
	}, "\n")
	r := jsonl.NewReader(strings.NewReader(data), "b.jsonl")
	var got []string
	for {
		row, err := r.Next(t.Context())
		var re *record.RowError
		if errors.Is(err, io.EOF) {
			break
		}
		switch {
		case errors.As(err, &re):
			if len(row.Raw) == 0 {
				t.Errorf("line %d: row error without the raw line", re.Origin.Line)
			}
			got = append(got, re.Origin.String()+" "+re.Message)
		case err != nil:
			t.Fatal(err)
		default:
			got = append(got, row.Origin.String()+" ok")
		}
	}
	want := []string{
		"b.jsonl:1 ok",
		"b.jsonl:4 line is a JSON array, not an object",
		"b.jsonl:5 line is a JSON string, not an object",
		"b.jsonl:6 invalid UTF-8 at byte 11: the file must be UTF-8",
		"b.jsonl:7 invalid JSON at byte 7: unexpected '}' looking for a value",
		"b.jsonl:8 ok",
		"b.jsonl:9 ok",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// TestByteOrderMark: a UTF-8 BOM at the start of the file is skipped, so
// line 1 is read; one anywhere else is not whitespace and stays an error.
func TestByteOrderMark(t *testing.T) {
	tests := []struct{ name, data, want string }{
		{"BOM", "\xEF\xBB\xBF{\"k\":\"1\"}\n{\"k\":\"2\"}\n", "bom.jsonl:1 ok|bom.jsonl:2 ok"},
		{"BOM and CRLF", "\xEF\xBB\xBF{\"k\":\"1\"}\r\n{\"k\":\"2\"}\r\n", "bom.jsonl:1 ok|bom.jsonl:2 ok"},
		{"BOM then blank line", "\xEF\xBB\xBF\n{\"k\":\"2\"}", "bom.jsonl:2 ok"},
		{"only a BOM", "\xEF\xBB\xBF", ""},
		{"BOM on line 2", "{\"k\":\"1\"}\n\xEF\xBB\xBF{\"k\":\"2\"}\n", "bom.jsonl:1 ok|bom.jsonl:2 error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jsonl.NewReader(strings.NewReader(tt.data), "bom.jsonl")
			var got []string
			for {
				row, err := r.Next(t.Context())
				var re *record.RowError
				switch {
				case errors.Is(err, io.EOF):
					if g := strings.Join(got, "|"); g != tt.want {
						t.Errorf("got %s, want %s", g, tt.want)
					}
					return
				case errors.As(err, &re):
					got = append(got, re.Origin.String()+" error")
				case err != nil:
					t.Fatal(err)
				default:
					if row.Values[0] != row.Origin.String()[len("bom.jsonl:"):] {
						t.Errorf("%s: k = %v", row.Origin, row.Values[0])
					}
					got = append(got, row.Origin.String()+" ok")
				}
			}
		})
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{`{"a":1} x`, `byte 9: unexpected 'x' after the object`},
		{`{"a":01}`, `byte 7: unexpected '1' after an object value`},
		{`{"a":-}`, `byte 7: invalid number`},
		{`{"a":1.}`, `byte 8: invalid number: no digits after '.'`},
		{`{"a":1e}`, `byte 8: invalid number: no digits in the exponent`},
		{`{"a":"\x"}`, `byte 8: invalid escape`},
		{`{"a":"\u12G4"}`, `byte 11: invalid \u escape`},
		{"{\"a\":\"tab\there\"}", `byte 10: control character`},
		{`{"a":"open`, `unterminated string`},
		{`{"a" 1}`, `byte 6: unexpected '1' after an object key, want ':'`},
		{`{,}`, `byte 2: unexpected ',' looking for a string`},
		{`{"a":1,}`, `byte 8: unexpected '}' looking for a string`},
		{`{"a":[1,]}`, `byte 9: unexpected ']' looking for a value`},
		{`{"a":[1 2]}`, `byte 9: unexpected '2' after an array element`},
		{`{"a":tru}`, `byte 6: invalid literal, want true`},
		{`{"a":{"b":1}`, `unexpected end of line after an object value`},
		{`1 [2]`, `byte 3: unexpected '[' after the JSON value`},
		{`nope`, `byte 1: invalid literal, want null`},
		{`{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, `nested too deeply`},
	}
	for _, tt := range tests {
		r := jsonl.NewReader(strings.NewReader(tt.line), "s.jsonl")
		_, err := r.Next(t.Context())
		var re *record.RowError
		if !errors.As(err, &re) || !strings.Contains(re.Message, tt.want) {
			t.Errorf("%.40s: err = %v, want a row error containing %q", tt.line, err, tt.want)
		}
	}
}

func TestLongLine(t *testing.T) {
	big := strings.Repeat("x", 10<<20)
	data := `{"k":"` + big + `"}` + "\n" + `{"k":"small"}` + "\n"
	r := jsonl.NewReader(strings.NewReader(data), "l.jsonl")
	rows, errs := sourcetest.ReadAll(t, r)
	if len(errs) != 0 || len(rows) != 2 {
		t.Fatalf("rows %d errs %v", len(rows), errs)
	}
	if v, _ := rows[0].Lookup("k"); v != big {
		t.Error("10 MB value not read back")
	}
	if rows[1].Origin.Line != 2 {
		t.Errorf("second row at line %d", rows[1].Origin.Line)
	}
}

func TestLineOverLimitIsRowError(t *testing.T) {
	var b bytes.Buffer
	b.WriteString(`{"k":"`)
	chunk := strings.Repeat("y", 1<<20)
	for b.Len() <= 3<<20 {
		b.WriteString(chunk)
	}
	b.WriteString("\"}\n{\"k\":\"after\"}\n")
	r := jsonl.NewReader(bytes.NewReader(b.Bytes()), "big.jsonl")
	jsonl.SetMaxLineBytes(r, 2<<20)
	rows, errs := sourcetest.ReadAll(t, r)
	if len(errs) != 1 || errs[0].Origin.Line != 1 || !strings.Contains(errs[0].Message, "longer than") {
		t.Fatalf("errs = %v", errs)
	}
	if len(rows) != 1 || rows[0].Origin.Line != 2 {
		t.Fatalf("rows = %d", len(rows))
	}
}

func FuzzReader(f *testing.F) {
	for _, seed := range []string{
		`{"a":1}` + "\n" + `{"a":"x","b":{"c":[1,2,{"d":null}]}}`,
		`{"a":"\u00e9\"\\","b":-1.5e10}`,
		"\n\n{}\n",
		`{"a":1,"a":2}`,
		`[1]`,
		`{"a":`,
		"{\"a\":\"\xff\"}",
		`{"a":1}}`,
		`  {"x" : [ ] , "y" : { } }  `,
		"\xEF\xBB\xBF{\"a\":1}\r\n",
		"[\n {\"a\": \"],\\\"\"},\n 5,,\n {\"b\": [1, {\"c\": 2}]}\n]\n",
		`[{"a":1},{"a":`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := jsonl.NewReader(bytes.NewReader(data), "fuzz.jsonl")
		var prev int64
		for range len(data) + 2 {
			row, err := r.Next(t.Context())
			var re *record.RowError
			switch {
			case errors.Is(err, io.EOF):
				return
			case errors.As(err, &re):
				if re.Origin.File != "fuzz.jsonl" || re.Origin.Line <= prev {
					t.Fatalf("row error without a position: %+v after line %d", re, prev)
				}
				prev = re.Origin.Line
				// What the reader rejected, encoding/json rejects too (or it
				// is not an object, or not UTF-8).
				if raw := bytes.TrimSpace(row.Raw); len(raw) > 0 && raw[0] == '{' && utf8.Valid(raw) && json.Valid(raw) {
					t.Fatalf("rejected a line encoding/json accepts: %s (%v)", raw, re)
				}
			case err != nil:
				// A JSON array that is cut short or followed by more
				// text is fatal: the input is not what it claims.
				if array := bytes.TrimLeft(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), " \t\r\n"); len(array) > 0 && array[0] == '[' &&
					strings.Contains(err.Error(), "fuzz.jsonl") {
					return
				}
				t.Fatalf("fatal error on in-memory input: %v", err)
			default:
				if row.Origin.Line <= prev {
					t.Fatalf("line %d after %d", row.Origin.Line, prev)
				}
				prev = row.Origin.Line
				if len(row.Values) != len(row.Header.Names) {
					t.Fatalf("%d values, %d names", len(row.Values), len(row.Header.Names))
				}
				// What the reader accepted, encoding/json accepts as an object
				// with the same keys and the same values.
				var m map[string]any
				d := json.NewDecoder(bytes.NewReader(row.Raw))
				d.UseNumber()
				if err := d.Decode(&m); err != nil {
					t.Fatalf("accepted a line encoding/json rejects: %v", err)
				}
				if len(m) != len(row.Header.Names) {
					t.Fatalf("keys %q, encoding/json found %d", row.Header.Names, len(m))
				}
				for i, name := range row.Header.Names {
					if !reflect.DeepEqual(m[name], row.Values[i]) {
						t.Fatalf("key %q: decoded %#v, encoding/json %#v", name, row.Values[i], m[name])
					}
				}
			}
		}
		t.Fatal("no io.EOF")
	})
}

// encodeArray writes the table as one pretty-printed JSON array, as many
// tools export ".json" files.
func encodeArray(t testing.TB, table sourcetest.Table, bad int) []byte {
	t.Helper()
	lines := bytes.Split(bytes.TrimSpace(encode(t, table)), []byte("\n"))
	if len(table.Rows) == 0 {
		lines = nil
	}
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i, l := range lines {
		if i == bad {
			buf.WriteString("  \"not an object\",\n")
		}
		buf.WriteString("  ")
		buf.Write(l)
		if i < len(lines)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	if bad >= 0 && bad == len(lines) {
		if len(lines) > 0 {
			buf.Truncate(buf.Len() - 1)
			buf.WriteString(",\n")
		}
		buf.WriteString("  \"not an object\"\n")
	}
	buf.WriteString("]\n")
	return buf.Bytes()
}

// A ".json" file holding one JSON array of objects is read as a stream of
// its elements (it used to be read line by line: every line a bad row).
func TestArrayConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Suite{
		Open: func(t *testing.T, table sourcetest.Table) sourcetest.Source {
			return jsonl.NewReader(bytes.NewReader(encodeArray(t, table, -1)), "test.json")
		},
		OpenWithBadRow: func(t *testing.T, table sourcetest.Table, bad int) sourcetest.Source {
			return jsonl.NewReader(bytes.NewReader(encodeArray(t, table, bad)), "test.json")
		},
	})
}

func TestArray(t *testing.T) {
	type out struct {
		line int64
		key  string
		raw  string
		err  string
	}
	read := func(t *testing.T, data string) (got []out, fatal error) {
		r := jsonl.NewReader(strings.NewReader(data), "a.json")
		for range 100 {
			row, err := r.Next(t.Context())
			var re *record.RowError
			switch {
			case errors.Is(err, io.EOF):
				return got, nil
			case errors.As(err, &re):
				got = append(got, out{line: re.Origin.Line, raw: string(row.Raw), err: re.Message})
			case err != nil:
				return got, err
			default:
				k, _ := row.Lookup("key")
				got = append(got, out{line: row.Origin.Line, key: k.(string), raw: string(row.Raw)})
			}
		}
		t.Fatal("no end")
		return nil, nil
	}
	t.Run("pretty-printed, with a BOM", func(t *testing.T) {
		got, err := read(t, "\xEF\xBB\xBF\n[\n  {\"key\": \"a\", \"s\": \"],{\\\"\"},\n  {\n    \"key\": \"b\",\n    \"n\": [1, 2]\n  }\n]\n")
		want := []out{{1, "a", `{"key":"a","s":"],{\""}`, ""}, {2, "b", `{"key":"b","n":[1,2]}`, ""}}
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, %v\nwant %+v", got, err, want)
		}
	})
	t.Run("one line", func(t *testing.T) {
		got, err := read(t, `[{"key":"a"},{"key":"b"},{"key":"c"}]`)
		if err != nil || len(got) != 3 || got[2].line != 3 || got[2].key != "c" {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("bad elements are row errors that say where", func(t *testing.T) {
		got, err := read(t, "[{\"key\":\"a\"},\n 5,\n {\"key\": },\n {\"key\":\"d\"}]")
		if err != nil || len(got) != 4 || got[0].key != "a" || got[3].key != "d" {
			t.Fatalf("got %+v, %v", got, err)
		}
		if !strings.Contains(got[1].err, "not an object") || !strings.Contains(got[1].err, "line 2") || got[1].raw != "5" {
			t.Errorf("element 2: %+v", got[1])
		}
		if got[2].err == "" || !strings.Contains(got[2].err, "line 3") {
			t.Errorf("element 3: %+v", got[2])
		}
	})
	t.Run("empty array", func(t *testing.T) {
		if got, err := read(t, " [ ] \n"); err != nil || len(got) != 0 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		got, err := read(t, "[{\"key\":\"a\"},\n{\"key\":\"b\",\"x\":[")
		if len(got) != 1 || err == nil || !strings.Contains(err.Error(), "a.json") || !strings.Contains(err.Error(), "not closed") || !strings.Contains(err.Error(), "1 element") {
			t.Fatalf("got %+v, %v: want one row, then an error saying the array is cut short", got, err)
		}
	})
	t.Run("text after the array", func(t *testing.T) {
		got, err := read(t, "[{\"key\":\"a\"}]\n{\"key\":\"b\"}\n")
		if len(got) != 1 || err == nil || !strings.Contains(err.Error(), "after the JSON array") {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}
