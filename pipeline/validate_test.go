package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// listSource yields rows whose "key" column is the given text; "!bad" is a
// row error, "!fatal" a fatal error.
type listSource struct {
	keys []string
	i    int
	h    *record.Header
}

func newListSource(keys ...string) *listSource {
	return &listSource{keys: keys, h: record.NewHeader([]string{"key", "note"})}
}

func (s *listSource) Next(ctx context.Context) (record.Row, error) {
	if err := ctx.Err(); err != nil {
		return record.Row{}, err
	}
	if s.i >= len(s.keys) {
		return record.Row{}, io.EOF
	}
	k := s.keys[s.i]
	s.i++
	origin := record.Origin{File: "in.csv", Line: int64(s.i + 1)}
	switch k {
	case "!bad":
		return record.Row{Origin: origin}, &record.RowError{Origin: origin, Code: record.CodeMalformedRow, Message: "ragged"}
	case "!fatal":
		return record.Row{}, errors.New("disk on fire")
	}
	return record.Row{Origin: origin, Header: s.h, Text: []string{k, ""}}, nil
}

// mapKey maps a row by its key: "skip*" is skipped, "bad*" invalid, else a
// transaction with that key.
func mapKey(row record.Row) record.Mapped {
	k := row.Text[0]
	switch {
	case strings.HasPrefix(k, "skip"):
		return record.Mapped{Skipped: true, Reason: "status refunded"}
	case strings.HasPrefix(k, "bad"):
		return record.Mapped{Err: &record.RowError{Origin: row.Origin, Field: "amount", Code: record.CodeInvalidAmount, Message: "not a number"}}
	}
	return record.Mapped{Record: record.Record{Entity: record.Transactions, Origin: row.Origin, Row: &row,
		Transaction: &partnero.Transaction{Key: k}}}
}

func dedupe() func(record.Record) *record.RowError {
	first := map[string]record.Origin{}
	return func(rec record.Record) *record.RowError {
		if o, dup := first[rec.Key()]; dup {
			return &record.RowError{Origin: rec.Origin, Code: record.CodeDuplicate, Message: "also on line " + strconv.FormatInt(o.Line, 10)}
		}
		first[rec.Key()] = rec.Origin
		return nil
	}
}

type recorder struct {
	got  []string
	fail bool
}

func (r *recorder) Reject(row *record.Row, key string, rerr *record.RowError) error {
	if r.fail {
		return errors.New("disk full")
	}
	r.got = append(r.got, row.Origin.String()+" "+key+" "+rerr.Code)
	return nil
}

func TestValidateCounts(t *testing.T) {
	for _, workers := range []int{1, 2, 4} {
		for _, batched := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d map workers, batched dedupe %v", workers, batched), func(t *testing.T) { testValidateCounts(t, workers, batched) })
		}
	}
}

// batchOf checks a batch by calls of one, in order, counting the records.
func batchOf(check func(record.Record) *record.RowError, seen *int) func([]record.Record, []*record.RowError) {
	return func(recs []record.Record, out []*record.RowError) {
		for i, rec := range recs {
			out[i] = check(rec)
			*seen++
		}
	}
}

func testValidateCounts(t *testing.T, workers int, batched bool) {
	keys := []string{"a", "b", "!bad", "skip1", "bad1", "a", "c"}
	for range 1000 { // cross batch boundaries
		keys = append(keys, "x"+strconv.Itoa(len(keys)))
	}
	rec := &recorder{}
	cfg := ValidateConfig{Source: newListSource(keys...), Mapper: record.MapperFunc(mapKey), Dedupe: dedupe(), Rejects: rec, MapWorkers: workers}
	seen := 0
	if batched {
		cfg.Dedupe = nil
		cfg.DedupeBatch = batchOf(dedupe(), &seen)
	}
	c, err := Validate(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if batched && seen != 1004 {
		t.Errorf("%d records checked for duplicates, want the 1004 valid after mapping", seen)
	}
	want := ValidateCounts{Read: 1007, Valid: 1003, Skipped: 1, Rejected: 3}
	if c.Read != want.Read || c.Valid != want.Valid || c.Skipped != want.Skipped || c.Rejected != want.Rejected {
		t.Errorf("counts = %+v, want %+v", c, want)
	}
	if !c.Balanced() {
		t.Error("counts do not add up")
	}
	if c.ByCode[record.CodeMalformedRow] != 1 || c.ByCode[record.CodeInvalidAmount] != 1 || c.ByCode[record.CodeDuplicate] != 1 {
		t.Errorf("by code = %v", c.ByCode)
	}
	if c.SkipReasons["status refunded"] != 1 {
		t.Errorf("skip reasons = %v", c.SkipReasons)
	}
	wantRejects := []string{"in.csv:4  malformed_row", "in.csv:6  invalid_amount", "in.csv:7 a duplicate"}
	if strings.Join(rec.got, "|") != strings.Join(wantRejects, "|") {
		t.Errorf("rejects = %q, want %q", rec.got, wantRejects)
	}
	if strings.Join(c.Columns, ",") != "key,note" {
		t.Errorf("columns = %q", c.Columns)
	}
}

func TestValidateFatalErrors(t *testing.T) {
	t.Run("source", func(t *testing.T) {
		c, err := Validate(t.Context(), ValidateConfig{Source: newListSource("a", "b", "!fatal", "c"), Mapper: record.MapperFunc(mapKey)})
		if err == nil || !strings.Contains(err.Error(), "disk on fire") {
			t.Fatalf("err = %v", err)
		}
		if c.Read != 2 || c.Valid != 2 {
			t.Errorf("counts so far = %+v", c)
		}
	})
	t.Run("reject writer", func(t *testing.T) {
		_, err := Validate(t.Context(), ValidateConfig{Source: newListSource("a", "bad", "b"), Mapper: record.MapperFunc(mapKey), Rejects: &recorder{fail: true}})
		if err == nil || !strings.Contains(err.Error(), "write rejects: disk full") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := Validate(ctx, ValidateConfig{Source: newListSource("a", "b"), Mapper: record.MapperFunc(mapKey)})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("cancelled mid-way", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		keys := make([]string, 10_000)
		for i := range keys {
			keys[i] = "k" + strconv.Itoa(i)
		}
		var n atomic.Int64
		_, err := Validate(ctx, ValidateConfig{Source: newListSource(keys...), Mapper: record.MapperFunc(func(r record.Row) record.Mapped {
			if n.Add(1) == 300 {
				cancel()
			}
			return mapKey(r)
		})})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("no source", func(t *testing.T) {
		if _, err := Validate(t.Context(), ValidateConfig{Mapper: record.MapperFunc(mapKey)}); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestValidateCountsCodesOrder(t *testing.T) {
	c := ValidateCounts{ByCode: map[string]int64{"b": 2, "a": 2, "c": 5}}
	if got := strings.Join(c.Codes(), ","); got != "c,a,b" {
		t.Errorf("Codes() = %s", got)
	}
}
