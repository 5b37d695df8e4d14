package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/sources"
)

// TestConvert: a conversion is a validation into a file: the valid rows
// are written in the format asked (the export's columns), the rejected ones
// go to the reject file, and JSON lines (the API's objects) read back as
// valid input.
func TestConvert(t *testing.T) {
	in := genFile(t, "tx.csv", "csv", 50, 10) // 5 rows with a bad email
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "tx.jsonl")
	parquet := filepath.Join(dir, "tx.parquet")
	csvOut := filepath.Join(dir, "tx.out.csv")

	steps := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
		gone     string // a path that must not exist afterwards
	}{
		{"csv to jsonl, rejects", []string{in, jsonl}, exitRejects, []string{"valid             45", "45 rows written to " + jsonl, "rejected rows written to " + rejectsOf(in, ".csv")}, "", ""},
		{"jsonl to parquet", []string{jsonl, parquet}, exitOK, []string{"valid             45", "45 rows written to " + parquet + " (parquet)"}, "", ""},
		{"jsonl to csv by --to", []string{jsonl, csvOut, "--to", "csv"}, exitOK, []string{"45 rows written"}, "", ""},
		{"output over the input", []string{in, in, "--to", "csv"}, exitUsage, nil, "input file itself", ""},
		{"unknown output format", []string{in, filepath.Join(dir, "x.xlsx")}, exitUsage, nil, "output format", ""},
		{"missing input leaves no output", []string{filepath.Join(dir, "none.csv"), filepath.Join(dir, "none.jsonl")}, exitFailure, nil, "none.csv", filepath.Join(dir, "none.jsonl")},
	}
	for _, st := range steps {
		streams, out, errOut := testStreams()
		code := run(context.Background(), streams, append([]string{"convert", "transactions"}, st.args...))
		if code != st.wantCode {
			t.Fatalf("%s: exit %d, want %d\nstdout: %s\nstderr: %s", st.name, code, st.wantCode, out, errOut)
		}
		for _, w := range st.wantOut {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%s: stdout lacks %q:\n%s", st.name, w, out)
			}
		}
		if !strings.Contains(errOut.String(), st.wantErr) {
			t.Errorf("%s: stderr %q lacks %q", st.name, errOut, st.wantErr)
		}
		if st.gone != "" {
			if _, err := os.Stat(st.gone); !os.IsNotExist(err) {
				t.Errorf("%s: %s exists (%v)", st.name, st.gone, err)
			}
		}
	}
	b, err := os.ReadFile(jsonl)
	if err != nil || strings.Count(string(b), "\n") != 45 {
		t.Errorf("%s: %d lines (%v)", jsonl, strings.Count(string(b), "\n"), err)
	}
	b, err = os.ReadFile(csvOut)
	if err != nil || strings.Count(string(b), "\n") != 46 {
		t.Errorf("%s: %d lines with the header (%v)", csvOut, strings.Count(string(b), "\n"), err)
	}
	src, err := sources.Open(parquet, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rows := 0
	for {
		if _, err := src.Next(t.Context()); err != nil {
			if err != io.EOF {
				t.Fatal(err)
			}
			break
		}
		rows++
	}
	if rows != 45 {
		t.Errorf("%s: %d rows, want 45", parquet, rows)
	}
}
