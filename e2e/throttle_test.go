package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// Throttling and outages are unfinished work, never a row's fault: these
// tests run the real binary into a 429 storm and through an outage of the
// sandbox and require every row to land exactly once with none rejected.

// TestThrottleStormRejectsNothing imports with 32 workers and no budget
// (--rate none) into a sandbox that allows 5 requests a second: most
// requests draw a 429. Before, the 429s counted against --max-attempts and
// rows were rejected as api_error (exit 3).
func TestThrottleStormRejectsNothing(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{Seed: 11, RateLimit: 5, RateWindow: time.Second})
	d := generate(t, t.TempDir(), genOptions{Partners: 50})
	res := runImport(t, sb, d.dir, "partners", d.partnersFile, "--workers", "32", "--rate", "none", "--report", "r.json")
	if res.code != 0 {
		t.Fatalf("storm: %s", res)
	}
	r := readReport(t, filepath.Join(d.dir, "r.json"))
	if r.Counts.Rejected != 0 || r.Counts.Created != int64(len(d.wantPartners)) {
		t.Errorf("counts %+v", r.Counts)
	}
	st := sb.stats()
	t.Logf("429s: %d of %d requests; report %+v", st.RateLimited, st.Total, r.Requests)
	if st.RateLimited == 0 {
		t.Errorf("no 429 at all: the storm did not happen, the test proves nothing")
	}
	checkExactlyOnce(t, "partner", readTarget(t, sb).partners, d.wantPartners)
}

// TestOutageIsWaitedOut stops the sandbox in the middle of an import for a
// minute and starts it again: the importer waits, and the run finishes with
// every row landed once and none rejected. With -short the outage is 8 s
// and --max-attempts 3 (an outage must not count against attempts).
func TestOutageIsWaitedOut(t *testing.T) {
	outage := 60 * time.Second
	extra := []string{}
	if testing.Short() {
		outage = 8 * time.Second
		extra = append(extra, "--max-attempts", "3")
	}
	dir := t.TempDir()
	sb := startSandbox(t, sandbox.Config{Seed: 12, DataFile: filepath.Join(dir, "sandbox.json")})
	d := generate(t, dir, genOptions{Partners: 10, Customers: 300})
	if res := runImport(t, sb, d.dir, "partners", d.partnersFile); res.code != 0 {
		t.Fatalf("partners: %s", res)
	}
	cmd, out, errOut := importCmd(t.Context(), sb, d.dir, append([]string{"customers", d.customersFile, "--rate", "50/s", "--report", "r.json", "-q"}, extra...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waitForJournal(t, filepath.Join(d.dir, ".customers.csv.customers.journal"))
	sb.stop()
	time.Sleep(outage)
	sb.restart()
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("exit %d after a %v outage\nstdout %s\nstderr %s", code, outage, out, errOut)
	}
	r := readReport(t, filepath.Join(d.dir, "r.json"))
	if r.Counts.Rejected != 0 || !r.Counts.Balanced() {
		t.Errorf("counts %+v", r.Counts)
	}
	checkExactlyOnce(t, "customer", readTarget(t, sb).customers, d.wantCustomers)
}

// TestGiveUpExits1AndResumes: an outage longer than --max-wait ends the run
// with exit 1 and the journal kept; the same command, run again once the
// API is back, finishes the job.
func TestGiveUpExits1AndResumes(t *testing.T) {
	dir := t.TempDir()
	sb := startSandbox(t, sandbox.Config{Seed: 13, DataFile: filepath.Join(dir, "sandbox.json")})
	d := generate(t, dir, genOptions{Partners: 10, Customers: 300})
	if res := runImport(t, sb, d.dir, "partners", d.partnersFile); res.code != 0 {
		t.Fatalf("partners: %s", res)
	}
	args := []string{"customers", d.customersFile, "--rate", "50/s", "--max-wait", "2s", "--report", "r.json"}
	cmd, out, errOut := importCmd(t.Context(), sb, d.dir, append(args, "-q")...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(d.dir, ".customers.csv.customers.journal")
	waitForJournal(t, journal)
	sb.stop()
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 1 {
		t.Fatalf("exit %d, want 1 after --max-wait\nstdout %s\nstderr %s", code, out, errOut)
	}
	if !strings.Contains(errOut.String()+out.String(), "run the same command again") {
		t.Errorf("the message does not say how to resume:\nstdout %s\nstderr %s", out, errOut)
	}
	if _, err := os.Stat(journal); err != nil {
		t.Fatalf("journal: %v", err)
	}
	r := readReport(t, filepath.Join(d.dir, "r.json"))
	if r.Counts.Rejected != 0 {
		t.Errorf("rows rejected by the outage: %+v", r.Counts)
	}
	sb.restart()
	res := runImport(t, sb, d.dir, args...)
	if res.code != 0 {
		t.Fatalf("resume: %s", res)
	}
	r = readReport(t, filepath.Join(d.dir, "r.json"))
	if r.Counts.Rejected != 0 || r.Counts.Resumed == 0 || !r.Counts.Balanced() {
		t.Errorf("resume counts %+v", r.Counts)
	}
	checkExactlyOnce(t, "customer", readTarget(t, sb).customers, d.wantCustomers)
}

// waitForJournal waits until the importer has journaled some rows: mid-run,
// whatever the machine's speed.
func waitForJournal(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if fi, err := os.Stat(path); err == nil && fi.Size() > 100 {
			return
		}
	}
	t.Fatalf("no journal at %s after 30 s", path)
}
