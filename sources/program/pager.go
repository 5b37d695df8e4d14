// Package program is the export's source: it pages a Partnero list endpoint
// at limit=250 and yields typed records in page order. Pages ahead are
// fetched concurrently (page numbers are direct, so page n+1 need not wait
// for page n), in a bounded window so memory stays flat; the client's rate
// limiter sets the pace, so an export takes about pages / rate rather than
// pages x latency. Records a shifting listing shows twice are yielded once.
package program

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync"
)

// MaxLimit is the largest page size the API serves.
const MaxLimit = 250

// batch is one fetched page: its items and the raw objects beside them.
type batch[T any] struct {
	Items   []T
	Raw     []json.RawMessage
	HasNext bool
}

// fetchFunc fetches page n (1-based) at the pager's limit.
type fetchFunc[T any] func(ctx context.Context, page int) (batch[T], error)

// item is one record of a page with its raw object and where it came from.
type item[T any] struct {
	Value T
	Raw   json.RawMessage
	Page  int
	Index int // 0-based position within the page
}

// pager fetches pages 1, 2, ... with up to window requests in flight and
// hands them over in page order.
type pager[T any] struct {
	fetch  fetchFunc[T]
	limit  int
	window int
	// size, when set, is asked before each launch for the current window
	// (the client learns the rate and latency as the export runs).
	size func() int
	// identity names a record for deduplication ("" disables it for that
	// record), from its decoded value and the raw object the API sent.
	identity func(v T, raw json.RawMessage) string
	// stop, when set, is asked after each page in order whether the listing
	// has gone far enough (an incremental export past its high-water mark).
	stop func(page []T) bool
	// shifted counts records skipped because they were already yielded.
	shifted int64
	pages   int64
}

type pageResult[T any] struct {
	b   batch[T]
	err error
}

// maxWindow caps the pages in flight whatever the rate and latency say.
const maxWindow = 32

// bufferPages is how many fetched pages may wait for the consumer (the
// export's writer) while further pages are fetched: a writer that stalls
// (a row group flushed, a file rolled over) does not leave the budget
// unused, and memory stays bounded (about 2,000 records).
const bufferPages = 8

// dedupeWindowPages is how many recent pages' identities are remembered. A
// record shows up twice only when records were inserted or removed before
// it while the listing was read, which moves it by that many places: a few
// pages of memory cover any realistic churn at a constant cost.
const dedupeWindowPages = 16

// all yields every record in page order. It stops at the first page that says
// there is no next page or holds fewer than limit records; a page that fails
// (after the client's own retries) ends the iteration with that error.
func (p *pager[T]) all(ctx context.Context, yield func(item[T]) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	window := func() int {
		if p.size != nil {
			return max(p.size(), 1)
		}
		return max(p.window, 1)
	}

	// A launcher fetches pages ahead of the consumer: at most window() in
	// flight, at most bufferPages more fetched and not yet consumed. It
	// hands one channel per page to the consumer in page order; each is
	// buffered so a fetch never blocks after an early return. A page that
	// ends the listing stops further launches (pages already in flight
	// past the end are the price of fetching ahead, as before).
	var (
		mu          sync.Mutex
		inFlight    int
		outstanding int // launched and not yet consumed
		end         = math.MaxInt
	)
	changed := make(chan struct{}, 1)
	signal := func() {
		select {
		case changed <- struct{}{}:
		default:
		}
	}
	order := make(chan chan pageResult[T], maxWindow+bufferPages)
	go func() {
		defer close(order)
		for n := 1; ; n++ {
			for {
				mu.Lock()
				w := min(window(), maxWindow)
				stop, ok := n > end, inFlight < w && outstanding < w+bufferPages
				if ok && !stop {
					inFlight++
					outstanding++
				}
				mu.Unlock()
				if stop {
					return
				}
				if ok {
					break
				}
				select {
				case <-changed:
				case <-ctx.Done():
					return
				}
			}
			ch := make(chan pageResult[T], 1)
			go func() {
				b, err := p.fetch(ctx, n)
				mu.Lock()
				inFlight--
				if err == nil && (!b.HasNext || len(b.Items) < p.limit) {
					end = min(end, n)
				}
				mu.Unlock()
				signal()
				ch <- pageResult[T]{b, err}
			}()
			order <- ch // never blocks: outstanding bounds the channels
		}
	}()
	// Remember identities of the last pages: a ring of per-page key lists
	// and a count over all of them.
	seen := make(map[string]int)
	ring := make([][]string, dedupeWindowPages+maxWindow+bufferPages)
	forget := func(slot int) {
		for _, k := range ring[slot] {
			if seen[k]--; seen[k] <= 0 {
				delete(seen, k)
			}
		}
		ring[slot] = ring[slot][:0]
	}

	for page := 1; ; page++ {
		var ch chan pageResult[T]
		var ok bool
		select {
		case ch, ok = <-order:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !ok {
			return ctx.Err() // the launcher stops only when cancelled
		}
		var r pageResult[T]
		select {
		case r = <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		mu.Lock()
		outstanding--
		mu.Unlock()
		signal()
		if r.err != nil {
			return fmt.Errorf("page %d: %w", page, r.err)
		}
		p.pages++
		slot := page % len(ring)
		forget(slot)
		// A page is one consistent read, so a record it holds twice is two
		// records; only copies beyond those earlier pages yielded are new.
		inPage := map[string]int{}
		for i, v := range r.b.Items {
			var raw json.RawMessage
			if i < len(r.b.Raw) {
				raw = r.b.Raw[i]
			}
			if p.identity != nil {
				if id := p.identity(v, raw); id != "" {
					n := inPage[id]
					inPage[id]++
					if n < seen[id] {
						p.shifted++
						continue
					}
					ring[slot] = append(ring[slot], id)
				}
			}
			if err := yield(item[T]{Value: v, Raw: raw, Page: page, Index: i}); err != nil {
				return err
			}
		}
		for _, id := range ring[slot] {
			seen[id]++
		}
		if !r.b.HasNext || len(r.b.Items) < p.limit {
			return nil
		}
		if p.stop != nil && p.stop(r.b.Items) {
			return nil
		}
	}
}
