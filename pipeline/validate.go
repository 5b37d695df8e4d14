package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"sync"

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

// validateBatch is how many rows travel together between the stages: large
// enough to make a hand-over cheap, small enough for bounded memory.
const validateBatch = 256

type readItem struct {
	row    record.Row
	err    error
	mapped record.Mapped
}

type batch struct {
	items []readItem
	fatal bool          // the last item holds a fatal error
	done  chan struct{} // closed when every row is mapped
}

// Validate reads the whole source, maps, deduplicates and counts every row,
// and passes rejected rows to cfg.Rejects. It returns the counts so far
// together with a fatal error of the source, the reject writer or ctx.
//
// Three stages overlap: one goroutine reads batches of rows, MapWorkers
// goroutines map them (cfg.Mapper must then be safe for concurrent use, as
// mapping.Mapper is), and the calling goroutine takes the batches in input
// order to deduplicate, count and record rejects, so the outcome is the same
// as a sequential run. At most a few batches are in flight.
func Validate(ctx context.Context, cfg ValidateConfig) (ValidateCounts, error) {
	if cfg.Source == nil || cfg.Mapper == nil {
		return ValidateCounts{}, errors.New("validate: no source or no mapping")
	}
	workers := cfg.MapWorkers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	ordered := make(chan *batch, 2*workers+2)
	work := make(chan *batch, 2*workers+2)
	free := make(chan *batch, 2*workers+4)
	var wg sync.WaitGroup

	wg.Go(func() {
		defer close(work)
		defer close(ordered)
		for {
			var b *batch
			select {
			case b = <-free:
				b.items, b.fatal, b.done = b.items[:0], false, make(chan struct{})
			default:
				b = &batch{items: make([]readItem, 0, validateBatch), done: make(chan struct{})}
			}
			end := false
			for len(b.items) < validateBatch {
				row, err := cfg.Source.Next(ctx)
				if errors.Is(err, io.EOF) {
					end = true
					break
				}
				b.items = append(b.items, readItem{row: row, err: err})
				var re *record.RowError
				if err != nil && !errors.As(err, &re) {
					b.fatal, end = true, true
					break
				}
			}
			if len(b.items) > 0 {
				select {
				case ordered <- b:
				case <-ctx.Done():
					return
				}
				select {
				case work <- b:
				case <-ctx.Done():
					return
				}
			}
			if end {
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for b := range work {
				for i := range b.items {
					it := &b.items[i]
					if it.err == nil && ctx.Err() == nil {
						it.mapped = cfg.Mapper.Map(it.row)
					}
				}
				close(b.done)
			}
		})
	}

	c := ValidateCounts{ByCode: map[string]int64{}, SkipReasons: map[string]int64{}}
	seen := map[string]bool{}
	var lastHeader *record.Header
	var fatal error

	reject := func(row *record.Row, key string, rerr *record.RowError) {
		c.Rejected++
		c.ByCode[rerr.Code]++
		if cfg.Rejects != nil && fatal == nil {
			if err := cfg.Rejects.Reject(row, key, rerr); err != nil {
				fatal = fmt.Errorf("write rejects: %w", err)
			}
		}
	}

	var dedupeIn []record.Record
	var dedupeOut []*record.RowError
loop:
	for b := range ordered {
		select {
		case <-b.done:
		case <-ctx.Done():
			break loop
		}
		// A batch's valid records are checked for duplicates together, in
		// input order, before the rows are counted in that same order.
		next := 0 // the next answer of dedupeOut
		if cfg.DedupeBatch != nil {
			dedupeIn = dedupeIn[:0]
			for i := range b.items {
				if it := &b.items[i]; it.err == nil && it.mapped.Err == nil && !it.mapped.Skipped {
					dedupeIn = append(dedupeIn, it.mapped.Record)
				}
			}
			dedupeOut = slices.Grow(dedupeOut[:0], len(dedupeIn))[:len(dedupeIn)]
			cfg.DedupeBatch(dedupeIn, dedupeOut)
			clear(dedupeIn) // do not pin the records
		}
		for i := range b.items {
			it := &b.items[i]
			var re *record.RowError
			if it.err != nil && !errors.As(it.err, &re) {
				fatal = it.err
				break loop
			}
			c.Read++
			if h := it.row.Header; h != nil && h != lastHeader {
				lastHeader = h
				for _, n := range h.Names {
					if !seen[n] && len(seen) < maxSeenColumns {
						seen[n] = true
						c.Columns = append(c.Columns, n)
					}
				}
			}
			m := &it.mapped
			switch {
			case re != nil:
				reject(&it.row, "", re)
			case m.Err != nil:
				reject(&it.row, m.Record.Key(), m.Err)
			case m.Skipped:
				c.Skipped++
				c.SkipReasons[m.Reason]++
			default:
				var derr *record.RowError
				switch {
				case cfg.DedupeBatch != nil:
					derr = dedupeOut[next]
					next++
				case cfg.Dedupe != nil:
					derr = cfg.Dedupe(m.Record)
				}
				if derr != nil {
					reject(&it.row, m.Record.Key(), derr)
					break
				}
				c.Valid++
			}
			*it = readItem{} // do not pin the row while the batch waits for reuse
		}
		if fatal != nil {
			break
		}
		select {
		case free <- b:
		default:
		}
	}
	cancel()
	// Drain so no stage stays blocked, then wait for them: the source is
	// not touched after Validate returns.
	for range ordered {
	}
	wg.Wait()
	if err := parent.Err(); err != nil {
		// Stopped from outside: whatever the stages made of it, say so.
		return c, err
	}
	return c, fatal
}
