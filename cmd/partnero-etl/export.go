package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline/export"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/signals"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sources/program"
)

// exportOptions are the export command's flags and arguments.
type exportOptions struct {
	g *globalOptions

	Entities          []string
	Format            string
	Out               string
	Partition         string
	Compression       string
	SinceLast         bool
	WithReferralLinks bool
	CSVSafe           bool
	MaxRowsPerFile    int64
	Signals           signalOptions

	// result is what the run did, for the signals (set once the export ran).
	result signals.Result

	// now replaces the clock (tests).
	now func() time.Time
}

func newExportCmd(g *globalOptions) *cobra.Command {
	opts := &exportOptions{g: g}
	cmd := &cobra.Command{
		Use:   "export [partners|customers|transactions|leads|coupons|promotion_codes|payout_requests|webhooks|all ...]",
		Short: "Write a snapshot of the program to Parquet, CSV or JSON lines",
		Long:  exportLong,
		Example: `  partnero-etl export
  partnero-etl export transactions --format csv --out - > transactions.csv
  partnero-etl export all --partition daily --out /data/partnero
  partnero-etl export transactions --since-last`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Entities = args
			if opts.SinceLast {
				// An increment adds to the snapshot in its own format and
				// layout: what is not given comes from its manifest.
				for name, v := range map[string]*string{"format": &opts.Format, "partition": &opts.Partition} {
					if !cmd.Flags().Changed(name) {
						*v = ""
					}
				}
			}
			// Empty is the default codec (or, with --since-last, the
			// snapshot's); a value given is checked against the format.
			if !cmd.Flags().Changed("compression") {
				opts.Compression = ""
			}
			return runWithSignals(cmd.Context(), g, "export", opts.Signals, func() (signals.Result, error) {
				err := runExport(cmd.Context(), opts)
				return opts.result, err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "parquet", "file format: parquet, csv or jsonl")
	f.StringVarP(&opts.Out, "out", "o", "./partnero-export", `output folder, a bucket (s3://bucket/prefix, gs://bucket/prefix, azblob://container/prefix; credentials from the cloud's environment), or - to stream one table to standard output (csv or jsonl)`)
	f.StringVar(&opts.Partition, "partition", "none", "none, or daily: <table>/dt=YYYY-MM-DD/part-00000.<ext> by creation day (Hive layout)")
	f.StringVar(&opts.Compression, "compression", "zstd", "Parquet compression: zstd, snappy or none (Parquet only: CSV and JSON lines are written uncompressed)")
	f.BoolVar(&opts.SinceLast, "since-last", false, "transactions: only those whose created_at is newer than the previous export's mark (not backfills with older dates, not deletions)")
	f.BoolVar(&opts.WithReferralLinks, "with-referral-links", false, "fetch each partner's referral keys: one extra request per partner")
	f.BoolVar(&opts.CSVSafe, "csv-safe", false, "prefix CSV text cells starting with = + - @ with ' so spreadsheets do not run them as formulas")
	f.Int64Var(&opts.MaxRowsPerFile, "max-rows-per-file", export.DefaultMaxRowsPerFile, "roll a table over into numbered part files after this many rows")
	opts.Signals.addFlags(f)
	return cmd
}

func runExport(ctx context.Context, opts *exportOptions) error {
	g := opts.g
	eo, err := export.Request{Tables: opts.Entities, Out: opts.Out, Format: opts.Format, Partition: opts.Partition,
		Compression: opts.Compression, SinceLast: opts.SinceLast, WithReferralLinks: opts.WithReferralLinks,
		CSVSafe: opts.CSVSafe, MaxRowsPerFile: opts.MaxRowsPerFile, CreatedBy: "partnero-etl " + toolVersion()}.Options()
	if err != nil {
		return err
	}
	client, err := g.newClient(ctx)
	if err != nil {
		return err
	}
	prog, err := checkProgram(ctx, client)
	if err != nil {
		return err
	}
	if err := checkExportProgram(ctx, client, eo.Entities); err != nil {
		return exportFailed(ctx, g, err)
	}
	if opts.WithReferralLinks && !g.Quiet {
		// The cost goes up front, before an hour is spent.
		printReferralLinksCost(g.io.ErrOut, opts.Out, client.Limit())
	}
	progress := &export.Counter{}
	stop := startProgress(ctx, g.io, progressOptions{Label: "exporting", Unit: "records", Quiet: g.Quiet}, func() progressSnapshot {
		detail := string(progress.Entity())
		if s := client.Stats(); s.Requests > 0 {
			detail += fmt.Sprintf(", %d requests", s.Requests)
		}
		return progressSnapshot{Done: progress.Rows(), Detail: detail}
	})
	eo.Program, eo.ToolVersion, eo.Progress, eo.Now = prog.Raw, toolVersion(), progress, opts.now
	eo.APIStats = func() export.APIStats { return export.StatsOf(client.Stats()) }
	w := g.io.Out // the summary goes where the data does not
	if opts.Out == "-" {
		eo.Stdout, w = g.io.Out, g.io.ErrOut
	}
	m, err := export.Run(ctx, eo, program.New(client, program.Options{WithReferralLinks: opts.WithReferralLinks}))
	stop()
	opts.result = exportResult(m, client.Stats())
	if mismatch := (*export.MismatchError)(nil); errors.As(err, &mismatch) {
		return usageError("%v", err)
	}
	if err != nil {
		return exportFailed(ctx, g, err)
	}
	writeExportSummary(w, opts, m)
	for _, s := range m.Entities {
		if s.Rejected > 0 && s.ExportedAt.Equal(m.StartedAt) {
			// The snapshot is complete but for those rows: say so the
			// way a run with rejected rows does.
			return withCode(exitRejects, nil)
		}
	}
	return nil
}

// exportFailed is the exit of an export that stopped: interrupted (the
// previous snapshot is unchanged) or failed.
func exportFailed(ctx context.Context, g *globalOptions, err error) error {
	if ctx.Err() != nil {
		fmt.Fprintln(g.io.ErrOut, "export interrupted: the previous snapshot is unchanged")
		return withCode(exitInterrupted, nil)
	}
	return err
}

// exportResult is what an export did, for the signals: the rows of each
// table this run wrote (none when it failed before its manifest) and the
// requests it made.
func exportResult(m *export.Manifest, s partnero.Stats) signals.Result {
	res := signals.Result{Requests: s.Requests, Retries: s.Retries, RateLimited: s.RateLimited,
		ServerErrors: s.ServerErrors, NetworkErrors: s.NetworkErrors}
	if m != nil {
		res.Rows = map[string]int64{}
		for e, st := range m.Entities {
			switch {
			case !st.ExportedAt.Equal(m.StartedAt), st.Unavailable != "":
			case st.Incremental:
				res.Rows[string(e)] = st.RowsAdded
			default:
				res.Rows[string(e)] = st.Rows
			}
		}
	}
	return res
}

func writeExportSummary(w io.Writer, opts *exportOptions, m *export.Manifest) {
	elapsed := m.FinishedAt.Sub(m.StartedAt).Round(100 * time.Millisecond)
	where := "standard output"
	if opts.Out != "-" {
		where = opts.Out
	}
	format := m.Format
	if m.Compression != "" {
		format += ", " + m.Compression
	}
	fmt.Fprintf(w, "exported to %s (%s) in %s\n", where, format, elapsed)
	files := map[record.Entity]int{}
	for _, f := range m.Files {
		if f.ExportedAt.Equal(m.StartedAt) {
			files[f.Entity]++
		}
	}
	for _, e := range sinks.AllTables() {
		s, ok := m.Entities[e]
		if !ok || !s.ExportedAt.Equal(m.StartedAt) {
			continue
		}
		if s.Unavailable != "" {
			fmt.Fprintf(w, "  %-15s not in this program's API, left out (%s)\n", e, s.Unavailable)
			continue
		}
		line := fmt.Sprintf("  %-15s %10d rows", e, s.Rows)
		if s.Incremental {
			line = fmt.Sprintf("  %-15s %10d rows added (%d in the snapshot)", e, s.RowsAdded, s.Rows)
		}
		if opts.Out != "-" {
			line += fmt.Sprintf(", %d file(s)", files[e])
		}
		if s.Shifted > 0 {
			line += fmt.Sprintf(", %d seen twice (written once)", s.Shifted)
		}
		if s.Incremental {
			line += ", since the last export"
		}
		if s.Rejected > 0 {
			line += fmt.Sprintf(", %d left out (listed in the manifest)", s.Rejected)
		}
		fmt.Fprintln(w, line)
		for i, r := range s.RejectedRows {
			if i == 3 {
				fmt.Fprintf(w, "    ... %d more in the manifest\n", s.Rejected-3)
				break
			}
			fmt.Fprintf(w, "    left out %s: %s\n", r.Key, r.Message)
		}
	}
	fmt.Fprintf(w, "requests: %d (%d retried, %d rate limited)\n", m.API.Requests, m.API.Retries, m.API.RateLimited)
	if opts.Out != "-" {
		fmt.Fprintf(w, "manifest: %s\n", export.ManifestLocation(opts.Out))
	}
}

const exportLong = `Export pages through the API's list endpoints (250 records a request, oldest
first, several pages in flight within the request budget) and writes one file
per table into --out: partners, customers, transactions, and rewards (one row
per commission, with its transaction key), plus manifest.json describing the
run and every file (rows, bytes, sha256, schema). Without arguments it exports
everything: also leads, coupons, promotion_codes, payout_requests and webhooks
(without their signing secrets), one table each.

Files are written under temporary names and renamed only when the whole export
succeeded: an interrupted or failed export leaves the previous snapshot as it
was. A table over --max-rows-per-file rows rolls over into numbered files
(transactions-00000.parquet, transactions-00001.parquet, ...).

--since-last exports only transactions whose created_at is newer than the
previous export's high-water mark (the newest created_at it wrote, kept in
manifest.json), into extra files beside the snapshot, in the snapshot's
format, partition layout and compression (a different --format or
--partition is refused). With nothing new it writes no file; the manifest
records the run. It does not see a transaction inserted after the last export
with an older created_at (a backfill, a migration or import with historical
dates): those appear only in a full export. Nor does it see later deletions
and archives. Run a full export from time to time to catch all of them.

--with-referral-links makes one extra request per partner (its referral
links) to fill the partners' referral key, and writes the links as the
referral_links table: at 10 requests/s, 10,000 partners take about 17 more
minutes. The estimate for this program is printed before the export starts.`
