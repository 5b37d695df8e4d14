// Package pipeline owns the import engine: it runs the rows of a source
// through mapping into an upserting sink with bounded memory and a pool of
// workers, and accounts for every row (exactly one outcome each). It also
// owns the journal that makes a run resumable, the run report, and (by the
// sources engineer) the reject file writer and the validate command's pieces.
//
// The engine knows nothing of the API: the sink decides what a record costs
// and how; the engine decides ordering (records with the same partition key
// are written in input order, by one worker) and concurrency.
package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/partnero-etl/partnero-etl/record"
)

// RowSource yields input rows; sources.Source satisfies it. Next returns
// io.EOF at the end, a *record.RowError for a row that could not be decoded
// (the source stays usable), any other error is fatal.
type RowSource interface {
	Next(ctx context.Context) (record.Row, error)
}

// RejectRecorder receives every rejected row with its reason, to write the
// reject file. Calls are serialised by the engine.
type RejectRecorder interface {
	Reject(row *record.Row, key string, rerr *record.RowError) error
}

// Config is one import run.
type Config struct {
	Entity record.Entity
	Source RowSource
	Mapper record.Mapper
	// Dedupe, when set, rejects a record whose identity the input already
	// had (mapping.Duplicates.Check).
	Dedupe func(record.Record) *record.RowError
	Sink   record.Sink
	// Journal, when set, skips rows an earlier run confirmed and records the
	// rows this run confirms.
	Journal *Journal
	// OnResumed, when set, sees each record whose outcome came from the
	// journal (an earlier run finished it), for the report's reconciliation.
	OnResumed func(rec record.Record, o record.Outcome)
	// OnWritten, when set, sees each record the sink gave an outcome
	// (rejections included), in input order within its group, before the
	// journal records it: a migration learns its identities from it, the
	// report reconciles money with it.
	OnWritten func(rec record.Record, o record.Outcome)
	Rejects   RejectRecorder
	// Workers is the number of concurrent writers (at least 1): the most
	// when Active is set.
	Workers int
	// Active, when set, is asked before each write how many workers may
	// write at once (1..Workers); the others wait. The import sizes it from
	// the API client's learned budget and latency as they change, so the
	// pool follows what the client learns instead of what it believed when
	// the run started. Workers stays the number of partitions.
	Active func() int
	// MaxRejects stops the run once more rows than this were rejected; 0
	// means no limit.
	MaxRejects int64
	// Window bounds the records one Write may be handed; a worker gathers
	// up to this many queued records and groups them by partition key, so
	// a customer's adjacent transactions travel together. 0 means 1000.
	Window int
	// Coalesce, when positive, holds back up to this many records so that
	// records of one partition key that are far apart in the input are
	// written together (see coalescer). It costs memory, one record each.
	Coalesce int
	// QueueSize bounds each worker's queue (bounded memory). 0 means 1000.
	QueueSize int
	// Grace is how long in-flight writes may finish after ctx is cancelled
	// before they are abandoned. 0 means 10 s.
	Grace time.Duration
}

// ErrTooManyRejects ends a run that rejected more rows than MaxRejects.
var ErrTooManyRejects = errors.New("too many rejected rows")

// Run is one import in progress; Counts may be read while it runs.
type Run struct {
	cfg   Config
	tally tally
	pool  pool

	rejMu sync.Mutex
}

// NewRun prepares a run; Start executes it.
func NewRun(cfg Config) *Run {
	if cfg.Workers < 1 {
		cfg.Workers = 1
	}
	if cfg.Window <= 0 {
		cfg.Window = 1000
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1000
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 10 * time.Second
	}
	return &Run{cfg: cfg, pool: pool{size: cfg.Active, most: cfg.Workers, wake: make(chan struct{})}}
}

// pool bounds the writes in flight by a size that may change during the
// run (Config.Active).
type pool struct {
	size func() int // nil: no bound beyond the workers
	most int

	mu     sync.Mutex
	active int
	wake   chan struct{} // closed and replaced when a slot frees
}

// poolRecheck is how often a waiting worker asks the size again: the size
// grows as the client learns, without a slot being freed.
const poolRecheck = 100 * time.Millisecond

func (p *pool) acquire(ctx context.Context) error {
	if p.size == nil {
		return nil
	}
	for {
		p.mu.Lock()
		if p.active < min(max(p.size(), 1), p.most) {
			p.active++
			p.mu.Unlock()
			return nil
		}
		wake := p.wake
		p.mu.Unlock()
		t := time.NewTimer(poolRecheck)
		select {
		case <-wake:
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
		t.Stop()
	}
}

func (p *pool) release() {
	if p.size == nil {
		return
	}
	p.mu.Lock()
	p.active--
	close(p.wake)
	p.wake = make(chan struct{})
	p.mu.Unlock()
}

// Counts is a snapshot of the tallies so far (for progress displays).
func (r *Run) Counts() Counts { return r.tally.snapshot() }

// item is one record on its way to a worker.
type item struct {
	rec     record.Record
	content uint64
}

// Start runs the import until the source ends, ctx is cancelled or a fatal
// error happens. On cancellation it stops reading, lets in-flight writes
// finish for up to Grace, counts queued records as abandoned and returns
// ctx's error. It always syncs the journal before it returns. The returned
// error is nil, ctx.Err(), ErrTooManyRejects (wrapped) or a fatal error.
func (r *Run) Start(ctx context.Context) error {
	cfg := r.cfg
	// Writes get a context that survives an interrupt for Grace, so that a
	// request the API is processing is finished and journaled rather than
	// left in doubt.
	writeCtx, cancelWrites := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelWrites()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(cfg.Grace, cancelWrites)
		context.AfterFunc(writeCtx, func() { t.Stop() })
	})
	defer stopGrace()

	// stopRun ends the run early for reasons of its own (too many rejects).
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)

	g, gctx := errgroup.WithContext(writeCtx)
	queues := make([]chan item, cfg.Workers)
	for i := range queues {
		queues[i] = make(chan item, cfg.QueueSize)
	}

	for i := range cfg.Workers {
		q := queues[i]
		if gctx.Err() != nil {
			break
		}
		g.Go(func() (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("import worker panicked: %v\n%s", p, debug.Stack())
				}
				// Whatever is left in the queue will not be written.
				for it := range q {
					_ = it
					r.tally.abandoned.Add(1)
				}
			}()
			return r.work(runCtx, gctx, q, stopRun)
		})
	}

	readErr := r.read(runCtx, gctx, queues, stopRun)
	for _, q := range queues {
		close(q)
	}
	werr := g.Wait()

	var jerr error
	if cfg.Journal != nil {
		jerr = cfg.Journal.Sync()
	}
	switch {
	case werr != nil && !errors.Is(werr, context.Canceled):
		return errors.Join(werr, jerr)
	case readErr != nil && !errors.Is(readErr, context.Canceled):
		return errors.Join(readErr, jerr)
	case ctx.Err() != nil:
		return errors.Join(ctx.Err(), jerr)
	case context.Cause(runCtx) != nil && runCtx.Err() != nil:
		return errors.Join(context.Cause(runCtx), jerr)
	case werr != nil:
		return errors.Join(werr, jerr)
	}
	return jerr
}

// read takes rows from the source, maps them and hands the records to the
// worker owning their partition. Rows that end here (source errors, mapping
// rejects and skips, duplicates, rows the journal holds) get their outcome
// at once.
func (r *Run) read(runCtx, gctx context.Context, queues []chan item, stop context.CancelCauseFunc) (err error) {
	cfg := r.cfg
	co := &coalescer{
		limit:  cfg.Coalesce,
		send:   func(it item) error { return r.send(runCtx, gctx, queues, it) },
		key:    func(it item) string { return cfg.Sink.Partition(it.rec) },
		groups: map[string][]item{},
	}
	defer func() {
		if err == nil {
			err = co.flush()
		}
		if err != nil {
			co.drop(&r.tally)
		}
	}()
	for {
		if err := runCtx.Err(); err != nil {
			return err
		}
		if err := gctx.Err(); err != nil {
			return err
		}
		row, err := cfg.Source.Next(runCtx)
		if err == io.EOF {
			return nil
		}
		var rowErr *record.RowError
		if errors.As(err, &rowErr) {
			r.tally.read.Add(1)
			r.reject(&row, "", rowErr, stop)
			continue
		}
		if err != nil {
			if runCtx.Err() != nil {
				return runCtx.Err()
			}
			return fmt.Errorf("read input: %w", err)
		}
		r.tally.read.Add(1)

		m := cfg.Mapper.Map(row)
		switch {
		case m.Err != nil:
			r.reject(&row, "", m.Err, stop)
			continue
		case m.Skipped:
			r.tally.add(record.Skipped, "", false)
			continue
		}
		rec := m.Record
		if rec.Origin == (record.Origin{}) {
			rec.Origin = row.Origin
		}
		if rec.Row == nil {
			rowCopy := row
			rec.Row = &rowCopy
		}
		if cfg.Dedupe != nil {
			if derr := cfg.Dedupe(rec); derr != nil {
				r.reject(rec.Row, rec.Key(), derr, stop)
				continue
			}
		}
		content := Fingerprint(rec)
		if cfg.Journal != nil {
			if o, ok := cfg.Journal.Lookup(journalKey(rec), content); ok {
				r.tally.add(o, "", true)
				if cfg.OnResumed != nil {
					cfg.OnResumed(rec, o)
				}
				continue
			}
		}
		if err := co.add(item{rec: rec, content: content}); err != nil {
			return err
		}
	}
}

// send hands one item to the worker owning its partition.
func (r *Run) send(runCtx, gctx context.Context, queues []chan item, it item) error {
	q := queues[partitionOf(r.cfg.Sink.Partition(it.rec), len(queues))]
	select {
	case q <- it:
		return nil
	case <-runCtx.Done():
		r.tally.abandoned.Add(1)
		return runCtx.Err()
	case <-gctx.Done():
		r.tally.abandoned.Add(1)
		return gctx.Err()
	}
}

// coalescer holds records back so that records of one partition key that
// are far apart in the input reach their worker together (a customer's
// transactions in an export sorted by date become one batch). It holds at
// most limit records; past that it releases the key that arrived first,
// with all its records, in input order. Order within a key is kept: a key's
// records are released in order, and a later record of a released key
// starts a new group behind them in the same worker's queue.
type coalescer struct {
	limit int
	send  func(item) error
	key   func(item) string

	groups map[string][]item
	order  []string // keys by first arrival; released keys are skipped
	held   int
}

func (c *coalescer) add(it item) error {
	if c.limit <= 0 {
		return c.send(it)
	}
	k := c.key(it)
	g, ok := c.groups[k]
	if !ok {
		c.order = append(c.order, k)
	}
	c.groups[k] = append(g, it)
	c.held++
	for c.held > c.limit {
		if err := c.releaseOldest(); err != nil {
			return err
		}
	}
	return nil
}

func (c *coalescer) releaseOldest() error {
	for len(c.order) > 0 {
		k := c.order[0]
		c.order = c.order[1:]
		g, ok := c.groups[k]
		if !ok {
			continue
		}
		delete(c.groups, k)
		c.held -= len(g)
		for i, it := range g {
			if err := c.send(it); err != nil {
				c.held += len(g) - i - 1 // not sent: abandoned by drop
				return err
			}
		}
		return nil
	}
	return nil
}

// flush releases everything, oldest key first.
func (c *coalescer) flush() error {
	for c.held > 0 {
		if err := c.releaseOldest(); err != nil {
			return err
		}
	}
	return nil
}

// drop counts what is still held as abandoned (the run stopped).
func (c *coalescer) drop(t *tally) {
	t.abandoned.Add(int64(c.held))
	c.groups, c.order, c.held = nil, nil, 0
}

// work is one worker: it takes a window of queued records, groups them by
// partition key (keeping input order within a key) and writes group by group.
func (r *Run) work(runCtx, writeCtx context.Context, q <-chan item, stop context.CancelCauseFunc) error {
	cfg := r.cfg
	window := make([]item, 0, cfg.Window)
	for {
		window = window[:0]
		select {
		case it, ok := <-q:
			if !ok {
				return nil
			}
			window = append(window, it)
		case <-runCtx.Done():
			return nil // the deferred drain counts the queue as abandoned
		case <-writeCtx.Done():
			return nil
		}
	fill:
		for len(window) < cfg.Window {
			select {
			case it, ok := <-q:
				if !ok {
					break fill
				}
				window = append(window, it)
			default:
				break fill
			}
		}
		var failed error
		for _, grp := range groupByPartition(window, cfg.Sink) {
			if failed != nil || runCtx.Err() != nil || writeCtx.Err() != nil {
				// Not written: a resume picks these rows up again.
				r.tally.abandoned.Add(int64(len(grp)))
				continue
			}
			failed = r.write(writeCtx, grp, stop)
		}
		if failed != nil {
			return failed
		}
	}
}

func (r *Run) write(ctx context.Context, grp []item, stop context.CancelCauseFunc) error {
	recs := make([]record.Record, len(grp))
	for i, it := range grp {
		recs[i] = it.rec
	}
	if err := r.pool.acquire(ctx); err != nil {
		r.tally.abandoned.Add(int64(len(grp)))
		return nil // cancelled: the run reports ctx's error
	}
	results, err := r.cfg.Sink.Write(ctx, recs)
	r.pool.release()
	for i, it := range grp {
		var res record.Result
		if i < len(results) {
			res = results[i]
		}
		if res.Outcome != 0 && r.cfg.OnWritten != nil {
			r.cfg.OnWritten(it.rec, res.Outcome)
		}
		switch res.Outcome {
		case 0:
			r.tally.abandoned.Add(1)
		case record.Rejected:
			rerr := res.Err
			if rerr == nil {
				rerr = &record.RowError{Origin: it.rec.Origin, Code: record.CodeAPIError, Message: "rejected without a reason"}
			}
			r.reject(it.rec.Row, it.rec.Key(), rerr, stop)
		default:
			if r.cfg.Journal != nil {
				if jerr := r.cfg.Journal.Record(journalKey(it.rec), it.content, res.Outcome); jerr != nil {
					return jerr
				}
			}
			r.tally.add(res.Outcome, "", false)
		}
	}
	return err
}

func (r *Run) reject(row *record.Row, key string, rerr *record.RowError, stop context.CancelCauseFunc) {
	r.tally.add(record.Rejected, rerr.Code, false)
	if r.cfg.Rejects != nil {
		r.rejMu.Lock()
		err := r.cfg.Rejects.Reject(row, key, rerr)
		r.rejMu.Unlock()
		if err != nil {
			stop(fmt.Errorf("write rejects: %w", err))
		}
	}
	if n := r.cfg.MaxRejects; n > 0 && r.tally.rejected.Load() > n {
		stop(fmt.Errorf("%w: more than %d (--max-rejects)", ErrTooManyRejects, n))
	}
}

// groupByPartition splits a window into groups of equal partition key, in
// the order of each key's first record; input order holds within a group.
func groupByPartition(window []item, sink record.Sink) [][]item {
	if len(window) == 1 {
		return [][]item{window[:1:1]}
	}
	index := make(map[string]int, len(window))
	var groups [][]item
	for _, it := range window {
		k := sink.Partition(it.rec)
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], it)
	}
	return groups
}

func partitionOf(key string, n int) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// journalKey is the identity a record is journaled by.
func journalKey(rec record.Record) string {
	return string(rec.Entity) + "\x00" + rec.Key()
}

// Fingerprint hashes the content of a record (the typed entity as JSON), so
// the journal can tell a row that changed since an earlier run.
func Fingerprint(rec record.Record) uint64 {
	var v any
	switch {
	case rec.Partner != nil:
		v = rec.Partner
	case rec.Customer != nil:
		v = rec.Customer
	case rec.Transaction != nil:
		v = rec.Transaction
	}
	b, err := json.Marshal(v)
	if err != nil {
		// Every entity type marshals; fall back to the key alone.
		return Hash64(rec.Key())
	}
	h := fnv.New64a()
	_, _ = h.Write(b)
	return h.Sum64()
}
