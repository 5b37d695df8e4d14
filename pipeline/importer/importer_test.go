package importer

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// newClient starts a sandbox on loopback and returns a client of its key
// (the rate is a ceiling far above what a test sends).
func newClient(t *testing.T) (*partnero.Client, *sandbox.Server) {
	t.Helper()
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{"good-key"}})
	rate, err := partnero.ParseRate("1000/s")
	if err != nil {
		t.Fatal(err)
	}
	c := env.Client(t, partnero.WithRate(rate), partnero.WithTransactionCreateRetries(false))
	return c, env.Server
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRunReport: Run imports a file into the sandbox without a terminal and
// returns the report it writes to Job.Report: the outcomes by code, the
// reject file, the requests; the journal is gone after a finished run, and
// a second run finds everything unchanged.
func TestRunReport(t *testing.T) {
	t.Parallel()
	client, _ := newClient(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "partners.csv")
	writeFile(t, input, "id,email,name\np1,a@x.io,Ann\np2,b@x.io,Bob\np3,nope,Bad\n")
	reportPath := filepath.Join(dir, "run.json")
	job := &Job{Entity: "partners", Input: input, Report: reportPath}

	var started, stopped atomic.Int32
	progress := func(entity record.Entity, status func() Status) func() {
		started.Add(1)
		if entity != record.Partners {
			t.Errorf("progress of %q", entity)
		}
		if s := status(); s.Total != 3 {
			t.Errorf("progress total %d, want the 3 rows of the input", s.Total)
		}
		return func() { stopped.Add(1) }
	}
	rep, err := Run(t.Context(), client, job, progress)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if started.Load() != 1 || stopped.Load() != 1 {
		t.Errorf("progress started %d times, stopped %d times; want once each", started.Load(), stopped.Load())
	}
	c := rep.Counts
	if c.Read != 3 || c.Created != 2 || c.Rejected != 1 || c.ByCode[record.CodeInvalidEmail] != 1 || !c.Balanced() {
		t.Errorf("counts %+v, want 3 read, 2 created, 1 rejected as invalid_email", c)
	}
	if rep.Entity != record.Partners || rep.Input != input || rep.Requests.Total == 0 || rep.Workers < minWorkers {
		t.Errorf("report %+v", rep)
	}
	if want := filepath.Join(dir, "partners.rejects.csv"); rep.RejectsFile != want {
		t.Errorf("reject file %q, want %q", rep.RejectsFile, want)
	}
	if rep.JournalFile != "" {
		t.Errorf("a finished run names its journal %q", rep.JournalFile)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*.journal")); len(m) != 0 {
		t.Errorf("journals left after a finished run: %v", m)
	}
	var onDisk pipeline.Report
	b, err := os.ReadFile(reportPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatalf("report file: %v", err)
	}
	if onDisk.Counts.Created != 2 || onDisk.Counts.Rejected != 1 {
		t.Errorf("report file counts %+v", onDisk.Counts)
	}

	job.Report = ""
	rep, err = Run(t.Context(), client, job, nil)
	if err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if c := rep.Counts; c.Unchanged != 2 || c.Created != 0 || c.Rejected != 1 {
		t.Errorf("second run counts %+v, want 2 unchanged, 1 rejected", c)
	}
}

// TestRunHooks: a migration's hooks see the rows: Map may reject a record,
// Reject sees it, Written sees the others.
func TestRunHooks(t *testing.T) {
	t.Parallel()
	client, _ := newClient(t)
	input := filepath.Join(t.TempDir(), "partners.csv")
	writeFile(t, input, "id,email,name\np1,a@x.io,Ann\np2,b@x.io,Bob\n")
	var rejected, written atomic.Int32
	job := &Job{Entity: "partners", Input: input, DryRun: true, Hooks: Hooks{
		Map: func(rec *record.Record) *record.RowError {
			if rec.Partner != nil && rec.Partner.Email == "b@x.io" {
				return &record.RowError{Origin: rec.Origin, Code: record.CodeParentRejected, Message: "held back"}
			}
			return nil
		},
		Reject:  func(*record.Row, string, *record.RowError) { rejected.Add(1) },
		Written: func(record.Record, record.Outcome) { written.Add(1) },
	}}
	rep, err := Run(t.Context(), client, job, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if rep.Counts.Rejected != 1 || rep.Counts.ByCode[record.CodeParentRejected] != 1 || rejected.Load() != 1 || written.Load() != 1 {
		t.Errorf("counts %+v, hooks saw %d rejected, %d written; want 1 and 1", rep.Counts, rejected.Load(), written.Load())
	}
}

// TestRunEndings: the kinds of error Run ends with, which a command maps to
// its exit codes.
func TestRunEndings(t *testing.T) {
	t.Parallel()
	client, _ := newClient(t)
	dir := t.TempDir()
	input := filepath.Join(dir, "bad.csv")
	writeFile(t, input, "id,email,name\np1,nope1,A\np2,nope2,B\np3,nope3,C\n")

	_, err := Run(t.Context(), client, &Job{Entity: "partners", Input: input, MaxRejects: 1, Workers: 1, DryRun: true}, nil)
	if !errors.Is(err, pipeline.ErrFailed) || !strings.Contains(err.Error(), "stopped after") {
		t.Errorf("too many rejects: %v, want a failed run that says it stopped", err)
	}

	good := filepath.Join(dir, "good.csv")
	writeFile(t, good, "id,email,name\np1,a@x.io,A\np2,b@x.io,B\np3,c@x.io,C\n")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	job := &Job{Entity: "partners", Input: good, Workers: 1, Hooks: Hooks{
		// Stopped while it runs, as by Ctrl-C.
		Map: func(*record.Record) *record.RowError { cancel(); return nil },
	}}
	rep, err := Run(ctx, client, job, nil)
	if !errors.Is(err, pipeline.ErrInterrupted) || rep == nil || !rep.Interrupted {
		t.Fatalf("cancelled: %v (report %+v), want an interruption with its report", err, rep)
	}
	if rep.JournalFile == "" {
		t.Error("an interrupted run does not name the journal it keeps")
	} else if _, err := os.Stat(rep.JournalFile); err != nil {
		t.Errorf("journal: %v", err)
	}
}

// TestCheck: a job that cannot run is a usage error found before any
// request (the client here has no server).
func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	input := filepath.Join(dir, "a.csv")
	writeFile(t, input, "id,email\np1,a@x.io\n")
	jsonl := filepath.Join(dir, "a.jsonl")
	writeFile(t, jsonl, "{}\n")
	mappingFile := filepath.Join(dir, "m.yaml")
	writeFile(t, mappingFile, "version: 1\npartners:\n  fields:\n    email: nosuch_transform(email)\n")
	tests := []struct {
		name string
		job  Job
		want string
	}{
		{"entity", Job{Entity: "rewards", Input: input}, `unknown entity "rewards"`},
		{"negative", Job{Entity: "partners", Input: input, Workers: -1}, "must not be negative"},
		{"workers", Job{Entity: "partners", Input: input, Workers: MaxWorkersOption + 1}, "at most 256"},
		{"delimiter", Job{Entity: "partners", Input: input, Delimiter: "ab"}, "one character"},
		{"delimiter of jsonl", Job{Entity: "partners", Input: jsonl, Delimiter: ";"}, "CSV input only"},
		{"report over input", Job{Entity: "partners", Input: input, Report: input}, "is the input file itself"},
		{"mapping and preset", Job{Entity: "partners", Input: input, Mapping: mappingFile, Preset: "rewardful"}, "name one"},
		{"preset", Job{Entity: "partners", Input: input, Preset: "nosuch"}, "nosuch"},
	}
	client, err := partnero.NewClient(partnero.WithBaseURL("http://127.0.0.1:1/v1/"), partnero.WithAPIKey("k"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.job.Check()
			if !errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Check: %v, want a usage error saying %q", err, tt.want)
			}
			if rep, err := Run(t.Context(), client, &tt.job, nil); rep != nil || err.Error() != tt.job.Check().Error() {
				t.Errorf("Run: %v, %v; want Check's error and no report", rep, err)
			}
		})
	}
	if err := (&Job{Entity: "partners", Input: input, Preset: "rewardful"}).Check(); err != nil {
		t.Errorf("a preset job: %v", err)
	}
}

// TestMoneyReader: the money of a transaction row that did not become a
// record is read with the money rules alone, in its currency; without
// rules it is counted unreadable.
func TestMoneyReader(t *testing.T) {
	t.Parallel()
	rules, err := mapping.Parse("money", []byte("version: 1\ntransactions:\n  fields:\n    amount: sale\n    currency: cur\n    customer.key:\n      value: \"identity\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	row := record.Row{Header: record.NewHeader([]string{"sale", "cur", "email"}), Text: []string{"12.50", "eur", "not an email"}}
	var tally pipeline.MoneyTally
	newMoneyReader(rules).add(&tally, pipeline.MoneyRejected, &row)
	newMoneyReader(nil).add(&tally, pipeline.MoneyRejected, &row)
	got := tally.Snapshot()
	if got["EUR"] == nil || got["EUR"].Rejected.Amount != "12.50" {
		t.Errorf("money %+v, want 12.50 EUR rejected", got)
	}
	if got[pipeline.MoneyUnreadable] == nil || got[pipeline.MoneyUnreadable].Rejected.Rows != 1 {
		t.Errorf("money %+v, want one unreadable row", got)
	}
}
