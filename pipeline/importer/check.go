package importer

import (
	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// checked is a job that passed Check: what Run needs before it touches the
// API.
type checked struct {
	entity       record.Entity
	format       string
	delim        rune
	rejectFormat string
	rejectPath   string
	journalPath  string // "" in a dry run
	spec         *mapping.Spec
	mapper       *mapping.Mapper
}

// Check tells whether the job can run, without a request to the API: the
// entity and options, the input's format, the output paths, the mapping.
// Every mistake is a usage error (pipeline.ErrUsage). Run checks the job again; a
// command calls Check first so that a mistake in the job is reported before
// the key is looked at.
func (j *Job) Check() error {
	_, err := j.check()
	return err
}

func (j *Job) check() (*checked, error) {
	c := &checked{}
	var err error
	c.entity, err = record.ParseEntity(j.Entity)
	if err != nil || c.entity == record.Rewards {
		return nil, pipeline.Usagef("import: unknown entity %q: want partners, customers or transactions", j.Entity)
	}
	if err := j.checkOptions(); err != nil {
		return nil, err
	}
	if err := c.checkInput(j); err != nil {
		return nil, err
	}
	c.rejectFormat = pipeline.RejectFormatFor(c.format)
	if c.rejectPath = j.Rejects; c.rejectPath == "" {
		c.rejectPath = pipeline.RejectPath(j.Input, c.rejectFormat)
	}
	if !j.DryRun {
		if c.journalPath = j.Journal; c.journalPath == "" {
			c.journalPath = pipeline.DefaultJournalPath(j.Input, c.entity)
		}
	}
	if err := j.checkPaths(c.rejectPath, c.journalPath); err != nil {
		return nil, err
	}
	if err := c.loadMapping(j); err != nil {
		return nil, err
	}
	return c, nil
}

// checkOptions refuses negative counts and more workers than
// MaxWorkersOption.
func (j *Job) checkOptions() error {
	if j.Workers < 0 || j.MaxRejects < 0 || j.MaxAttempts < 0 {
		return pipeline.Usagef("--workers, --max-rejects and --max-attempts must not be negative")
	}
	if j.Workers > MaxWorkersOption {
		return pipeline.Usagef("--workers %d: at most %d (more writers than the rate limit keeps busy only wait for it; leave it out to size the pool from the limit and the API's latency)",
			j.Workers, MaxWorkersOption)
	}
	return nil
}

// checkInput settles the input's format and delimiter.
func (c *checked) checkInput(j *Job) error {
	var err error
	c.format, c.delim, err = pipeline.InputFormat(j.Input, j.Format, j.Delimiter)
	return err
}

// loadMapping compiles the job's mapping: Spec, else the Mapping file,
// else the Preset, else the canonical columns.
func (c *checked) loadMapping(j *Job) error {
	var err error
	c.spec = j.Spec
	switch {
	case c.spec != nil:
	case j.Mapping != "" && j.Preset != "":
		return pipeline.Usagef("a mapping file (%s) and a preset (%s): name one", j.Mapping, j.Preset)
	case j.Mapping != "":
		c.spec, err = mapping.Load(j.Mapping)
	case j.Preset != "":
		c.spec, err = mapping.Preset(j.Preset, c.entity)
	}
	if err != nil {
		return pipeline.Usage(err)
	}
	if c.mapper, err = mapping.NewMapper(c.entity, c.spec); err != nil {
		return pipeline.Usage(err)
	}
	return nil
}

// checkPaths refuses, before anything is read or written, outputs that
// would overwrite or delete the input or each other, and outputs the run
// could not write (a report that would fail only after the whole run, a
// reject file at the first rejected row).
func (j *Job) checkPaths(rejectPath, journalPath string) error {
	rejects := pipeline.OutputPath{Name: "--rejects", Path: rejectPath}
	if j.Rejects == "" {
		rejects.Name = "the reject file"
	}
	journal := pipeline.OutputPath{Name: "--journal", Path: journalPath}
	if j.Journal == "" {
		journal.Name = "the journal"
	}
	report := pipeline.OutputPath{Name: "--report", Path: j.Report}
	if err := pipeline.CheckOutputs([]string{j.Input}, []pipeline.OutputPath{rejects, journal, report}); err != nil {
		return err
	}
	if err := pipeline.CheckWritable(rejects); err != nil {
		return pipeline.Elsewhere(err, j.Rejects, "--rejects")
	}
	if journal.Path != "" {
		// A journal is locked, truncated and deleted: only a regular file.
		if err := atomicfile.CheckRegular(journal.Path); err != nil {
			return pipeline.Usagef("%s: %v", journal.Name, err)
		}
	}
	if err := pipeline.CheckWritable(journal); err != nil {
		return pipeline.Elsewhere(err, j.Journal, "--journal")
	}
	return pipeline.CheckWritable(report)
}
