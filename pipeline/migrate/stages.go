package migrate

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/partnero-etl/partnero-etl/mapping"
	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks/upsert"
	"github.com/partnero-etl/partnero-etl/sources"
)

// CheckPaths refuses, before the first stage, a reject file, journal or
// report that is one of the inputs or another of these outputs, and a
// report that could not be written (each stage checks its own again).
func CheckPaths(opts *Options, stages []*Stage) error {
	var inputs []string
	var outputs []pipeline.OutputPath
	for _, st := range stages {
		inputs = append(inputs, st.File)
		outputs = append(outputs, pipeline.OutputPath{Name: "the reject file of " + string(st.Entity), Path: RejectPath(opts.RejectsDir, st)})
		if !opts.DryRun {
			outputs = append(outputs, pipeline.OutputPath{Name: "the journal of " + string(st.Entity), Path: pipeline.DefaultJournalPath(st.File, st.Entity)})
		}
	}
	report := pipeline.OutputPath{Name: "--report", Path: opts.Report}
	if err := pipeline.CheckOutputs(inputs, append(outputs, report)); err != nil {
		return err
	}
	return pipeline.CheckWritable(report)
}

// RejectPath puts a stage's reject file in dir (beside the input when dir
// is empty), named after the input.
func RejectPath(dir string, st *Stage) string {
	rf := pipeline.RejectFormatFor(st.Format)
	if dir == "" {
		return pipeline.RejectPath(st.File, rf)
	}
	return pipeline.RejectPath(filepath.Join(dir, filepath.Base(st.File)), rf)
}

// RejectPathOf is RejectPath for an input named by its path alone, its
// format read from its name as the migration reads it.
func RejectPathOf(dir, file string) (string, error) {
	format, err := sources.FormatOf(file, sources.Options{})
	if err != nil {
		return "", err
	}
	return RejectPath(dir, &Stage{File: file, Format: format}), nil
}

// stageRejects is the reject path of a stage's import: empty (the import's
// default, beside the input, the same as RejectPath) unless --rejects-dir
// moves the reject files.
func stageRejects(dir string, st *Stage) string {
	if dir == "" {
		return ""
	}
	return RejectPath(dir, st)
}

// readAhead reads a stage's input, mapped by its mapping, before the
// stages run: the partners input whole, so that customers (and partners
// referred by partners later in the file) can be joined to them; the
// transactions input, for the customers its transactions name.
func readAhead(ctx context.Context, st *Stage, scan func(src pipeline.RowSource, mapper *mapping.Mapper) error) error {
	mapper, err := mapping.NewMapper(st.Entity, st.Spec)
	if err != nil {
		return pipeline.Usage(err)
	}
	src, err := sources.Open(st.File, sources.Options{Format: st.Format})
	if err != nil {
		return err
	}
	defer src.Close()
	return scan(src, mapper)
}

// scanPartners reads the partners input into the join.
func scanPartners(ctx context.Context, st *Stage, ids *identityReader, join *Join) error {
	return readAhead(ctx, st, func(src pipeline.RowSource, mapper *mapping.Mapper) error {
		dups := mapping.NewDuplicates(record.Partners)
		defer dups.Close()
		return join.ScanPartners(ctx, src, mapper, func(row record.Row) string { return ids.partnerSourceID(&row) }, dups.Check)
	})
}

// scanTransactionCustomers reads the transactions input before the
// customers stage and notes which customers its transactions name.
func scanTransactionCustomers(ctx context.Context, st *Stage, join *Join) error {
	return readAhead(ctx, st, func(src pipeline.RowSource, mapper *mapping.Mapper) error {
		return join.ScanTransactions(ctx, src, mapper)
	})
}

// settleDeferredCustomers writes, one by one, the customers the customers
// stage left to their transactions that no transaction batch created or
// saw: every transaction of theirs was rejected, or a resumed run skipped
// them all. A clean first run has none. A customer that cannot be written
// moves from created to rejected in the customers stage's counts.
func settleDeferredCustomers(ctx context.Context, client *api.Client, opts *Options, join *Join, rep *pipeline.Report, mrep *MigrationReport) error {
	left := join.Unconfirmed()
	if len(left) == 0 {
		return nil
	}
	sink := upsert.New(upsert.NewClientTarget(client), upsert.Options{
		Entity: record.Customers, DryRun: opts.DryRun, MaxAttempts: opts.MaxAttempts,
	})
	if err := sink.Prepare(ctx, int64(len(left))); err != nil {
		return fmt.Errorf("learn what the program holds: %w", err)
	}
	for _, u := range left {
		c := u.Customer
		res, err := sink.Write(ctx, []record.Record{{Entity: record.Customers, Origin: u.Origin, Customer: &c}})
		if err != nil {
			return err
		}
		if len(res) == 1 && res[0].Outcome == record.Rejected && u.Deferred {
			rerr := res[0].Err
			rep.Counts.Created--
			rep.Counts.Rejected++
			if rep.Counts.ByCode == nil {
				rep.Counts.ByCode = map[string]int64{}
			}
			rep.Counts.ByCode[rerr.Code]++
			mrep.LateRejects = append(mrep.LateRejects, rerr.Error())
		}
	}
	return nil
}

// abandonDeferredCustomers: the migration stopped before every customer
// left to its transactions was created; the customers stage counted them
// as created, they are abandoned (the next run creates them).
func abandonDeferredCustomers(join *Join, rep *pipeline.Report) {
	for _, u := range join.Unconfirmed() {
		if u.Deferred {
			rep.Counts.Created--
			rep.Counts.Abandoned++
		}
	}
}
