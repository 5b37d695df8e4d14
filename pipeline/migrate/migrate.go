package migrate

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/pipeline/importer"
	"github.com/partnero-etl/partnero-etl/record"
)

// Job is a migration: its stages, in the order they run, and its options.
type Job struct {
	Options
	Stages []*Stage
	// Program is the program the client's key belongs to, as the caller
	// checked it; nil: each stage asks the API.
	Program *api.Program
	// Stdin is read by a stage whose input is "-".
	Stdin io.Reader
	// Log receives the migration's notes; nil discards them.
	Log *slog.Logger
	// readers are the stages' identity readers, compiled by Prepare.
	readers []*identityReader
}

// Progress shows a migration: Started and Done are told of each stage as
// it starts and ends, Import is the progress display of its import; each
// may be nil.
type Progress struct {
	Started func(st *Stage)
	Done    func(st *Stage, rep *pipeline.Report)
	Import  importer.Progress
}

// NewJob builds a migration from its options (the command line's), a plan
// file (planPath; "" for none) whose options yield to the flags that
// changed says were given, and the files named on the command line. It
// checks what can be checked before anything is read or sent: the options,
// the plan, the mappings and the output paths. Every error is a
// usage error (pipeline.ErrUsage).
func NewJob(opts Options, planPath string, files map[record.Entity]string, changed func(flag string) bool) (*Job, error) {
	if opts.Workers < 0 || opts.MaxRejects < 0 || opts.MaxAttempts < 0 {
		return nil, pipeline.Usagef("--workers, --max-rejects and --max-attempts must not be negative")
	}
	var plan map[record.Entity]*Input
	if planPath != "" {
		var err error
		if plan, err = LoadPlan(planPath, &opts, changed); err != nil {
			return nil, err
		}
	}
	stages, err := Stages(&opts, plan, files)
	if err != nil {
		return nil, err
	}
	if err := CheckPaths(&opts, stages); err != nil {
		return nil, err
	}
	return &Job{Options: opts, Stages: stages}, nil
}

// Prepare makes the reject files' folder and compiles the stages'
// identity readers, so that a broken mapping stops the migration before
// its first stage, not between two. Run calls it when it has not run.
func (j *Job) Prepare() error {
	if j.readers != nil {
		return nil
	}
	if j.RejectsDir != "" {
		if err := os.MkdirAll(j.RejectsDir, 0o755); err != nil {
			return fmt.Errorf("rejects folder: %w", err)
		}
	}
	readers := make([]*identityReader, len(j.Stages))
	for i, st := range j.Stages {
		var err error
		if readers[i], err = newIdentityReader(st); err != nil {
			return pipeline.Usage(err)
		}
	}
	j.readers = readers
	return nil
}

// migration is a running Job.
type migration struct {
	job      *Job
	client   *api.Client
	progress Progress
	log      *slog.Logger
	join     *Join
	rep      *MigrationReport
	// hasCustomers: the migration has a customers input; deferring: its
	// new customers with transactions are created by their first
	// transaction batch.
	hasCustomers, deferring bool
	customers               *pipeline.Report // the customers stage's
}

// Run runs a migration's stages through one client (one rate budget,
// learned once) and returns the combined report; the report is nil only
// when Prepare failed, and nothing ran. The error is the first failing
// stage's, as the import job returns it (a usage error (pipeline.ErrUsage), or of
// kind pipeline.ErrInterrupted or pipeline.ErrFailed); a stage that
// finished with rejected rows is no error (the report counts them). The
// caller prints the summary and writes the report file.
func Run(ctx context.Context, client *api.Client, job *Job, progress Progress) (*MigrationReport, error) {
	if err := job.Prepare(); err != nil {
		return nil, err
	}
	m := &migration{job: job, client: client, progress: progress, log: job.Log, join: NewJoin(job.DryRun),
		rep: &MigrationReport{From: job.From, DryRun: job.DryRun, Started: time.Now().UTC()}}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	started := time.Now()
	runErr := m.stages(ctx)
	if m.customers != nil {
		if runErr == nil && ctx.Err() == nil {
			runErr = settleDeferredCustomers(ctx, client, &job.Options, m.join, m.customers, m.rep)
		} else {
			abandonDeferredCustomers(m.join, m.customers)
		}
	}
	rep := m.rep
	rep.Duration = time.Since(started)
	rep.Interrupted = ctx.Err() != nil
	rep.DanglingReferrers = m.join.DanglingReferrers()
	if runErr != nil && ctx.Err() == nil {
		rep.Error = runErr.Error()
	}
	rep.Finish()
	// The stages' reports count their own requests; the client saw them
	// all, the key check and the settling of deferred customers too.
	st := client.Stats()
	rep.SetRequests(st.Requests, st.Retries, st.RateLimited)
	return rep, runErr
}

// stages runs the stages in order, until one fails.
func (m *migration) stages(ctx context.Context) error {
	byEntity := map[record.Entity]*Stage{}
	for _, st := range m.job.Stages {
		byEntity[st.Entity] = st
	}
	if m.hasCustomers = byEntity[record.Customers] != nil; m.hasCustomers {
		m.join.ExpectCustomers()
	}
	if tx := byEntity[record.Transactions]; m.hasCustomers && tx != nil && tx.File != "-" {
		// Which customers have transactions: a new one is created inside
		// its first transaction batch instead of by a request of its own.
		m.deferring = true
		if err := scanTransactionCustomers(ctx, tx, m.join); err != nil {
			return err
		}
	}
	for i, st := range m.job.Stages {
		if err := m.stage(ctx, st, m.job.readers[i]); err != nil {
			return err
		}
	}
	return nil
}

// stage runs one stage as an import, steered by the join.
func (m *migration) stage(ctx context.Context, st *Stage, ids *identityReader) error {
	if st.Entity == record.Partners {
		if err := scanPartners(ctx, st, ids, m.join); err != nil {
			return err
		}
		known, rejected := m.join.Partners()
		m.log.Info("partners read ahead for the join", "partners", known, "rejected", rejected)
	}
	if m.progress.Started != nil {
		m.progress.Started(st)
	}
	rep, err := importer.Run(ctx, m.client, m.importJob(st, ids), m.progress.Import)
	if rep != nil {
		switch st.Entity {
		case record.Customers:
			m.customers = rep
			m.join.ForgetTransactionCustomers()
		case record.Transactions:
			rep.CustomerJoins = m.join.Joined()
		}
		m.rep.Stages = append(m.rep.Stages, rep)
		if m.progress.Done != nil {
			m.progress.Done(st, rep)
		}
	}
	return err
}

// importJob is a stage's import: the migration's options, and the join's
// hooks.
func (m *migration) importJob(st *Stage, ids *identityReader) *importer.Job {
	o := &m.job.Options
	job := &importer.Job{
		Entity: string(st.Entity), Input: st.File, Format: st.Format, Rejects: stageRejects(o.RejectsDir, st),
		DryRun: o.DryRun, Workers: o.Workers, MaxRejects: o.MaxRejects, ReplaceTransactions: o.Replace,
		NoBatch: o.NoBatch, Restart: o.Restart, MaxAttempts: o.MaxAttempts,
		Spec: st.Spec, Program: m.job.Program, Stdin: m.job.Stdin, Log: m.job.Log, Hooks: m.hooks(st, ids),
	}
	return job
}

// hooks are the join's part in a stage's import.
func (m *migration) hooks(st *Stage, ids *identityReader) importer.Hooks {
	join := m.join
	var h importer.Hooks
	switch st.Entity {
	case record.Partners:
		h.Map = join.MapPartner
		h.Reject = func(row *record.Row, _ string, rerr *record.RowError) {
			join.PartnerRejected(ids.partnerSourceID(row), rerr)
		}
		h.Written = join.PartnerWritten
	case record.Customers:
		h.Map = join.MapCustomer
		h.Reject = func(row *record.Row, key string, rerr *record.RowError) {
			if key != "" {
				join.CustomerRejected("", key, "", true, rerr)
				return
			}
			sourceID, key := ids.customerIdentity(row)
			join.CustomerRejected(sourceID, key, "", false, rerr)
		}
		h.Written = join.CustomerWritten
		if m.deferring {
			h.DeferCreate = join.DeferCreate
		}
	case record.Transactions:
		h.OnCustomer = join.TransactionCustomer
		h.Map = join.MapTransaction
		h.MapErr = func(row record.Row, rerr *record.RowError) *record.RowError {
			sourceID, key := ids.transactionCustomer(&row)
			return join.RejectedParent(rerr, sourceID, key)
		}
		if m.hasCustomers {
			// Only a customer the customers input names may be created
			// with its transactions; any other is found in Partnero or
			// rejected.
			h.MayCreateCustomer = join.MayCreateCustomer
		}
	}
	return h
}
