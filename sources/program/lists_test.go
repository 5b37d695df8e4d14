package program

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// fakeLists serves n raw objects per endpoint, refusing page sizes outside
// [lo, hi] with the API's 422, or serving at most serve per page (a
// server that clamps silently) when serve is set.
type fakeLists struct {
	fakeAPI
	n, lo, hi, serve int
	objects          func(i int) string

	mu     sync.Mutex
	limits []int // the limit of every request, in order
}

func (f *fakeLists) rawPage(ctx context.Context, r partnero.ListRoute, page, limit int, sort string) (*partnero.Page[json.RawMessage], error) {
	f.mu.Lock()
	f.limits = append(f.limits, limit)
	f.mu.Unlock()
	if limit < f.lo || limit > f.hi {
		return nil, &partnero.Error{Kind: partnero.ErrValidation, StatusCode: 422, Message: "The limit field must be between.", Fields: map[string][]string{"limit": {"bad"}}}
	}
	per := limit
	if f.serve > 0 {
		per = min(limit, f.serve)
	}
	p := &partnero.Page[json.RawMessage]{Page: page, PerPage: per}
	for i := (page - 1) * per; i < min(page*per, f.n); i++ {
		raw := json.RawMessage(f.objects(i))
		p.Items = append(p.Items, raw)
		p.Raw = append(p.Raw, raw)
	}
	p.HasNext = page*per < f.n
	return p, nil
}

// asked returns the limits requested so far (lookahead fetches may still
// be running when a read returns).
func (f *fakeLists) asked() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.limits...)
}

func webhookObject(i int) string {
	return fmt.Sprintf(`{"key":"wh_%d","name":"h","url":"https://example.com","is_active":1,"events":["a"],"signature":"whsec_%d"}`, i, i)
}

func readAll(t *testing.T, f *fakeLists, e record.Entity) []record.Record {
	t.Helper()
	src := newSource(f, Options{Window: 2})
	var out []record.Record
	if _, err := src.Each(t.Context(), e, nil, func(r record.Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestListLimitFallback: the docs give promotion codes 1..250 or 10..100.
// A 422 for limit=250 is retried once with 100, and every later page uses
// 100 (page numbers depend on it).
func TestListLimitFallback(t *testing.T) {
	f := &fakeLists{n: 230, lo: 10, hi: 100, objects: func(i int) string { return fmt.Sprintf(`{"id":%d,"code":"C%d"}`, i, i) }}
	got := readAll(t, f, record.PromotionCodes)
	if len(got) != 230 {
		t.Fatalf("read %d promotion codes, want 230", len(got))
	}
	limits := f.asked()
	if limits[0] != 250 || limits[1] != 100 || len(limits) < 4 {
		t.Errorf("limits asked: %v, want 250 (refused), then 100 for pages 1..3", limits)
	}
	for _, l := range limits[1:] {
		if l != 100 {
			t.Errorf("limits asked: %v", limits)
		}
	}
}

// TestListBelowMinimum: webhooks take 10..100; a configured page size of 5
// is refused and the documented maximum used instead.
func TestListBelowMinimum(t *testing.T) {
	f := &fakeLists{n: 12, lo: 10, hi: 100, objects: webhookObject}
	src := newSource(f, Options{Window: 2, Limit: 5})
	n := 0
	if _, err := src.Each(t.Context(), record.Webhooks, nil, func(record.Record) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if limits := f.asked(); n != 12 || limits[0] != 5 || limits[1] != 100 {
		t.Errorf("read %d, limits %v", n, limits)
	}
}

// TestListServerClampsPageSize: a server that serves 40 when asked 250 (and
// says so in per_page) is paged at 40, not stopped after a "short" page.
func TestListServerClampsPageSize(t *testing.T) {
	f := &fakeLists{n: 130, lo: 1, hi: 250, serve: 40, objects: func(i int) string { return fmt.Sprintf(`{"id":%d,"status":"submitted"}`, i) }}
	if got := readAll(t, f, record.Leads); len(got) != 130 {
		t.Errorf("read %d leads, want 130 (limits %v)", len(got), f.asked())
	}
}

// TestWebhookSecretNeverReachesARecord: neither the typed value nor the raw
// object a JSON lines export writes holds the signing secret.
func TestWebhookSecretNeverReachesARecord(t *testing.T) {
	f := &fakeLists{n: 3, lo: 10, hi: 100, objects: webhookObject}
	for _, r := range readAll(t, f, record.Webhooks) {
		if strings.Contains(string(r.Raw), "whsec_") || strings.Contains(string(r.Raw), "signature") {
			t.Errorf("raw webhook keeps its secret: %s", r.Raw)
		}
		if r.Webhook == nil || r.Webhook.Key == "" || !strings.Contains(string(r.Raw), `"url":"https://example.com"`) {
			t.Errorf("record %+v %s", r.Webhook, r.Raw)
		}
	}
}

// TestListDecodeErrorSaysWhere: an object no variant explains fails with
// the route, page and item.
func TestListDecodeErrorSaysWhere(t *testing.T) {
	f := &fakeLists{n: 3, lo: 1, hi: 250, objects: func(i int) string {
		if i == 2 {
			return `{"uuid":"x","coupon_duration_value":"three"}`
		}
		return `{"uuid":"ok"}`
	}}
	src := newSource(f, Options{Window: 1})
	_, err := src.Each(t.Context(), record.Coupons, nil, func(record.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "GET /coupons page 1 item 3") || !strings.Contains(err.Error(), "coupon_duration_value") {
		t.Errorf("error %v", err)
	}
}

// TestReferAFriendRefused: a program whose customers carry
// referring_customer is named as refer-a-friend, not misread.
func TestReferAFriendRefused(t *testing.T) {
	f := &fakeLists{n: 1, lo: 1, hi: 250, objects: func(int) string {
		return `{"key":"c1","referring_customer":{"key":"c0"},"status":"active"}`
	}}
	err := checkProgramKind(t.Context(), f)
	var raf *ReferAFriendError
	if !errors.As(err, &raf) || raf.Field != "referring_customer" || !strings.Contains(err.Error(), "refer-a-friend") {
		t.Errorf("error %v", err)
	}
	affiliate := &fakeLists{n: 1, lo: 1, hi: 250, objects: func(int) string { return `{"key":"c1","partner":"p1"}` }}
	if err := checkProgramKind(t.Context(), affiliate); err != nil {
		t.Errorf("an affiliate program: %v", err)
	}
}

// slowLists answers every page after a fixed latency.
type slowLists struct{ fakeLists }

func (f *slowLists) rawPage(ctx context.Context, r partnero.ListRoute, page, limit int, sort string) (*partnero.Page[json.RawMessage], error) {
	time.Sleep(100 * time.Millisecond)
	return f.fakeLists.rawPage(ctx, r, page, limit, sort)
}

// TestProgramKindCheckIsOneRoundTrip: the export waits for the check, so
// its two requests go together.
func TestProgramKindCheckIsOneRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f := &slowLists{fakeLists{n: 1, lo: 1, hi: 250, objects: func(int) string { return `{"key":"c1","partner":"p1"}` }}}
		start := time.Now()
		if err := checkProgramKind(t.Context(), f); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != 100*time.Millisecond {
			t.Errorf("took %v, want one round trip (100ms)", d)
		}
		if len(f.limits) != 2 {
			t.Errorf("%d requests, want 2", len(f.limits))
		}
	})
}
