package importer

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks/upsert"
	"github.com/partnero-etl/partnero-etl/sources"
)

// run is one Run of a job: what it opened and what it counts.
type run struct {
	*checked
	job     *Job
	client  *partnero.Client
	program *partnero.Program
	log     *slog.Logger

	before   partnero.Stats // the client's counters when the job began
	started  time.Time
	estimate int64
	columns  []string
	rejects  *pipeline.RejectWriter
	journal  *pipeline.Journal
	sink     *upsert.Sink
	money    *money // transactions only
	workers  int
	engine   *pipeline.Run
}

// Run imports the job's input into the program of client's key and returns
// the report, also written to Job.Report when set. progress, when not nil,
// shows the run while it writes.
//
// The error is nil when the run finished, whether or not rows were
// rejected (Report.Counts.Rejected says); a usage error (pipeline.ErrUsage) when the
// job cannot run (nothing was read or written); an error of kind
// pipeline.ErrInterrupted when ctx was cancelled (the journal keeps what
// was done: the same job resumes); of kind pipeline.ErrFailed when the run
// stopped for too many rejected rows or an API that stayed unavailable; or
// the error that stopped it. An output that could not be written is named
// before all of these. The report is nil only when the run did not start.
func Run(ctx context.Context, client *partnero.Client, job *Job, progress Progress) (*pipeline.Report, error) {
	c, err := job.check()
	if err != nil {
		return nil, err
	}
	r := &run{checked: c, job: job, client: client, program: job.Program, log: job.Log}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.program == nil {
		if r.program, err = client.Test(ctx); err != nil {
			return nil, fmt.Errorf("ask the API at %s which program the key belongs to: %w", client.BaseURL(), err)
		}
	}
	// The client may be a migration's, shared by its stages: the report
	// counts this run's requests only.
	r.before = client.Stats()
	if !job.DryRun {
		// The journal's lock is per journal path; this one is on the work
		// itself, so a second run of the same rows through a link, a copy
		// or another --journal stops here instead of creating them twice.
		work, err := pipeline.LockWork(ctx, r.scope(), job.Input)
		if err != nil {
			return nil, err
		}
		defer work.Release()
	}
	src, err := r.openSource()
	if err != nil {
		return nil, err
	}
	defer src.Close()
	if err := r.openOutputs(); err != nil {
		return nil, err
	}
	if err := r.prepareSink(ctx); err != nil {
		return nil, err
	}
	runErr := r.execute(ctx, src, progress)
	return r.finish(ctx, runErr)
}

// scope is the journal's and the work lock's: the entity in the program.
func (r *run) scope() string {
	return pipeline.JournalScope(r.entity, r.client.BaseURL(), r.program.PubID)
}

// openSource opens the input, warns of columns no mapping rule reads and
// learns the CSV delimiter (the reject file's: the one detected, or the
// job's).
func (r *run) openSource() (sources.Source, error) {
	src, err := sources.Open(r.job.Input, sources.Options{Format: r.format, Delimiter: r.delim, Stdin: r.job.Stdin})
	if err != nil {
		return nil, err
	}
	if c, ok := src.(sources.Columner); ok {
		r.columns = c.Columns()
		if unknown := r.mapper.UnknownColumns(r.columns); len(unknown) > 0 {
			r.log.Warn("columns no mapping rule reads", "columns", strings.Join(unknown, ", "))
		}
	}
	if d, ok := src.(sources.Delimited); ok {
		r.delim = d.Delimiter()
	}
	return src, nil
}

// openOutputs creates the reject writer and opens the journal (none in a
// dry run).
func (r *run) openOutputs() error {
	var err error
	r.rejects, err = pipeline.NewRejectWriter(pipeline.RejectOptions{Path: r.rejectPath, Format: r.rejectFormat, Delimiter: r.delim, Columns: r.columns})
	if err != nil {
		return err
	}
	if r.journalPath == "" {
		return nil
	}
	if r.journal, err = pipeline.OpenJournal(r.journalPath, r.scope(), r.job.Restart); err != nil {
		return err
	}
	if n := r.journal.Len(); n > 0 {
		r.log.Info("resuming: the journal holds rows an earlier run finished", "rows", n, "journal", r.journalPath)
	}
	return nil
}

// prepareSink builds the upsert sink and lets it learn what the program
// holds, for the rows the journal does not hold already.
func (r *run) prepareSink(ctx context.Context) error {
	j, h := r.job, r.job.Hooks
	r.estimate = estimateRows(j.Input, r.format)
	r.sink = upsert.New(upsert.NewClientTarget(r.client), upsert.Options{
		Entity: r.entity, DryRun: j.DryRun, NoBatch: j.NoBatch, ReplaceTransactions: j.ReplaceTransactions,
		// MaxAttempts bounds a transaction create's verified re-sends as
		// it bounds the client's retries of every other request.
		MaxAttempts: j.MaxAttempts,
		// A customer is made from a sale only when asked: a platform
		// without a customer export (create_customers) or the job.
		CreateCustomers:   j.CreateCustomers || (r.spec != nil && r.spec.CreatesCustomers()),
		MayCreateCustomer: h.MayCreateCustomer,
		DeferCreate:       h.DeferCreate,
		OnCustomer:        h.OnCustomer,
	})
	r.started = time.Now()
	remaining := r.estimate
	if r.journal != nil && r.estimate > 0 {
		remaining = max(r.estimate-int64(r.journal.Len()), 1)
	}
	if err := r.sink.Prepare(ctx, remaining); err != nil {
		if r.journal != nil {
			_ = r.journal.Close()
		}
		return fmt.Errorf("learn what the program holds: %w", err)
	}
	return nil
}

// execute runs the engine to its end, with progress shown while it runs.
func (r *run) execute(ctx context.Context, src sources.Source, progress Progress) error {
	workers, active, queue := pool(r.job.Workers, r.client)
	r.workers = workers
	r.log.Debug("import", "entity", r.entity, "workers", workers, "strategy", r.sink.Strategy(), "estimated_rows", r.estimate)
	coalesce := 0
	if r.entity == record.Transactions && !r.job.NoBatch {
		coalesce = coalesceRows
	}
	if r.entity == record.Transactions {
		r.money = newMoney(r.program.Currency, moneyRules(r.spec), r.job.Hooks.Map == nil)
	}
	dups := mapping.NewDuplicates(r.entity)
	defer dups.Close()
	onWritten, onResumed, onReject := r.outcomeHooks()
	r.engine = pipeline.NewRun(pipeline.Config{
		Entity:     r.entity,
		Source:     src,
		Mapper:     record.MapperFunc(r.mapRow),
		Dedupe:     dups.Check,
		Sink:       r.sink,
		OnWritten:  onWritten,
		Journal:    r.journal,
		OnResumed:  onResumed,
		Rejects:    rejectHook{w: r.rejects, onReject: onReject},
		Workers:    workers,
		Active:     active,
		QueueSize:  queue,
		MaxRejects: r.job.MaxRejects,
		Coalesce:   coalesce,
	})
	stop := func() {}
	if progress != nil {
		stop = progress(r.entity, r.status)
	}
	err := r.engine.Run(ctx)
	stop()
	return err
}

// status is the run's state for a progress display.
func (r *run) status() Status {
	st := r.client.Stats()
	return Status{Counts: r.engine.Counts(), Total: r.estimate, Sent: st.Requests - r.before.Requests, Client: st}
}

// mapRow maps a row, lets the hooks fill in or reject the record, and
// counts its money.
func (r *run) mapRow(row record.Row) record.Mapped {
	h := r.job.Hooks
	m := r.mapper.Map(row)
	if m.Err == nil && !m.Skipped && h.Map != nil {
		m.Err = h.Map(&m.Record)
	} else if m.Err != nil && h.MapErr != nil {
		m.Err = h.MapErr(row, m.Err)
	}
	if r.money != nil {
		r.money.mapped(&row, &m)
	}
	return m
}

// outcomeHooks are the engine's hooks of written, resumed and rejected
// rows: the job's, and the money reconciliation's of a transactions run.
func (r *run) outcomeHooks() (onWritten, onResumed func(record.Record, record.Outcome), onReject func(*record.Row, string, *record.RowError)) {
	h := r.job.Hooks
	if r.money == nil {
		return h.Written, nil, h.Reject
	}
	onWritten = func(rec record.Record, o record.Outcome) {
		r.money.written(&rec, o)
		if h.Written != nil {
			h.Written(rec, o)
		}
	}
	onReject = func(row *record.Row, key string, rerr *record.RowError) {
		r.money.rejected(row, rerr)
		if h.Reject != nil {
			h.Reject(row, key, rerr)
		}
	}
	return onWritten, onWritten, onReject
}

// rejectHook passes every rejected row to the reject file and to onReject.
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
