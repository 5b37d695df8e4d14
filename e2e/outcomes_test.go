package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

// lossyVerify wraps the sandbox: while on, every transaction create is
// committed and its connection dropped before the answer, and every listing
// of a customer's transactions (the verification) fails with a 502.
type lossyVerify struct {
	h  http.Handler
	on atomic.Bool
}

func (l *lossyVerify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if l.on.Load() {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/transactions":
			l.h.ServeHTTP(httptest.NewRecorder(), r) // committed
			if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
				conn.Close()
				return
			}
			panic(http.ErrAbortHandler)
		case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/customers/") && strings.HasSuffix(r.URL.Path, "/transactions"):
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<html><body>502 Bad Gateway</body></html>")
			return
		}
	}
	l.h.ServeHTTP(w, r)
}

// A transaction write whose answer is lost, and whose verification fails
// too, is unfinished: the run stops with exit 1 keeping the journal, no row
// is rejected (the rows landed: a rejected row fed again by any other route
// would pay twice), and the same command resumes and reconciles.
func TestUnverifiedWritesStopAndResume(t *testing.T) {
	t.Parallel()
	lossy := &lossyVerify{}
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{testKey}, Seed: 3},
		sandboxtest.Wrap(func(h http.Handler) http.Handler { lossy.h = h; return lossy }))
	proc := envProc(t, env)

	c := env.Client(t, api.WithRate(api.Rate{PerSecond: 10000}))
	if _, err := c.Partners.Create(t.Context(), &api.Partner{ID: "p1", Email: "p1@example.com", Name: "P"}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var rows strings.Builder
	rows.WriteString("key,amount,currency,action,customer.key,customer.partner.id\n")
	var want []string
	for i := range 9 {
		key := fmt.Sprintf("tx%02d", i)
		fmt.Fprintf(&rows, "%s,%d.50,USD,sale,c%d,p1\n", key, 10+i, i/3)
		want = append(want, key)
	}
	input := filepath.Join(dir, "sales.csv")
	if err := os.WriteFile(input, []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "report.json")

	lossy.on.Store(true)
	// The listings fail for as long as the run waits: --max-wait bounds
	// how long an outage is waited out before the run stops unfinished.
	res := runImport(t, proc, dir, "transactions", input, "--report", report, "--max-attempts", "2", "--workers", "1", "--max-wait", "3s")
	if res.code != 1 {
		t.Fatalf("first run: want exit 1 (unfinished), got %s", res)
	}
	if !strings.Contains(res.stderr, "run the same command again") {
		t.Errorf("first run: stderr should say how to resume:\n%s", res.stderr)
	}
	r := readReport(t, report)
	if r.Counts.Rejected != 0 || r.Counts.Abandoned == 0 || !r.Counts.Balanced() {
		t.Errorf("first run: counts %+v, want none rejected, some abandoned", r.Counts)
	}
	if r.JournalFile == "" {
		t.Error("first run: the report names no journal")
	} else if _, err := os.Stat(filepath.Join(dir, r.JournalFile)); err != nil {
		if _, err2 := os.Stat(r.JournalFile); err2 != nil {
			t.Errorf("first run: journal not kept: %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sales.rejects.csv")); err == nil {
		t.Error("first run: a reject file was written")
	}

	lossy.on.Store(false)
	res = runImport(t, proc, dir, "transactions", input, "--report", report)
	if res.code != 0 {
		t.Fatalf("resume: want exit 0, got %s", res)
	}
	tg := readTarget(t, proc)
	checkExactlyOnce(t, "transaction", tg.transactions, want)
}
