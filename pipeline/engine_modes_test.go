package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// orderSink records every key in the order written (for the inline path,
// which has one writer).
type orderSink struct {
	keys   []string
	writes int
	fail   error
}

func (s *orderSink) Partition(rec record.Record) string { return rec.Transaction.Customer.Key }

func (s *orderSink) Write(_ context.Context, recs []record.Record) ([]record.Result, error) {
	if s.fail != nil {
		return nil, s.fail
	}
	s.writes++
	out := make([]record.Result, len(recs))
	for i, r := range recs {
		s.keys = append(s.keys, r.Transaction.Key)
		out[i].Outcome = record.Created
	}
	return out, nil
}

func engineRows(n int) [][]string {
	var rows [][]string
	for i := range n {
		rows = append(rows, []string{fmt.Sprint("t", i), fmt.Sprint("c", i%7), "10"})
	}
	return append(rows, []string{"BAD", "", ""}, []string{"SKIP", "c1", "1"}, []string{"tx", "c1", ""})
}

// The modes of the engine (mapping on several goroutines, writing inline)
// give every row the outcome a plain run gives it, in input order.
func TestRunModesSameOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mapWorkers int
		inline     bool
	}{
		{"workers, parallel mapping", 3, false},
		{"inline", 0, true},
		{"inline, parallel mapping", 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := engineRows(1000) // several batches of the parallel feed
			rej := &rejectLog{}
			cfg := Config{Entity: record.Transactions, Source: newSliceSource(rows...), Mapper: record.MapperFunc(mapTx),
				Rejects: rej, MapWorkers: tc.mapWorkers, Inline: tc.inline, Workers: 2, Window: 16}
			var inline *orderSink
			var pooled *fakeSink
			if tc.inline {
				inline = &orderSink{}
				cfg.Sink = inline
			} else {
				pooled = &fakeSink{seen: map[string][]string{}}
				cfg.Sink = pooled
			}
			run := NewRun(cfg)
			if err := run.Run(t.Context()); err != nil {
				t.Fatal(err)
			}
			c := run.Counts()
			if !c.Balanced() || c.Read != 1003 || c.Created != 1000 || c.Skipped != 1 || c.Rejected != 2 {
				t.Fatalf("counts %+v", c)
			}
			if got := run.SkipReasons(); got["filtered"] != 1 {
				t.Errorf("skip reasons %v", got)
			}
			if strings.Join(rej.lines, ",") != "1002:malformed_row,1004:missing_field" {
				t.Errorf("rejects %v", rej.lines)
			}
			if inline != nil {
				for i, k := range inline.keys {
					if k != fmt.Sprint("t", i) {
						t.Fatalf("write %d is %s: out of input order", i, k)
					}
				}
				if inline.writes < 1000/16 {
					t.Errorf("%d writes: not in windows of up to 16", inline.writes)
				}
				return
			}
			for cust, keys := range pooled.seen {
				last := -1
				for _, k := range keys {
					var n int
					fmt.Sscanf(k, "t%d", &n)
					if n <= last {
						t.Fatalf("customer %s: %v out of input order", cust, keys)
					}
					last = n
				}
			}
		})
	}
}

// recordList is a RecordSource over transactions keyed k0, k1, ...; a
// fatal error after n when fail is set.
type recordList struct {
	n, i int
	fail error
}

func (s *recordList) Next(ctx context.Context) (record.Record, error) {
	if s.i >= s.n {
		if s.fail != nil {
			return record.Record{}, s.fail
		}
		return record.Record{}, io.EOF
	}
	s.i++
	return record.Record{Entity: record.Transactions, Transaction: &api.Transaction{Key: fmt.Sprint("t", s.i-1), Customer: api.CustomerRef{Key: "c"}}}, nil
}

type committer struct {
	commits, aborts int
	err             error
}

func (c *committer) Commit(context.Context) error { c.commits++; return c.err }
func (c *committer) Abort()                       { c.aborts++ }

// A Committer commits a run that finished and aborts any other; a failed
// commit is the run's error.
func TestRunCommitter(t *testing.T) {
	errCommit := errors.New("rename refused")
	for _, tc := range []struct {
		name            string
		src             *recordList
		sinkErr, commit error
		cancel          bool
		commits, aborts int
		wantErr         string
	}{
		{name: "finished", src: &recordList{n: 5}, commits: 1},
		{name: "commit fails", src: &recordList{n: 5}, commit: errCommit, commits: 1, wantErr: "rename refused"},
		{name: "source fails", src: &recordList{n: 5, fail: errors.New("page 3: 500")}, aborts: 1, wantErr: "read input: page 3: 500"},
		{name: "sink fails", src: &recordList{n: 5}, sinkErr: errors.New("disk full"), aborts: 1, wantErr: "disk full"},
		{name: "cancelled", src: &recordList{n: 5}, cancel: true, aborts: 1, wantErr: context.Canceled.Error()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			sink := &orderSink{fail: tc.sinkErr}
			c := &committer{err: tc.commit}
			run := NewRun(Config{Records: tc.src, Sink: sink, Inline: true, Committer: c})
			err := run.Run(ctx)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
			if c.commits != tc.commits || c.aborts != tc.aborts {
				t.Errorf("commits %d aborts %d, want %d and %d", c.commits, c.aborts, tc.commits, tc.aborts)
			}
			if tc.name == "finished" && strings.Join(sink.keys, ",") != "t0,t1,t2,t3,t4" {
				t.Errorf("records written %v", sink.keys)
			}
		})
	}
}

// ctxSink keeps the context of its first write, as a sink that opens an
// upload under it does.
type ctxSink struct {
	orderSink
	ctx context.Context
}

func (s *ctxSink) Write(ctx context.Context, recs []record.Record) ([]record.Result, error) {
	if s.ctx == nil {
		s.ctx = ctx
	}
	return s.orderSink.Write(ctx, recs)
}

type ctxCommitter struct {
	sink *ctxSink
	err  error
}

func (c *ctxCommitter) Commit(context.Context) error { c.err = c.sink.ctx.Err(); return nil }
func (c *ctxCommitter) Abort()                       {}

// What an inline sink opened under its write context (a bucket upload) is
// still alive when the Committer finishes it.
func TestRunInlineWritesLiveUntilCommit(t *testing.T) {
	sink := &ctxSink{}
	c := &ctxCommitter{sink: sink}
	run := NewRun(Config{Records: &recordList{n: 3}, Sink: sink, Inline: true, Committer: c})
	if err := run.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if sink.ctx == nil || c.err != nil {
		t.Errorf("the write context at commit: %v", c.err)
	}
}
