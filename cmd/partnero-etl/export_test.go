package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/record"
)

const exportKey = "sk_export_test_1"

// exportSandbox starts a sandbox holding a few records and returns its base URL.
func exportSandbox(t *testing.T) string {
	t.Helper()
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{exportKey}})
	env.Post(t, "partners", `{"id":"p1","email":"zoe@example.com","name":"Zoë","key":"zoe"}`)
	env.Post(t, "customers", `{"key":"c1","email":"=1+1@example.com","partner":{"id":"p1"}}`)
	env.Post(t, "transactions", `{"key":"t1","amount":99.99,"customer":{"key":"c1"}}`)
	return env.BaseURL()
}

func TestExportCommand(t *testing.T) {
	base := exportSandbox(t)
	dir := t.TempDir()
	global := []string{"--api-key", exportKey, "--base-url", base, "--rate", "none"}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string
		wantErr  string
		files    []string
	}{
		{"all as parquet", []string{"export", "--out", filepath.Join(dir, "pq")}, exitOK,
			[]string{"exported to", "transactions", "rewards", "manifest.json"}, "",
			[]string{"pq/partners.parquet", "pq/customers.parquet", "pq/transactions.parquet", "pq/rewards.parquet", "pq/manifest.json"}},
		{"csv safe", []string{"export", "customers", "--format", "csv", "--csv-safe", "--out", filepath.Join(dir, "csv")}, exitOK,
			[]string{"customers"}, "", []string{"csv/customers.csv"}},
		{"stdout jsonl", []string{"export", "transactions", "--format", "jsonl", "--out", "-"}, exitOK,
			[]string{`"key":"t1"`, `"amount":99.99`}, "exported to standard output", nil},
		{"stdout rewards csv", []string{"export", "rewards", "--format", "csv", "--out", "-"}, exitOK,
			[]string{"transaction_key,key", "t1,", "29.997"}, "", nil},
		{"daily partitions", []string{"export", "transactions", "--partition", "daily", "--compression", "snappy", "--out", filepath.Join(dir, "hive")}, exitOK,
			nil, "", nil},
		{"since-last keeps the daily layout", []string{"export", "transactions", "--since-last", "--out", filepath.Join(dir, "hive")}, exitOK,
			[]string{"since the last export"}, "", nil},
		{"since-last with another layout", []string{"export", "transactions", "--since-last", "--partition", "none", "--out", filepath.Join(dir, "hive")}, exitUsage,
			nil, `partition "daily"`, nil},
		{"since-last with another format", []string{"export", "transactions", "--since-last", "--format", "csv", "--out", filepath.Join(dir, "hive")}, exitUsage,
			nil, `format "parquet"`, nil},
		{"parquet to stdout", []string{"export", "partners", "--out", "-"}, exitUsage, nil, "Parquet needs a file", nil},
		{"two tables to stdout", []string{"export", "partners", "customers", "--format", "csv", "--out", "-"}, exitUsage, nil, "one table", nil},
		{"unknown entity", []string{"export", "orders"}, exitUsage, nil, "unknown entity", nil},
		{"leads to stdout", []string{"export", "leads", "--format", "csv", "--out", "-"}, exitOK, []string{"id,status,name,email"}, "", nil},
		{"referral links as an argument", []string{"export", "referral_links"}, exitUsage, nil, "--with-referral-links", nil},
		{"bad format", []string{"export", "--format", "xlsx"}, exitUsage, nil, "--format", nil},
		{"bad compression", []string{"export", "--compression", "lz4"}, exitUsage, nil, "--compression", nil},
		{"bad partition", []string{"export", "--partition", "hourly"}, exitUsage, nil, "--partition", nil},
		{"since-last without transactions", []string{"export", "partners", "--since-last"}, exitUsage, nil, "--since-last", nil},
		{"refused key", []string{"--api-key", "sk_wrong", "export", "--out", filepath.Join(dir, "x")}, exitAuth, nil, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, out, errOut := testStreams()
			args := append(append([]string{}, global...), tt.args...)
			code := run(context.Background(), streams, args)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantErr, errOut)
			}
			for _, f := range tt.files {
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Error(err)
				}
			}
		})
	}

	b, err := os.ReadFile(filepath.Join(dir, "pq", "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Program struct {
			PubID string `json:"pub_id"`
		} `json:"program"`
		API struct {
			Requests int64 `json:"requests"`
		} `json:"api"`
		Files []struct {
			Path, SHA256 string
			Rows         int64
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// partners, customers, transactions, rewards and the five other lists.
	if m.Program.PubID == "" || m.API.Requests < 4 || len(m.Files) != 4+len(record.ListEntities) {
		t.Errorf("manifest: %s", b)
	}
	csvData, _ := os.ReadFile(filepath.Join(dir, "csv", "customers.csv"))
	if !strings.Contains(string(csvData), "'=1+1@example.com") {
		t.Errorf("--csv-safe did not neutralise the formula cell:\n%s", csvData)
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "hive", "transactions", "dt=*", "part-00000.parquet"))
	if len(matches) != 1 {
		t.Errorf("daily partition files: %v", matches)
	}
	// The increments (nothing new) wrote no flat file beside the dt=
	// folders and left the manifest's layout as it was.
	if flat, _ := filepath.Glob(filepath.Join(dir, "hive", "*.parquet")); len(flat) != 0 {
		t.Errorf("flat files beside the partitions: %v", flat)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "hive", "manifest.json")); err != nil || !strings.Contains(string(b), `"partition": "daily"`) {
		t.Errorf("manifest after the increment (%v):\n%s", err, b)
	}
}

func TestExportHelpNamesTheExtraRequests(t *testing.T) {
	streams, out, _ := testStreams()
	if code := run(context.Background(), streams, []string{"export", "--help"}); code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"--with-referral-links", "one extra request per partner", "--since-last", "--csv-safe",
		"whose created_at is newer than the\nprevious export's high-water mark", "older created_at", "appear only in a full export"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

// TestExportInterrupted: a signal during the export (the context cancelled)
// exits 130 and leaves the previous snapshot exactly as it was.
func TestExportInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var armed atomic.Bool
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{exportKey}}, sandboxtest.Wrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if armed.Load() && strings.HasSuffix(r.URL.Path, "/customers") {
				cancel() // as SIGINT would, half way through
			}
			h.ServeHTTP(w, r)
		})
	}))
	dir := t.TempDir()
	args := []string{"--api-key", exportKey, "--base-url", env.BaseURL(), "--rate", "none", "export", "--format", "csv", "--out", dir}
	streams, _, errOut := testStreams()
	if code := run(context.Background(), streams, args); code != exitOK {
		t.Fatalf("first export: exit %d: %s", code, errOut)
	}
	before := map[string]string{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		before[e.Name()] = string(b)
	}
	armed.Store(true)
	streams, _, errOut = testStreams()
	if code := run(ctx, streams, args); code != exitInterrupted {
		t.Fatalf("interrupted export: exit %d, want %d: %s", code, exitInterrupted, errOut)
	}
	if !strings.Contains(errOut.String(), "previous snapshot is unchanged") {
		t.Errorf("stderr: %s", errOut)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != len(before) {
		t.Errorf("%d entries after, %d before", len(entries), len(before))
	}
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(dir, e.Name()))
		if before[e.Name()] != string(b) {
			t.Errorf("%s changed", e.Name())
		}
	}
}
