package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/gen"
)

func genFile(t *testing.T, name, format string, n, badEvery int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := gen.WriteTransactionsFile(t.Context(), path, format, n, gen.Options{BadEvery: badEvery}); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeTemp(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestValidate(t *testing.T) {
	validCSV := genFile(t, "ok.csv", "csv", 50, 0)
	badCSV := genFile(t, "bad.csv", "csv", 50, 10)
	badJSONL := genFile(t, "bad.jsonl", "jsonl", 50, 10)
	badParquet := genFile(t, "bad.parquet", "parquet", 50, 25)
	extraCols := writeTemp(t, "extra.csv", "key,amount,currency,customer.key,mood\nk1,1.50,USD,c1,happy\n")
	dupKeys := writeTemp(t, "dup.csv", "key,amount,currency,customer.key\nk1,1.50,USD,c1\nk1,2.50,USD,c1\n")
	semicolon := writeTemp(t, "semi.csv", "key;amount;currency;customer.key\nk1;1.50;USD;c1\n")
	ragged := writeTemp(t, "ragged.csv", "key,amount,currency,customer.key\nk1,1.50,USD\nk2,2,USD,c2\n")
	empty := writeTemp(t, "empty.csv", "")
	headerOnly := writeTemp(t, "header.csv", "key,amount,currency,customer.key\n")
	notParquet := writeTemp(t, "fake.parquet", "key,amount\n")
	badMapping := writeTemp(t, "m.yaml", "transactions:\n  fields: [unclosed\n")
	stdinData, _ := os.ReadFile(badJSONL)

	tests := []struct {
		name        string
		args        []string
		stdin       []byte
		wantCode    int
		wantOut     []string
		wantErr     string
		wantRejects string // path of the reject file expected to exist
	}{
		{"all valid", []string{validCSV}, nil, exitOK, []string{"read              50", "valid             50", "rejected           0"}, "", ""},
		{"some rejected csv", []string{badCSV}, nil, exitRejects,
			[]string{"valid             45", "rejected           5", "invalid_email", "rejected rows written to " + rejectsOf(badCSV, ".csv")}, "", rejectsOf(badCSV, ".csv")},
		{"some rejected jsonl", []string{badJSONL}, nil, exitRejects, []string{"rejected           5"}, "", rejectsOf(badJSONL, ".jsonl")},
		{"some rejected parquet", []string{badParquet}, nil, exitRejects, []string{"rejected           2"}, "", rejectsOf(badParquet, ".csv")},
		{"stdin jsonl", []string{"-", "--format", "jsonl"}, stdinData, exitRejects, []string{"rejected           5"}, "", ""},
		{"unknown columns reported", []string{extraCols}, nil, exitOK, []string{"unknown columns (no mapping rule reads them): mood"}, "", ""},
		{"duplicates", []string{dupKeys}, nil, exitRejects, []string{"duplicate"}, "", rejectsOf(dupKeys, ".csv")},
		{"detected semicolons", []string{semicolon}, nil, exitOK, []string{"valid              1"}, "", ""},
		{"forced wrong delimiter", []string{semicolon, "--delimiter", ","}, nil, exitRejects, []string{"unknown columns (no mapping rule reads them): key;amount", "missing_field", "hint: the header is one column", "--delimiter ';'"}, "", ""},
		{"ragged row rejected", []string{ragged}, nil, exitRejects, []string{"malformed_row"}, "", rejectsOf(ragged, ".csv")},
		{"explicit rejects path", []string{badCSV, "--rejects", filepath.Join(t.TempDir(), "r.csv")}, nil, exitRejects, []string{"r.csv"}, "", ""},
		{"header only", []string{headerOnly}, nil, exitOK, []string{"the input has no rows"}, "", ""},
		{"empty file: no rows, like an empty JSON lines file", []string{empty}, nil, exitOK, []string{"the input has no rows"}, "", ""},
		{"missing file", []string{filepath.Join(t.TempDir(), "missing.csv")}, nil, exitFailure, nil, "missing.csv", ""},
		{"not parquet", []string{notParquet}, nil, exitFailure, nil, "not a readable Parquet file", ""},
		{"bad entity", []string{"--", "widgets"}, nil, exitUsage, nil, "unknown entity", ""},
		{"bad format", []string{validCSV, "--format", "xml"}, nil, exitUsage, nil, "unknown format", ""},
		{"unknown extension", []string{writeTemp(t, "x.xlsx", "a")}, nil, exitUsage, nil, "--format", ""},
		{"bad delimiter", []string{validCSV, "--delimiter", ";;"}, nil, exitUsage, nil, "--delimiter", ""},
		{"delimiter on jsonl", []string{badJSONL, "--delimiter", ";"}, nil, exitUsage, nil, "CSV input only", ""},
		{"rejects over the input", []string{badCSV, "--rejects", badCSV}, nil, exitUsage, nil, "input file itself", ""},
		{"bad mapping file", []string{validCSV, "--mapping", badMapping}, nil, exitUsage, nil, "m.yaml", ""},
		{"missing mapping file", []string{validCSV, "--mapping", filepath.Join(t.TempDir(), "none.yaml")}, nil, exitUsage, nil, "none.yaml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := testStreams()
			if tt.stdin != nil {
				io.In = bytes.NewReader(tt.stdin)
				t.Chdir(t.TempDir()) // the default reject file of stdin goes to the current directory
			}
			args := append([]string{"validate", "transactions"}, tt.args...)
			if tt.name == "bad entity" {
				args = []string{"validate", "widgets", validCSV}
			}
			code := run(context.Background(), io, args)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout does not contain %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.wantErr)
			}
			if tt.wantRejects != "" {
				st, err := os.Stat(tt.wantRejects)
				if err != nil {
					t.Fatalf("reject file: %v", err)
				}
				if st.Mode().Perm() != 0o600 {
					t.Errorf("reject file mode %v, want 0600", st.Mode().Perm())
				}
			}
		})
	}
}

func rejectsOf(path, ext string) string {
	base := filepath.Base(path)
	return filepath.Join(filepath.Dir(path), strings.TrimSuffix(base, filepath.Ext(base))+".rejects"+ext)
}

// A corrected reject file is valid input: the reject columns are ignored.
func TestValidateRejectFileRoundTrip(t *testing.T) {
	in := genFile(t, "tx.csv", "csv", 30, 10)
	io, out, errOut := testStreams()
	if code := run(context.Background(), io, []string{"validate", "transactions", in}); code != exitRejects {
		t.Fatalf("first run exit %d: %s %s", code, out, errOut)
	}
	rejects := rejectsOf(in, ".csv")
	data, err := os.ReadFile(rejects)
	if err != nil {
		t.Fatal(err)
	}
	fixed := writeTemp(t, "fixed.csv", strings.ReplaceAll(string(data), "-at-example.com", "@example.com"))

	io, out, errOut = testStreams()
	code := run(context.Background(), io, []string{"validate", "transactions", fixed})
	if code != exitOK {
		t.Fatalf("corrected reject file: exit %d\n%s%s", code, out, errOut)
	}
	if !strings.Contains(out.String(), "valid              3") || strings.Contains(out.String(), "unknown columns") {
		t.Errorf("corrected reject file output:\n%s", out)
	}
	// Nothing rejected now: no reject file for the corrected input.
	if _, err := os.Stat(rejectsOf(fixed, ".csv")); !os.IsNotExist(err) {
		t.Errorf("reject file for a clean run: %v", err)
	}
}

func TestValidateRejectsPathChecks(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "t.csv")
	if err := os.WriteFile(in, []byte("key,amount\nk1,x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ rejects, want string }{
		{filepath.Join(dir, "sub", "..", "t.csv"), "is the input file itself"},
		{filepath.Join(dir, "nonexistent", "r.csv"), "does not exist"},
	} {
		streams, out, errOut := testStreams()
		if code := run(t.Context(), streams, []string{"validate", "transactions", in, "--rejects", tc.rejects}); code != exitUsage {
			t.Fatalf("--rejects %s: exit %d, want %d\nstdout: %s\nstderr: %s", tc.rejects, code, exitUsage, out, errOut)
		}
		if !strings.Contains(errOut.String(), tc.want) {
			t.Errorf("--rejects %s: stderr %q, want %q", tc.rejects, errOut, tc.want)
		}
	}
}
