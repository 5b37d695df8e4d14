// Package pipeline owns the engine: it runs the rows of a source through
// mapping into a sink with bounded memory and a pool of workers, and
// accounts for every row (exactly one outcome each). Import, validate (a
// run into Discard) and export (a run of records into file sinks, with a
// Committer) are runs of it. It also owns the journal that makes a run
// resumable, the run report, the reject file writer and the validate
// command's pieces.
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
	"maps"
	"runtime/debug"
	"slices"
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

// RecordSource yields records that need no mapping (an export reads them
// typed from the API). Next returns io.EOF at the end; any other error is
// fatal.
type RecordSource interface {
	Next(ctx context.Context) (record.Record, error)
}

// Committer finishes what a run's sink wrote: Commit when the run ended
// without an error (the export's snapshot renames its files into place and
// writes its manifest), Abort otherwise (its temporary files go, the
// previous snapshot stays as it was).
type Committer interface {
	Commit(ctx context.Context) error
	Abort()
}

// ReadError is a fatal error of the source: the input could not be read
// further. It unwraps to the source's error.
type ReadError struct{ Err error }

func (e *ReadError) Error() string { return "read input: " + e.Err.Error() }
func (e *ReadError) Unwrap() error { return e.Err }

// RejectRecorder receives every rejected row with its reason, to write the
// reject file. Calls are serialised by the engine.
type RejectRecorder interface {
	Reject(row *record.Row, key string, rerr *record.RowError) error
}

// Config is one run.
type Config struct {
	Entity record.Entity
	Source RowSource
	Mapper record.Mapper
	// Records, when set, is the input instead of Source and Mapper: records
	// that need no mapping.
	Records RecordSource
	// MapWorkers, when more than 1, maps rows on that many goroutines ahead
	// of the reading goroutine, in batches, keeping input order (Mapper must
	// be safe for concurrent use, as mapping.Mapper is). Dedupe, the
	// journal and Rejects still see the rows in input order, from one
	// goroutine. 0 or 1 maps each row on the reading goroutine.
	MapWorkers int
	// Dedupe, when set, rejects a record whose identity the input already
	// had (mapping.Duplicates.Check).
	Dedupe func(record.Record) *record.RowError
	// DedupeBatch, when set, is used instead of Dedupe: it checks the valid
	// records of a batch of rows in order, as that many calls of Dedupe
	// would, putting each answer in out (mapping.Duplicates.CheckBatch,
	// which overlaps the memory reads of a batch).
	DedupeBatch func(recs []record.Record, out []*record.RowError)
	Sink        record.Sink
	// Inline writes to the sink from the reading goroutine, in input order,
	// a batch of up to Window records at a time, with no worker: for sinks
	// that are cheap and keep one order (files, Discard). Workers, Active,
	// Coalesce, QueueSize and Grace do not apply.
	Inline bool
	// Committer, when set, is committed when the run ends without an error
	// and aborted otherwise.
	Committer Committer
	// KeyMappingRejects gives a row mapping rejected its record's key in the
	// reject file (validate's reject file has it; the import's leaves it
	// empty).
	KeyMappingRejects bool
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

// Run is one run of the engine; Counts may be read while it runs.
type Run struct {
	cfg   Config
	tally tally
	pool  pool

	rejMu sync.Mutex

	skipMu      sync.Mutex
	skipReasons map[string]int64
}

// NewRun prepares a run; Run executes it.
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

// SkipReasons counts the skipped rows by the reason mapping gave.
func (r *Run) SkipReasons() map[string]int64 {
	r.skipMu.Lock()
	defer r.skipMu.Unlock()
	return maps.Clone(r.skipReasons)
}

func (r *Run) skip(reason string) {
	r.tally.add(record.Skipped, "", false)
	r.skipMu.Lock()
	if r.skipReasons == nil {
		r.skipReasons = map[string]int64{}
	}
	r.skipReasons[reason]++
	r.skipMu.Unlock()
}

// item is one record on its way to a worker.
type item struct {
	rec     record.Record
	content uint64
}

// Run runs until the source ends, ctx is cancelled or a fatal error
// happens, and returns when every row has its outcome. On cancellation it
// stops reading, lets in-flight writes finish for up to Grace, counts queued
// records as abandoned and returns ctx's error. It always syncs the journal
// before it returns, and then commits the Committer when the returned error
// is nil, aborts it otherwise. The returned error is nil, ctx.Err(),
// ErrTooManyRejects (wrapped), a *ReadError or another fatal error.
func (r *Run) Run(ctx context.Context) (err error) {
	if c := r.cfg.Committer; c != nil {
		defer func() {
			if err != nil {
				c.Abort()
				return
			}
			err = c.Commit(ctx)
		}()
	}
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
	var out output
	if cfg.Inline {
		// The sink keeps ctx: what it opens (an upload) lives until the
		// Committer has run, after this function's own contexts end.
		out = &inlineOutput{r: r, ctx: ctx, stop: stopRun}
	} else {
		out = r.startWorkers(runCtx, g, gctx, stopRun)
	}
	readErr := r.read(runCtx, gctx, out, stopRun)
	out.close()
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

// output is where the reading goroutine puts records: the workers' queues
// (through the coalescer) or the sink itself (Inline).
type output interface {
	add(rec *record.Record, content uint64) error
	// flush hands on what is held back; the reading goroutine calls it at
	// the end of each batch of input and at the end of the input.
	flush(final bool) error
	// drop counts what is still held as abandoned (the run stopped).
	drop()
	close()
}

// startWorkers starts the pool of writers and returns the output feeding
// their queues.
func (r *Run) startWorkers(runCtx context.Context, g *errgroup.Group, gctx context.Context, stop context.CancelCauseFunc) output {
	cfg := r.cfg
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
			return r.work(runCtx, gctx, q, stop)
		})
	}
	return &queuedOutput{queues: queues, tally: &r.tally, co: &coalescer{
		limit:  cfg.Coalesce,
		send:   func(it item) error { return r.send(runCtx, gctx, queues, it) },
		key:    func(it item) string { return cfg.Sink.Partition(it.rec) },
		groups: map[string][]item{},
	}}
}

// queuedOutput hands records to the workers' queues, through the coalescer.
type queuedOutput struct {
	queues []chan item
	tally  *tally
	co     *coalescer
}

func (o *queuedOutput) add(rec *record.Record, content uint64) error {
	return o.co.add(item{rec: *rec, content: content})
}

func (o *queuedOutput) flush(final bool) error {
	if !final {
		return nil // the coalescer holds records back across batches
	}
	return o.co.flush()
}

func (o *queuedOutput) drop() { o.co.drop(o.tally) }

func (o *queuedOutput) close() {
	for _, q := range o.queues {
		close(q)
	}
}

// inlineOutput writes from the reading goroutine, a window at a time.
type inlineOutput struct {
	r        *Run
	ctx      context.Context
	stop     context.CancelCauseFunc
	recs     []record.Record // the window, handed to the sink as it is
	contents []uint64
}

func (o *inlineOutput) add(rec *record.Record, content uint64) error {
	o.recs = append(o.recs, *rec)
	o.contents = append(o.contents, content)
	if len(o.recs) >= o.r.cfg.Window {
		return o.flush(false)
	}
	return nil
}

func (o *inlineOutput) flush(bool) error {
	if len(o.recs) == 0 {
		return nil
	}
	err := o.r.write(o.ctx, o.recs, o.contents, o.stop)
	clear(o.recs) // do not pin the records
	o.recs, o.contents = o.recs[:0], o.contents[:0]
	return err
}

func (o *inlineOutput) drop() {
	o.r.tally.abandoned.Add(int64(len(o.recs)))
	clear(o.recs)
	o.recs, o.contents = o.recs[:0], o.contents[:0]
}

func (o *inlineOutput) close() {}

// read takes mapped rows from the feed and hands the records to the
// output. Rows that end here (source errors, mapping rejects and skips,
// duplicates, rows the journal holds) get their outcome at once.
func (r *Run) read(runCtx, gctx context.Context, out output, stop context.CancelCauseFunc) (err error) {
	defer func() {
		if err == nil {
			err = out.flush(true)
		}
		if _, unreadable := errors.AsType[*ReadError](err); unreadable && r.cfg.Inline && runCtx.Err() == nil {
			// What was read before the error is written, as the
			// workers write what reached their queues.
			if ferr := out.flush(true); ferr != nil {
				err = errors.Join(err, ferr)
			}
		}
		if err != nil {
			out.drop()
		}
	}()
	in := newFeed(runCtx, r.cfg)
	defer in.close()
	var dd dedupeBatch
	for {
		if err := runCtx.Err(); err != nil {
			return err
		}
		if err := gctx.Err(); err != nil {
			return err
		}
		batch, err := in.next(runCtx)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if r.cfg.DedupeBatch != nil {
			dd.check(batch, r.cfg.DedupeBatch)
		}
		for i := range batch {
			if err := r.take(runCtx, &batch[i], &dd, out, stop); err != nil {
				return err
			}
		}
		if err := out.flush(false); err != nil {
			return err
		}
	}
}

// dedupeBatch holds the answers of Config.DedupeBatch for one batch of
// rows: the valid records' in order.
type dedupeBatch struct {
	in   []record.Record
	out  []*record.RowError
	next int
}

func (d *dedupeBatch) check(batch []staged, check func([]record.Record, []*record.RowError)) {
	d.in, d.next = d.in[:0], 0
	for i := range batch {
		if s := &batch[i]; s.err == nil && s.mapped.Err == nil && !s.mapped.Skipped {
			d.in = append(d.in, s.mapped.Record)
		}
	}
	d.out = slices.Grow(d.out[:0], len(d.in))[:len(d.in)]
	check(d.in, d.out)
	clear(d.in) // do not pin the records
}

// take gives one mapped row its outcome, or hands its record on.
func (r *Run) take(runCtx context.Context, s *staged, dd *dedupeBatch, out output, stop context.CancelCauseFunc) error {
	cfg := r.cfg
	row := &s.row
	if s.err != nil {
		rowErr, ok := errors.AsType[*record.RowError](s.err)
		if !ok {
			if runCtx.Err() != nil {
				return runCtx.Err()
			}
			return &ReadError{Err: s.err}
		}
		r.tally.read.Add(1)
		r.reject(row, "", rowErr, stop)
		return nil
	}
	r.tally.read.Add(1)
	m := &s.mapped
	switch {
	case m.Err != nil:
		key := ""
		if cfg.KeyMappingRejects {
			key = m.Record.Key()
		}
		r.reject(row, key, m.Err, stop)
		return nil
	case m.Skipped:
		r.skip(m.Reason)
		return nil
	}
	rec := &m.Record // the feed's own: no copy of the record until it is handed on
	if cfg.Records == nil {
		if rec.Origin == (record.Origin{}) {
			rec.Origin = row.Origin
		}
		if rec.Row == nil {
			rowCopy := *row
			rec.Row = &rowCopy
		}
	}
	var derr *record.RowError
	switch {
	case cfg.DedupeBatch != nil:
		derr = dd.out[dd.next]
		dd.next++
	case cfg.Dedupe != nil:
		derr = cfg.Dedupe(*rec)
	}
	if derr != nil {
		r.reject(rec.Row, rec.Key(), derr, stop)
		return nil
	}
	var content uint64
	if cfg.Journal != nil {
		content = Fingerprint(*rec)
		if o, ok := cfg.Journal.Lookup(journalKey(*rec), content); ok {
			r.tally.add(o, "", true)
			if cfg.OnResumed != nil {
				cfg.OnResumed(*rec, o)
			}
			return nil
		}
	}
	return out.add(rec, content)
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
			failed = r.writeItems(writeCtx, grp, stop)
		}
		if failed != nil {
			return failed
		}
	}
}

// writeItems writes a group of queued items.
func (r *Run) writeItems(ctx context.Context, grp []item, stop context.CancelCauseFunc) error {
	recs := make([]record.Record, len(grp))
	contents := make([]uint64, len(grp))
	for i := range grp {
		recs[i], contents[i] = grp[i].rec, grp[i].content
	}
	return r.write(ctx, recs, contents, stop)
}

// write writes one group of records (contents are their fingerprints, for
// the journal) and gives each its outcome.
func (r *Run) write(ctx context.Context, recs []record.Record, contents []uint64, stop context.CancelCauseFunc) error {
	if err := r.pool.acquire(ctx); err != nil {
		r.tally.abandoned.Add(int64(len(recs)))
		return nil // cancelled: the run reports ctx's error
	}
	results, err := r.cfg.Sink.Write(ctx, recs)
	r.pool.release()
	for i := range recs {
		rec := &recs[i]
		var res record.Result
		if i < len(results) {
			res = results[i]
		}
		if res.Outcome != 0 && r.cfg.OnWritten != nil {
			r.cfg.OnWritten(*rec, res.Outcome)
		}
		switch res.Outcome {
		case 0:
			r.tally.abandoned.Add(1)
		case record.Rejected:
			rerr := res.Err
			if rerr == nil {
				rerr = &record.RowError{Origin: rec.Origin, Code: record.CodeAPIError, Message: "rejected without a reason"}
			}
			r.reject(rec.Row, rec.Key(), rerr, stop)
		default:
			if r.cfg.Journal != nil {
				if jerr := r.cfg.Journal.Record(journalKey(*rec), contents[i], res.Outcome); jerr != nil {
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
