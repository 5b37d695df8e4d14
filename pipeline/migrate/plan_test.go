package migrate

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/pipeline"
)

func TestParsePlan(t *testing.T) {
	opts := &Options{Workers: 3}
	changed := func(name string) bool { return name == "workers" }
	plan := "from: tolt\npartners:\n  file: p.jsonl\ntransactions:\n  file: /abs/t.csv\n  mapping: m.yaml\n  format: csv\n" +
		"options:\n  dry_run: true\n  workers: 9\n  max_rejects: 5\n  rejects_dir: rej\n  no_batch: true\n"
	got, err := ParsePlan(filepath.Join("dir", "plan.yaml"), []byte(plan), opts, changed)
	if err != nil {
		t.Fatal(err)
	}
	if opts.From != "tolt" || !opts.DryRun || opts.MaxRejects != 5 || !opts.NoBatch || opts.RejectsDir != filepath.Join("dir", "rej") {
		t.Errorf("options %+v", opts)
	}
	if opts.Workers != 3 {
		t.Errorf("workers %d: the flag given on the command line must win over the plan", opts.Workers)
	}
	if p := got["partners"]; p == nil || p.File != filepath.Join("dir", "p.jsonl") {
		t.Errorf("partners %+v: paths are relative to the plan", p)
	}
	if tx := got["transactions"]; tx == nil || tx.File != "/abs/t.csv" || tx.Mapping != filepath.Join("dir", "m.yaml") || tx.Format != "csv" {
		t.Errorf("transactions %+v", tx)
	}
	if _, ok := got["customers"]; ok {
		t.Error("customers appeared from nowhere")
	}
}

// FuzzParsePlan: any plan text is parsed or refused with a usage error,
// never a panic.
func FuzzParsePlan(f *testing.F) {
	f.Add([]byte("from: rewardful\npartners:\n  file: a.csv\n"))
	f.Add([]byte("partners: [1, 2]\n"))
	f.Add([]byte("options:\n  workers: many\n"))
	f.Add([]byte("transactions:\n  file: t.csv\n  preset: x\n  mapping: y\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("options: 5\nextra: 1\ncustomers:\n  colour: red\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParsePlan("plan.yaml", data, &Options{}, nil)
		if err != nil {
			if !errors.Is(err, pipeline.ErrUsage) {
				t.Fatalf("error %v is not a usage error", err)
			}
			return
		}
		for e, pe := range got {
			if pe.File == "" || (pe.Preset != "" && pe.Mapping != "") {
				t.Fatalf("%s: accepted %+v", e, pe)
			}
		}
	})
}

// TestPlanErrors: a plan file's mistakes are named by file, line, section
// and field, in the YAML's words, never by the Go types it is decoded into.
func TestPlanErrors(t *testing.T) {
	tests := []struct{ plan, want string }{
		{"options:\n  max_rejects: lots\n", `plan.yaml:2: options: max_rejects: want a whole number, not "lots"`},
		{"options:\n  dry_run: maybe\n", `plan.yaml:2: options: dry_run: want true or false, not "maybe"`},
		{"options:\n  workers:\n    - 1\n", `plan.yaml:3: options: workers: want a whole number, not a list`},
		{"options:\n  bogus: 1\n", "plan.yaml:2: options: unknown field bogus (want dry_run, rejects_dir, report, max_rejects, workers, replace_transactions, no_batch or restart)"},
		{"options: 5\n", "plan.yaml:1: options: want a section of options, not 5"},
		{"partners:\n  file: a.csv\n  colour: red\n", "plan.yaml:3: partners: unknown field colour (want file, preset, mapping or format)"},
		{"customers: [1, 2]\n", "plan.yaml:1: customers: want a section with a file, not a list"},
		{"from: tolt\nextra: 2\n", "plan.yaml:2: unknown field extra (want from, partners, customers, transactions or options)"},
		{"from: tolt\npartners:\n  file: a.csv\n options: x\n", "plan.yaml:4: did not find expected key"},
		{"options:\n  max_rejects: x\n  no_batch: perhaps\n", "plan.yaml:2: options: max_rejects: want a whole number, not \"x\"\nplan.yaml:3: options: no_batch: want true or false, not \"perhaps\""},
	}
	for _, tt := range tests {
		_, err := ParsePlan("plan.yaml", []byte(tt.plan), &Options{}, nil)
		if !errors.Is(err, pipeline.ErrUsage) {
			t.Fatalf("%q: %v, want a usage error", tt.plan, err)
		}
		if err.Error() != tt.want {
			t.Errorf("%q:\n got %q\nwant %q", tt.plan, err, tt.want)
		}
		if strings.Contains(err.Error(), "migrate.") {
			t.Errorf("%q: a Go type name in %q", tt.plan, err)
		}
	}
}

// TestPlanSyntaxErrorLine: a syntax error in a plan file names its own line,
// not the line where the block around it starts.
func TestPlanSyntaxErrorLine(t *testing.T) {
	plan := "from: rewardful\npartners:\n  file: affiliates.csv\ncustomers:\n  file: referrals.csv\n" +
		"transactions:\n  file: commissions.csv\n preset: rewardful\n"
	_, err := ParsePlan("plan.yaml", []byte(plan), &Options{}, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "plan.yaml:8: ") {
		t.Errorf("err = %v, want it at plan.yaml:8", err)
	}
}
