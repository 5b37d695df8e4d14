package importer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
)

// finish closes the reject file and the journal (deleted when the run
// completed), builds the report, writes the report file and says how the
// run ended (see Run).
func (r *run) finish(ctx context.Context, runErr error) (*pipeline.Report, error) {
	rejErr := r.rejects.Close()
	completed := runErr == nil
	var jerr error
	if r.journal != nil {
		if completed {
			jerr = r.journal.Remove()
		} else {
			jerr = r.journal.Close()
		}
	}
	rep := r.report(ctx, runErr, rejErr == nil)
	// Every output that failed is named (a full disk fails them all),
	// not only the last one.
	var repErr error
	if r.job.Report != "" {
		repErr = pipeline.WriteReportFile(r.job.Report, rep)
	}
	if err := errors.Join(rejErr, repErr, jerr); err != nil {
		if runErr != nil && ctx.Err() == nil && rejErr == nil {
			err = errors.Join(runErr, err) // what stopped the run, too
		}
		return rep, err
	}
	return rep, ended(ctx, runErr, rep, r.job.MaxRejects)
}

// ended is how a run whose outputs were all written ended.
func ended(ctx context.Context, runErr error, rep *pipeline.Report, maxRejects int64) error {
	switch {
	case ctx.Err() != nil:
		return pipeline.Reported(pipeline.ErrInterrupted)
	case errors.Is(runErr, pipeline.ErrTooManyRejects):
		// Not "finished with rejects": the run stopped, and a script must
		// not take a half-done import for a finished one.
		return pipeline.Failed(fmt.Errorf("stopped after %d rejected rows (--max-rejects %d): fix the input or the mapping, then run again to resume",
			rep.Counts.Rejected, maxRejects))
	case partnero.IsUnavailable(runErr):
		return pipeline.Failed(fmt.Errorf("%w\nnothing was rejected for it: the journal keeps what is done; run the same command again to resume", runErr))
	}
	return runErr
}

// report is the run's report; rejectsWritten says whether the reject file
// was written in full (only then is it named).
func (r *run) report(ctx context.Context, runErr error, rejectsWritten bool) *pipeline.Report {
	st := statsSince(r.client.Stats(), r.before)
	rep := &pipeline.Report{
		Entity:      r.entity,
		Input:       r.job.Input,
		DryRun:      r.job.DryRun,
		Interrupted: ctx.Err() != nil,
		Counts:      r.engine.Counts(),
		Started:     r.started.UTC(),
		Duration:    time.Since(r.started),
		Workers:     r.workers,
		Strategy:    r.sink.Strategy(),
		// Keys the program holds twice: said, never silently passed over.
		DuplicateKeys: r.sink.DuplicateKeys(),
		Requests: pipeline.RequestStats{
			Total: st.Requests, ByKind: st.ByRoute, Retries: st.Retries, RateLimited: st.RateLimited,
			ServerErrors: st.ServerErrors, NetworkErrors: st.NetworkErrors, Budget: st.Limit, BudgetLearned: st.LearnedFromHeaders,
			AmbiguousWrites: r.sink.AmbiguousVerified(), LatencyMS: float64(r.client.Latency().Microseconds()) / 1000,
		},
	}
	if r.money != nil {
		r.money.report(rep)
		rep.CustomersCreated = r.sink.CustomersCreated()
	}
	if rejectsWritten && r.rejects.Count() > 0 {
		rep.RejectsFile = r.rejects.Path()
	}
	if r.journal != nil && runErr != nil {
		rep.JournalFile = r.journal.Path()
	}
	if runErr != nil && ctx.Err() == nil {
		rep.Error = runErr.Error()
	}
	rep.Finish()
	return rep
}
