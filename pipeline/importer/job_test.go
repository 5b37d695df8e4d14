package importer

import (
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// TestJobYAML: a job reads from YAML under a migration plan's names (file,
// preset, mapping, format) and the command's flags with _ for -; a key it
// does not know is an error, not a silently ignored option.
func TestJobYAML(t *testing.T) {
	t.Parallel()
	const text = `
entity: transactions
file: sales.csv
format: csv
delimiter: ";"
preset: rewardful
rejects: out/sales.rejects.csv
journal: .sales.journal
report: run.json
dry_run: true
workers: 4
max_rejects: 10
replace_transactions: true
no_batch: true
restart: true
max_attempts: 3
create_customers: true
`
	want := Job{
		Entity: "transactions", Input: "sales.csv", Format: "csv", Delimiter: ";", Preset: "rewardful",
		Rejects: "out/sales.rejects.csv", Journal: ".sales.journal", Report: "run.json",
		DryRun: true, Workers: 4, MaxRejects: 10, ReplaceTransactions: true, NoBatch: true, Restart: true,
		MaxAttempts: 3, CreateCustomers: true,
	}
	var got Job
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %+v\nwant    %+v", got, want)
	}

	dec = yaml.NewDecoder(strings.NewReader("entity: partners\nfile: p.csv\nhooks: {}\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&got); err == nil {
		t.Error("a job with a hooks key decoded")
	}
}
