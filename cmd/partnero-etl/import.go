package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/mapping"
	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks/upsert"
	"github.com/partnero-etl/partnero-etl/sources"
)

func init() { commandRegistry = append(commandRegistry, newImportCmd) }

// importOptions are the arguments and flags of `partnero-etl import`.
type importOptions struct {
	Entity      string
	Input       string
	Format      string
	Delimiter   string
	Mapping     string
	Rejects     string
	Journal     string
	Report      string
	DryRun      bool
	Workers     int
	MaxRejects  int64
	Replace     bool
	NoBatch     bool
	Restart     bool
	MaxAttempts int
	// CreateCustomers lets a transaction create its missing customer with
	// the partner the row names (--create-customers; a mapping's
	// create_customers says the same).
	CreateCustomers bool

	g  *globalOptions
	io *ioStreams
	// httpClient, when set, replaces the default transport (tests).
	httpClient *http.Client

	// Set by migrate, which runs one import per entity and joins them.
	// spec, when set, maps the rows instead of --mapping (a preset).
	spec *mapping.Spec
	// mapHook, when set, sees every record mapping accepted before it is
	// deduplicated: it may fill in the record (a partner resolved from a
	// source id) or reject it.
	mapHook func(rec *record.Record) *record.RowError
	// onReject, when set, sees every rejected row (key is the record's
	// identity when the row got as far as a record, else "").
	onReject func(row *record.Row, key string, rerr *record.RowError)
	// onWritten, when set, sees the sink's outcome of every record written.
	onWritten func(rec record.Record, outcome record.Outcome)
	// mayCreateCustomer, when set, says whether a transaction may create
	// its missing customer all the same (a migration's customers input
	// names it).
	mayCreateCustomer func(key string) bool
	// mapErrHook, when set, sees every row mapping refused and may give it
	// another reason (a transaction of a rejected customer).
	mapErrHook func(row record.Row, rerr *record.RowError) *record.RowError
	// client and program, when set, are a migration's one client (one
	// rate budget, learned once, for every stage) and the program its key
	// was checked against.
	client  *api.Client
	program *api.Program
	// deferCreate and onCustomer: see upsert.Options.DeferCreate and
	// OnCustomer.
	deferCreate func(key string) bool
	onCustomer  func(key string, created bool)
	// noSummary leaves the human summary to the caller.
	noSummary bool
	// report, when set, receives the run's report (migrate combines them).
	report **pipeline.Report
}

func newImportCmd(g *globalOptions) *cobra.Command {
	opts := &importOptions{g: g, io: g.io}
	cmd := &cobra.Command{
		Use:   "import partners|customers|transactions FILE",
		Short: "Import partners, customers or transactions into a Partnero program",
		Long: `Make a Partnero program hold the rows of a CSV, JSON lines or Parquet file
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
--max-rejects: run it again to resume), 130 interrupted.`,
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
			opts.Entity, opts.Input = args[0], args[1]
			return runImport(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Format, "format", "", "input format: csv, jsonl or parquet (default: from the file extension)")
	f.StringVar(&opts.Delimiter, "delimiter", "", `CSV delimiter: one character, or "tab" (default: detected among , ; tab |)`)
	f.StringVar(&opts.Mapping, "mapping", "", "mapping file (YAML) from the input's columns to Partnero fields")
	f.StringVar(&opts.Rejects, "rejects", "", "reject file (default: beside the input, NAME.rejects.csv or .jsonl)")
	f.StringVar(&opts.Journal, "journal", "", "journal file for resuming (default: beside the input, .NAME.ENTITY.journal)")
	f.StringVar(&opts.Report, "report", "", "write the run report as JSON to this file")
	f.BoolVar(&opts.DryRun, "dry-run", false, "make only read requests; report what would be created, updated, unchanged or rejected")
	f.IntVar(&opts.Workers, "workers", 0, "concurrent writers, at most 256 (default: what the rate limit and the API's latency need)")
	f.Int64Var(&opts.MaxRejects, "max-rejects", 0, "stop (exit 1; run again to resume) once more than N rows were rejected (0: no limit)")
	f.BoolVar(&opts.Replace, "replace-transactions", false, "replace a transaction whose key exists with other values (delete, then create) instead of rejecting it")
	f.BoolVar(&opts.NoBatch, "no-batch", false, "write transactions one request each instead of one request per customer")
	f.BoolVar(&opts.Restart, "restart", false, "ignore the journal of an earlier run and start over (the target is still reconciled)")
	f.IntVar(&opts.MaxAttempts, "max-attempts", 0, "attempts per request before a row fails (default: the client's)")
	f.BoolVar(&opts.CreateCustomers, "create-customers", false, "transactions: create a customer Partnero does not have with its first transaction, under the partner the row names (default: reject as unknown_customer)")
	return cmd
}

// Worker pool bounds: the pool is sized from rate x latency, which is the
// concurrency that keeps the budget busy; more only queue at the limiter.
const (
	minWorkers     = 2
	maxWorkers     = 64
	unlimitedPool  = 16 // no rate limit known
	workerHeadroom = 3.0
	// maxWorkersFlag bounds --workers: enough for 100 requests/s at 2.5 s
	// a request. Each worker holds a queue and a goroutine; 100,000 of them
	// took 19 s and 590 MB to import one row, and could not go faster than
	// the rate limit anyway.
	maxWorkersFlag = 256
)

// coalesceRows is how many transactions an import holds back to gather a
// customer's transactions that are far apart in the input (a file sorted by
// date) into one batch: about 20 MB of rows.
const coalesceRows = 20000

// autoWorkers sizes the worker pool: requests in flight = rate x latency,
// tripled for the time workers spend between requests and for latency that
// grows under load (extra workers only wait at the client's limiter), plus two.
func autoWorkers(limit float64, latency time.Duration) int {
	if limit <= 0 {
		return unlimitedPool
	}
	if latency <= 0 {
		latency = 100 * time.Millisecond
	}
	n := int(math.Ceil(limit*latency.Seconds()*workerHeadroom)) + 2
	return min(max(n, minWorkers), maxWorkers)
}

func runImport(ctx context.Context, opts *importOptions) error {
	entity, err := record.ParseEntity(opts.Entity)
	if err != nil || entity == record.Rewards {
		return usageError("import: unknown entity %q: want partners, customers or transactions", opts.Entity)
	}
	if opts.Workers < 0 || opts.MaxRejects < 0 || opts.MaxAttempts < 0 {
		return usageError("--workers, --max-rejects and --max-attempts must not be negative")
	}
	if opts.Workers > maxWorkersFlag {
		return usageError("--workers %d: at most %d (more writers than the rate limit keeps busy only wait for it; leave it out to size the pool from the limit and the API's latency)",
			opts.Workers, maxWorkersFlag)
	}
	delim, err := parseDelimiter(opts.Delimiter)
	if err != nil {
		return usageError("%v", err)
	}
	format, err := sources.FormatOf(opts.Input, sources.Options{Format: opts.Format, Delimiter: delim})
	if err != nil {
		return usageError("%v", err)
	}
	if delim != 0 && format != sources.FormatCSV {
		return usageError("--delimiter applies to CSV input only, and this input is %s", format)
	}
	rejectFormat := pipeline.RejectFormatFor(format)
	rejectPath := opts.Rejects
	if rejectPath == "" {
		rejectPath = pipeline.RejectPath(opts.Input, rejectFormat)
	}
	journalPath := ""
	if !opts.DryRun {
		if journalPath = opts.Journal; journalPath == "" {
			journalPath = pipeline.DefaultJournalPath(opts.Input, entity)
		}
	}
	if err := checkImportPaths(opts, rejectPath, journalPath); err != nil {
		return err
	}
	spec := opts.spec
	if spec == nil && opts.Mapping != "" {
		if spec, err = mapping.Load(opts.Mapping); err != nil {
			return withCode(exitUsage, err)
		}
	}
	mapper, err := mapping.NewMapper(entity, spec)
	if err != nil {
		return withCode(exitUsage, err)
	}
	log := opts.g.logger()

	client, program := opts.client, opts.program
	if client == nil {
		if client, err = newImportClient(ctx, opts.g, opts.httpClient, opts.MaxAttempts); err != nil {
			return err
		}
	}
	if program == nil {
		if program, err = checkProgram(ctx, client); err != nil {
			return err
		}
	}
	// The client may be a migration's, shared by its stages: the report
	// counts this run's requests only.
	statsBefore := client.Stats()

	if !opts.DryRun {
		// The journal's lock is per journal path; this one is on the work
		// itself, so a second run of the same rows through a link, a copy
		// or another --journal stops here instead of creating them twice.
		work, err := pipeline.LockWork(ctx, pipeline.JournalScope(entity, client.BaseURL(), program.PubID), opts.Input)
		if err != nil {
			return err
		}
		defer work.Release()
	}

	src, err := sources.Open(opts.Input, sources.Options{Format: format, Delimiter: delim, Stdin: opts.io.In})
	if err != nil {
		return err
	}
	defer src.Close()
	var columns []string
	if c, ok := src.(sources.Columner); ok {
		columns = c.Columns()
		if unknown := mapper.UnknownColumns(columns); len(unknown) > 0 {
			log.Warn("columns no mapping rule reads", "columns", strings.Join(unknown, ", "))
		}
	}
	if d, ok := src.(sources.Delimited); ok {
		delim = d.Delimiter() // the reject file's: the one detected, or --delimiter
	}

	rejects, err := pipeline.NewRejectWriter(pipeline.RejectOptions{Path: rejectPath, Format: rejectFormat, Delimiter: delim, Columns: columns})
	if err != nil {
		return err
	}

	var journal *pipeline.Journal
	if journalPath != "" {
		journal, err = pipeline.OpenJournal(journalPath, pipeline.JournalScope(entity, client.BaseURL(), program.PubID), opts.Restart)
		if err != nil {
			return err
		}
		if n := journal.Len(); n > 0 {
			log.Info("resuming: the journal holds rows an earlier run finished", "rows", n, "journal", journalPath)
		}
	}

	estimate := estimateRows(opts.Input, format)
	sink := upsert.New(upsert.NewClientTarget(client), upsert.Options{
		Entity: entity, DryRun: opts.DryRun, NoBatch: opts.NoBatch, ReplaceTransactions: opts.Replace,
		// --max-attempts bounds a transaction create's verified re-sends
		// as it bounds the client's retries of every other request.
		MaxAttempts: opts.MaxAttempts,
		// A customer is made from a sale only when asked: a platform
		// without a customer export (create_customers) or the flag.
		CreateCustomers:   opts.CreateCustomers || (spec != nil && spec.CreatesCustomers()),
		MayCreateCustomer: opts.mayCreateCustomer,
		DeferCreate:       opts.deferCreate,
		OnCustomer:        opts.onCustomer,
	})
	started := time.Now()
	remaining := estimate
	if journal != nil && estimate > 0 {
		remaining = max(estimate-int64(journal.Len()), 1)
	}
	if err := sink.Prepare(ctx, remaining); err != nil {
		if journal != nil {
			_ = journal.Close()
		}
		return fmt.Errorf("learn what the program holds: %w", err)
	}

	workers := opts.Workers
	var active func() int
	queue := 0
	if workers == 0 {
		// Sized as the client learns: the pool follows the budget and
		// the latency measured so far, up to maxWorkers partitions with
		// the queue memory of 16 default ones.
		workers, queue = maxWorkers, 16*1000/maxWorkers
		active = func() int { return autoWorkers(client.Limit(), client.Latency()) }
	}
	log.Debug("import", "entity", entity, "workers", workers, "strategy", sink.Strategy(), "estimated_rows", estimate)

	coalesce := 0
	if entity == record.Transactions && !opts.NoBatch {
		coalesce = coalesceRows
	}
	dups := mapping.NewDuplicates(entity)
	defer dups.Close()
	// The money of a transactions run is reconciled per currency: every
	// row read is counted once as read and once by its outcome.
	var money *pipeline.MoneyTally
	var moneyRows *moneyReader
	var rewardsLeftOut atomic.Int64 // rewards in another currency than their sale
	joins := map[string]int64{}
	var joinsMu sync.Mutex
	if entity == record.Transactions {
		money = &pipeline.MoneyTally{ProgramCurrency: strings.ToUpper(strings.TrimSpace(program.Currency))}
		moneyRows = newMoneyReader(spec)
	}
	onWritten := opts.onWritten
	onReject := opts.onReject
	var onResumed func(record.Record, record.Outcome)
	if money != nil {
		onWritten = func(rec record.Record, o record.Outcome) {
			switch o {
			case record.Created, record.Updated:
				addRecord(money, pipeline.MoneyWritten, &rec)
			case record.Unchanged:
				addRecord(money, pipeline.MoneyUnchanged, &rec)
			}
			if opts.onWritten != nil {
				opts.onWritten(rec, o)
			}
		}
		onResumed = func(rec record.Record, o record.Outcome) { onWritten(rec, o) }
		onReject = func(row *record.Row, key string, rerr *record.RowError) {
			if rerr.Code == record.CodeMalformedRow {
				// Never reached mapping: read only here.
				moneyRows.add(money, pipeline.MoneyRead, row)
			}
			moneyRows.add(money, pipeline.MoneyRejected, row)
			if opts.onReject != nil {
				opts.onReject(row, key, rerr)
			}
		}
	}
	run := pipeline.NewRun(pipeline.Config{
		Entity: entity,
		Source: src,
		Mapper: record.MapperFunc(func(row record.Row) record.Mapped {
			r := mapper.Map(row)
			if r.Err == nil && !r.Skipped && opts.mapHook != nil {
				r.Err = opts.mapHook(&r.Record)
			} else if r.Err != nil && opts.mapErrHook != nil {
				r.Err = opts.mapErrHook(row, r.Err)
			}
			if money != nil {
				switch {
				case r.Skipped:
					moneyRows.add(money, pipeline.MoneyRead, &row)
					moneyRows.add(money, pipeline.MoneySkipped, &row)
				case r.Record.Transaction != nil:
					addRecord(money, pipeline.MoneyRead, &r.Record)
					if r.RewardLeftOut {
						rewardsLeftOut.Add(1)
					}
					if r.Err == nil && opts.mapHook == nil {
						// An import finds the customer in Partnero; a
						// migration's join counts its own rules.
						joinsMu.Lock()
						joins[pipeline.CustomerJoinRule(r.Record.Transaction)]++
						joinsMu.Unlock()
					}
				default:
					moneyRows.add(money, pipeline.MoneyRead, &row)
				}
			}
			return r
		}),
		Dedupe:     dups.Check,
		Sink:       sink,
		OnWritten:  onWritten,
		Journal:    journal,
		OnResumed:  onResumed,
		Rejects:    rejectHook{w: rejects, onReject: onReject},
		Workers:    workers,
		Active:     active,
		QueueSize:  queue,
		MaxRejects: opts.MaxRejects,
		Coalesce:   coalesce,
	})

	lastAt, lastRequests := time.Now(), statsBefore.Requests
	stopProgress := startProgress(ctx, opts.io, progressOptions{Label: "importing " + string(entity), Quiet: opts.g.Quiet}, func() progressSnapshot {
		// Called from the display goroutine only: lastAt and lastRequests
		// are its own.
		c := run.Counts()
		st := client.Stats()
		now := time.Now()
		reqRate := 0.0
		if secs := now.Sub(lastAt).Seconds(); secs > 0 {
			reqRate = float64(st.Requests-lastRequests) / secs
		}
		lastAt, lastRequests = now, st.Requests
		return progressSnapshot{
			Done:   c.Done(),
			Total:  estimate,
			Detail: fmt.Sprintf("%.1f req/s of %.1f/s budget, %d retries, %d 429s, %d rejected", reqRate, st.Limit, st.Retries, st.RateLimited, c.Rejected),
		}
	})
	runErr := run.Start(ctx)
	stopProgress()

	rejErr := rejects.Close()
	completed := runErr == nil
	var jerr error
	if journal != nil {
		if completed {
			jerr = journal.Remove()
		} else {
			jerr = journal.Close()
		}
	}

	st := statsSince(client.Stats(), statsBefore)
	rep := &pipeline.Report{
		Entity:      entity,
		Input:       opts.Input,
		DryRun:      opts.DryRun,
		Interrupted: ctx.Err() != nil,
		Counts:      run.Counts(),
		Started:     started.UTC(),
		Duration:    time.Since(started),
		Workers:     workers,
		Strategy:    sink.Strategy(),
		// Keys the program holds twice: said, never silently passed over.
		DuplicateKeys: sink.DuplicateKeys(),
		Requests: pipeline.RequestStats{
			Total: st.Requests, ByKind: st.ByRoute, Retries: st.Retries, RateLimited: st.RateLimited,
			ServerErrors: st.ServerErrors, NetworkErrors: st.NetworkErrors, Budget: st.Limit, BudgetLearned: st.LearnedFromHeaders,
			AmbiguousWrites: sink.AmbiguousVerified(), LatencyMS: float64(client.Latency().Microseconds()) / 1000,
		},
	}
	if money != nil {
		rep.Money = money.Snapshot()
		rep.CustomersCreated = sink.CustomersCreated()
		rep.RewardsLeftOut = rewardsLeftOut.Load()
		if len(joins) > 0 {
			rep.CustomerJoins = joins
		}
	}
	if rejErr == nil && rejects.Count() > 0 {
		// Only a reject file that was written in full is named.
		rep.RejectsFile = rejects.Path()
	}
	if journal != nil && !completed {
		rep.JournalFile = journal.Path()
	}
	if runErr != nil && ctx.Err() == nil {
		rep.Error = runErr.Error()
	}
	rep.Finish()
	if opts.report != nil {
		*opts.report = rep
	}
	if !opts.noSummary {
		if err := rep.WriteSummary(opts.io.Out); err != nil {
			return err
		}
	}
	// Every output that failed is named (a full disk fails them all),
	// not only the last one.
	var repErr error
	if opts.Report != "" {
		repErr = writeReportFile(opts.Report, rep)
	}
	if err := errors.Join(rejErr, repErr, jerr); err != nil {
		if runErr != nil && ctx.Err() == nil && rejErr == nil {
			err = errors.Join(runErr, err) // what stopped the run, too
		}
		return err
	}
	switch {
	case ctx.Err() != nil:
		return withCode(exitInterrupted, nil)
	case errors.Is(runErr, pipeline.ErrTooManyRejects):
		// Not "finished with rejects" (3): the run stopped, and a script
		// must not take a half-done import for a finished one.
		return withCode(exitFailure, fmt.Errorf("stopped after %d rejected rows (--max-rejects %d): fix the input or the mapping, then run again to resume",
			rep.Counts.Rejected, opts.MaxRejects))
	case api.IsUnavailable(runErr):
		return withCode(exitFailure, fmt.Errorf("%w\nnothing was rejected for it: the journal keeps what is done; run the same command again to resume", runErr))
	case runErr != nil:
		return runErr
	case rep.Counts.Rejected > 0:
		return withCode(exitRejects, nil)
	}
	return nil
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

// statsSince is what a client did between two snapshots: the counters'
// differences, and the budget as it is now.
func statsSince(now, before api.Stats) api.Stats {
	d := now
	d.Requests -= before.Requests
	d.Retries -= before.Retries
	d.RateLimited -= before.RateLimited
	d.ServerErrors -= before.ServerErrors
	d.NetworkErrors -= before.NetworkErrors
	d.ByRoute = make(map[string]int64, len(now.ByRoute))
	for route, n := range now.ByRoute {
		if n -= before.ByRoute[route]; n > 0 {
			d.ByRoute[route] = n
		}
	}
	return d
}

// rejectHook passes every rejected row to the reject file and, for migrate,
// to onReject.
type rejectHook struct {
	w        *pipeline.RejectWriter
	onReject func(row *record.Row, key string, rerr *record.RowError)
}

func (h rejectHook) Reject(row *record.Row, key string, rerr *record.RowError) error {
	if h.onReject != nil {
		h.onReject(row, key, rerr)
	}
	return h.w.Reject(row, key, rerr)
}

// checkImportPaths refuses, before anything is read or written, outputs
// that would overwrite or delete the input or each other, and outputs the
// run could not write (a report that would fail only after the whole run,
// a reject file at the first rejected row).
func checkImportPaths(opts *importOptions, rejectPath, journalPath string) error {
	rejects := pipeline.OutputPath{Name: "--rejects", Path: rejectPath}
	if opts.Rejects == "" {
		rejects.Name = "the reject file"
	}
	journal := pipeline.OutputPath{Name: "--journal", Path: journalPath}
	if opts.Journal == "" {
		journal.Name = "the journal"
	}
	report := pipeline.OutputPath{Name: "--report", Path: opts.Report}
	if err := pipeline.CheckOutputs([]string{opts.Input}, []pipeline.OutputPath{rejects, journal, report}); err != nil {
		return err
	}
	if err := pipeline.CheckWritable(rejects); err != nil {
		return pipeline.Elsewhere(err, opts.Rejects, "--rejects")
	}
	if journal.Path != "" {
		// A journal is locked, truncated and deleted: only a regular file.
		if err := atomicfile.CheckRegular(journal.Path); err != nil {
			return usageError("%s: %v", journal.Name, err)
		}
	}
	if err := pipeline.CheckWritable(journal); err != nil {
		return pipeline.Elsewhere(err, opts.Journal, "--journal")
	}
	return pipeline.CheckWritable(report)
}

// writeReportFile writes a run report (an import's or a migration's) as
// JSON, atomically.
func writeReportFile(path string, rep interface{ WriteJSON(io.Writer) error }) error {
	return pipeline.WriteReportFile(path, rep)
}

// estimateRows counts the data rows of a plain CSV or JSON lines file (a
// fast scan for newlines), for the progress bar's total and the sink's
// choice between listing and lookups. It returns -1 when it cannot tell
// cheaply (standard input, gzip, Parquet).
func estimateRows(path, format string) int64 {
	if path == "-" || strings.HasSuffix(strings.ToLower(path), ".gz") || format == sources.FormatParquet {
		return -1
	}
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var lines int64
	buf := make([]byte, 1<<20)
	last := byte('\n')
	for {
		n, err := br.Read(buf)
		if n > 0 {
			lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
			last = buf[n-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return -1
		}
	}
	if last != '\n' {
		lines++
	}
	if format == sources.FormatCSV {
		lines-- // the header
	}
	return max(lines, 0)
}
