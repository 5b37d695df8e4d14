package pipeline

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/partnero-etl/partnero-etl/record"
)

// The engine's input side. A feed hands the reading goroutine rows already
// mapped, in input order, a batch at a time: one row at a time when mapping
// is done in place (the import's default), or batches mapped ahead by
// several goroutines (Config.MapWorkers: validate, whose speed is mapping's
// speed), or records that need no mapping (Config.Records: an export).

// staged is one input row on its way through the engine: the row, the
// source's error for it (a *record.RowError, or a fatal error that ends the
// input), and what mapping made of it.
type staged struct {
	row    record.Row
	err    error
	mapped record.Mapped
}

// feed yields batches of staged rows in input order; io.EOF ends it. A
// fatal source error is the err of a batch's last row. close stops any
// goroutine of the feed; the source is not touched after close returns.
type feed interface {
	next(ctx context.Context) ([]staged, error)
	close()
}

// newFeed picks the feed for cfg.
func newFeed(ctx context.Context, cfg Config) feed {
	switch {
	case cfg.Records != nil:
		return &recordFeed{src: cfg.Records}
	case cfg.MapWorkers > 1:
		return newParallelFeed(ctx, cfg.Source, cfg.Mapper, cfg.MapWorkers)
	}
	return &rowFeed{src: cfg.Source, mapper: cfg.Mapper}
}

// rowFeed reads and maps one row at a time on the reading goroutine.
type rowFeed struct {
	src    RowSource
	mapper record.Mapper
	buf    [1]staged
}

func (f *rowFeed) next(ctx context.Context) ([]staged, error) {
	row, err := f.src.Next(ctx)
	if err == io.EOF {
		return nil, io.EOF
	}
	s := &f.buf[0]
	*s = staged{row: row, err: err}
	if err == nil {
		s.mapped = f.mapper.Map(row)
	}
	return f.buf[:], nil
}

func (f *rowFeed) close() {}

// recordFeed yields records as they are: mapping has nothing to do.
type recordFeed struct {
	src RecordSource
	buf [1]staged
}

func (f *recordFeed) next(ctx context.Context) ([]staged, error) {
	rec, err := f.src.Next(ctx)
	if err == io.EOF {
		return nil, io.EOF
	}
	f.buf[0] = staged{err: err, mapped: record.Mapped{Record: rec}}
	return f.buf[:], nil
}

func (f *recordFeed) close() {}

// feedBatch is how many rows travel together between the parallel feed's
// stages: large enough to make a hand-over cheap, small enough for bounded
// memory.
const feedBatch = 256

type feedBatchOf struct {
	items []staged
	done  chan struct{} // closed when every row is mapped
}

// parallelFeed overlaps three stages: one goroutine reads batches of rows,
// several goroutines map them, and the reading goroutine of the engine takes
// the batches in input order (next), so the outcome is that of a sequential
// run. At most a few batches are in flight.
type parallelFeed struct {
	cancel  context.CancelFunc
	ordered chan *feedBatchOf
	free    chan *feedBatchOf
	wg      sync.WaitGroup
	last    *feedBatchOf // handed out by next, recycled on the next call
}

func newParallelFeed(ctx context.Context, src RowSource, mapper record.Mapper, workers int) *parallelFeed {
	ctx, cancel := context.WithCancel(ctx)
	f := &parallelFeed{
		cancel:  cancel,
		ordered: make(chan *feedBatchOf, 2*workers+2),
		free:    make(chan *feedBatchOf, 2*workers+4),
	}
	work := make(chan *feedBatchOf, 2*workers+2)
	f.wg.Go(func() { f.read(ctx, src, work) })
	for range workers {
		f.wg.Go(func() {
			for b := range work {
				for i := range b.items {
					if it := &b.items[i]; it.err == nil && ctx.Err() == nil {
						it.mapped = mapper.Map(it.row)
					}
				}
				close(b.done)
			}
		})
	}
	return f
}

// read fills batches from the source and hands each to the ordered queue
// and to the mappers.
func (f *parallelFeed) read(ctx context.Context, src RowSource, work chan<- *feedBatchOf) {
	defer close(work)
	defer close(f.ordered)
	for {
		var b *feedBatchOf
		select {
		case b = <-f.free:
			b.items, b.done = b.items[:0], make(chan struct{})
		default:
			b = &feedBatchOf{items: make([]staged, 0, feedBatch), done: make(chan struct{})}
		}
		end := false
		for len(b.items) < feedBatch {
			row, err := src.Next(ctx)
			if errors.Is(err, io.EOF) {
				end = true
				break
			}
			b.items = append(b.items, staged{row: row, err: err})
			var re *record.RowError
			if err != nil && !errors.As(err, &re) {
				end = true // fatal: the batch's last row carries it
				break
			}
		}
		if len(b.items) > 0 {
			for _, ch := range []chan<- *feedBatchOf{f.ordered, work} {
				select {
				case ch <- b:
				case <-ctx.Done():
					return
				}
			}
		}
		if end {
			return
		}
	}
}

func (f *parallelFeed) next(ctx context.Context) ([]staged, error) {
	if b := f.last; b != nil {
		f.last = nil
		clear(b.items) // do not pin the rows while the batch waits for reuse
		select {
		case f.free <- b:
		default:
		}
	}
	b, ok := <-f.ordered
	if !ok {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	select {
	case <-b.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f.last = b
	return b.items, nil
}

// close stops the stages and waits for them: drained so none stays blocked.
func (f *parallelFeed) close() {
	f.cancel()
	for range f.ordered {
	}
	f.wg.Wait()
}
