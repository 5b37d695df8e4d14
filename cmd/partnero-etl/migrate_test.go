package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/internal/jsontest"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/pipeline/migrate"
)

// stageWant is what samples/README.md says a migration of a platform's
// sample into an empty program reports for one entity.
type stageWant struct {
	created, skipped, rejected int64
	codes                      map[string]int64
}

// sampleMigration is one platform's sample and its expected migration.
type sampleMigration struct {
	platform string
	files    [3]string // partners, customers, transactions ("" = none)
	want     map[string]stageWant
}

// sampleMigrations are the "Migration" tables of samples/README.md.
var sampleMigrations = []sampleMigration{
	{"rewardful", [3]string{"affiliates.jsonl", "referrals.jsonl", "commissions.jsonl"}, map[string]stageWant{
		"partners":  {35, 0, 5, map[string]int64{"missing_field": 1, "invalid_email": 1, "duplicate": 2, "too_long": 1}},
		"customers": {242, 70, 8, map[string]int64{"invalid_email": 2, "missing_field": 1, "duplicate": 1, "too_long": 1, "parent_rejected": 3}},
		// Line 601's time is unreadable, but its customer was rejected:
		// parent_rejected, whatever the row's own fault.
		"transactions": {896, 85, 19, map[string]int64{"invalid_amount": 1, "invalid_currency": 1, "missing_field": 1, "duplicate": 2, "parent_rejected": 14}},
	}},
	{"firstpromoter", [3]string{"promoters.jsonl", "referrals.jsonl", "commissions.jsonl"}, map[string]stageWant{
		"partners":     {25, 2, 3, map[string]int64{"invalid_email": 1, "duplicate": 1, "invalid_value": 1}},
		"customers":    {256, 0, 4, map[string]int64{"invalid_email": 1, "missing_field": 1, "duplicate": 1, "too_long": 1}},
		"transactions": {862, 132, 6, map[string]int64{"invalid_amount": 1, "invalid_currency": 1, "invalid_time": 1, "duplicate": 1, "missing_field": 1, "parent_rejected": 1}},
	}},
	{"tapfiliate", [3]string{"affiliates.jsonl", "customers.jsonl", "conversions.jsonl"}, map[string]stageWant{
		"partners":     {27, 0, 3, map[string]int64{"missing_field": 1, "duplicate": 1, "too_long": 1}},
		"customers":    {247, 0, 3, map[string]int64{"missing_field": 1, "duplicate": 1, "invalid_email": 1}},
		"transactions": {837, 156, 7, map[string]int64{"invalid_amount": 1, "invalid_time": 1, "duplicate": 1, "missing_field": 1, "invalid_currency": 1, "parent_rejected": 2}},
	}},
	{"partnerstack", [3]string{"partnerships.csv", "customers.jsonl", "transactions.csv"}, map[string]stageWant{
		"partners":     {27, 0, 3, map[string]int64{"invalid_email": 1, "duplicate": 1, "missing_field": 1}},
		"customers":    {235, 2, 3, map[string]int64{"missing_field": 1, "duplicate": 1, "invalid_email": 1}},
		"transactions": {955, 38, 7, map[string]int64{"invalid_time": 1, "invalid_amount": 2, "duplicate": 1, "missing_field": 1, "parent_rejected": 2}},
	}},
	{"tolt", [3]string{"partners.jsonl", "customers.csv", "transactions.jsonl"}, map[string]stageWant{
		"partners":     {26, 1, 3, map[string]int64{"invalid_value": 1, "duplicate": 1, "missing_field": 1}},
		"customers":    {227, 0, 3, map[string]int64{"missing_field": 1, "duplicate": 1, "invalid_email": 1}},
		"transactions": {968, 25, 7, map[string]int64{"invalid_amount": 1, "missing_field": 2, "invalid_time": 1, "duplicate": 1, "parent_rejected": 2}},
	}},
	{"postaffiliatepro", [3]string{"affiliates.csv", "", "commissions.csv"}, map[string]stageWant{
		"partners":     {29, 2, 4, map[string]int64{"missing_field": 1, "duplicate": 1, "too_long": 1, "invalid_email": 1}},
		"transactions": {804, 191, 5, map[string]int64{"invalid_amount": 1, "invalid_time": 1, "duplicate": 1, "missing_field": 1, "invalid_currency": 1}},
	}},
}

// copySamples copies a platform's sample files into a fresh folder (the
// journals and reject files are written beside the inputs) and returns the
// migrate flags naming them.
func copySamples(t testing.TB, m sampleMigration) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var args []string
	for i, name := range m.files {
		if name == "" {
			continue
		}
		if err := copyFile(filepath.Join("..", "..", "samples", m.platform, name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--"+[]string{"partners", "customers", "transactions"}[i], filepath.Join(dir, name))
	}
	return dir, args
}

func newMigrateSandbox(t testing.TB) (*sandbox.Server, string) {
	t.Helper()
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{"good-key"}})
	return env.Server, env.BaseURL()
}

func runMigrateArgs(t testing.TB, base string, args ...string) (int, string, string) {
	t.Helper()
	streams, out, errOut := testStreams()
	all := append([]string{"--api-key", "good-key", "--base-url", base, "--rate", "5000/s", "--quiet", "migrate"}, args...)
	code := run(context.Background(), streams, all)
	return code, out.String(), errOut.String()
}

func readMigrationReport(t testing.TB, path string) migrate.MigrationReport {
	return jsontest.ReadFile[migrate.MigrationReport](t, path)
}

func checkMigration(t *testing.T, rep migrate.MigrationReport, want map[string]stageWant) {
	t.Helper()
	if len(rep.ByEntity) != len(want) {
		t.Errorf("report has %d entities, want %d", len(rep.ByEntity), len(want))
	}
	for entity, w := range want {
		c := rep.ByEntity[entity]
		if c.Created != w.created || c.Skipped != w.skipped || c.Rejected != w.rejected || c.Updated != 0 || c.Abandoned != 0 {
			t.Errorf("%s: created %d skipped %d rejected %d updated %d abandoned %d, want %d %d %d 0 0",
				entity, c.Created, c.Skipped, c.Rejected, c.Updated, c.Abandoned, w.created, w.skipped, w.rejected)
		}
		if !c.Balanced() {
			t.Errorf("%s: counts do not add up: %+v", entity, c)
		}
		for code, n := range w.codes {
			if c.ByCode[code] != n {
				t.Errorf("%s: %d rejected %s, want %d (all: %v)", entity, c.ByCode[code], code, n, c.ByCode)
			}
		}
		if len(c.ByCode) != len(w.codes) {
			t.Errorf("%s: rejected by code %v, want %v", entity, c.ByCode, w.codes)
		}
	}
}

// TestMigrateSamples migrates every platform's sample into an empty program
// and checks the counts samples/README.md states; a dry run first must
// predict them without a write, and a re-run must write nothing.
func TestMigrateSamples(t *testing.T) {
	for _, m := range sampleMigrations {
		t.Run(m.platform, func(t *testing.T) {
			sb, base := newMigrateSandbox(t)
			dir, files := copySamples(t, m)
			report := filepath.Join(dir, "report.json")
			args := append([]string{"--from", m.platform, "--report", report}, files...)

			code, out, errOut := runMigrateArgs(t, base, append(args, "--dry-run")...)
			if code != exitRejects {
				t.Fatalf("dry run: exit %d, want 3\n%s\n%s", code, out, errOut)
			}
			if w := migrateWrites(sb.Stats()); w != 0 {
				t.Errorf("dry run wrote %d times", w)
			}
			dry := readMigrationReport(t, report)
			if !dry.DryRun {
				t.Error("report does not say dry run")
			}
			checkMigration(t, dry, m.want)

			checksBefore := sb.Stats().Routes["GET /test"].Total
			code, out, errOut = runMigrateArgs(t, base, args...)
			if code != exitRejects {
				t.Fatalf("exit %d, want 3\n%s\n%s", code, out, errOut)
			}
			rep := readMigrationReport(t, report)
			checkMigration(t, rep, m.want)
			st := sb.Stats().Programs[0]
			if want := m.want["partners"].created; int64(st.Partners) != want {
				t.Errorf("program holds %d partners, want %d", st.Partners, want)
			}
			if want := m.want["transactions"].created; int64(st.Transactions) != want {
				t.Errorf("program holds %d transactions, want %d", st.Transactions, want)
			}
			// Requests at the floor: the key check, a listing per stage,
			// a create per partner, per customer without transactions, and
			// per 100 transactions of each customer (a customer with
			// transactions is created inside its first batch).
			// One client for every stage: the key is checked once.
			if n := sb.Stats().Routes["GET /test"].Total - checksBefore; n != 1 {
				t.Errorf("the key was checked %d times, want once", n)
			}
			held := readProgram(t, base)
			checkMoney(t, rep, held)
			// No customer the files do not name: with a customers file, the
			// program holds exactly the customers it created; without one
			// (Post Affiliate Pro), those the transactions created.
			wantCustomers := m.want["customers"].created
			if m.files[1] == "" {
				wantCustomers = rep.CustomersCreated
			}
			if int64(len(held.customers)) != wantCustomers || wantCustomers == 0 {
				t.Errorf("program holds %d customers, want %d", len(held.customers), wantCustomers)
			}
			floor := requestFloor(held)
			if float64(rep.Requests) > 1.1*float64(floor) {
				t.Errorf("%d requests, over 1.1 x the floor of %d", rep.Requests, floor)
			}
			t.Logf("%d requests, floor %d (%.3f)", rep.Requests, floor, float64(rep.Requests)/float64(floor))
			for _, s := range []string{"Migrated from " + m.platform, "rejected by code", "parent_rejected"} {
				if !strings.Contains(out, s) && (s != "parent_rejected" || m.want["transactions"].codes["parent_rejected"] > 0) {
					t.Errorf("summary lacks %q:\n%s", s, out)
				}
			}
			// Every stage wrote a reject file beside its input.
			for _, r := range rep.Stages {
				if r.Counts.Rejected > 0 {
					if _, err := os.Stat(r.RejectsFile); err != nil || filepath.Dir(r.RejectsFile) != dir {
						t.Errorf("%s reject file %q: %v", r.Entity, r.RejectsFile, err)
					}
				}
			}

			before := migrateWrites(sb.Stats())
			code, out, errOut = runMigrateArgs(t, base, args...)
			if code != exitRejects {
				t.Fatalf("re-run: exit %d\n%s\n%s", code, out, errOut)
			}
			if w := migrateWrites(sb.Stats()) - before; w != 0 {
				t.Errorf("re-run wrote %d times, want none", w)
			}
			again := readMigrationReport(t, report)
			for e, c := range again.ByEntity {
				if c.Created != 0 || c.Unchanged != m.want[e].created {
					t.Errorf("re-run %s: created %d unchanged %d, want 0 and %d", e, c.Created, c.Unchanged, m.want[e].created)
				}
			}
		})
	}
}

// migrateWrites counts the sandbox's write requests.
func migrateWrites(st sandbox.Stats) int64 {
	var n int64
	for route, rs := range st.Routes {
		if !strings.HasPrefix(route, "GET ") {
			n += rs.Total
		}
	}
	return n
}

func TestMigratePlan(t *testing.T) {
	sb, base := newMigrateSandbox(t)
	m := sampleMigrations[0]
	dir, _ := copySamples(t, m)
	// The transactions through a mapping file: the preset, saved as the
	// user would (presets show rewardful > mine.yaml).
	yml, err := os.ReadFile(filepath.Join("..", "..", "mapping", "presets", "rewardful.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), yml, 0o644); err != nil {
		t.Fatal(err)
	}
	plan := `from: rewardful
partners:
  file: affiliates.jsonl
customers:
  file: referrals.jsonl
  preset: rewardful
transactions:
  file: commissions.jsonl
  mapping: mine.yaml
options:
  rejects_dir: rejects
  report: out.json
`
	planPath := filepath.Join(dir, "plan.yaml")
	if err := os.WriteFile(planPath, []byte(plan), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runMigrateArgs(t, base, "--plan", planPath, "--dry-run")
	if code != exitRejects {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	rep := readMigrationReport(t, filepath.Join(dir, "out.json"))
	checkMigration(t, rep, m.want)
	if !rep.DryRun || migrateWrites(sb.Stats()) != 0 {
		t.Error("--dry-run on the command line did not make a dry run")
	}
	for _, name := range []string{"affiliates.rejects.jsonl", "referrals.rejects.jsonl", "commissions.rejects.jsonl"} {
		if _, err := os.Stat(filepath.Join(dir, "rejects", name)); err != nil {
			t.Errorf("reject file: %v", err)
		}
	}
}

func TestMigrateUsage(t *testing.T) {
	_, base := newMigrateSandbox(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	partners := write("p.csv", "email,source_id\na@example.com,1\n")
	write("m.yaml", "version: 1\ncustomers:\n  fields:\n    key: id\n")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"nothing to do", []string{"--from", "rewardful"}, "at least one of"},
		{"arguments", []string{"file.csv"}, "takes no arguments"},
		{"unknown preset", []string{"--from", "nosuch", "--partners", partners}, `unknown preset "nosuch"`},
		{"preset without the entity", []string{"--from", "postaffiliatepro", "--customers", partners}, "does not map customers"},
		{"unknown format", []string{"--partners", write("p.xlsx", "")}, "p.xlsx"},
		{"missing plan", []string{"--plan", filepath.Join(dir, "none.yaml")}, "read plan"},
		{"plan typo", []string{"--plan", write("typo.yaml", "partners:\n  flie: p.csv\n")}, "flie"},
		{"plan without file", []string{"--plan", write("nofile.yaml", "partners:\n  preset: rewardful\n")}, "names no file"},
		{"plan preset and mapping", []string{"--plan", write("both.yaml", "partners:\n  file: p.csv\n  preset: rewardful\n  mapping: m.yaml\n")}, "pick one"},
		{"negative", []string{"--partners", partners, "--workers", "-1"}, "must not be negative"},
		{"mapping without the entity", []string{"--plan", write("other.yaml", "partners:\n  file: p.csv\n  mapping: m.yaml\n")}, "does not map partners"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runMigrateArgs(t, base, tt.args...)
			if code != exitUsage {
				t.Fatalf("exit %d, want 2\n%s\n%s", code, out, errOut)
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantErr)
			}
		})
	}
}

// TestMigrateUnknownPartner: canonical columns, no preset. A customer whose
// partner is neither in the input nor named otherwise is unknown_partner;
// one named by email is left to the target (which has no such partner);
// a transaction of a rejected customer is parent_rejected.
func TestMigrateUnknownPartner(t *testing.T) {
	_, base := newMigrateSandbox(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	partners := write("partners.csv", "source_id,email,key\np1,ann@example.com,ann\np2,bad-email,bob\n")
	customers := write("customers.csv", "key,email,partner.source_id,partner.email\n"+
		"c1,c1@example.com,p1,\n"+ // joined: created
		"c2,c2@example.com,p2,\n"+ // partner rejected
		"c3,c3@example.com,p9,\n"+ // unknown source id, nothing else
		"c4,c4@example.com,p9,nobody@example.com\n") // unknown id, an email the target lacks
	txs := write("transactions.csv", "key,amount,currency,customer.key,customer.partner.source_id\n"+
		"t1,10.00,USD,c1,p1\n"+ // created
		"t2,10.00,USD,c2,p2\n"+ // customer rejected
		"t3,10.00,USD,c3,\n"+ // customer rejected
		"t4,10.00,USD,c5,p1\n") // a customer the customers file does not name: never made up
	report := filepath.Join(dir, "r.json")
	want := map[string]stageWant{
		"partners":     {1, 0, 1, map[string]int64{"invalid_email": 1}},
		"customers":    {1, 0, 3, map[string]int64{"parent_rejected": 1, "unknown_partner": 2}},
		"transactions": {1, 0, 3, map[string]int64{"parent_rejected": 2, "unknown_customer": 1}},
	}
	// The dry run predicts it all, the partner missing from Partnero too.
	for _, dry := range []bool{true, false} {
		args := []string{"--partners", partners, "--customers", customers, "--transactions", txs, "--report", report}
		if dry {
			args = append(args, "--dry-run")
		}
		code, out, errOut := runMigrateArgs(t, base, args...)
		if code != exitRejects {
			t.Fatalf("dry run %v: exit %d\n%s\n%s", dry, code, out, errOut)
		}
		checkMigration(t, readMigrationReport(t, report), want)
	}
	rej, err := os.ReadFile(filepath.Join(dir, "customers.rejects.csv"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"partner p2 was rejected", "partners.csv:3", "partner p9 is not in the partners input", "does not exist"} {
		if !strings.Contains(string(rej), s) {
			t.Errorf("customer rejects lack %q:\n%s", s, rej)
		}
	}
}

func TestMigrateRefusedKey(t *testing.T) {
	_, base := newMigrateSandbox(t)
	dir, files := copySamples(t, sampleMigrations[0])
	report := filepath.Join(dir, "r.json")
	streams, out, errOut := testStreams()
	args := append([]string{"--api-key", "wrong-key", "--base-url", base, "--quiet", "migrate", "--from", "rewardful", "--report", report}, files...)
	if code := run(context.Background(), streams, args); code != exitAuth {
		t.Fatalf("exit %d, want 4\n%s\n%s", code, out, errOut)
	}
	// Nothing ran: no stage, no reject file.
	if _, err := os.Stat(filepath.Join(dir, "affiliates.rejects.jsonl")); err == nil {
		t.Error("a reject file was written before the key was checked")
	}
}

// TestMigrateOutputPaths: a report over an input, or in a folder that does
// not exist, is refused before the first stage.
func TestMigrateOutputPaths(t *testing.T) {
	sb, base := newMigrateSandbox(t)
	m := sampleMigrations[0]
	dir, args := copySamples(t, m)
	customers := filepath.Join(dir, m.files[1])
	before, err := os.ReadFile(customers)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ report, want string }{
		{customers, "--report " + customers + " is the input file itself"},
		{filepath.Join(dir, "nonexistent", "r.json"), "does not exist"},
	} {
		code, out, errOut := runMigrateArgs(t, base, append([]string{"--from", m.platform, "--report", tc.report}, args...)...)
		if code != exitUsage {
			t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitUsage, out, errOut)
		}
		if !strings.Contains(errOut, tc.want) {
			t.Errorf("stderr %q, want %q", errOut, tc.want)
		}
	}
	if after, err := os.ReadFile(customers); err != nil || string(after) != string(before) {
		t.Fatalf("the customers input changed (%v)", err)
	}
	if st := sb.Stats(); st.Total != 0 {
		t.Errorf("%d requests from runs refused for their paths", st.Total)
	}
}

// TestMigrateMaxRejectsIsAFailure: a stage stopped by --max-rejects ends
// the migration with exit 1, not 3.
func TestMigrateMaxRejectsIsAFailure(t *testing.T) {
	_, base := newMigrateSandbox(t)
	m := sampleMigrations[0]
	_, args := copySamples(t, m)
	code, out, errOut := runMigrateArgs(t, base, append([]string{"--from", m.platform, "--max-rejects", "1"}, args...)...)
	if code != exitFailure {
		t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, exitFailure, out, errOut)
	}
	if !strings.Contains(errOut, "(--max-rejects 1): fix the input or the mapping, then run again to resume") {
		t.Errorf("stderr %q", errOut)
	}
}
