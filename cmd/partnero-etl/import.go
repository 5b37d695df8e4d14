package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/importer"
	"github.com/partnero-etl/partnero-etl/record"
)

// importOptions are the arguments and flags of `partnero-etl import`: the
// job, and what the command needs to run it.
type importOptions struct {
	importer.Job

	g  *globalOptions
	io *ioStreams
	// httpClient, when set, replaces the default transport (tests).
	httpClient *http.Client
}

// importLong is the help of `partnero-etl import`.
const importLong = `Make a Partnero program hold the rows of a CSV, JSON lines or Parquet file
("-" reads standard input; ".gz" is decompressed). Rows are mapped by the
canonical column names, or by --mapping FILE.

Each row ends in exactly one outcome: created, updated (changed fields only),
unchanged (identical: nothing is written), skipped (by the mapping) or
rejected (with a code and a message, written to the reject file). Import
partners first, then customers, then transactions.

The run paces itself to the API's rate limit and spends as few requests as
it can: it lists what the target holds at 250 records a request when that is
cheaper than looking rows up one by one, writes all of one customer's
transactions in one request, and never writes a record that is already there.

It is resumable: a journal beside the input records every row the API
confirmed. After a crash or Ctrl-C, run the same command again: rows in the
journal are skipped and the rest are reconciled against what the program
holds, so nothing is written twice. The journal is deleted when a run
finishes; --restart ignores an existing one.

Exit status: 0 all rows landed, 3 the run finished but some rows were
rejected (see the reject file), 4 the API refused the key, 2 a usage error
(flags, arguments, the key, the mapping file, an output that cannot be
written: nothing was sent), 1 another failure (including a run stopped by
--max-rejects: run it again to resume), 130 interrupted.`

func newImportCmd(g *globalOptions) *cobra.Command {
	opts := &importOptions{g: g, io: g.io}
	job := &opts.Job
	cmd := &cobra.Command{
		Use:   "import partners|customers|transactions FILE",
		Short: "Import partners, customers or transactions into a Partnero program",
		Long:  importLong,
		Example: `  partnero-etl import partners partners.csv
  partnero-etl import customers customers.jsonl --mapping rewardful.yaml --report run.json
  partnero-etl import transactions sales.csv.gz --dry-run
  partnero-etl import transactions sales.parquet --max-rejects 100 --workers 8`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 2 {
				return tooManyArgs(cmd, "an entity and one FILE", args[2:])
			}
			if len(args) != 2 {
				return usageError("import needs an entity (partners, customers or transactions) and a FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			job.Entity, job.Input = args[0], args[1]
			return runImport(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&job.Format, "format", "", "input format: csv, jsonl or parquet (default: from the file extension)")
	f.StringVar(&job.Delimiter, "delimiter", "", `CSV delimiter: one character, or "tab" (default: detected among , ; tab |)`)
	f.StringVar(&job.Mapping, "mapping", "", "mapping file (YAML) from the input's columns to Partnero fields")
	f.StringVar(&job.Rejects, "rejects", "", "reject file (default: beside the input, NAME.rejects.csv or .jsonl)")
	f.StringVar(&job.Journal, "journal", "", "journal file for resuming (default: beside the input, .NAME.ENTITY.journal)")
	f.StringVar(&job.Report, "report", "", "write the run report as JSON to this file")
	f.BoolVar(&job.DryRun, "dry-run", false, "make only read requests; report what would be created, updated, unchanged or rejected")
	f.IntVar(&job.Workers, "workers", 0, "concurrent writers, at most 256 (default: what the rate limit and the API's latency need)")
	f.Int64Var(&job.MaxRejects, "max-rejects", 0, "stop (exit 1; run again to resume) once more than N rows were rejected (0: no limit)")
	f.BoolVar(&job.ReplaceTransactions, "replace-transactions", false, "replace a transaction whose key exists with other values (delete, then create) instead of rejecting it")
	f.BoolVar(&job.NoBatch, "no-batch", false, "write transactions one request each instead of one request per customer")
	f.BoolVar(&job.Restart, "restart", false, "ignore the journal of an earlier run and start over (the target is still reconciled)")
	f.IntVar(&job.MaxAttempts, "max-attempts", 0, "attempts per request before a row fails (default: the client's)")
	f.BoolVar(&job.CreateCustomers, "create-customers", false, "transactions: create a customer Partnero does not have with its first transaction, under the partner the row names (default: reject as unknown_customer)")
	return cmd
}

// runImport runs `partnero-etl import`: the job is checked before the key
// is looked at, then run with the command's client and progress line; the
// summary goes to standard output.
func runImport(ctx context.Context, opts *importOptions) error {
	job := &opts.Job
	if err := job.Check(); err != nil {
		return err
	}
	client, err := newImportClient(ctx, opts.g, opts.httpClient, job.MaxAttempts)
	if err != nil {
		return err
	}
	if job.Program, err = checkProgram(ctx, client); err != nil {
		return err
	}
	job.Log, job.Stdin = opts.g.logger(), opts.io.In
	// How the job ended (interrupted, failed, a usage error) is its
	// error's kind; exitCodeOf maps it. Rows rejected by a finished run
	// are no error of the job: the import exits 3 for them.
	rep, err := importer.Run(ctx, client, job, importProgress(ctx, opts.g, opts.io))
	if rep != nil {
		if err := rep.WriteSummary(opts.io.Out); err != nil {
			return err
		}
	}
	if err == nil && rep.Counts.Rejected > 0 {
		return withCode(exitRejects, nil)
	}
	return err
}

// importProgress is the progress line of an import job: rows done of the
// estimated total, and the request rate against the budget.
func importProgress(ctx context.Context, g *globalOptions, streams *ioStreams) importer.Progress {
	return func(entity record.Entity, status func() importer.Status) func() {
		lastAt, lastSent := time.Now(), int64(0)
		return startProgress(ctx, streams, progressOptions{Label: "importing " + string(entity), Quiet: g.Quiet}, func() progressSnapshot {
			// Called from the display goroutine only: lastAt and
			// lastSent are its own.
			s := status()
			now := time.Now()
			reqRate := 0.0
			if secs := now.Sub(lastAt).Seconds(); secs > 0 {
				reqRate = float64(s.Sent-lastSent) / secs
			}
			lastAt, lastSent = now, s.Sent
			st := s.Client
			return progressSnapshot{
				Done:   s.Counts.Done(),
				Total:  s.Total,
				Detail: fmt.Sprintf("%.1f req/s of %.1f/s budget, %d retries, %d 429s, %d rejected", reqRate, st.Limit, st.Retries, st.RateLimited, s.Counts.Rejected),
			}
		})
	}
}

// newImportClient builds the API client of an import (or of a whole
// migration): a transaction create is never sent twice blindly, the sink
// settles a lost answer by listing (see sinks/upsert.NewClientTarget).
func newImportClient(ctx context.Context, g *globalOptions, httpClient *http.Client, maxAttempts int) (*api.Client, error) {
	clientOpts := []api.Option{api.WithTransactionCreateRetries(false)}
	if httpClient != nil {
		clientOpts = append(clientOpts, api.WithHTTPClient(httpClient))
	}
	if maxAttempts > 0 {
		clientOpts = append(clientOpts, api.WithMaxAttempts(maxAttempts))
	}
	return g.newClientWith(ctx, clientOpts...)
}

// writeReportFile writes a run report (an import's or a migration's) as
// JSON, atomically.
func writeReportFile(path string, rep interface{ WriteJSON(io.Writer) error }) error {
	return pipeline.WriteReportFile(path, rep)
}
