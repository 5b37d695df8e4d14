package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// sliceSource yields rows from a slice; a row whose first value is "BAD" is
// a decode error, "FATAL" a fatal one.
type sliceSource struct {
	rows [][]string
	i    int
	hdr  *record.Header
}

func newSliceSource(rows ...[]string) *sliceSource {
	return &sliceSource{rows: rows, hdr: record.NewHeader([]string{"key", "customer", "amount"})}
}

func (s *sliceSource) Next(ctx context.Context) (record.Row, error) {
	if err := ctx.Err(); err != nil {
		return record.Row{}, err
	}
	if s.i >= len(s.rows) {
		return record.Row{}, io.EOF
	}
	s.i++
	row := record.Row{Origin: record.Origin{File: "in.csv", Line: int64(s.i + 1)}, Header: s.hdr, Text: s.rows[s.i-1]}
	switch row.Text[0] {
	case "BAD":
		return row, &record.RowError{Origin: row.Origin, Code: record.CodeMalformedRow, Message: "bad row"}
	case "FATAL":
		return row, errors.New("disk on fire")
	}
	return row, nil
}

func mapTx(row record.Row) record.Mapped {
	if row.Text[0] == "SKIP" {
		return record.Mapped{Skipped: true, Reason: "filtered"}
	}
	if row.Text[2] == "" {
		return record.Mapped{Err: &record.RowError{Origin: row.Origin, Field: "amount", Code: record.CodeMissingField, Message: "amount is empty"}}
	}
	d := api.MustDecimal(row.Text[2])
	return record.Mapped{Record: record.Record{Entity: record.Transactions, Transaction: &api.Transaction{
		Key: row.Text[0], Amount: &d, Customer: api.CustomerRef{Key: row.Text[1]},
	}}}
}

// fakeSink records the order records of each customer arrive in and
// rejects amounts of 666.
type fakeSink struct {
	mu      sync.Mutex
	seen    map[string][]string
	writes  int
	block   chan struct{} // when set, Write waits for it (or ctx)
	started chan struct{}
	fatal   error
}

func (f *fakeSink) Partition(rec record.Record) string { return rec.Transaction.Customer.Key }

func (f *fakeSink) Write(ctx context.Context, recs []record.Record) ([]record.Result, error) {
	if f.started != nil {
		select {
		case f.started <- struct{}{}:
		default:
		}
	}
	if f.block != nil {
		select {
		case <-f.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.fatal != nil {
		return nil, f.fatal
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	out := make([]record.Result, len(recs))
	for i, r := range recs {
		tx := r.Transaction
		if tx.Amount.String() == "666" {
			out[i] = record.Result{Outcome: record.Rejected, Err: &record.RowError{Origin: r.Origin, Code: record.CodeAPIValidation, Message: "refused"}}
			continue
		}
		f.seen[tx.Customer.Key] = append(f.seen[tx.Customer.Key], tx.Key)
		out[i] = record.Result{Outcome: record.Created}
	}
	return out, nil
}

type rejectLog struct{ lines []string }

func (r *rejectLog) Reject(row *record.Row, key string, e *record.RowError) error {
	r.lines = append(r.lines, fmt.Sprintf("%d:%s", row.Origin.Line, e.Code))
	return nil
}

func TestRunOutcomesAddUpAndOrderHolds(t *testing.T) {
	var rows [][]string
	for i := range 300 {
		rows = append(rows, []string{fmt.Sprint("t", i), fmt.Sprint("c", i%7), "10"})
	}
	rows = append(rows, []string{"BAD", "", ""}, []string{"SKIP", "c1", "1"}, []string{"tx", "c1", ""}, []string{"ty", "c2", "666"}, []string{"t5", "c5", "10"})
	sink := &fakeSink{seen: map[string][]string{}}
	rej := &rejectLog{}
	seen := map[string]bool{}
	run := NewRun(Config{
		Entity: record.Transactions, Source: newSliceSource(rows...), Mapper: record.MapperFunc(mapTx), Sink: sink, Rejects: rej, Workers: 4, Window: 16, QueueSize: 8,
		Dedupe: func(r record.Record) *record.RowError {
			if seen[r.Key()] {
				return &record.RowError{Origin: r.Origin, Code: record.CodeDuplicate, Message: "again"}
			}
			seen[r.Key()] = true
			return nil
		},
	})
	if err := run.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := run.Counts()
	if !c.Balanced() || c.Read != 305 || c.Created != 300 || c.Skipped != 1 || c.Rejected != 4 {
		t.Fatalf("counts %+v", c)
	}
	for _, code := range []string{record.CodeMalformedRow, record.CodeMissingField, record.CodeAPIValidation, record.CodeDuplicate} {
		if c.ByCode[code] != 1 {
			t.Errorf("rejected %s = %d, want 1", code, c.ByCode[code])
		}
	}
	if len(rej.lines) != 4 {
		t.Errorf("reject file got %v", rej.lines)
	}
	for cust, keys := range sink.seen {
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
}

func TestRunJournalResumes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	rows := [][]string{{"t1", "c1", "10"}, {"t2", "c1", "20"}, {"t3", "c2", "30"}}
	j, err := OpenJournal(path, "scope", false)
	if err != nil {
		t.Fatal(err)
	}
	sink := &fakeSink{seen: map[string][]string{}}
	run := NewRun(Config{Entity: record.Transactions, Source: newSliceSource(rows[:2]...), Mapper: record.MapperFunc(mapTx), Sink: sink, Journal: j, Workers: 2})
	if err := run.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	// Second run over all rows, one of them changed since: only the new and
	// the changed row are written.
	rows[1][2] = "21"
	j, err = OpenJournal(path, "scope", false)
	if err != nil {
		t.Fatal(err)
	}
	if j.Len() != 2 {
		t.Fatalf("journal holds %d rows, want 2", j.Len())
	}
	sink2 := &fakeSink{seen: map[string][]string{}}
	run = NewRun(Config{Entity: record.Transactions, Source: newSliceSource(rows...), Mapper: record.MapperFunc(mapTx), Sink: sink2, Journal: j, Workers: 2})
	if err := run.Run(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := run.Counts()
	if c.Resumed != 1 || c.Created != 3 || !c.Balanced() {
		t.Fatalf("counts %+v", c)
	}
	if fmt.Sprint(sink2.seen) != "map[c1:[t2] c2:[t3]]" {
		t.Errorf("written %v", sink2.seen)
	}
	_ = j.Close()

	// Another scope or --restart ignores the journal.
	for _, tc := range []struct {
		scope   string
		restart bool
	}{{"other", false}, {"scope", true}} {
		j, err = OpenJournal(path, tc.scope, tc.restart)
		if err != nil {
			t.Fatal(err)
		}
		if j.Len() != 0 {
			t.Errorf("scope %s restart %v: journal holds %d", tc.scope, tc.restart, j.Len())
		}
		_ = j.Close()
	}
}

func TestJournalTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "j")
	j, err := OpenJournal(path, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := j.Record(fmt.Sprint("k", i), uint64(i), record.Created); err != nil {
			t.Fatal(err)
		}
	}
	_ = j.Close()
	// Tear the last line as a crash in the middle of a write would.
	b := mustRead(t, path)
	mustWrite(t, path, b[:len(b)-5])
	j, err = OpenJournal(path, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	if j.Len() != 2 {
		t.Fatalf("journal holds %d, want 2", j.Len())
	}
	if err := j.Record("k9", 9, record.Updated); err != nil {
		t.Fatal(err)
	}
	_ = j.Close()
	j, err = OpenJournal(path, "s", false)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if o, ok := j.Lookup("k9", 9); !ok || o != record.Updated || j.Len() != 3 {
		t.Fatalf("after repair: %v %v len %d", o, ok, j.Len())
	}
	if strings.Contains(string(mustRead(t, path)), "k9") {
		t.Error("journal holds a key in clear")
	}
}

func TestRunMaxRejectsAndFatal(t *testing.T) {
	var rows [][]string
	for i := range 50 {
		rows = append(rows, []string{fmt.Sprint("t", i), "c", ""})
	}
	run := NewRun(Config{Entity: record.Transactions, Source: newSliceSource(rows...), Mapper: record.MapperFunc(mapTx), Sink: &fakeSink{seen: map[string][]string{}}, MaxRejects: 5})
	err := run.Run(t.Context())
	if !errors.Is(err, ErrTooManyRejects) {
		t.Fatalf("err = %v", err)
	}
	if c := run.Counts(); c.Rejected != 6 || !c.Balanced() {
		t.Fatalf("counts %+v", c)
	}

	sink := &fakeSink{seen: map[string][]string{}, fatal: &api.Error{Kind: api.ErrUnauthorized, Message: "no"}}
	run = NewRun(Config{Entity: record.Transactions, Source: newSliceSource([]string{"t1", "c", "1"}, []string{"t2", "d", "1"}), Mapper: record.MapperFunc(mapTx), Sink: sink, Workers: 2})
	err = run.Run(t.Context())
	if !errors.Is(err, api.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	if c := run.Counts(); !c.Balanced() {
		t.Fatalf("counts %+v", c)
	}

	run = NewRun(Config{Entity: record.Transactions, Source: newSliceSource([]string{"t1", "c", "1"}, []string{"FATAL", "", ""}), Mapper: record.MapperFunc(mapTx), Sink: &fakeSink{seen: map[string][]string{}}})
	if err := run.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunInterruptFinishesInFlight(t *testing.T) {
	var rows [][]string
	for i := range 100 {
		rows = append(rows, []string{fmt.Sprint("t", i), fmt.Sprint("c", i), "1"})
	}
	sink := &fakeSink{seen: map[string][]string{}, block: make(chan struct{}), started: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(t.Context())
	run := NewRun(Config{Entity: record.Transactions, Source: newSliceSource(rows...), Mapper: record.MapperFunc(mapTx), Sink: sink, Workers: 1, Window: 1, QueueSize: 4})
	done := make(chan error)
	go func() { done <- run.Run(ctx) }()
	<-sink.started
	cancel()
	close(sink.block) // the in-flight write finishes within the grace period
	err := <-done
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	c := run.Counts()
	if !c.Balanced() || c.Created < 1 || c.Abandoned == 0 {
		t.Fatalf("counts %+v", c)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustWrite(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCoalescerGroupsKeysAndKeepsOrder(t *testing.T) {
	var sent []string
	c := &coalescer{
		limit:  4,
		send:   func(it item) error { sent = append(sent, it.rec.Key()); return nil },
		key:    func(it item) string { return it.rec.Transaction.Customer.Key },
		groups: map[string][]item{},
	}
	in := []string{"a1", "b1", "a2", "c1", "b2", "a3", "d1", "c2"}
	for _, k := range in {
		rec := record.Record{Transaction: &api.Transaction{Key: k, Customer: api.CustomerRef{Key: k[:1]}}}
		if err := c.add(item{rec: rec}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.flush(); err != nil {
		t.Fatal(err)
	}
	// a is released first (oldest) when the fifth record arrives, with
	// everything it has; its later a3 starts a new group behind c.
	want := "[a1 a2 b1 b2 c1 c2 a3 d1]"
	if fmt.Sprint(sent) != want {
		t.Fatalf("released %v, want %s", sent, want)
	}
}

// A fatal error in one group of a worker's window leaves the window's other
// groups unwritten: they are abandoned (a resume picks them up), so the
// counts still add up to the rows read.
func TestFatalWriteAbandonsTheRestOfTheWindow(t *testing.T) {
	sink := &fakeSink{seen: map[string][]string{}, fatal: errors.New("outcome unknown")}
	src := newSliceSource([]string{"t1", "c", "1"}, []string{"t2", "d", "1"}, []string{"t3", "e", "1"}, []string{"t4", "c", "1"})
	run := NewRun(Config{Entity: record.Transactions, Source: src, Mapper: record.MapperFunc(mapTx), Sink: sink, Workers: 1, Coalesce: 100})
	if err := run.Run(t.Context()); err == nil || !strings.Contains(err.Error(), "outcome unknown") {
		t.Fatalf("err = %v", err)
	}
	if c := run.Counts(); !c.Balanced() || c.Abandoned != 4 {
		t.Fatalf("counts %+v, want 4 abandoned, balanced", c)
	}
}

// slowSink takes 10 ms per write and records how many writes were in
// flight at once, over time.
type slowSink struct {
	mu           sync.Mutex
	inFlight     int
	peakBefore   int // the most in flight before switch
	peakAfter    int // and from switch on
	switchAt     time.Time
	writtenCount int
}

func (s *slowSink) Partition(rec record.Record) string { return rec.Transaction.Customer.Key }

func (s *slowSink) Write(ctx context.Context, recs []record.Record) ([]record.Result, error) {
	s.mu.Lock()
	s.inFlight++
	if time.Now().Before(s.switchAt) {
		s.peakBefore = max(s.peakBefore, s.inFlight)
	} else {
		s.peakAfter = max(s.peakAfter, s.inFlight)
	}
	s.mu.Unlock()
	time.Sleep(10 * time.Millisecond)
	s.mu.Lock()
	s.inFlight--
	s.writtenCount += len(recs)
	s.mu.Unlock()
	out := make([]record.Result, len(recs))
	for i := range out {
		out[i] = record.Result{Outcome: record.Created}
	}
	return out, nil
}

// TestRunPoolFollowsActive: the writes in flight follow Config.Active as
// it changes during the run (the client learns its budget as it goes), up
// to Workers.
func TestRunPoolFollowsActive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var rows [][]string
		for i := range 2000 {
			rows = append(rows, []string{fmt.Sprint("t", i), fmt.Sprint("c", i%200), "10"})
		}
		start := time.Now()
		sink := &slowSink{switchAt: start.Add(300 * time.Millisecond)}
		active := func() int {
			if time.Since(start) < 300*time.Millisecond {
				return 2
			}
			return 100 // more than Workers: Workers bounds it
		}
		run := NewRun(Config{Entity: record.Transactions, Source: newSliceSource(rows...), Mapper: record.MapperFunc(mapTx), Sink: sink,
			Workers: 6, Window: 1, QueueSize: 4, Active: active})
		if err := run.Run(t.Context()); err != nil {
			t.Fatal(err)
		}
		if c := run.Counts(); !c.Balanced() || c.Created != 2000 {
			t.Errorf("counts %+v", c)
		}
		if sink.peakBefore != 2 || sink.peakAfter != 6 {
			t.Errorf("in flight at most %d, then %d; want 2, then 6", sink.peakBefore, sink.peakAfter)
		}
	})
}
