package pipeline

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources"
)

// ValidateJob is one check of an input file, offline: what the validate
// command was asked.
type ValidateJob struct {
	Entity string
	// Input is the file ("-" is Stdin).
	Input   string
	Mapping string // a mapping file; empty means the canonical columns
	// Rejects is the reject file; empty means beside the input.
	Rejects string
	Format  string // empty means from the file's extension
	// Delimiter is a --delimiter value (sources.ParseDelimiter); empty means
	// detected.
	Delimiter string
	Stdin     io.Reader
	// Outputs are other files the job writes (a conversion's output),
	// checked with the reject file before anything is read.
	Outputs []OutputPath
}

// Validation is a validate job opened: its mapping loaded, its outputs
// checked, its input and reject file open, nothing read yet.
type Validation struct {
	job     ValidateJob
	entity  record.Entity
	src     sources.Source
	mapper  *mapping.Mapper
	rejects *RejectWriter
	// Columns are the columns the input declares up front (nil for an
	// input that declares none, such as JSON lines).
	Columns []string
}

// InputFormat settles an input's format and CSV delimiter from what the
// user gave (--format, --delimiter; both may be empty): a bad delimiter, an
// unknown format, or a delimiter for an input that is not CSV is a usage
// error. The import and validate jobs both read their input through it.
func InputFormat(input, format, delimiter string) (string, rune, error) {
	delim, err := sources.ParseDelimiter(delimiter)
	if err != nil {
		return "", 0, Usage(err)
	}
	f, err := sources.FormatOf(input, sources.Options{Format: format, Delimiter: delim})
	if err != nil {
		return "", 0, Usage(err)
	}
	if delim != 0 && f != sources.FormatCSV {
		return "", 0, Usagef("--delimiter applies to CSV input only, and this input is %s", f)
	}
	return f, delim, nil
}

// OpenValidation checks the job and opens its input and reject file. A
// problem with what was asked (an unknown entity, a bad mapping file, a
// reject file that cannot be written) is a usage error (ErrUsage), found before the
// first row is read.
func OpenValidation(job ValidateJob) (*Validation, error) {
	entity, err := record.ParseEntity(job.Entity)
	if err != nil || entity == record.Rewards {
		return nil, Usagef("validate: unknown entity %q: want partners, customers or transactions", job.Entity)
	}
	format, delim, err := InputFormat(job.Input, job.Format, job.Delimiter)
	if err != nil {
		return nil, err
	}
	srcOpts := sources.Options{Format: job.Format, Delimiter: delim, Stdin: job.Stdin}
	var spec *mapping.Spec
	if job.Mapping != "" {
		if spec, err = mapping.Load(job.Mapping); err != nil {
			return nil, Usage(err)
		}
	}
	mapper, err := mapping.NewMapper(entity, spec)
	if err != nil {
		return nil, Usage(err)
	}
	rejectFormat := RejectFormatFor(format)
	rejectOut := OutputPath{Name: "--rejects", Path: job.Rejects}
	if job.Rejects == "" {
		rejectOut = OutputPath{Name: "the reject file", Path: RejectPath(job.Input, rejectFormat)}
	}
	if err := CheckOutputs([]string{job.Input}, append(slices.Clone(job.Outputs), rejectOut)); err != nil {
		return nil, err
	}
	// Checked even at its default path, though it is written only when a
	// row is rejected: a reject file that cannot be written would stop the
	// run at its first reject, rows or hours in.
	if err := CheckWritable(rejectOut); err != nil {
		return nil, Elsewhere(err, job.Rejects, "--rejects")
	}
	src, err := sources.Open(job.Input, srcOpts)
	if err != nil {
		return nil, err
	}
	v := &Validation{job: job, entity: entity, src: src, mapper: mapper}
	if c, ok := src.(sources.Columner); ok {
		v.Columns = c.Columns()
	}
	rejOpts := RejectOptions{Path: rejectOut.Path, Format: rejectFormat, Columns: v.Columns}
	if d, ok := src.(sources.Delimited); ok {
		rejOpts.Delimiter = d.Delimiter()
	}
	if v.rejects, err = NewRejectWriter(rejOpts); err != nil {
		src.Close()
		return nil, err
	}
	return v, nil
}

// Entity is the entity the job's rows are.
func (v *Validation) Entity() record.Entity { return v.entity }

// Close closes the input and the reject file of a validation that is not
// going to run; Run closes them itself.
func (v *Validation) Close() error {
	v.src.Close()
	return v.rejects.Close()
}

// UnknownColumns are the columns no mapping rule reads.
func (v *Validation) UnknownColumns(columns []string) []string {
	return v.mapper.UnknownColumns(columns)
}

// DelimiterHint spots the usual sign of a wrong delimiter: a CSV header
// read as one column whose name holds another candidate delimiter. It is
// empty when there is no such sign.
func (v *Validation) DelimiterHint() string {
	d, ok := v.src.(sources.Delimited)
	if !ok || len(v.Columns) != 1 {
		return ""
	}
	for _, c := range []string{",", ";", "\t", "|"} {
		if r := []rune(c)[0]; r != d.Delimiter() && strings.Contains(v.Columns[0], c) {
			name, flag := c, "'"+c+"'"
			if c == "\t" {
				name, flag = "tab", "tab"
			}
			return fmt.Sprintf("hint: the header is one column containing %q: is the delimiter %s? (try --delimiter %s)",
				v.Columns[0], name, flag)
		}
	}
	return ""
}

// ValidateResult is what a validation found and where its rejects went.
type ValidateResult struct {
	ValidateCounts
	Elapsed time.Duration
	// RejectsPath is the reject file; RejectsWritten the rows in it.
	RejectsPath    string
	RejectsWritten int64
	// CloseErr is the error of finishing the reject file.
	CloseErr error
}

// Run reads, maps, deduplicates and counts every row (Validate), then
// finishes the reject file and closes the input. The error is the run's
// (the source's, the duplicate index's, the reject writer's or ctx's); the
// result has the counts so far either way.
func (v *Validation) Run(ctx context.Context) (ValidateResult, error) {
	return v.RunInto(ctx, nil, nil)
}

// RunInto is Run with the valid records written to sink (nil: Discard), and
// commit (when not nil) committed if every row was read, aborted otherwise:
// a conversion from file to file.
func (v *Validation) RunInto(ctx context.Context, sink record.Sink, commit Committer) (ValidateResult, error) {
	defer v.src.Close()
	dups := mapping.NewDuplicates(v.entity)
	defer dups.Close()
	start := time.Now()
	counts, err := Validate(ctx, ValidateConfig{
		Source:      v.src,
		Mapper:      v.mapper,
		DedupeBatch: dups.CheckBatch,
		Rejects:     v.rejects,
		Sink:        sink,
	})
	res := ValidateResult{ValidateCounts: counts, Elapsed: time.Since(start)}
	if derr := dups.Err(); derr != nil && err == nil {
		err = derr
	}
	if commit != nil {
		// After the duplicate index said it is sound: its error ends the
		// run as much as the source's.
		if err == nil {
			err = commit.Commit(ctx)
		} else {
			commit.Abort()
		}
	}
	res.CloseErr = v.rejects.Close()
	res.RejectsPath, res.RejectsWritten = v.rejects.Path(), v.rejects.Count()
	return res, err
}
