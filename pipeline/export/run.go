package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sources/program"
)

// An export is a run of the engine (pipeline.Run): a tableSource reads the
// tables one after the other from the Reader, a sink writes each record
// into the snapshot's files (or standard output) in the order read, and the
// snapshot is the run's Committer: renamed into place with its manifest
// when the run finished, removed otherwise.

// tables is what a tableSource tells as it goes from one table to the next.
type tables interface {
	// since is the high-water mark to read the table from (nil: all).
	since(e record.Entity) *program.Since
	// begin is called before the table's first record is read.
	begin(e record.Entity)
	// end is called once the table was read to its end (err nil) or
	// failed; a non-nil result ends the export with that error.
	end(e record.Entity, stats program.Stats, err error) error
}

// errStopped ends a Reader's Each when the run stopped taking records.
var errStopped = errors.New("export stopped")

// tableSource is a pipeline.RecordSource over the tables of an export: it
// pulls the records of each table from the Reader's Each in turn.
type tableSource struct {
	src      Reader
	entities []record.Entity
	t        tables

	i     int
	next  func() (record.Record, bool)
	stop  func()
	stats program.Stats
	err   error
}

func (s *tableSource) Next(ctx context.Context) (record.Record, error) {
	for {
		if s.next == nil {
			if s.i >= len(s.entities) {
				return record.Record{}, io.EOF
			}
			s.start(ctx, s.entities[s.i])
		}
		if rec, ok := s.next(); ok {
			return rec, nil
		}
		s.close()
		e := s.entities[s.i]
		s.i++
		if err := s.t.end(e, s.stats, s.err); err != nil {
			return record.Record{}, err
		}
	}
}

func (s *tableSource) start(ctx context.Context, e record.Entity) {
	s.t.begin(e)
	s.stats, s.err = program.Stats{}, nil
	seq := func(yield func(record.Record) bool) {
		s.stats, s.err = s.src.Each(ctx, e, s.t.since(e), func(rec record.Record) error {
			if !yield(rec) {
				return errStopped
			}
			return nil
		})
	}
	s.next, s.stop = iter.Pull(iter.Seq[record.Record](seq))
}

// close stops the table being read, if any.
func (s *tableSource) close() {
	if s.stop != nil {
		s.stop()
	}
	s.next, s.stop = nil, nil
}

// runTables runs the engine from the tables of src into sink, committing
// commit (when not nil) if the run finished.
func runTables(ctx context.Context, src Reader, entities []record.Entity, t tables, sink record.Sink, commit pipeline.Committer) error {
	in := &tableSource{src: src, entities: entities, t: t}
	defer in.close()
	run := pipeline.NewRun(pipeline.Config{Records: in, Sink: sink, Inline: true, Committer: commit})
	err := run.Run(ctx)
	if re, ok := errors.AsType[*pipeline.ReadError](err); ok {
		err = re.Err // the tables name themselves
	}
	return err
}

// oneOrder is the partition of every record of an export: files keep the
// order read.
func oneOrder(record.Record) string { return "" }

// snapshotSink writes records into the snapshot's files. A record the
// format cannot hold is left out and listed in the manifest (Rejected):
// one bad row must not fail every export.
type snapshotSink struct {
	f *folderRun
}

func (s *snapshotSink) Partition(rec record.Record) string { return oneOrder(rec) }

func (s *snapshotSink) Write(ctx context.Context, recs []record.Record) ([]record.Result, error) {
	res := make([]record.Result, len(recs))
	for i, rec := range recs {
		outcome, err := s.f.write(ctx, rec)
		if err != nil {
			return res, fmt.Errorf("export %s: %w", rec.Entity, err)
		}
		res[i] = outcome
	}
	return res, nil
}

// write writes one record of the table being exported and what comes with
// it (a transaction's rewards, a partner's referral links).
func (f *folderRun) write(ctx context.Context, rec record.Record) (record.Result, error) {
	e := rec.Entity
	sum := f.m.Entities[e]
	res := record.Result{Outcome: record.Created}
	if err := f.snap.write(ctx, rec); err != nil {
		re, ok := errors.AsType[*record.RowError](err)
		if !ok {
			return res, err
		}
		sum.reject(rec, re)
		res = record.Result{Outcome: record.Rejected, Err: re}
	} else {
		sum.Rows++
	}
	f.opts.progress(e, 1)
	if e == record.Partners && f.opts.ReferralLinks {
		return res, writeReferralLinks(ctx, f.snap, rec)
	}
	if e != record.Transactions {
		return res, nil
	}
	f.hwm.see(rec)
	rewards, err := sinks.RewardRecords(rec)
	if err != nil {
		return res, err
	}
	for _, r := range rewards {
		if err := f.snap.write(ctx, r); err != nil {
			re, ok := errors.AsType[*record.RowError](err)
			if !ok {
				return res, err
			}
			f.rewardsSum.reject(r, re)
		}
	}
	return res, nil
}

// stdoutRun streams one table to a writer: no files, no commit.
type stdoutRun struct {
	opts  Options
	m     *Manifest
	table record.Entity
	sink  sinks.Sink
	sum   *EntitySummary
}

func (s *stdoutRun) since(record.Entity) *program.Since { return nil }

func (s *stdoutRun) begin(record.Entity) {
	s.sum = &EntitySummary{ExportedAt: s.m.StartedAt}
	s.m.Entities[s.table] = s.sum
}

func (s *stdoutRun) end(_ record.Entity, stats program.Stats, err error) error {
	s.sum.Pages, s.sum.Shifted = stats.Pages, stats.Shifted
	return err
}

func (s *stdoutRun) Partition(rec record.Record) string { return oneOrder(rec) }

// Write writes the records (or, for the rewards table, their rewards); any
// error, a row the format cannot hold included, ends the stream.
func (s *stdoutRun) Write(ctx context.Context, recs []record.Record) ([]record.Result, error) {
	res := make([]record.Result, len(recs))
	for i, rec := range recs {
		out := []record.Record{rec}
		if s.table == record.Rewards {
			var err error
			if out, err = sinks.RewardRecords(rec); err != nil {
				return res, err
			}
		}
		for _, r := range out {
			if err := s.sink.Write(ctx, r); err != nil {
				return res, err
			}
			s.sum.Rows++
			s.opts.progress(s.table, 1)
		}
		res[i].Outcome = record.Created
	}
	return res, nil
}
