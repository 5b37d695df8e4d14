package e2e

import (
	"context"
	"errors"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/jsontest"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/pipeline/migrate"
)

// platformSample is one platform's sample export (samples/README.md) and
// what a migration of it into an empty program creates.
type platformSample struct {
	platform string
	files    [3]string // partners, customers, transactions; "" = none
	created  map[string]int64
	rejected map[string]int64
}

var platformSamples = []platformSample{
	{"rewardful", [3]string{"affiliates.jsonl", "referrals.jsonl", "commissions.jsonl"},
		map[string]int64{"partners": 35, "customers": 242, "transactions": 896}, map[string]int64{"partners": 5, "customers": 8, "transactions": 19}},
	{"firstpromoter", [3]string{"promoters.jsonl", "referrals.jsonl", "commissions.jsonl"},
		map[string]int64{"partners": 25, "customers": 256, "transactions": 862}, map[string]int64{"partners": 3, "customers": 4, "transactions": 6}},
	{"tapfiliate", [3]string{"affiliates.jsonl", "customers.jsonl", "conversions.jsonl"},
		map[string]int64{"partners": 27, "customers": 247, "transactions": 837}, map[string]int64{"partners": 3, "customers": 3, "transactions": 7}},
	{"partnerstack", [3]string{"partnerships.csv", "customers.jsonl", "transactions.csv"},
		map[string]int64{"partners": 27, "customers": 235, "transactions": 955}, map[string]int64{"partners": 3, "customers": 3, "transactions": 7}},
	{"tolt", [3]string{"partners.jsonl", "customers.csv", "transactions.jsonl"},
		map[string]int64{"partners": 26, "customers": 227, "transactions": 968}, map[string]int64{"partners": 3, "customers": 3, "transactions": 7}},
	{"postaffiliatepro", [3]string{"affiliates.csv", "", "commissions.csv"},
		map[string]int64{"partners": 29, "transactions": 804}, map[string]int64{"partners": 4, "transactions": 5}},
}

// migrateArgs copies the platform's samples into dir (journals and reject
// files go beside the inputs) and returns the migrate arguments.
func migrateArgs(t *testing.T, p platformSample, dir string) []string {
	t.Helper()
	args := []string{"migrate", "--from", p.platform, "--report", "report.json"}
	for i, name := range p.files {
		if name == "" {
			continue
		}
		in, err := os.Open(filepath.Join("..", "samples", p.platform, name))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.Copy(out, in)
		in.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "--"+[]string{"partners", "customers", "transactions"}[i], name)
	}
	return args
}

// migrateProc prepares the binary's migrate against the sandbox.
func migrateProc(ctx context.Context, sb *sandboxProc, dir string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PARTNERO_API_KEY="+testKey, "PARTNERO_BASE_URL="+sb.baseURL())
	return cmd
}

func runMigrate(t *testing.T, sb *sandboxProc, dir string, args ...string) int {
	t.Helper()
	cmd := migrateProc(t.Context(), sb, dir, append(args, "--rate", "2000/s", "-q")...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		if ee.ExitCode() != 3 {
			t.Fatalf("migrate: exit %d\n%s", ee.ExitCode(), out)
		}
		return ee.ExitCode()
	case err != nil:
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	return 0
}

func readMigrationReport(t *testing.T, path string) migrate.MigrationReport {
	return jsontest.ReadFile[migrate.MigrationReport](t, path)
}

// TestMigrationKilledAndResumed migrates each platform's sample twice: once
// cleanly, once killed with SIGKILL at random points and run again until it
// finishes. Both programs must hold the same partners, customers and
// transactions, each exactly once, with the same amounts.
func TestMigrationKilledAndResumed(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(6, 6))
	for _, p := range platformSamples {
		t.Run(p.platform, func(t *testing.T) {
			clean := startSandbox(t, sandbox.Config{Seed: 6})
			cleanDir := t.TempDir()
			if code := runMigrate(t, clean, cleanDir, migrateArgs(t, p, cleanDir)...); code != 3 {
				t.Fatalf("clean run: exit %d, want 3 (the samples hold invalid rows on purpose)", code)
			}
			rep := readMigrationReport(t, filepath.Join(cleanDir, "report.json"))
			for e, n := range p.created {
				if c := rep.ByEntity[e]; c.Created != n || c.Rejected != p.rejected[e] {
					t.Errorf("clean run %s: created %d rejected %d, want %d and %d", e, c.Created, c.Rejected, n, p.rejected[e])
				}
			}
			want := readTarget(t, clean)

			sb := startSandbox(t, sandbox.Config{Seed: 7, Latency: time.Millisecond})
			dir := t.TempDir()
			args := migrateArgs(t, p, dir)
			kills := 0
			for range 3 {
				// At 150 requests/s a sample takes three to four seconds.
				cmd := migrateProc(t.Context(), sb, dir, append(args, "--rate", "150/s", "-q")...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				done := make(chan error, 1)
				go func() { done <- cmd.Wait() }()
				select {
				case <-done:
				case <-time.After(time.Duration(300+rng.IntN(2500)) * time.Millisecond):
					_ = cmd.Process.Signal(syscall.SIGKILL)
					<-done
					kills++
				}
			}
			if code := runMigrate(t, sb, dir, args...); code != 3 {
				t.Fatalf("resumed run: exit %d, want 3", code)
			}
			final := readMigrationReport(t, filepath.Join(dir, "report.json"))
			for e, n := range p.created {
				c := final.ByEntity[e]
				if c.Created+c.Unchanged != n || c.Rejected != p.rejected[e] || c.Updated != 0 || !c.Balanced() {
					t.Errorf("resumed run %s: %+v; want created+unchanged %d, rejected %d", e, c, n, p.rejected[e])
				}
			}
			checkMoneyLanded(t, final, p.created["transactions"])
			got := readTarget(t, sb)
			for _, cmp := range []struct {
				what      string
				got, want map[string]int
			}{{"partner", got.partners, want.partners}, {"customer", got.customers, want.customers}, {"transaction", got.transactions, want.transactions}} {
				checkExactlyOnce(t, cmp.what, cmp.got, slicesOfKeys(cmp.want))
			}
			if !maps.Equal(got.amounts, want.amounts) {
				t.Errorf("transaction amounts differ from the clean run's")
			}
			t.Logf("killed %d times; the resumed run: %d requests", kills, final.Requests)
		})
	}
}

// checkMoneyLanded: the report's money reconciles (per currency, the rows
// read are in the outcome buckets, none unfinished) and counts as landed,
// written by this run or an earlier one (the journal) or already there,
// exactly the transactions the migration must create.
func checkMoneyLanded(t *testing.T, rep migrate.MigrationReport, want int64) {
	t.Helper()
	var landed int64
	for cur, m := range rep.Money {
		if n := m.Written.Rows + m.Unchanged.Rows + m.Skipped.Rows + m.Rejected.Rows; n != m.Read.Rows || m.NotFinished.Rows != 0 {
			t.Errorf("%s: %+v does not reconcile", cur, m)
		}
		landed += m.Written.Rows + m.Unchanged.Rows
	}
	if landed != want {
		t.Errorf("the report's money counts %d transactions landed, want %d", landed, want)
	}
}

func slicesOfKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k, n := range m {
		if n != 1 {
			continue // the clean run's own duplicates fail it below
		}
		keys = append(keys, k)
	}
	return keys
}

// TestMigrationInterrupted sends SIGINT while the transactions stage runs:
// the migration stops, prints the combined summary and exits 130; the
// customers left to their first transaction batch that no batch created yet
// are counted as abandoned, not created. The same command then finishes
// from the journal, each customer and transaction landing exactly once.
// (The customers stage alone is too quick to interrupt: the customers with
// transactions are created inside their transaction batches.)
func TestMigrationInterrupted(t *testing.T) {
	t.Parallel()
	p := platformSamples[0]
	sb := startSandbox(t, sandbox.Config{Seed: 8})
	dir := t.TempDir()
	args := migrateArgs(t, p, dir)
	cmd := migrateProc(t.Context(), sb, dir, append(args, "--rate", "100/s", "-q")...)
	var out strings.Builder
	cmd.Stdout = &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "."+p.files[2]+".transactions.journal")
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if fi, err := os.Stat(journal); err == nil && fi.Size() > 100 {
			break
		}
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	_ = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d, want 130; stdout %s", code, out.String())
	}
	if !strings.Contains(out.String(), "Interrupted migration") {
		t.Errorf("no combined summary:\n%s", out.String())
	}
	rep := readMigrationReport(t, filepath.Join(dir, "report.json"))
	if !rep.Interrupted || len(rep.Stages) != 3 {
		t.Errorf("report: interrupted %v, %d stages; want true and 3", rep.Interrupted, len(rep.Stages))
	}
	held := readTarget(t, sb)
	if c := rep.ByEntity["customers"]; c.Created != int64(len(held.customers)) || c.Abandoned == 0 || !c.Balanced() {
		t.Errorf("interrupted customers: %+v; want created = the %d the program holds, the rest abandoned", c, len(held.customers))
	}
	if code := runMigrate(t, sb, dir, args...); code != 3 {
		t.Fatalf("resumed run: exit %d, want 3", code)
	}
	final := readMigrationReport(t, filepath.Join(dir, "report.json"))
	if c := final.ByEntity["customers"]; c.Created+c.Unchanged != p.created["customers"] || c.Abandoned != 0 {
		t.Errorf("resumed customers: %+v; want %d in all", c, p.created["customers"])
	}
	if c := final.ByEntity["transactions"]; c.Resumed == 0 || c.Created != p.created["transactions"] {
		t.Errorf("transactions: %+v, want some resumed from the journal, %d created in all", c, p.created["transactions"])
	}
	checkMoneyLanded(t, final, p.created["transactions"])
	got := readTarget(t, sb)
	if int64(len(got.customers)) != p.created["customers"] || int64(len(got.transactions)) != p.created["transactions"] {
		t.Errorf("program holds %d customers and %d transactions, want %d and %d", len(got.customers), len(got.transactions), p.created["customers"], p.created["transactions"])
	}
	if _, err := os.Stat(journal); err == nil {
		t.Error("the transactions journal is left behind after the migration finished")
	}
}
