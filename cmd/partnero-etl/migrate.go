package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/migrate"
	"github.com/partnero-etl/partnero-etl/record"
)

// migrateOptions are the flags of `partnero-etl migrate`.
type migrateOptions struct {
	migrate.Options
	Partners     string
	Customers    string
	Transactions string
	Plan         string

	g  *globalOptions
	io *ioStreams
	// httpClient, when set, replaces the default transport (tests).
	httpClient *http.Client
	// changed reports whether a flag was given on the command line (plan
	// options yield to flags); nil means none was.
	changed func(name string) bool
}

const migrateLong = `Move a program from another affiliate platform into Partnero: partners,
then customers, then transactions, each file mapped by the platform's preset
(see 'partnero-etl presets') or by a mapping file of your own.

The platform's own ids join the files: a customer names its partner by the
old platform's partner id, and a transaction its customer by the old
platform's customer id (the preset's source_id fields), else by key, else by
email. The partners file is read whole first; each customer then gets its
partner's Partnero identity, and each transaction the customer of the
customers file. A row whose parent was rejected is rejected too, as
parent_rejected, naming the parent's line and reason, whatever the parent's
code; a customer whose partner is neither in the partners file nor named by
email or key is rejected as unknown_partner; with a customers file, a
transaction whose customer is neither in it nor in Partnero is rejected as
unknown_customer, never created under another key. Customers are created
from transactions only for a platform without a customer export (its
preset says create_customers: true). A new customer of the customers file
that has transactions is created inside its first transaction batch, with
the file's own fields: a request saved per customer.

Each stage is an import (see 'partnero-etl import --help'): the same pacing,
journal, reject files and outcomes. Re-running the same command after a
crash or Ctrl-C continues where it stopped: finished stages are reconciled
against the program and write nothing, the interrupted one resumes from
its journal. Reject files are written beside each input (or in
--rejects-dir), with the input's own columns plus _line, _key, _error_code
and _error_message: fix them and feed them back with 'partnero-etl import'.

--dry-run makes only read requests and validates the whole plan against the
program: what would be created, updated or left unchanged, and every row
that would be rejected, including customers whose partner exists neither in
the input nor in Partnero.

A plan file (--plan) names the inputs and options in one place; paths are
relative to the plan file, and flags given on the command line win:

  from: rewardful               # the preset of every entity (optional)
  partners:
    file: affiliates.jsonl
  customers:
    file: referrals.jsonl
    preset: rewardful           # per entity: a preset ...
  transactions:
    file: commissions.csv
    mapping: commissions.yaml   # ... or a mapping file of your own
    format: csv                 # optional: csv, jsonl or parquet
  options:                      # all optional
    dry_run: false
    rejects_dir: rejects
    report: migration.json
    max_rejects: 0
    workers: 0
    replace_transactions: false
    no_batch: false

Exit status: 0 every row landed, 3 the migration finished but some rows were
rejected (see the reject files), 4 the API refused the key, 1 another failure
(including a stage stopped by --max-rejects: run it again to resume), 130
interrupted.`

func newMigrateCmd(g *globalOptions) *cobra.Command {
	opts := &migrateOptions{g: g, io: g.io}
	cmd := &cobra.Command{
		Use:   "migrate --from PLATFORM [--partners FILE] [--customers FILE] [--transactions FILE] | --plan FILE",
		Short: "Migrate partners, customers and transactions from another platform",
		Long:  migrateLong,
		Example: `  partnero-etl migrate --from rewardful --partners affiliates.jsonl \
    --customers referrals.jsonl --transactions commissions.jsonl --dry-run
  partnero-etl migrate --from rewardful --partners affiliates.jsonl \
    --customers referrals.jsonl --transactions commissions.jsonl --report migration.json
  partnero-etl migrate --plan plan.yaml`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("migrate takes no arguments: name the files with --partners, --customers and --transactions, or --plan")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.changed = func(name string) bool { return cmd.Flags().Changed(name) }
			return runMigrate(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.From, "from", "", "the platform migrated from, a preset name: "+presetList())
	f.StringVar(&opts.Partners, "partners", "", "the partners (affiliates) export")
	f.StringVar(&opts.Customers, "customers", "", "the customers (referrals) export")
	f.StringVar(&opts.Transactions, "transactions", "", "the transactions (sales, commissions) export")
	f.StringVar(&opts.Plan, "plan", "", "a plan file (YAML) naming the files, presets or mapping files, and options")
	f.BoolVar(&opts.DryRun, "dry-run", false, "make only read requests; validate the whole plan against the program")
	f.StringVar(&opts.Report, "report", "", "write the combined report as JSON to this file")
	f.StringVar(&opts.RejectsDir, "rejects-dir", "", "write the reject files to this folder (default: beside each input)")
	f.Int64Var(&opts.MaxRejects, "max-rejects", 0, "stop the migration (exit 1; run again to resume) once more than N rows of a stage were rejected (0: no limit)")
	f.IntVar(&opts.Workers, "workers", 0, "concurrent writers (default: what the rate limit and the API's latency need)")
	f.BoolVar(&opts.Restart, "restart", false, "ignore the journals of an earlier run (the program is still reconciled)")
	f.BoolVar(&opts.Replace, "replace-transactions", false, "replace a transaction whose key exists with other values instead of rejecting it")
	f.BoolVar(&opts.NoBatch, "no-batch", false, "write transactions one request each instead of one request per customer")
	f.IntVar(&opts.MaxAttempts, "max-attempts", 0, "attempts per request before a row fails (default: the client's)")
	return cmd
}

func presetList() string {
	var names []string
	for _, p := range mapping.Presets() {
		names = append(names, p.Name)
	}
	return strings.Join(names, ", ")
}

func runMigrate(ctx context.Context, opts *migrateOptions) error {
	files := map[record.Entity]string{record.Partners: opts.Partners, record.Customers: opts.Customers, record.Transactions: opts.Transactions}
	job, err := migrate.NewJob(opts.Options, opts.Plan, files, opts.changed)
	if err != nil {
		return err
	}
	if _, err := opts.g.apiKey(); err != nil {
		return err
	}
	if err := job.Prepare(); err != nil {
		return err
	}
	// One client for every stage: one rate budget, learned once, and one
	// check of the key.
	client, err := newImportClient(ctx, opts.g, opts.httpClient, job.MaxAttempts)
	if err != nil {
		return err
	}
	if job.Program, err = checkProgram(ctx, client); err != nil {
		return err
	}
	job.Stdin, job.Log = opts.io.In, opts.g.logger()
	rep, runErr := migrate.Run(ctx, client, job, migrateProgress(ctx, opts))
	return migrateEnd(ctx, opts.io.Out, job.Report, rep, runErr)
}

// migrateProgress is each stage's import progress line, and, unless
// --quiet, a line before each stage and two after it.
func migrateProgress(ctx context.Context, opts *migrateOptions) migrate.Progress {
	imp := importProgress(ctx, opts.g, opts.io)
	if opts.g.Quiet {
		return migrate.Progress{Import: imp}
	}
	w := opts.io.ErrOut
	return migrate.Progress{
		Import: imp,
		Started: func(st *migrate.Stage) {
			fmt.Fprintf(w, "%s: %s (%s)\n", st.Entity, st.File, orDefault(st.SpecName, "canonical columns"))
		},
		Done: func(_ *migrate.Stage, rep *pipeline.Report) { writeStageLine(w, rep) },
	}
}

// migrateEnd prints the summary, writes the report file and says how the
// migration ended.
func migrateEnd(ctx context.Context, out io.Writer, reportPath string, rep *migrate.MigrationReport, runErr error) error {
	if rep == nil {
		return runErr
	}
	if len(rep.Stages) > 0 {
		if err := rep.WriteSummary(out); err != nil {
			return err
		}
	}
	if reportPath != "" {
		if err := writeReportFile(reportPath, rep); err != nil {
			// Name what failed before too (a full disk fails them all).
			if runErr != nil && ctx.Err() == nil {
				return errors.Join(runErr, err)
			}
			return err
		}
	}
	switch {
	case ctx.Err() != nil:
		return withCode(exitInterrupted, nil)
	case runErr != nil:
		return runErr
	case rep.Total.Rejected > 0:
		return withCode(exitRejects, nil)
	}
	return nil
}

func orDefault(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

func writeStageLine(w io.Writer, rep *pipeline.Report) {
	c := rep.Counts
	// Two lines, so each fits an 80-column terminal.
	fmt.Fprintf(w, "  %d read: %d created, %d updated, %d unchanged, %d skipped, %d rejected\n",
		c.Read, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Rejected)
	fmt.Fprintf(w, "  %d requests in %s\n", rep.Requests.Total, rep.Duration.Round(time.Millisecond))
}
