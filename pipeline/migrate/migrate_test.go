package migrate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// newClient starts a sandbox on loopback and returns a client of its key
// (the rate is a ceiling far above what a test sends).
func newClient(t *testing.T) *partnero.Client {
	t.Helper()
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{"good-key"}})
	rate, err := partnero.ParseRate("1000/s")
	if err != nil {
		t.Fatal(err)
	}
	c := env.Client(t, partnero.WithRate(rate), partnero.WithTransactionCreateRetries(false))
	return c
}

// TestRun: a migration runs as a library call, without a terminal: the
// stages in order, joined by the old platform's ids (a partner's rejection
// reaches its customer and that customer's transaction as
// parent_rejected), and one combined report.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	files := map[record.Entity]string{}
	for e, text := range map[record.Entity]string{
		record.Partners:     "email,key,source_id\nann@x.io,ann,p1\nnot an email,bob,p2\n",
		record.Customers:    "key,email,partner.source_id,source_id\nc1,c1@x.io,p1,s1\nc2,c2@x.io,p2,s2\n",
		record.Transactions: "key,amount,currency,customer.source_id\nt1,10.00,USD,s1\nt2,5.00,USD,s2\n",
	} {
		files[e] = filepath.Join(dir, string(e)+".csv")
		if err := os.WriteFile(files[e], []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	job, err := NewJob(Options{}, "", files, nil)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	progress := Progress{
		Started: func(st *Stage) { order = append(order, "start "+string(st.Entity)) },
		Done:    func(st *Stage, rep *pipeline.Report) { order = append(order, "done "+string(rep.Entity)) },
	}
	rep, err := Run(t.Context(), newClient(t), job, progress)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := strings.Join(order, ", "); got != "start partners, done partners, start customers, done customers, start transactions, done transactions" {
		t.Errorf("progress %s", got)
	}
	for _, e := range []string{"partners", "customers", "transactions"} {
		if c := rep.ByEntity[e]; c.Read != 2 || c.Created != 1 || c.Rejected != 1 {
			t.Errorf("%s: %+v, want 2 read, 1 created, 1 rejected", e, c)
		}
	}
	if rep.Total.ByCode[record.CodeParentRejected] != 2 || rep.Total.ByCode[record.CodeInvalidEmail] != 1 || !rep.Total.Balanced() {
		t.Errorf("total %+v", rep.Total)
	}
	if rep.CustomerJoins["source_id"] != 1 || rep.Requests == 0 || rep.Error != "" {
		t.Errorf("joins %v, requests %d, error %q", rep.CustomerJoins, rep.Requests, rep.Error)
	}
}

// TestNewJobRefusals: what is wrong with the job is a usage error before
// anything is read or sent.
func TestNewJobRefusals(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "p.csv")
	if err := os.WriteFile(in, []byte("email\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		opts  Options
		files map[record.Entity]string
		want  string
	}{
		{Options{Workers: -1}, map[record.Entity]string{record.Partners: in}, "must not be negative"},
		{Options{}, nil, "migrate needs at least one of"},
		{Options{From: "nowhere"}, map[record.Entity]string{record.Partners: in}, "nowhere"},
		{Options{Report: in}, map[record.Entity]string{record.Partners: in}, "is the input file itself"},
	} {
		_, err := NewJob(tc.opts, "", tc.files, nil)
		if !errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v %v: %v, want a usage error saying %q", tc.opts, tc.files, err, tc.want)
		}
	}
}
