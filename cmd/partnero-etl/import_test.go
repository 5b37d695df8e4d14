package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/importer"
	"github.com/partnero-etl/partnero-etl/record"
)

func newTestSandbox(t *testing.T) string {
	t.Helper()
	sb, err := sandbox.New(sandbox.Config{Keys: []string{"good-key"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	return srv.URL + "/v1/"
}

func TestImportCommand(t *testing.T) {
	base := newTestSandbox(t)
	dir := t.TempDir()
	partners := filepath.Join(dir, "partners.csv")
	if err := os.WriteFile(partners, []byte("id,email,name\np1,a@x.io,Ann\np2,b@x.io,Bob\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("id,email,name\np3,nope,Bad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--base-url", base, "--rate", "1000/s", "--quiet"}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"no args", []string{"import"}, exitUsage, "", "needs an entity"},
		{"bad entity", []string{"import", "rewards", partners, "--api-key", "good-key"}, exitUsage, "", "unknown entity"},
		{"bad rate", []string{"import", "partners", partners, "--api-key", "good-key", "--rate", "fast"}, exitUsage, "", "--rate"},
		{"bad key", []string{"import", "partners", partners, "--api-key", "wrong"}, exitAuth, "", "unauthorized"},
		{"fresh", []string{"import", "partners", partners, "--api-key", "good-key"}, exitOK, "created    2", ""},
		{"again", []string{"import", "partners", partners, "--api-key", "good-key"}, exitOK, "unchanged  2", ""},
		{"rejects", []string{"import", "partners", bad, "--api-key", "good-key"}, exitRejects, "invalid_email", ""},
		{"dry run", []string{"import", "partners", partners, "--api-key", "good-key", "--dry-run"}, exitOK, "would be unchanged  2", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			io, out, errOut := testStreams()
			args := append(append([]string{}, tt.args...), common...)
			if tt.name == "bad rate" {
				args = tt.args
				args = append(args, "--base-url", base)
			}
			code := run(context.Background(), io, args)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout %q, want %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr %q, want %q", errOut, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.rejects.csv")); err != nil {
		t.Errorf("reject file: %v", err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.journal")); len(m) != 0 {
		t.Errorf("journals left after finished runs: %v", m)
	}
}

// TestImportRefusesABusyJournal: while another run holds the journal of an
// input, a second import of it fails at once, before any write (two runs
// would each create every transaction).
func TestImportRefusesABusyJournal(t *testing.T) {
	sb, err := sandbox.New(sandbox.Config{Keys: []string{"good-key"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	partners := filepath.Join(dir, "partners.csv")
	if err := os.WriteFile(partners, []byte("id,email,name\np1,a@x.io,Ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	held, err := pipeline.OpenJournal(pipeline.DefaultJournalPath(partners, record.Partners), "another run", false)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	streams, out, errOut := testStreams()
	code := run(t.Context(), streams, []string{"import", "partners", partners, "--api-key", "good-key", "--base-url", srv.URL + "/v1/", "--quiet"})
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFailure, out, errOut)
	}
	if !strings.Contains(errOut.String(), "another partnero-etl run is using the journal") {
		t.Errorf("stderr %q", errOut)
	}
	for route, rs := range sb.Stats().Routes {
		if !strings.HasPrefix(route, "GET ") && rs.Total > 0 {
			t.Errorf("%d %s requests from a run that should not have started", rs.Total, route)
		}
	}
}

// TestImportOutputPaths: an output over the input (or over another output)
// and an output that could not be written are usage errors found before the
// run: the input is left as it was and the API is not written to.
func TestImportOutputPaths(t *testing.T) {
	sb, err := sandbox.New(sandbox.Config{Keys: []string{"good-key"}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	input := filepath.Join(dir, "a.csv")
	const content = "id,email,name\np1,nope,Bad\np2,b@x.io,Bob\n"
	if err := os.WriteFile(input, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "out.json")
	link := filepath.Join(t.TempDir(), "link.csv")
	if err := os.Symlink(input, link); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "nonexistent", "x")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"rejects over the input, dry run", []string{"--rejects", input, "--dry-run"}, "--rejects " + input + " is the input file itself"},
		{"rejects over a link to the input", []string{"--rejects", link}, "is the input file itself"},
		{"journal over the input", []string{"--journal", input}, "--journal " + input + " is the input file itself"},
		{"report over the input", []string{"--report", input}, "--report " + input + " is the input file itself"},
		{"report over the reject file", []string{"--rejects", other, "--report", other}, "--rejects and --report are the same file"},
		{"journal over the report", []string{"--journal", other, "--report", other}, "--journal and --report are the same file"},
		{"report in a missing folder", []string{"--report", missing + ".json"}, "does not exist"},
		{"rejects in a missing folder", []string{"--rejects", missing + ".csv"}, "does not exist"},
		{"journal in a missing folder", []string{"--journal", missing + ".journal"}, "does not exist"},
		{"report is a folder", []string{"--report", dir}, "is a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			streams, out, errOut := testStreams()
			args := append([]string{"import", "partners", input, "--api-key", "good-key", "--base-url", srv.URL + "/v1/", "--quiet"}, tt.args...)
			if code := run(t.Context(), streams, args); code != exitUsage {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr %q, want %q", errOut, tt.wantErr)
			}
			if b, err := os.ReadFile(input); err != nil || string(b) != content {
				t.Fatalf("the input changed: %q %v", b, err)
			}
		})
	}
	if st := sb.Stats(); st.Total != 0 {
		t.Errorf("%d requests from runs refused for their paths", st.Total)
	}
	if left, _ := os.ReadDir(dir); len(left) != 1 {
		t.Errorf("files left beside the input: %v", left)
	}
}

// TestImportNamesOnlyAWrittenRejectFile: when the reject file cannot be
// written after all (its folder vanished during the run), the summary does
// not say the rows were written to it.
func TestImportNamesOnlyAWrittenRejectFile(t *testing.T) {
	base := newTestSandbox(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(input, []byte("id,email,name\np3,nope,Bad\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	rejDir := filepath.Join(t.TempDir(), "rejects")
	if err := os.Mkdir(rejDir, 0o700); err != nil {
		t.Fatal(err)
	}
	streams, out, _ := testStreams()
	g := &globalOptions{APIKey: "good-key", BaseURL: base, Rate: "1000/s", Quiet: true, io: streams}
	opts := &importOptions{
		Job: importer.Job{
			Entity: "partners", Input: input, Rejects: filepath.Join(rejDir, "r.csv"), DryRun: true,
			Hooks: importer.Hooks{Reject: func(*record.Row, string, *record.RowError) { _ = os.RemoveAll(rejDir) }},
		},
		g: g, io: streams,
	}
	err := runImport(t.Context(), opts)
	if err == nil || exitCodeOf(t.Context(), err) != exitFailure {
		t.Fatalf("err %v (exit %d), want a failure", err, exitCodeOf(t.Context(), err))
	}
	if strings.Contains(out.String(), "written to") {
		t.Errorf("the summary names a reject file that was not written:\n%s", out)
	}
}

// TestImportMaxRejectsIsAFailure: a run stopped by --max-rejects exits 1
// (not 3, "finished with rejects") and says how to go on.
func TestImportMaxRejectsIsAFailure(t *testing.T) {
	base := newTestSandbox(t)
	input := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(input, []byte("id,email,name\np1,nope1,A\np2,nope2,B\np3,nope3,C\np4,nope4,D\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	streams, out, errOut := testStreams()
	code := run(t.Context(), streams, []string{"import", "partners", input, "--api-key", "good-key", "--base-url", base, "--quiet", "--max-rejects", "1", "--workers", "1"})
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFailure, out, errOut)
	}
	if want := "rejected rows (--max-rejects 1): fix the input or the mapping, then run again to resume"; !strings.Contains(errOut.String(), want) {
		t.Errorf("stderr %q, want %q", errOut, want)
	}
}

// TestImportCreateCustomersFlag: `import transactions` creates a customer
// Partnero lacks only with --create-customers; by default such a sale is
// rejected as unknown_customer, even when the row names the partner (on the
// old code the customer was made up from the sale).
func TestImportCreateCustomersFlag(t *testing.T) {
	base := newTestSandbox(t)
	dir := t.TempDir()
	partners := filepath.Join(dir, "partners.csv")
	txs := filepath.Join(dir, "txs.csv")
	if err := os.WriteFile(partners, []byte("email,key\na@x.io,ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(txs, []byte("key,amount,currency,customer.key,customer.partner.key\nt1,10.00,USD,c1,ann\nt2,11.00,USD,c1,ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--base-url", base, "--rate", "1000/s", "--quiet", "--api-key", "good-key"}
	for _, step := range []struct {
		args     []string
		wantCode int
		wantOut  string
	}{
		{[]string{"import", "partners", partners}, exitOK, "created    1"},
		{[]string{"import", "transactions", txs}, exitRejects, "unknown_customer         2"},
		{[]string{"import", "transactions", txs, "--create-customers", "--dry-run"}, exitOK, "would be created    2"},
		{[]string{"import", "transactions", txs, "--create-customers", "--report", filepath.Join(dir, "r.json")}, exitOK, "created    2"},
	} {
		io, out, errOut := testStreams()
		if code := run(context.Background(), io, append(step.args, common...)); code != step.wantCode {
			t.Fatalf("%v: exit %d, want %d\n%s\n%s", step.args, code, step.wantCode, out, errOut)
		}
		if !strings.Contains(out.String(), step.wantOut) {
			t.Errorf("%v: stdout lacks %q:\n%s", step.args, step.wantOut, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep pipeline.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if m := rep.Money["USD"]; m == nil || m.Read.Amount != "21.00" || m.Written.Amount != "21.00" || m.Written.Rows != 2 {
		t.Errorf("money %+v, want USD 21.00 read and written in 2 rows", rep.Money)
	}
	if rep.CustomerJoins["partnero_key"] != 2 || rep.CustomersCreated != 1 {
		t.Errorf("joins %v, customers created %d; want partnero_key 2 and 1", rep.CustomerJoins, rep.CustomersCreated)
	}
}

// A commission in another currency than its sale is left out by a
// money.currency rule (Partnero computes it); the report counts those rows,
// so a commission total held against the old platform's is explained.
func TestImportCountsRewardsLeftOut(t *testing.T) {
	base := newTestSandbox(t)
	dir := t.TempDir()
	partners := filepath.Join(dir, "partners.csv")
	txs := filepath.Join(dir, "txs.csv")
	spec := filepath.Join(dir, "map.yaml")
	if err := os.WriteFile(partners, []byte("email,key\na@x.io,ann\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(txs, []byte("id,amount,currency,commission,commission_currency,customer\n"+
		"t1,10.00,USD,3.00,USD,c1\nt2,20.00,GBP,6.00,USD,c1\nt3,30.00,EUR,9.00,EUR,c1\nt4,40.00,JPY,12.00,USD,c1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, []byte(`version: 1
transactions:
  fields:
    key: id
    amount: amount
    currency: currency
    reward: {column: commission, money: {currency_column: commission_currency}}
    customer.key: customer
    customer.partner.key: {value: ann}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	common := []string{"--base-url", base, "--rate", "1000/s", "--quiet", "--api-key", "good-key"}
	report := filepath.Join(dir, "r.json")
	for _, args := range [][]string{
		{"import", "partners", partners},
		{"import", "transactions", txs, "--mapping", spec, "--create-customers", "--report", report},
	} {
		io, out, errOut := testStreams()
		if code := run(context.Background(), io, append(args, common...)); code != exitOK {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, out, errOut)
		}
		if args[1] == "transactions" && !strings.Contains(out.String(), "rewards left out: 2") {
			t.Errorf("summary does not count the rewards left out:\n%s", out)
		}
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var rep pipeline.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.RewardsLeftOut != 2 {
		t.Errorf("rewards_left_out_other_currency = %d, want 2 (t2, t4)", rep.RewardsLeftOut)
	}
}
