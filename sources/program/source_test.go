package program

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// fakeAPI serves fixed listings; transactions are listed newest first for
// sort=desc as the API does.
type fakeAPI struct {
	partnerList []partnero.Partner
	txs         []partnero.Transaction // oldest first
	linksErr    error
	rate        float64
	latency     time.Duration
}

func cut[T any](items []T, page, limit int) batch[T] {
	lo := min((page-1)*limit, len(items))
	hi := min(lo+limit, len(items))
	b := batch[T]{Items: slices.Clone(items[lo:hi]), HasNext: hi < len(items)}
	for _, it := range b.Items {
		raw, _ := json.Marshal(it)
		b.Raw = append(b.Raw, raw)
	}
	return b
}

func (f *fakeAPI) partners(ctx context.Context, page, limit int, sort string) (batch[partnero.Partner], error) {
	return cut(f.partnerList, page, limit), nil
}

func (f *fakeAPI) customers(ctx context.Context, page, limit int, sort string) (batch[partnero.Customer], error) {
	return batch[partnero.Customer]{}, nil
}

func (f *fakeAPI) transactions(ctx context.Context, page, limit int, sort string) (batch[partnero.Transaction], error) {
	txs := f.txs
	if sort == "desc" {
		txs = slices.Clone(txs)
		slices.Reverse(txs)
	}
	return cut(txs, page, limit), nil
}

func (f *fakeAPI) referralLinks(ctx context.Context, id string) ([]partnero.ReferralLink, error) {
	if f.linksErr != nil {
		return nil, f.linksErr
	}
	return []partnero.ReferralLink{{Key: "ref-" + id, URL: "https://x.test/?aff=ref-" + id}, {Key: "second-" + id}}, nil
}

func (f *fakeAPI) pace() (float64, time.Duration) { return f.rate, f.latency }

func at(min int) *partnero.Time {
	return &partnero.Time{Time: time.Date(2025, 1, 1, 0, min, 0, 0, time.UTC)}
}

func TestSinceLastStopsPastTheMark(t *testing.T) {
	var txs []partnero.Transaction
	for i := range 50 {
		txs = append(txs, partnero.Transaction{Key: fmt.Sprint("t", i), CreatedAt: at(i)})
	}
	// Two at the mark's instant: one exported already, one not.
	txs = append(txs, partnero.Transaction{Key: "same-old", CreatedAt: at(40)}, partnero.Transaction{Key: "same-new", CreatedAt: at(40)})
	slices.SortStableFunc(txs, func(a, b partnero.Transaction) int { return a.CreatedAt.Compare(b.CreatedAt.Time) })
	api := &fakeAPI{txs: txs}
	src := newSource(api, Options{Limit: 5, Window: 1})
	since := NewSince(at(40).Time, []string{"t40", "same-old"})
	var got []string
	stats, err := src.Each(t.Context(), record.Transactions, since, func(r record.Record) error {
		got = append(got, r.Transaction.Key)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"t49", "t48", "t47", "t46", "t45", "t44", "t43", "t42", "t41", "same-new"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	// 52 records, 5 a page, newest first: the page holding t39 ends it.
	if stats.Pages != 3 {
		t.Errorf("read %d pages, want 3 (stop once past the mark)", stats.Pages)
	}
	if stats.Skipped == 0 {
		t.Error("the overlap was not counted")
	}
}

func TestReferralLinks(t *testing.T) {
	api := &fakeAPI{partnerList: []partnero.Partner{{ID: "p1"}, {ID: "p2", Key: "own"}, {Email: "noid@x.test"}}}
	src := newSource(api, Options{WithReferralLinks: true})
	var got []record.Record
	if _, err := src.Each(t.Context(), record.Partners, nil, func(r record.Record) error {
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got[0].Partner.Key != "ref-p1" || got[1].Partner.Key != "own" || got[2].Partner.Key != "" {
		t.Errorf("keys %q %q %q", got[0].Partner.Key, got[1].Partner.Key, got[2].Partner.Key)
	}
	var raw struct {
		ReferralKeys []string `json:"referral_keys"`
	}
	if err := json.Unmarshal(got[0].Raw, &raw); err != nil || !slices.Equal(raw.ReferralKeys, []string{"ref-p1", "second-p1"}) {
		t.Errorf("raw %s: %v", got[0].Raw, err)
	}
	if !slices.Equal(got[0].Partner.ReferralLinks, []string{"https://x.test/?aff=ref-p1"}) {
		t.Errorf("links %v", got[0].Partner.ReferralLinks)
	}

	api.linksErr = errors.New("server error after retries")
	_, err := newSource(api, Options{WithReferralLinks: true}).Each(t.Context(), record.Partners, nil, func(record.Record) error { return nil })
	if err == nil || !errors.Is(err, api.linksErr) {
		t.Errorf("a failing referral-link call gave %v", err)
	}
}

func TestWindowSizing(t *testing.T) {
	tests := []struct {
		rate    float64
		latency time.Duration
		fixed   int
		want    int
	}{
		{20, 100 * time.Millisecond, 0, 4},
		{10, time.Second, 0, 16},
		{1000, time.Second, 0, 32}, // the most pages in flight
		{0, 0, 0, 4},               // nothing known: 10/s at 200 ms
		{1, 10 * time.Millisecond, 0, 2},
		{20, 100 * time.Millisecond, 7, 7},
	}
	for _, tt := range tests {
		s := newSource(&fakeAPI{rate: tt.rate, latency: tt.latency}, Options{Window: tt.fixed})
		if got := s.window(); got != tt.want {
			t.Errorf("rate %v latency %v window %d: got %d, want %d", tt.rate, tt.latency, tt.fixed, got, tt.want)
		}
	}
}

func TestUnknownEntity(t *testing.T) {
	if _, err := newSource(&fakeAPI{}, Options{}).Each(t.Context(), record.Rewards, nil, nil); err == nil {
		t.Error("rewards are not a list endpoint")
	}
}

func TestWithField(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":1}`, `{"a":1,"k":["x"]}`},
		{`{}`, `{"k":["x"]}`},
		{` { "a" : 1 } `, `{ "a" : 1,"k":["x"]}`},
		{`[1]`, `[1]`},
	}
	for _, tt := range tests {
		if got := string(withField(json.RawMessage(tt.in), "k", []string{"x"})); got != tt.want {
			t.Errorf("withField(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzWithField: adding referral_keys to any JSON object gives a valid
// object with every original field and the new one.
func FuzzWithField(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` {"a":{"b":[]}} `, `[]`, `null`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var orig map[string]any
		if json.Unmarshal([]byte(raw), &orig) != nil || orig == nil {
			return
		}
		if _, dup := orig["referral_keys"]; dup {
			return
		}
		out := withField(json.RawMessage(raw), "referral_keys", []string{"k"})
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil || len(got) != len(orig)+1 {
			t.Fatalf("%s -> %s (%v)", raw, out, err)
		}
	})
}

// TestDuplicateTransactionKeysAllYielded: two transactions under one key,
// with the same time, customer and amount, are two records (their rewards
// differ); the very same object shown again is one.
func TestDuplicateTransactionKeysAllYielded(t *testing.T) {
	tx := func(reward string) partnero.Transaction {
		return partnero.Transaction{Key: "k", CreatedAt: at(1), Customer: partnero.CustomerRef{Key: "c"},
			Amount: new(partnero.MustDecimal("10")), Rewards: []partnero.Reward{{Key: reward}}}
	}
	a, b := tx("rw_a"), tx("rw_b")
	rawA, _ := json.Marshal(a)
	rawB, _ := json.Marshal(b)
	if transactionIdentity(a, rawA) == transactionIdentity(b, rawB) {
		t.Error("two transactions with one key got one identity")
	}
	if transactionIdentity(a, rawA) != transactionIdentity(a, append(json.RawMessage(nil), rawA...)) {
		t.Error("the same object got two identities")
	}
	api := &fakeAPI{txs: []partnero.Transaction{a, b, tx("rw_c")}}
	var n int
	stats, err := newSource(api, Options{Limit: 2, Window: 1}).Each(t.Context(), record.Transactions, nil, func(record.Record) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 || stats.Shifted != 0 {
		t.Errorf("yielded %d, shifted %d; want 3, 0", n, stats.Shifted)
	}
}
