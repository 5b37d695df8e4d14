package sources_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/gen"
	"github.com/partnero-etl/partnero-etl/sources"
	"github.com/partnero-etl/partnero-etl/sources/sourcetest"
)

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		path, want string
	}{
		{"a.csv", "csv"}, {"A.CSV", "csv"}, {"a.tsv", "csv"}, {"a.txt", "csv"},
		{"a.jsonl", "jsonl"}, {"a.ndjson", "jsonl"}, {"a.json", "jsonl"},
		{"a.parquet", "parquet"}, {"dir.v2/a.pq", "parquet"},
		{"a.csv.gz", "csv"}, {"a.jsonl.GZ", "jsonl"}, {"export.2024.ndjson.gz", "jsonl"},
		{"a.xlsx", ""}, {"noext", ""}, {"a.gz", ""},
	}
	for _, tt := range tests {
		got, err := sources.DetectFormat(tt.path)
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("DetectFormat(%q) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]string{"": "", "CSV": "csv", "tsv": "csv", "ndjson": "jsonl", "json": "jsonl", "parquet": "parquet"} {
		if got, err := sources.ParseFormat(in); err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := sources.ParseFormat("xml"); err == nil {
		t.Error("ParseFormat(xml) accepted")
	}
}

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func gz(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func generated(t *testing.T, format string, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gen.WriteTransactions(t.Context(), &b, format, n, gen.Options{RowGroupRows: 10}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestOpen(t *testing.T) {
	csvData := generated(t, "csv", 25)
	jsonData := generated(t, "jsonl", 25)
	pqData := generated(t, "parquet", 25)
	tsv := []byte(strings.ReplaceAll(string(csvData), ",", "\t"))
	tests := []struct {
		name    string
		path    string
		opts    sources.Options
		wantErr string
	}{
		{"csv", write(t, "t.csv", csvData), sources.Options{}, ""},
		{"csv.gz", write(t, "t.csv.gz", gz(t, csvData)), sources.Options{}, ""},
		{"tsv", write(t, "t.tsv", tsv), sources.Options{}, ""},
		{"jsonl", write(t, "t.jsonl", jsonData), sources.Options{}, ""},
		{"ndjson.gz", write(t, "t.ndjson.gz", gz(t, jsonData)), sources.Options{}, ""},
		{"parquet", write(t, "t.parquet", pqData), sources.Options{}, ""},
		{"format overrides extension", write(t, "t.dat", jsonData), sources.Options{Format: "jsonl"}, ""},
		{"stdin csv", "-", sources.Options{Format: "csv", Stdin: bytes.NewReader(csvData)}, ""},
		{"stdin jsonl", "-", sources.Options{Format: "jsonl", Stdin: bytes.NewReader(jsonData)}, ""},
		{"stdin csv gzip", "-", sources.Options{Format: "csv", Stdin: bytes.NewReader(gz(t, csvData))}, ""},
		{"stdin jsonl gzip", "-", sources.Options{Format: "jsonl", Stdin: bytes.NewReader(gz(t, jsonData))}, ""},
		{"gzip without .gz", write(t, "t.csv", gz(t, csvData)), sources.Options{}, ""},
		{"stdin needs a format", "-", sources.Options{Stdin: bytes.NewReader(csvData)}, "--format"},
		{"stdin parquet", "-", sources.Options{Format: "parquet", Stdin: bytes.NewReader(pqData)}, "plain file"},
		{"parquet.gz", write(t, "t.parquet.gz", gz(t, pqData)), sources.Options{}, "plain file"},
		{"unknown extension", write(t, "t.xlsx", csvData), sources.Options{}, "--format"},
		{"missing file", filepath.Join(t.TempDir(), "nope.csv"), sources.Options{}, "nope.csv"},
		{"not gzip", write(t, "t.csv.gz", csvData), sources.Options{}, "gzip"},
		{"csv that is parquet", write(t, "p.parquet", csvData), sources.Options{}, "not a readable Parquet file"},
		{"bad format", write(t, "b.csv", csvData), sources.Options{Format: "xml"}, "unknown format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := sources.Open(tt.path, tt.opts)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			rows, errs := sourcetest.ReadAll(t, src)
			if len(rows) != 25 || len(errs) != 0 {
				t.Fatalf("read %d rows, %d errors; want 25, 0", len(rows), len(errs))
			}
			want := gen.Row(24, gen.Options{})
			if got, _ := sourcetest.Text(rows[24], "customer.email"); got != want.CustomerEmail {
				t.Errorf("last row customer.email = %q, want %q", got, want.CustomerEmail)
			}
			if got, _ := sourcetest.Text(rows[24], "key"); got != want.Key {
				t.Errorf("last row key = %q, want %q", got, want.Key)
			}
			if rows[0].Origin.File != tt.path {
				t.Errorf("origin file = %q, want %q", rows[0].Origin.File, tt.path)
			}
			if c, ok := src.(sources.Columner); ok && len(c.Columns()) == 0 {
				t.Error("Columns() is empty")
			}
		})
	}
}

func TestOpenCSVDelimiterOption(t *testing.T) {
	path := write(t, "semi.csv", []byte("a;b\n1;2\n"))
	src, err := sources.Open(path, sources.Options{Delimiter: ';'})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if d := src.(sources.Delimited).Delimiter(); d != ';' {
		t.Fatalf("Delimiter() = %q", d)
	}
	row, err := src.Next(context.Background())
	if err != nil || row.Text[1] != "2" {
		t.Fatalf("row = %q, %v", row.Text, err)
	}
}

func TestGeneratedFormatsAgree(t *testing.T) {
	// The three generated formats hold the same values: a benchmark
	// comparing them compares like with like.
	var texts [3][]string
	for i, f := range []string{"csv", "jsonl", "parquet"} {
		src, err := sources.Open(write(t, "g."+f, generated(t, f, 30)), sources.Options{})
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := sourcetest.ReadAll(t, src)
		_ = src.Close()
		for _, r := range rows {
			for _, c := range gen.TransactionColumns {
				v, _ := sourcetest.Text(r, c)
				if c == "created_at" {
					v = strings.TrimSuffix(v, "Z") // RFC 3339 text vs a time
				}
				if c == "amount" {
					v = strings.TrimSuffix(v, ".00") // JPY in a DECIMAL(18,2) column
				}
				texts[i] = append(texts[i], c+"="+v)
			}
		}
	}
	for i := range texts[0] {
		if texts[0][i] != texts[1][i] || texts[0][i] != texts[2][i] {
			t.Fatalf("value %d differs: csv %q jsonl %q parquet %q", i, texts[0][i], texts[1][i], texts[2][i])
		}
	}
}

// TestOpenMissingFileNamesItOnce: the error of a file that cannot be opened
// is the *fs.PathError itself ("open a.csv: no such file or directory"),
// not wrapped again with the same words.
func TestOpenMissingFileNamesItOnce(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"nope.csv", "nope.jsonl", "nope.csv.gz", "nope.parquet"} {
		path := filepath.Join(dir, name)
		_, err := sources.Open(path, sources.Options{})
		if !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("%s: %v, want a not-exist error", name, err)
		}
		if want := "open " + path + ": no such file or directory"; err.Error() != want {
			t.Errorf("%s: %q, want %q", name, err, want)
		}
	}
}

// A gzip file cut short said only "unexpected EOF". It says the file is
// truncated, where, and how many rows came before.
func TestTruncatedGzip(t *testing.T) {
	for _, format := range []string{"csv", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			data := gz(t, generated(t, format, 2000))
			path := write(t, "t."+format+".gz", data[:len(data)/2])
			src, err := sources.Open(path, sources.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var rows int
			for {
				_, err := src.Next(t.Context())
				if err == nil {
					rows++
					continue
				}
				msg := err.Error()
				if rows == 0 || rows >= 2000 || !strings.Contains(msg, "truncated") || !strings.Contains(msg, path) ||
					!strings.Contains(msg, fmt.Sprintf("after %d rows", rows)) {
					t.Fatalf("after %d rows: %v; want the file, \"truncated\" and \"after %d rows\"", rows, err, rows)
				}
				return
			}
		})
	}
}
