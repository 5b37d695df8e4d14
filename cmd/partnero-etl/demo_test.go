package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestDemo(t *testing.T) {
	out := filepath.Join(t.TempDir(), "demo-out")
	// PARTNERO_API_KEY and --base-url must not matter: the demo talks to
	// its own sandbox.
	t.Setenv("PARTNERO_API_KEY", "some-real-looking-key")
	streams, stdout, stderr := testStreams()
	code := run(context.Background(), streams, []string{"--base-url", "http://192.0.2.1/v1/", "--rate", "5000/s", "--quiet",
		"demo", "--samples", filepath.Join("..", "..", "samples", "rewardful"), "--out", out, "--rate-limit", "0", "--latency", "0"})
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, f := range []string{
		"parquet/partners.parquet", "parquet/customers.parquet", "parquet/transactions.parquet", "parquet/manifest.json",
		"csv/partners.csv", "csv/customers.csv", "csv/transactions.csv", "csv/manifest.json",
		"migration.json", "rejects/affiliates.rejects.jsonl", "rejects/referrals.rejects.jsonl", "rejects/commissions.rejects.jsonl",
		"input/affiliates.jsonl",
	} {
		if fi, err := os.Stat(filepath.Join(out, f)); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	rep := readMigrationReport(t, filepath.Join(out, "migration.json"))
	checkMigration(t, rep, sampleMigrations[0].want)
	csv, err := os.ReadFile(filepath.Join(out, "csv", "transactions.csv"))
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(csv), "\n"); n != 896+1 {
		t.Errorf("transactions.csv has %d lines, want 897", n)
	}
	s := stdout.String()
	for _, want := range []string{
		"key demo-key", "Migrated from rewardful",
		"14 parent_rejected", "line 21: email: duplicate of line 3",
		"the program now holds: 35 partners, 242 customers, 896 transactions",
		filepath.Join(out, "parquet") + "/", filepath.Join(out, "csv") + "/",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("summary lacks %q:\n%s", want, s)
		}
	}
}

func TestDemoUsage(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown platform", []string{"demo", "--from", "nosuch"}, "no samples for"},
		{"no samples", []string{"demo", "--samples", filepath.Join(t.TempDir(), "none"), "--out", t.TempDir()}, "run the demo from the repository root"},
		{"negative rate", []string{"demo", "--rate-limit", "-1"}, "must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, stdout, stderr := testStreams()
			if code := run(context.Background(), streams, tt.args); code != exitUsage {
				t.Fatalf("exit %d, want 2\n%s\n%s", code, stdout, stderr)
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestWrapText(t *testing.T) {
	for _, tt := range []struct {
		text  string
		width int
		max   int
		want  []string
	}{
		{"a bb ccc dddd", 6, 5, []string{"a bb", "ccc", "dddd"}},
		{"abcdefghij", 4, 5, []string{"abcd", "efgh", "ij"}},
		{"one two three four five", 9, 2, []string{"one two", "three..."}},
		{"", 10, 3, nil},
		{"héllo wörld", 5, 3, []string{"héllo", "wörld"}},
	} {
		got := wrapText(tt.text, tt.width, tt.max)
		if !slices.Equal(got, tt.want) {
			t.Errorf("wrapText(%q, %d, %d) = %q, want %q", tt.text, tt.width, tt.max, got, tt.want)
		}
	}
}
