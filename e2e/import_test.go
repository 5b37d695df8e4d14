package e2e

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/jsontest"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/pipeline"
)

var smallData = genOptions{Partners: 12, Customers: 40, PerCustomer: 4, NewCustomers: 8, Bad: true}

// importAll imports the three files in dependency order and checks the exit
// codes (3: the files hold invalid rows on purpose).
func importAll(t *testing.T, sb *sandboxProc, d *dataset, extra ...string) {
	t.Helper()
	for _, step := range []struct{ entity, file string }{
		{"partners", d.partnersFile}, {"customers", d.customersFile}, {"transactions", d.txFile},
	} {
		res := runImport(t, sb, d.dir, append([]string{step.entity, step.file, "--report", filepath.Join(d.dir, step.entity+".report.json")}, extra...)...)
		if res.code != 3 {
			t.Fatalf("import %s: want exit 3 (some rows are invalid on purpose), got %s", step.entity, res)
		}
	}
}

func readReport(t *testing.T, path string) pipeline.Report {
	return jsontest.ReadFile[pipeline.Report](t, path)
}

func checkTarget(t *testing.T, sb *sandboxProc, d *dataset) {
	t.Helper()
	tg := readTarget(t, sb)
	checkExactlyOnce(t, "partner", tg.partners, d.wantPartners)
	checkExactlyOnce(t, "customer", tg.customers, d.wantCustomers)
	checkExactlyOnce(t, "transaction", tg.transactions, d.wantTransactions)
}

func TestFreshImportThenRerunWritesNothing(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 1})
	d := generate(t, t.TempDir(), smallData)
	importAll(t, sb, d)
	checkTarget(t, sb, d)

	for entity, bad := range map[string]int{"partners": d.badPartners, "customers": d.badCustomers, "transactions": d.badTransactions} {
		r := readReport(t, filepath.Join(d.dir, entity+".report.json"))
		if !r.Counts.Balanced() || r.Counts.Rejected != int64(bad) {
			t.Errorf("%s: counts %+v, want %d rejected, balanced", entity, r.Counts, bad)
		}
		if r.Counts.Created == 0 {
			t.Errorf("%s: nothing created: %+v", entity, r.Counts)
		}
	}
	tx := readReport(t, filepath.Join(d.dir, "transactions.report.json"))
	if rpr := float64(tx.Requests.Total) / float64(tx.Counts.Read); rpr > 0.35 {
		t.Errorf("fresh transactions import: %.3f requests per row, want at most 0.35", rpr)
	}
	if _, err := os.Stat(filepath.Join(d.dir, "transactions.rejects.csv")); err != nil {
		t.Errorf("reject file: %v", err)
	}

	before := writes(sb.stats())
	importAll(t, sb, d)
	if w := writes(sb.stats()) - before; w > int64(d.badCustomers+d.badTransactions+d.badPartners) {
		// Rejected rows are tried again (a refused create is a write).
		t.Errorf("re-run made %d writes", w)
	}
	for _, entity := range []string{"partners", "customers", "transactions"} {
		r := readReport(t, filepath.Join(d.dir, entity+".report.json"))
		if r.Counts.Created+r.Counts.Updated != 0 || !r.Counts.Balanced() {
			t.Errorf("re-run of %s: %+v", entity, r.Counts)
		}
	}
	checkTarget(t, sb, d)
}

func TestDryRunOnlyReads(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 2})
	d := generate(t, t.TempDir(), smallData)
	res := runImport(t, sb, d.dir, "partners", d.partnersFile, "--dry-run", "--report", "dry.json")
	if res.code != 3 || !strings.Contains(res.stdout, "would be created") {
		t.Fatalf("dry run: %s", res)
	}
	if w := writes(sb.stats()); w != 0 {
		t.Errorf("dry run made %d writes", w)
	}
	r := readReport(t, filepath.Join(d.dir, "dry.json"))
	if r.Counts.Created != int64(len(d.wantPartners)) {
		t.Errorf("dry run counts %+v", r.Counts)
	}
}

// TestFaultsEndInTheCleanState runs the import against a sandbox that
// answers 5xx, bursts of 429 and commits writes whose answer it then drops.
func TestFaultsEndInTheCleanState(t *testing.T) {
	t.Parallel()
	d := generate(t, t.TempDir(), smallData)
	clean := startSandbox(t, sandbox.Config{Seed: 3})
	importAll(t, clean, d)
	want := readTarget(t, clean)

	sb := startSandbox(t, sandbox.Config{Seed: 3, FaultRate: 0.05, Burst429Rate: 0.01, DropAfterCommitRate: 0.08})
	importAll(t, sb, d, "--max-attempts", "10")
	checkTarget(t, sb, d)
	got := readTarget(t, sb)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("state after faults differs from a clean run:\n got %v\nwant %v", got, want)
	}
	st := sb.stats()
	t.Logf("faults injected: %d, dropped after commit: %d, 429s: %d", st.Faults, st.Dropped, st.RateLimited)
	if st.Dropped == 0 || st.Faults == 0 {
		t.Errorf("the seeded run injected no drops or faults: the test proves nothing")
	}
}

// TestKilledImporterResumes SIGKILLs the importer at random points, runs it
// again until it finishes, and checks that every row landed exactly once.
func TestKilledImporterResumes(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 4, Latency: 2 * time.Millisecond})
	d := generate(t, t.TempDir(), genOptions{Partners: 40, Customers: 120, PerCustomer: 4, NewCustomers: 20, Bad: true})
	rng := rand.New(rand.NewPCG(4, 4))
	for _, step := range []struct{ entity, file string }{
		{"partners", d.partnersFile}, {"customers", d.customersFile}, {"transactions", d.txFile},
	} {
		kills := 0
		for attempt := range 4 {
			delay := time.Duration(80+rng.IntN(500)) * time.Millisecond
			if !killAfter(t, sb, d.dir, delay, step.entity, step.file, "--rate", "50/s", "-q") {
				break
			}
			kills++
			_ = attempt
		}
		res := runImport(t, sb, d.dir, step.entity, step.file, "--report", "final.json")
		if res.code != 3 {
			t.Fatalf("%s after %d kills: %s", step.entity, kills, res)
		}
		r := readReport(t, filepath.Join(d.dir, "final.json"))
		if !r.Counts.Balanced() {
			t.Errorf("%s: counts do not add up: %+v", step.entity, r.Counts)
		}
		t.Logf("%s: killed %d times; final run %+v", step.entity, kills, r.Counts)
		if _, err := os.Stat(pipeline.DefaultJournalPath(step.file, "x")); err == nil {
			t.Errorf("journal left behind")
		}
	}
	checkTarget(t, sb, d)
}

// TestInterruptExits130AndResumes sends SIGINT mid-run: the importer stops,
// flushes its journal, prints its summary and exits 130; the same command
// then finishes the job.
func TestInterruptExits130AndResumes(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 5})
	d := generate(t, t.TempDir(), genOptions{Partners: 10, Customers: 200, PerCustomer: 1})
	runImport(t, sb, d.dir, "partners", d.partnersFile)
	cmd, out, _ := importCmd(t.Context(), sb, d.dir, "customers", d.customersFile, "--rate", "100/s", "-q")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the journal holds some rows: mid-run, whatever the
	// machine's speed.
	journal := filepath.Join(d.dir, ".customers.csv.customers.journal")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(journal); err == nil && fi.Size() > 100 {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	if cmd.ProcessState.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130; stdout %s", err, out)
	}
	if !strings.Contains(out.String(), "Interrupted") {
		t.Errorf("no summary: %s", out)
	}
	if _, err := os.Stat(journal); err != nil {
		t.Fatalf("journal: %v", err)
	}
	res := runImport(t, sb, d.dir, "customers", d.customersFile, "--report", "r.json")
	if res.code != 0 {
		t.Fatalf("resume: %s", res)
	}
	r := readReport(t, filepath.Join(d.dir, "r.json"))
	if r.Counts.Resumed == 0 || !r.Counts.Balanced() {
		t.Errorf("resume counts %+v", r.Counts)
	}
	checkExactlyOnce(t, "customer", readTarget(t, sb).customers, d.wantCustomers)
}

// TestSandboxRestartMidRun stops the sandbox in the middle of an import and
// starts it again from its data file; the run (or its re-run) completes.
func TestSandboxRestartMidRun(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, sandbox.Config{Seed: 6, DataFile: filepath.Join(dir, "sandbox.json")})
	d := generate(t, dir, genOptions{Partners: 20, Customers: 60, PerCustomer: 5, NewCustomers: 10})
	for _, step := range []struct{ entity, file string }{
		{"partners", d.partnersFile}, {"customers", d.customersFile}, {"transactions", d.txFile},
	} {
		cmd, out, errOut := importCmd(t.Context(), sb, d.dir, step.entity, step.file, "--rate", "100/s", "--max-attempts", "8")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(250 * time.Millisecond)
		sb.stop()
		time.Sleep(300 * time.Millisecond)
		sb.restart()
		_ = cmd.Wait()
		code := cmd.ProcessState.ExitCode()
		if code != 0 {
			t.Logf("%s: first run exit %d (%s %s); running again", step.entity, code, out, errOut)
			if res := runImport(t, sb, d.dir, step.entity, step.file); res.code != 0 {
				t.Fatalf("%s re-run: %s", step.entity, res)
			}
		}
	}
	checkTarget(t, sb, d)
}

// TestInterleavedTransactionsStillBatch imports transactions whose customers
// are interleaved (as in an export sorted by date): the engine gathers each
// customer's transactions so they still travel in one request.
func TestInterleavedTransactionsStillBatch(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 8})
	d := generate(t, t.TempDir(), genOptions{Partners: 5, Customers: 60, PerCustomer: 5, NewCustomers: 10, Interleave: true})
	for _, step := range []struct{ entity, file string }{
		{"partners", d.partnersFile}, {"customers", d.customersFile}, {"transactions", d.txFile},
	} {
		if res := runImport(t, sb, d.dir, step.entity, step.file, "--report", step.entity+".json"); res.code != 0 {
			t.Fatalf("%s: %s", step.entity, res)
		}
	}
	checkTarget(t, sb, d)
	r := readReport(t, filepath.Join(d.dir, "transactions.json"))
	if rpr := r.RequestsPerRow; rpr > 0.35 {
		t.Errorf("interleaved transactions: %.3f requests per row, want at most 0.35 (by kind: %v)", rpr, r.Requests.ByKind)
	}
}
