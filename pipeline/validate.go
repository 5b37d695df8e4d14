package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/partnero-etl/partnero-etl/record"
)

// ValidateConfig is one offline check of an input: every row read, mapped
// and validated, nothing written anywhere but the reject file.
type ValidateConfig struct {
	Source RowSource
	Map    func(record.Row) Mapped
	// Dedupe, when set, rejects a record whose identity an earlier row had.
	Dedupe func(record.Record) *record.RowError
	// Rejects, when set, receives every rejected row.
	Rejects RejectRecorder
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

// validateBatch is how many rows the reading goroutine hands over at once:
// large enough to make the hand-over cheap, small enough for bounded memory.
const validateBatch = 256

type readItem struct {
	row record.Row
	err error
}

// Validate reads the whole source, maps, deduplicates and counts every row,
// and passes rejected rows to cfg.Rejects. Reading runs in its own goroutine,
// one batch ahead of mapping, so decoding and validating use two cores; at
// most a few batches are in flight. It returns the counts so far together
// with a fatal error of the source, the reject writer or ctx.
func Validate(ctx context.Context, cfg ValidateConfig) (ValidateCounts, error) {
	if cfg.Source == nil || cfg.Map == nil {
		return ValidateCounts{}, errors.New("validate: no source or no mapping")
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	batches := make(chan []readItem, 2)
	free := make(chan []readItem, 4)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		defer close(batches)
		for {
			var batch []readItem
			select {
			case batch = <-free:
				batch = batch[:0]
			default:
				batch = make([]readItem, 0, validateBatch)
			}
			end := false
			for len(batch) < validateBatch {
				row, err := cfg.Source.Next(ctx)
				if errors.Is(err, io.EOF) {
					end = true
					break
				}
				batch = append(batch, readItem{row, err})
				var re *record.RowError
				if err != nil && !errors.As(err, &re) {
					end = true // fatal: the consumer reports it
					break
				}
			}
			if len(batch) > 0 {
				select {
				case batches <- batch:
				case <-ctx.Done():
					return
				}
			}
			if end {
				return
			}
		}
	}()

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

loop:
	for batch := range batches {
		for i := range batch {
			it := &batch[i]
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
			if re != nil {
				reject(&it.row, "", re)
				continue
			}
			m := cfg.Map(it.row)
			switch {
			case m.Err != nil:
				reject(&it.row, m.Record.Key(), m.Err)
			case m.Skipped:
				c.Skipped++
				c.SkipReasons[m.Reason]++
			default:
				if cfg.Dedupe != nil {
					if derr := cfg.Dedupe(m.Record); derr != nil {
						reject(&it.row, m.Record.Key(), derr)
						continue
					}
				}
				c.Valid++
			}
			it.row = record.Row{} // do not pin the row while the batch waits for reuse
		}
		if fatal != nil {
			break
		}
		select {
		case free <- batch:
		default:
		}
	}
	cancel()
	// Drain so the reader is not blocked, then wait for it: the source is
	// not touched after Validate returns.
	for range batches {
	}
	<-readDone
	if err := parent.Err(); err != nil {
		// Stopped from outside: whatever the reader made of it, say so.
		return c, err
	}
	return c, fatal
}
