package pipeline

import (
	"context"
	"errors"
	"maps"
	"runtime"
	"slices"

	"github.com/partnero-etl/partnero-etl/record"
)

// ValidateConfig is one offline check of an input: every row read, mapped
// and validated, nothing written anywhere but the reject file.
type ValidateConfig struct {
	Source RowSource
	Mapper record.Mapper
	// Dedupe, when set, rejects a record whose identity an earlier row had.
	Dedupe func(record.Record) *record.RowError
	// DedupeBatch, when set, is used instead of Dedupe: it checks a batch
	// of records in order, as that many calls of Dedupe would, putting each
	// answer in out (mapping.Duplicates.CheckBatch, which overlaps the
	// memory reads of a batch).
	DedupeBatch func(recs []record.Record, out []*record.RowError)
	// Rejects, when set, receives every rejected row.
	Rejects RejectRecorder
	// Sink receives the valid records, in input order; nil means Discard.
	// A file sink makes the validation a conversion.
	Sink record.Sink
	// MapWorkers is how many goroutines call Mapper.Map; 0 means GOMAXPROCS, 1
	// calls it from one goroutine (for a Mapper that is not safe for
	// concurrent use). Dedupe and Rejects are always called in input order
	// from one goroutine.
	MapWorkers int
}

// ValidateCounts is what a validation found. Read == Valid + Skipped +
// Rejected, and ByCode adds up to Rejected.
type ValidateCounts struct {
	Read     int64            `json:"read"`
	Valid    int64            `json:"valid"`
	Skipped  int64            `json:"skipped"`
	Rejected int64            `json:"rejected"`
	ByCode   map[string]int64 `json:"rejected_by_code,omitempty"`
	// SkipReasons counts skipped rows by the reason mapping gave.
	SkipReasons map[string]int64 `json:"skipped_by_reason,omitempty"`
	// Columns are the distinct top-level column names the rows had, in
	// order of appearance (at most maxSeenColumns): for inputs that do not
	// declare their columns up front, such as JSON lines.
	Columns []string `json:"-"`
}

// Balanced reports whether the counts add up.
func (c ValidateCounts) Balanced() bool {
	var codes int64
	for _, n := range c.ByCode {
		codes += n
	}
	return c.Valid+c.Skipped+c.Rejected == c.Read && codes == c.Rejected
}

// Codes returns the error codes in ByCode, most frequent first.
func (c ValidateCounts) Codes() []string {
	codes := slices.Collect(maps.Keys(c.ByCode))
	slices.SortFunc(codes, func(a, b string) int {
		if c.ByCode[a] != c.ByCode[b] {
			return int(c.ByCode[b] - c.ByCode[a])
		}
		return compareStrings(a, b)
	})
	return codes
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// maxSeenColumns bounds the column names collected from rows: an input
// whose every line has new keys must not grow memory without end.
const maxSeenColumns = 10_000

// Discard is a sink that writes nothing: every record it is handed is
// accepted (Created). A run into Discard is a validation: every row is
// read, mapped, deduplicated and counted, nothing is written but the
// reject file.
var Discard record.Sink = discard{}

type discard struct{}

func (discard) Partition(record.Record) string { return "" }

func (discard) Write(_ context.Context, recs []record.Record) ([]record.Result, error) {
	res := make([]record.Result, len(recs))
	for i := range res {
		res[i].Outcome = record.Created
	}
	return res, nil
}

// Validate reads the whole source, maps, deduplicates and counts every row,
// and passes rejected rows to cfg.Rejects: a run of the engine into
// Discard, mapping on MapWorkers goroutines. It returns the counts so far
// together with a fatal error of the source, the reject writer or ctx.
func Validate(ctx context.Context, cfg ValidateConfig) (ValidateCounts, error) {
	if cfg.Source == nil || cfg.Mapper == nil {
		return ValidateCounts{}, errors.New("validate: no source or no mapping")
	}
	workers := cfg.MapWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	cols := &columnsSource{src: cfg.Source, seen: map[string]bool{}}
	sink := cfg.Sink
	if sink == nil {
		sink = Discard
	}
	run := NewRun(Config{
		Source:            cols,
		Mapper:            cfg.Mapper,
		MapWorkers:        workers,
		Dedupe:            cfg.Dedupe,
		DedupeBatch:       cfg.DedupeBatch,
		Rejects:           cfg.Rejects,
		Sink:              sink,
		Inline:            true,
		Window:            feedBatch,
		KeyMappingRejects: true,
	})
	err := run.Run(ctx)
	n := run.Counts()
	c := ValidateCounts{Read: n.Read, Valid: n.Created, Skipped: n.Skipped, Rejected: n.Rejected,
		ByCode: n.ByCode, SkipReasons: run.SkipReasons(), Columns: cols.columns}
	if c.SkipReasons == nil {
		c.SkipReasons = map[string]int64{}
	}
	if err := ctx.Err(); err != nil {
		// Stopped from outside: whatever the stages made of it, say so.
		return c, err
	}
	if re, ok := errors.AsType[*ReadError](err); ok {
		err = re.Err // validate names the file itself
	}
	return c, err
}

// columnsSource collects the distinct top-level column names of the rows it
// passes on, in order of appearance (at most maxSeenColumns).
type columnsSource struct {
	src     RowSource
	seen    map[string]bool
	last    *record.Header
	columns []string
}

func (s *columnsSource) Next(ctx context.Context) (record.Row, error) {
	row, err := s.src.Next(ctx)
	if h := row.Header; h != nil && h != s.last {
		s.last = h
		for _, n := range h.Names {
			if !s.seen[n] && len(s.seen) < maxSeenColumns {
				s.seen[n] = true
				s.columns = append(s.columns, n)
			}
		}
	}
	return row, err
}
