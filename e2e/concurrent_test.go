package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/pipeline"
)

// While one import runs, a second import of the same rows into the same
// program (through a symbolic link, from a copy, or with another --journal)
// stops at once with exit 1 instead of creating every row a second time;
// the first run lands every row exactly once.
func TestConcurrentImportsOfTheSameRows(t *testing.T) {
	t.Setenv(pipeline.LockDirEnv, t.TempDir())
	sb := startSandbox(t, sandbox.Config{Seed: 11, Latency: 15 * time.Millisecond})
	dir := t.TempDir()
	d := generate(t, dir, genOptions{Partners: 4, Customers: 30, PerCustomer: 5})
	for _, step := range []struct{ entity, file string }{{"partners", d.partnersFile}, {"customers", d.customersFile}} {
		if res := runImport(t, sb, dir, step.entity, step.file); res.code != 0 {
			t.Fatalf("import %s: %s", step.entity, res)
		}
	}
	link := filepath.Join(dir, "link.csv")
	if err := os.Symlink(d.txFile, link); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	cp := filepath.Join(elsewhere, "copy.csv")
	b, _ := os.ReadFile(d.txFile)
	if err := os.WriteFile(cp, b, 0o644); err != nil {
		t.Fatal(err)
	}

	// The first run writes one transaction a request, slowly.
	first, out, errOut := importCmd(t.Context(), sb, dir, "transactions", d.txFile, "--no-batch", "--workers", "1", "--rate", "40/s")
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for sb.stats().Routes["POST /transactions"].Total == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the first run never wrote")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for name, args := range map[string][]string{
		"a symbolic link": {"transactions", link},
		"a copy":          {"transactions", cp},
		"another journal": {"transactions", d.txFile, "--journal", filepath.Join(elsewhere, "other.journal")},
	} {
		res := runImport(t, sb, dir, args...)
		if res.code != 1 || !strings.Contains(res.stderr, "another partnero-etl run is importing") {
			t.Errorf("%s: want exit 1 and the run refused, got %s", name, res)
		}
	}
	if sb.stats().Routes["POST /transactions"].Total >= int64(len(d.wantTransactions)) {
		t.Fatal("the first run finished before the others started: the test proves nothing")
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("first run: %v\n%s\n%s", err, out, errOut)
	}
	checkTarget(t, sb, d)
}

// A re-run that finds one key held by several transactions (created twice,
// here outside the tool) says so in the summary and the report.
func TestDuplicateKeysInTheTargetAreReported(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 12})
	dir := t.TempDir()
	d := generate(t, dir, genOptions{Partners: 2, Customers: 4, PerCustomer: 2})
	for _, step := range []struct{ entity, file string }{{"partners", d.partnersFile}, {"customers", d.customersFile}, {"transactions", d.txFile}} {
		if res := runImport(t, sb, dir, step.entity, step.file); res.code != 0 {
			t.Fatalf("import %s: %s", step.entity, res)
		}
	}
	c, err := api.NewClient(api.WithBaseURL(sb.baseURL()), api.WithAPIKey(testKey), api.WithRate(api.Rate{PerSecond: 1000}))
	if err != nil {
		t.Fatal(err)
	}
	again := api.MustDecimal("10.00")
	if _, err := c.Transactions.Create(t.Context(), &api.Transaction{Key: "tx0000000", Amount: &again, Customer: api.CustomerRef{Key: "c000000"}}, nil); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "rerun.json")
	res := runImport(t, sb, dir, "transactions", d.txFile, "--report", report)
	if res.code != 0 || !strings.Contains(res.stdout, "held by more than one transaction") {
		t.Errorf("re-run: want a warning in the summary, got %s", res)
	}
	if r := readReport(t, report); r.DuplicateKeys != 1 {
		t.Errorf("report: target_duplicate_keys %d, want 1", r.DuplicateKeys)
	}
}
