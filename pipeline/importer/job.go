// Package importer is the import job: one input file of partners, customers
// or transactions made to hold in a Partnero program. It assembles a run of
// the pipeline engine (source, mapping, upsert sink, journal, reject file)
// from a Job, sizes its workers, reconciles the money of a transactions run
// and returns the run's report. A command parses its flags into a Job and
// calls Run; a migration runs one Job per entity and steers each through
// its Hooks. Nothing here writes to the terminal: the caller shows progress
// (Progress) and the summary (Report.WriteSummary).
package importer

import (
	"io"
	"log/slog"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// Job is one import: what to read, how to map it, where the outputs go and
// how to write. Its yaml tags are a plan file's (the options share their
// names with the command's flags, with _ for -); the fields tagged "-" are
// set by code.
type Job struct {
	// Entity is partners, customers or transactions.
	Entity string `yaml:"entity"`
	// Input is the file to read ("-": Stdin; ".gz" is decompressed).
	Input string `yaml:"file"`
	// Format is csv, jsonl or parquet; "" takes it from Input's extension.
	Format string `yaml:"format,omitempty"`
	// Delimiter of CSV input: one character or a name ("tab"); "" detects it.
	Delimiter string `yaml:"delimiter,omitempty"`
	// Mapping is a mapping file; Preset names a built-in one. Neither:
	// the canonical column names. Spec, when set, is used instead of both.
	Mapping string `yaml:"mapping,omitempty"`
	Preset  string `yaml:"preset,omitempty"`
	// Rejects, Journal and Report are the output files; "" puts the reject
	// file and the journal beside the input and writes no report file.
	Rejects string `yaml:"rejects,omitempty"`
	Journal string `yaml:"journal,omitempty"`
	Report  string `yaml:"report,omitempty"`

	// DryRun makes only read requests and reports what would be written.
	DryRun bool `yaml:"dry_run,omitempty"`
	// Workers is the number of concurrent writers, at most MaxWorkersOption;
	// 0 sizes the pool from the rate limit and the API's latency.
	Workers int `yaml:"workers,omitempty"`
	// MaxRejects stops the run once more rows were rejected (0: no limit).
	MaxRejects int64 `yaml:"max_rejects,omitempty"`
	// ReplaceTransactions replaces a transaction whose key exists with
	// other values (delete, then create) instead of rejecting it.
	ReplaceTransactions bool `yaml:"replace_transactions,omitempty"`
	// NoBatch writes transactions one request each.
	NoBatch bool `yaml:"no_batch,omitempty"`
	// Restart ignores the journal of an earlier run.
	Restart bool `yaml:"restart,omitempty"`
	// MaxAttempts bounds a transaction create's verified re-sends (the
	// client's own retries are set where it is built); 0: the default.
	MaxAttempts int `yaml:"max_attempts,omitempty"`
	// CreateCustomers lets a transaction create its missing customer with
	// the partner the row names (a mapping's create_customers says the same).
	CreateCustomers bool `yaml:"create_customers,omitempty"`

	// Spec, when set, maps the rows instead of Mapping or Preset.
	Spec *mapping.Spec `yaml:"-"`
	// Program is the program the client's key belongs to, as the caller
	// checked it; nil: Run asks the API.
	Program *partnero.Program `yaml:"-"`
	// Stdin is read when Input is "-".
	Stdin io.Reader `yaml:"-"`
	// Log receives the run's notes (columns no rule reads, a resume);
	// nil discards them.
	Log *slog.Logger `yaml:"-"`
	// Hooks let a migration take part in the run; zero for an import.
	Hooks Hooks `yaml:"-"`
}

// Hooks let a caller (a migration, which runs one import per entity and
// joins them) see and steer the rows of a run. Every hook is optional. The
// engine calls them from its workers: they must be safe for concurrent use.
type Hooks struct {
	// Map sees every record mapping accepted, before it is deduplicated: it
	// may fill it in (a partner resolved from a source id) or reject it.
	// With Map set, the report leaves the customer join rules to the caller.
	Map func(rec *record.Record) *record.RowError
	// MapErr sees every row mapping refused and may give it another reason
	// (a transaction of a rejected customer).
	MapErr func(row record.Row, rerr *record.RowError) *record.RowError
	// Reject sees every rejected row; key is the record's identity when
	// the row got as far as a record, else "".
	Reject func(row *record.Row, key string, rerr *record.RowError)
	// Written sees the sink's outcome of every record written.
	Written func(rec record.Record, outcome record.Outcome)
	// MayCreateCustomer, DeferCreate and OnCustomer are the upsert sink's
	// (see upsert.Options): whether a transaction may create its missing
	// customer all the same, whether a customer's create waits for its
	// first transaction batch, and what became of a transaction's customer.
	MayCreateCustomer func(key string) bool
	DeferCreate       func(key string) bool
	OnCustomer        func(key string, created bool)
}

// Status is a running import's state, for a progress display.
type Status struct {
	// Counts are the rows so far.
	Counts pipeline.Counts
	// Total is the input's estimated number of rows; -1 when unknown.
	Total int64
	// Sent is the number of requests the job has sent so far.
	Sent int64
	// Client is the client's own counters and budget: every request it
	// sent, a migration's earlier stages included.
	Client partnero.Stats
}

// Progress starts a progress display of the entity once the run begins
// writing. The display may call status at any time, from one goroutine,
// until the returned stop returns; Run calls stop once, when the engine is
// done.
type Progress func(entity record.Entity, status func() Status) (stop func())
