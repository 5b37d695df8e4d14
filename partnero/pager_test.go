package partnero

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// listing is a fake list endpoint over a slice, with latency and hooks.
type listing struct {
	mu       sync.Mutex
	items    []string
	limit    int
	latency  time.Duration
	inFlight atomic.Int32
	maxIn    atomic.Int32
	calls    atomic.Int32
	failPage int
	// before runs (under the lock) before a page is cut, to mutate the listing.
	before func(page int, items []string) []string
	// alwaysNext makes every page claim a next page (the end shows by a short page).
	alwaysNext bool
}

func (l *listing) fetch(ctx context.Context, page int) (*Page[string], error) {
	l.calls.Add(1)
	n := l.inFlight.Add(1)
	defer l.inFlight.Add(-1)
	for {
		m := l.maxIn.Load()
		if n <= m || l.maxIn.CompareAndSwap(m, n) {
			break
		}
	}
	select {
	case <-time.After(l.latency):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if page == l.failPage {
		return nil, errors.New("server error after retries")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.before != nil {
		l.items = l.before(page, l.items)
	}
	lo := min((page-1)*l.limit, len(l.items))
	hi := min(lo+l.limit, len(l.items))
	b := &Page[string]{Items: slices.Clone(l.items[lo:hi]), HasNext: hi < len(l.items) || l.alwaysNext}
	return b, nil
}

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("k%05d", i)
	}
	return out
}

func collect(t *testing.T, p *Pager[string]) ([]string, error) {
	t.Helper()
	var got []string
	for it, err := range p.Items(t.Context()) {
		if err != nil {
			return got, err
		}
		got = append(got, it.Value)
	}
	return got, nil
}

func TestPagerOrderAndEnd(t *testing.T) {
	tests := []struct {
		name       string
		n, limit   int
		window     int
		alwaysNext bool
		wantCalls  int32
	}{
		{"empty", 0, 10, 1, false, 1},
		{"one short page", 3, 10, 4, false, 4},
		{"exact pages, next null", 30, 10, 1, false, 3},
		{"exact pages, stop on empty page", 30, 10, 1, true, 4},
		{"short last page despite next", 25, 10, 2, true, 4},
		{"wide window", 95, 10, 8, false, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := &listing{items: keys(tt.n), limit: tt.limit, latency: 100 * time.Millisecond, alwaysNext: tt.alwaysNext}
				p := &Pager[string]{Fetch: l.fetch, Limit: tt.limit, Window: tt.window, Identity: func(s string, _ json.RawMessage) string { return s }}
				got, err := collect(t, p)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, keys(tt.n)) {
					t.Errorf("got %d records %v..., want %d in order", len(got), got[:min(3, len(got))], tt.n)
				}
				synctest.Wait()
				if c := l.calls.Load(); c != tt.wantCalls {
					t.Errorf("%d requests, want %d (window %d: at most window-1 past the end)", c, tt.wantCalls, tt.window)
				}
			})
		})
	}
}

// TestPagerConcurrentAhead: with a window of w, n pages at latency L take
// about n*L/w, not n*L, and never more than w requests are in flight.
func TestPagerConcurrentAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &listing{items: keys(250 * 40), limit: 250, latency: 100 * time.Millisecond}
		p := &Pager[string]{Fetch: l.fetch, Limit: 250, Window: 4}
		start := time.Now()
		got, err := collect(t, p)
		if err != nil {
			t.Fatal(err)
		}
		elapsed := time.Since(start)
		if len(got) != 10000 {
			t.Fatalf("%d records", len(got))
		}
		if want := 41 * 100 * time.Millisecond / 4; elapsed > want+200*time.Millisecond {
			t.Errorf("took %v, want about %v", elapsed, want)
		}
		if m := l.maxIn.Load(); m != 4 {
			t.Errorf("max in flight %d, want 4", m)
		}
	})
}

func TestPagerFailingPageFails(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &listing{items: keys(100), limit: 10, latency: time.Millisecond, failPage: 4}
		p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 3}
		got, err := collect(t, p)
		if err == nil || err.Error() != "page 4: server error after retries" {
			t.Fatalf("err = %v", err)
		}
		if len(got) != 30 {
			t.Errorf("%d records before the failure, want 30", len(got))
		}
	})
}

// TestPagerShiftedRecordsOnce: a record removed from the front of the
// listing after page 1 was read moves every later record one place down, so
// the next page repeats one; one inserted before a read page does the same.
func TestPagerShiftedRecordsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		all := keys(50)
		l := &listing{items: slices.Clone(all), limit: 10, latency: time.Millisecond}
		l.before = func(page int, items []string) []string {
			if page == 3 {
				// newest first listing: two records arrive at the front
				return append([]string{"new1", "new2"}, items...)
			}
			return items
		}
		p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 1, Identity: func(s string, _ json.RawMessage) string { return s }}
		got, err := collect(t, p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, all) {
			t.Errorf("got %v", got)
		}
		if p.Shifted() != 2 {
			t.Errorf("shifted = %d, want 2", p.Shifted())
		}
	})
}

func TestPagerStopsWhenAsked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &listing{items: keys(100), limit: 10, latency: time.Millisecond}
		p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 2, Stop: func(pg *Page[string]) bool { return pg.Items[len(pg.Items)-1] >= "k00025" }}
		got, err := collect(t, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 30 {
			t.Errorf("%d records, want 30 (stopped after page 3)", len(got))
		}
	})
}

func TestPagerYieldErrorStops(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &listing{items: keys(100), limit: 10, latency: time.Millisecond}
		p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 3}
		boom := errors.New("disk full")
		n := 0
		var err error
		for _, ierr := range p.Items(t.Context()) {
			if ierr != nil {
				err = ierr
				break
			}
			if n++; n == 15 {
				err = boom
				break
			}
		}
		if !errors.Is(err, boom) {
			t.Errorf("err = %v, want the yield error", err)
		}
	})
}

// TestPagerKeepsCopiesWithinAPage: a page is one consistent read, so a
// record it holds twice is two records, both yielded; when a shift then
// shows one of them again on the next page, that one is skipped.
func TestPagerKeepsCopiesWithinAPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		all := append(keys(8), "twin", "twin", "k00008", "k00009")
		l := &listing{items: slices.Clone(all), limit: 10, latency: time.Millisecond}
		l.before = func(page int, items []string) []string {
			if page == 2 {
				return append([]string{"new"}, items...) // page 2 now starts with the second twin
			}
			return items
		}
		p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 1, Identity: func(s string, _ json.RawMessage) string { return s }}
		got, err := collect(t, p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, all) {
			t.Errorf("got %v, want %v", got, all)
		}
		if p.Shifted() != 1 {
			t.Errorf("shifted = %d, want 1", p.Shifted())
		}
	})
}

// TestPagerFetchesWhileTheWriterStalls: a consumer that stalls (a writer
// flushing a row group) does not stop the fetching: pages go on being
// fetched, up to bufferPages beyond the window, so the budget stays used.
func TestPagerFetchesWhileTheWriterStalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &listing{items: keys(10 * 40), limit: 10, latency: 100 * time.Millisecond}
		p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 2}
		var callsAfterStall int32
		n := 0
		var err error
		for _, ierr := range p.Items(t.Context()) {
			if ierr != nil {
				err = ierr
				break
			}
			if n++; n == 1 {
				time.Sleep(2 * time.Second)
				callsAfterStall = l.calls.Load()
			}
		}
		if err != nil || n != 400 {
			t.Fatalf("%d records, %v", n, err)
		}
		if want := int32(2 + bufferPages); callsAfterStall < want {
			t.Errorf("%d pages fetched while the consumer stalled on page 1, want at least %d", callsAfterStall, want)
		}
		if m := l.maxIn.Load(); m > 2 {
			t.Errorf("max in flight %d, want at most the window, 2", m)
		}
	})
}

// pacedListing is a listing behind a fixed budget: each fetch first takes
// the next send slot of a token bucket at rate (as the client's pacer
// does), then answers after its latency.
type pacedListing struct {
	mu      sync.Mutex
	next    time.Time
	rate    float64
	pages   int
	latency func(page int) time.Duration
	sent    atomic.Int32
}

func (l *pacedListing) fetch(ctx context.Context, page int) (*Page[string], error) {
	l.mu.Lock()
	now := time.Now()
	if l.next.Before(now) {
		l.next = now
	}
	at := l.next
	l.next = l.next.Add(time.Duration(float64(time.Second) / l.rate))
	l.mu.Unlock()
	select {
	case <-time.After(at.Sub(now) + l.latency(page)):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	l.sent.Add(1)
	return &Page[string]{Items: []string{fmt.Sprint(page)}, HasNext: page < l.pages, Page: page, PerPage: 1}, nil
}

// TestPagerKeepsThePacerFedThroughSlowAnswers: at 20 requests/s and 100 ms
// answers, Little's law says 2 pages in flight; but a slow answer (here
// every fifth takes a second) holds its place in the window, and a window
// of only those pages leaves budget slots with no request waiting. The
// pager keeps pages queued at the pacer besides, so the listing still
// takes about pages / rate.
func TestPagerKeepsThePacerFedThroughSlowAnswers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, pages = 20.0, 200
		l := &pacedListing{rate: rate, pages: pages, latency: func(page int) time.Duration {
			if page%5 == 0 {
				return time.Second
			}
			return 100 * time.Millisecond
		}}
		p := &Pager[string]{Fetch: l.fetch, Limit: 1, Pace: func() (float64, time.Duration) { return rate, 100 * time.Millisecond }}
		start := time.Now()
		got, err := collect(t, p)
		if err != nil || len(got) != pages {
			t.Fatalf("%d pages, %v", len(got), err)
		}
		floor := time.Duration(pages / rate * float64(time.Second))
		elapsed := time.Since(start)
		if elapsed > floor*102/100+time.Second {
			t.Errorf("took %v, want at most %v (pages / rate, 2%%, and the last slow answer)", elapsed, floor*102/100+time.Second)
		}
	})
}

// TestPagerFirstAloneAndMaxPages: the sink's listing reads page 1 alone
// (an empty target costs one request) and gives up past its budget.
func TestPagerFirstAloneAndMaxPages(t *testing.T) {
	tests := []struct {
		name       string
		n          int
		maxPages   int
		wantItems  int
		wantMore   bool
		wantCalls  int32
		firstAlone bool
	}{
		{"empty, first alone", 0, 0, 0, false, 1, true},
		{"empty, window at once", 0, 0, 0, false, 4, false},
		{"within the cap", 45, 5, 45, false, 5, true},
		{"past the cap", 100, 5, 50, true, 5, true},
		{"cap of one", 100, 1, 10, true, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := &listing{items: keys(tt.n), limit: 10, latency: 100 * time.Millisecond}
				p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 4, FirstAlone: tt.firstAlone, MaxPages: tt.maxPages}
				got, err := collect(t, p)
				if more := errors.Is(err, ErrMorePages); more != tt.wantMore || (err != nil && !more) {
					t.Fatalf("err = %v, want ErrMorePages %v", err, tt.wantMore)
				}
				if len(got) != tt.wantItems {
					t.Errorf("%d items, want %d", len(got), tt.wantItems)
				}
				synctest.Wait()
				if c := l.calls.Load(); c != tt.wantCalls {
					t.Errorf("%d requests, want %d", c, tt.wantCalls)
				}
			})
		})
	}
}

// TestPagerFirstPage: a listing read from page 3 asks for 3, 4, ... and
// refuses an answer that names another page.
func TestPagerFirstPage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &listing{items: keys(50), limit: 10, latency: time.Millisecond}
		p := &Pager[string]{Fetch: l.fetch, Limit: 10, Window: 2, First: 3}
		var pages []int
		for pg, err := range p.All(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			pages = append(pages, pg.Page)
		}
		if fmt.Sprint(pages) != "[3 4 5]" {
			t.Errorf("pages %v, want [3 4 5]", pages)
		}
		wrong := &Pager[string]{Limit: 10, Fetch: func(ctx context.Context, page int) (*Page[string], error) {
			return &Page[string]{Items: keys(10), HasNext: true, Page: 1}, nil
		}}
		var errs []error
		for _, err := range wrong.All(t.Context()) {
			errs = append(errs, err)
		}
		if len(errs) != 2 || errs[0] != nil || errs[1] == nil || errs[1].Error() != "page 2: asked for page 2, got page 1" {
			t.Errorf("a server ignoring page=: %v", errs)
		}
	})
}

func TestPagerWindowSizing(t *testing.T) {
	tests := []struct {
		rate           float64
		latency        time.Duration
		fixed          int
		window, buffer int
	}{
		{20, 100 * time.Millisecond, 0, 4 + 5, 20},    // Little's law 4, a quarter second 5, a second ahead
		{0, 0, 0, 4, bufferPages},                     // no budget: nothing waits at a pacer
		{1, 10 * time.Millisecond, 0, 3, bufferPages}, // at least bufferPages ahead
		{1000, time.Second, 0, maxWindow, maxBuffer},
		{20, 100 * time.Millisecond, 7, 7, bufferPages}, // a fixed window is taken as given
	}
	for _, tt := range tests {
		p := &Pager[string]{Window: tt.fixed, Pace: func() (float64, time.Duration) { return tt.rate, tt.latency }}
		if w, b := p.window(); w != tt.window || b != tt.buffer {
			t.Errorf("rate %v latency %v window %d: got %d in flight and %d ahead, want %d and %d", tt.rate, tt.latency, tt.fixed, w, b, tt.window, tt.buffer)
		}
	}
	if w, _ := (&Pager[string]{}).window(); w != 1 {
		t.Errorf("unpaced without a window: %d in flight, want 1", w)
	}
}

// An on-demand pager fetches a page only when the consumer asks for the
// next one: a caller that stops early (Partners.All broken off, a search
// that almost always has one page) spends no request past where it
// stopped. Before, the services' listings fetched pages ahead of the
// consumer, and TestAllStopsEarlyAndOnErrors saw a request arrive after it
// had broken off (a data race on the server's count).
func TestPagerOnDemandFetchesNothingAhead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var fetched []int
		p := &Pager[string]{Limit: 2, OnDemand: true, Fetch: func(ctx context.Context, page int) (*Page[string], error) {
			mu.Lock()
			fetched = append(fetched, page)
			mu.Unlock()
			return &Page[string]{Items: []string{"a", "b"}, HasNext: page < 5, Page: page}, nil
		}}
		n := 0
		for pg, err := range p.All(t.Context()) {
			if err != nil {
				t.Fatal(err)
			}
			n++
			synctest.Wait() // every goroutine of the pager idle: it would have launched by now
			mu.Lock()
			got := len(fetched)
			mu.Unlock()
			if got != pg.Page {
				t.Fatalf("while page %d was being read, %d pages were fetched: %v", pg.Page, got, fetched)
			}
			if n == 2 {
				break
			}
		}
		if len(fetched) != 2 {
			t.Errorf("fetched %v after breaking on page 2, want pages 1 and 2 only", fetched)
		}
	})
}
