package upsert

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

func dec(s string) *api.Decimal { d := api.MustDecimal(s); return &d }

func partnerRec(line int, p api.Partner) record.Record {
	return record.Record{Entity: record.Partners, Origin: record.Origin{File: "p.csv", Line: int64(line)}, Partner: &p}
}

func customerRec(line int, c api.Customer) record.Record {
	return record.Record{Entity: record.Customers, Origin: record.Origin{File: "c.csv", Line: int64(line)}, Customer: &c}
}

func txRec(line int, key, customer, amount string, partner *api.PartnerRef) record.Record {
	return record.Record{Entity: record.Transactions, Origin: record.Origin{File: "t.csv", Line: int64(line)}, Transaction: &api.Transaction{
		Key: key, Amount: dec(amount), AmountUnits: "USD", Action: "sale",
		Customer: api.CustomerRef{Key: customer, Partner: partner},
	}}
}

func outcomes(t *testing.T, res []record.Result) []string {
	t.Helper()
	var out []string
	for _, r := range res {
		s := r.Outcome.String()
		if r.Outcome == record.Rejected {
			s += ":" + r.Err.Code
		}
		out = append(out, s)
	}
	return out
}

func equal(a, b []string) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func writeAll(t *testing.T, s *Sink, recs ...record.Record) []string {
	t.Helper()
	res, err := s.Write(t.Context(), recs)
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	return outcomes(t, res)
}

func TestPartnersUpsert(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Name: "Ann"}}
	s := New(f, Options{Entity: record.Partners})
	if err := s.Prepare(t.Context(), 3); err != nil {
		t.Fatal(err)
	}
	got := writeAll(t, s, partnerRec(2, api.Partner{ID: "p1", Email: "a@x.io", Name: "Ann"}))
	got = append(got, writeAll(t, s, partnerRec(3, api.Partner{Email: "a@x.io", Name: "Annie"}))...)
	got = append(got, writeAll(t, s, partnerRec(4, api.Partner{ID: "p2", Email: "b@x.io", Name: "Bob"}))...)
	want := []string{"unchanged", "updated", "created"}
	if !equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
	if f.partners[0].Name != "Annie" || len(f.partners) != 2 {
		t.Fatalf("target %+v", f.partners)
	}
	if f.calls["GET /partners:search"] != 0 {
		t.Errorf("lookups with a full index: %v", f.calls)
	}
}

func TestPartnerLostAnswerIsNotDuplicated(t *testing.T) {
	f := newFake()
	f.loseNext = 1
	s := New(f, Options{Entity: record.Partners})
	if err := s.Prepare(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	got := writeAll(t, s, partnerRec(2, api.Partner{Email: "a@x.io", Name: "Ann"}))
	if !equal(got, []string{"created"}) || len(f.partners) != 1 {
		t.Fatalf("outcomes %v, partners %d", got, len(f.partners))
	}
}

func TestCustomersUpsert(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Key: "ann"}, {ID: "p2", Email: "b@x.io", Key: "bob"}}
	f.customers = []api.Customer{{Key: "c1", Email: "c1@x.io", Partner: &api.PartnerRef{ID: "p1"}}}
	tests := []struct {
		name string
		in   api.Customer
		want string
	}{
		{"identical", api.Customer{Key: "c1", Email: "c1@x.io", Partner: &api.PartnerRef{Key: "ann"}}, "unchanged"},
		{"changed name", api.Customer{Key: "c1", Name: "Cee", Partner: &api.PartnerRef{ID: "p1"}}, "updated"},
		{"other partner", api.Customer{Key: "c1", Partner: &api.PartnerRef{Email: "b@x.io"}}, "rejected:partner_conflict"},
		{"new", api.Customer{Key: "c2", Partner: &api.PartnerRef{Key: "bob"}}, "created"},
		{"unknown partner", api.Customer{Key: "c3", Partner: &api.PartnerRef{Key: "nobody"}}, "rejected:unknown_partner"},
		{"no partner", api.Customer{Key: "c4"}, "rejected:missing_field"},
	}
	for _, lists := range []int64{100, 0} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%s/budget%d", tt.name, lists), func(t *testing.T) {
				s := New(f, Options{Entity: record.Customers})
				if lists > 0 {
					if err := s.Prepare(t.Context(), lists); err != nil {
						t.Fatal(err)
					}
				}
				got := writeAll(t, s, customerRec(2, tt.in))
				if got[0] != tt.want && !(tt.name == "new" && got[0] == "unchanged") && !(tt.name == "changed name" && got[0] == "unchanged") {
					t.Errorf("got %v, want %s", got, tt.want)
				}
			})
		}
	}
	if n := len(f.customers); n != 2 {
		t.Errorf("target has %d customers, want 2", n)
	}
}

func TestTransactionsFreshAndRerun(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Key: "ann"}}
	f.customers = []api.Customer{{Key: "c1", Partner: &api.PartnerRef{ID: "p1"}}}
	ann := &api.PartnerRef{Key: "ann"}
	groups := [][]record.Record{
		{txRec(2, "t1", "c1", "10", nil), txRec(3, "t2", "c1", "20", nil), txRec(4, "t3", "c1", "30", nil)},
		{txRec(5, "t4", "c2", "10", ann), txRec(6, "t5", "c2", "11", nil)},
		{txRec(7, "t6", "c3", "10", nil)},
	}
	want := [][]string{{"created", "created", "created"}, {"created", "created"}, {"rejected:unknown_customer"}}
	for _, mode := range []struct {
		name string
		est  int64
	}{{"listing", 1000}, {"per-customer", -2}} {
		t.Run(mode.name, func(t *testing.T) {
			f.txs = nil
			f.customers = f.customers[:1]
			f.calls = map[string]int{}
			s := New(f, Options{Entity: record.Transactions, CreateCustomers: true})
			if mode.est > -2 {
				if err := s.Prepare(t.Context(), mode.est); err != nil {
					t.Fatal(err)
				}
			}
			for i, g := range groups {
				if got := writeAll(t, s, g...); !equal(got, want[i]) {
					t.Errorf("group %d: %v, want %v", i, got, want[i])
				}
			}
			if len(f.txs) != 5 {
				t.Fatalf("target holds %d transactions, want 5", len(f.txs))
			}
			if n := f.calls["POST /transactions[]"]; n != 2 || f.calls["POST /transactions"] != 0 {
				t.Errorf("writes %v, want 2 batches", f.calls)
			}

			// A re-run writes nothing.
			s = New(f, Options{Entity: record.Transactions, CreateCustomers: true})
			if err := s.Prepare(t.Context(), 1000); err != nil {
				t.Fatal(err)
			}
			before := f.writes()
			for i, g := range groups[:2] {
				got := writeAll(t, s, g...)
				for j := range got {
					if got[j] != "unchanged" {
						t.Errorf("re-run group %d: %v", i, got)
					}
				}
			}
			if f.writes() != before {
				t.Errorf("re-run wrote: %v", f.calls)
			}
		})
	}
}

func TestTransactionConflictAndReplace(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
	f.customers = []api.Customer{{Key: "c1", Partner: &api.PartnerRef{ID: "p1"}}}
	f.txs = []api.Transaction{{Key: "t1", Amount: dec("10"), AmountUnits: "USD", Action: "sale", Customer: api.CustomerRef{Key: "c1"}}}

	s := New(f, Options{Entity: record.Transactions})
	if got := writeAll(t, s, txRec(2, "t1", "c1", "12", nil)); !equal(got, []string{"rejected:transaction_conflict"}) {
		t.Fatalf("got %v", got)
	}
	s = New(f, Options{Entity: record.Transactions, ReplaceTransactions: true})
	if got := writeAll(t, s, txRec(2, "t1", "c1", "12", nil)); !equal(got, []string{"updated"}) {
		t.Fatalf("got %v", got)
	}
	if len(f.txs) != 1 || f.txs[0].Amount.String() != "12" {
		t.Fatalf("target %+v", f.txs)
	}
}

func TestRefusedBatchFallsBackToSingles(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
	f.badAmount = "666"
	s := New(f, Options{Entity: record.Transactions, CreateCustomers: true})
	ann := &api.PartnerRef{Key: "ann"}
	got := writeAll(t, s, txRec(2, "t1", "c9", "10", ann), txRec(3, "t2", "c9", "666", ann), txRec(4, "t3", "c9", "30", ann))
	if want := []string{"created", "rejected:api_validation", "created"}; !equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if len(f.txs) != 2 || len(f.customers) != 1 {
		t.Fatalf("target: %d transactions, %d customers", len(f.txs), len(f.customers))
	}
}

func TestAmbiguousAnswersAreVerified(t *testing.T) {
	for _, tc := range []struct {
		name    string
		prepare func(f *fakeTarget)
	}{
		{"lost batch", func(f *fakeTarget) { f.loseNext = 1 }},
		{"garbled batch", func(f *fakeTarget) { f.garbleBatch = true }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
			tc.prepare(f)
			s := New(f, Options{Entity: record.Transactions, CreateCustomers: true})
			if err := s.Prepare(t.Context(), 100); err != nil {
				t.Fatal(err)
			}
			ann := &api.PartnerRef{Key: "ann"}
			got := writeAll(t, s, txRec(2, "t1", "c1", "10", ann), txRec(3, "t2", "c1", "20", ann))
			if want := []string{"created", "created"}; !equal(got, want) {
				t.Fatalf("got %v", got)
			}
			if len(f.txs) != 2 {
				t.Fatalf("target holds %d transactions, want 2 (no duplicate)", len(f.txs))
			}
		})
	}
}

func TestNoBatchAndDryRun(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
	ann := &api.PartnerRef{Key: "ann"}
	recs := []record.Record{txRec(2, "t1", "c1", "10", ann), txRec(3, "t2", "c1", "20", nil)}

	dry := New(f, Options{Entity: record.Transactions, CreateCustomers: true, DryRun: true})
	if err := dry.Prepare(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	if got := writeAll(t, dry, recs...); !equal(got, []string{"created", "created"}) {
		t.Fatalf("dry run: %v", got)
	}
	if f.writes() != 0 {
		t.Fatalf("dry run wrote: %v", f.calls)
	}

	s := New(f, Options{Entity: record.Transactions, CreateCustomers: true, NoBatch: true})
	if got := writeAll(t, s, recs...); !equal(got, []string{"created", "created"}) {
		t.Fatalf("no batch: %v", got)
	}
	if f.calls["POST /transactions"] != 2 || f.calls["POST /transactions[]"] != 0 {
		t.Fatalf("calls %v", f.calls)
	}
}

func TestListingBudget(t *testing.T) {
	f := newFake()
	for i := range 1000 {
		f.customers = append(f.customers, api.Customer{Key: fmt.Sprint("c", i)})
	}
	s := New(f, Options{Entity: record.Customers, PageSize: 10})
	if err := s.Prepare(t.Context(), 20); err != nil {
		t.Fatal(err)
	}
	if s.customers != nil {
		t.Errorf("a 100-page listing for 20 rows was kept")
	}
	if n := f.calls["GET /customers"]; n > 20+4 {
		t.Errorf("listing spent %d pages past a budget of 20", n)
	}
	s = New(f, Options{Entity: record.Customers, PageSize: 10})
	if err := s.Prepare(t.Context(), 500); err != nil {
		t.Fatal(err)
	}
	if s.customers == nil || s.customers.len() != 1000 {
		t.Errorf("full listing not taken")
	}
}

func TestLongHistoriesAreChunked(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
	s := New(f, Options{Entity: record.Transactions, CreateCustomers: true, MaxBatch: 3})
	ann := &api.PartnerRef{Key: "ann"}
	var recs []record.Record
	for i := range 7 {
		recs = append(recs, txRec(i+2, fmt.Sprint("t", i), "c1", "10", ann))
	}
	got := writeAll(t, s, recs...)
	for _, o := range got {
		if o != "created" {
			t.Fatalf("outcomes %v", got)
		}
	}
	if f.calls["POST /transactions[]"] != 2 || f.calls["POST /transactions"] != 1 || len(f.txs) != 7 || len(f.customers) != 1 {
		t.Fatalf("calls %v, %d transactions, %d customers", f.calls, len(f.txs), len(f.customers))
	}
}

// A listing carries neither tags nor the referral key: a changed key or tag
// set must still be found and sent, and an identical one cost one GET of the
// partner, not a write.
func TestPartnerKeyAndTagsOnReimport(t *testing.T) {
	tests := []struct {
		name    string
		in      api.Partner
		want    string
		gets    int // GET /partners/{id} in listing mode
		key     string
		tags    string
		newName string
	}{
		{"identical key and tags", api.Partner{ID: "p1", Email: "a@x.io", Key: "alice", Tags: api.Tags{"vip"}}, "unchanged", 1, "alice", "[vip]", "Ann"},
		{"identical, named by email", api.Partner{Email: "a@x.io", Key: "alice", Tags: api.Tags{"vip"}}, "unchanged", 1, "alice", "[vip]", "Ann"},
		{"changed key and tags", api.Partner{ID: "p1", Email: "a@x.io", Key: "alice2", Tags: api.Tags{"gold"}}, "updated", 1, "alice2", "[gold]", "Ann"},
		{"changed key only", api.Partner{ID: "p1", Key: "alice2"}, "updated", 1, "alice2", "[vip]", "Ann"},
		{"changed tags only", api.Partner{Email: "a@x.io", Tags: api.Tags{"gold", "vip"}}, "updated", 1, "alice", "[gold vip]", "Ann"},
		{"cleared tags", api.Partner{ID: "p1", Tags: api.Tags{}}, "updated", 1, "alice", "[]", "Ann"},
		{"name changed carries key without a GET", api.Partner{ID: "p1", Name: "Annie", Key: "alice2", Tags: api.Tags{"gold"}}, "updated", 0, "alice2", "[gold]", "Annie"},
		{"neither key nor tags costs no GET", api.Partner{ID: "p1", Email: "a@x.io", Name: "Ann"}, "unchanged", 0, "alice", "[vip]", "Ann"},
	}
	for _, mode := range []string{"listing", "lookups"} {
		for _, tt := range tests {
			t.Run(mode+"/"+tt.name, func(t *testing.T) {
				f := newFake()
				f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Name: "Ann", Key: "alice", Tags: api.Tags{"vip"}}}
				s := New(f, Options{Entity: record.Partners})
				if mode == "listing" {
					if err := s.Prepare(t.Context(), 10); err != nil {
						t.Fatal(err)
					}
				}
				got := writeAll(t, s, partnerRec(2, tt.in))
				if !equal(got, []string{tt.want}) {
					t.Fatalf("got %v, want %s", got, tt.want)
				}
				p := f.partners[0]
				if p.Key != tt.key || fmt.Sprint(p.Tags) != tt.tags || p.Name != tt.newName {
					t.Errorf("target key %q tags %v name %q, want %q %s %q", p.Key, p.Tags, p.Name, tt.key, tt.tags, tt.newName)
				}
				if mode == "listing" && f.calls["GET /partners/{id}"] != tt.gets {
					t.Errorf("GET /partners/{id} %d times, want %d (calls %v)", f.calls["GET /partners/{id}"], tt.gets, f.calls)
				}
				if tt.want == "unchanged" && f.writes() != 0 {
					t.Errorf("unchanged but wrote: %v", f.calls)
				}
			})
		}
	}
}

func TestReferralKey(t *testing.T) {
	tests := []struct {
		name string
		p    api.Partner
		want string
	}{
		{"field", api.Partner{Key: "alice", ReferralLink: "https://x.io/?aff=other"}, "alice"},
		{"referral link", api.Partner{ReferralLink: "https://x.io/?aff=al%2Bice"}, "al+ice"},
		{"referral links", api.Partner{ReferralLink: "https://x.io/", ReferralLinks: []string{"https://x.io/p", "https://x.io/?aff=bob"}}, "bob"},
		{"none", api.Partner{ReferralLink: "https://x.io/"}, ""},
		{"unparsable", api.Partner{ReferralLink: "http://[::1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := referralKey(&tt.p); got != tt.want {
				t.Errorf("referralKey = %q, want %q", got, tt.want)
			}
		})
	}
}

// A create that fails ambiguously is verified by listing and sent again, as
// often as the client would have retried any other call (8 by default).
func TestAmbiguousSingleCreateRetriesUpToBudget(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		attempts int
		want     string
		txs      int
	}{
		{"seven failures land", 7, 0, "created", 1},
		{"eight failures reject", 8, 0, "rejected:api_error", 0},
		{"own budget", 2, 2, "rejected:api_error", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
			f.customers = []api.Customer{{Key: "c1", Partner: &api.PartnerRef{ID: "p1"}}}
			f.failNext = tt.failures
			s := New(f, Options{Entity: record.Transactions, NoBatch: true, MaxAttempts: tt.attempts})
			res, err := s.Write(t.Context(), []record.Record{txRec(2, "t1", "c1", "10", nil)})
			if err != nil {
				t.Fatal(err)
			}
			if got := outcomes(t, res); !equal(got, []string{tt.want}) {
				t.Fatalf("got %v, want %s", got, tt.want)
			}
			if len(f.txs) != tt.txs {
				t.Errorf("target holds %d transactions, want %d", len(f.txs), tt.txs)
			}
			if tt.txs == 0 {
				n := tt.attempts
				if n == 0 {
					n = 8
				}
				want := fmt.Sprintf("not confirmed after %d attempts, each verified by listing: ", n)
				if msg := res[0].Err.Message; !strings.Contains(msg, want) || !strings.Contains(msg, "503") {
					t.Errorf("message %q, want it to contain %q and the last error", msg, want)
				}
				if c := f.calls["POST /transactions"]; c != n {
					t.Errorf("sent %d times, want %d", c, n)
				}
			}
		})
	}
}

func txByEmail(line int, key, email, amount string) record.Record {
	r := txRec(line, key, "", amount, nil)
	r.Transaction.Customer.Email = email
	return r
}

func TestTransactionPartition(t *testing.T) {
	s := New(newFake(), Options{Entity: record.Transactions})
	tests := []struct {
		name string
		rec  record.Record
		want string
	}{
		{"by key", txRec(2, "t1", "c1", "10", nil), "c1"},
		{"key wins over email", func() record.Record {
			r := txRec(2, "t1", "c1", "10", nil)
			r.Transaction.Customer.Email = "a@x.io"
			return r
		}(), "c1"},
		{"by email", txByEmail(2, "t1", "a@x.io", "10"), "email:a@x.io"},
		{"email case", txByEmail(2, "t1", " A@X.io", "10"), "email:a@x.io"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.Partition(tt.rec); got != tt.want {
				t.Errorf("Partition = %q, want %q", got, tt.want)
			}
		})
	}
	if s.Partition(txByEmail(2, "t1", "a@x.io", "1")) == s.Partition(txByEmail(3, "t2", "b@x.io", "1")) {
		t.Error("two customers named by email share a partition")
	}
}

// A transaction may name its customer by email only: the sink finds the
// customer's key (from the customer listing in listing mode, else one search)
// and proceeds as with a key.
func TestTransactionsByCustomerEmail(t *testing.T) {
	for _, mode := range []struct {
		name     string
		est      int64
		searches int
	}{{"listing", 1000, 0}, {"per-customer", -2, 3}} {
		t.Run(mode.name, func(t *testing.T) {
			f := newFake()
			f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
			f.customers = []api.Customer{
				{Key: "c1", Email: "c1@x.io", Partner: &api.PartnerRef{ID: "p1"}},
				{Key: "d1", Email: "twin@x.io", Partner: &api.PartnerRef{ID: "p1"}},
				{Key: "d2", Email: "twin@x.io", Partner: &api.PartnerRef{ID: "p1"}},
			}
			f.txs = []api.Transaction{{Key: "t0", Amount: dec("5"), AmountUnits: "USD", Action: "sale", Customer: api.CustomerRef{Key: "c1"}}}
			s := New(f, Options{Entity: record.Transactions})
			if mode.est > -2 {
				if err := s.Prepare(t.Context(), mode.est); err != nil {
					t.Fatal(err)
				}
			}
			res, err := s.Write(t.Context(), []record.Record{txByEmail(2, "t0", "c1@x.io", "5"), txByEmail(3, "t1", "c1@x.io", "10"), txByEmail(4, "t2", "c1@x.io", "20")})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := outcomes(t, res), []string{"unchanged", "created", "created"}; !equal(got, want) {
				t.Fatalf("known email: %v, want %v", got, want)
			}
			if len(f.txs) != 3 || f.txs[1].Customer.Key != "c1" || f.txs[2].Customer.Key != "c1" {
				t.Fatalf("target %+v", f.txs)
			}
			if f.calls["POST /transactions[]"] != 1 {
				t.Errorf("not one batch: %v", f.calls)
			}

			res, err = s.Write(t.Context(), []record.Record{txByEmail(5, "t3", "nobody@x.io", "10")})
			if err != nil {
				t.Fatal(err)
			}
			if got := outcomes(t, res); !equal(got, []string{"rejected:unknown_customer"}) {
				t.Fatalf("unknown email: %v", got)
			}
			if e := res[0].Err; e.Field != "customer.email" || !strings.Contains(e.Message, "nobody@x.io") {
				t.Errorf("reject %+v does not name the email", e)
			}

			res, err = s.Write(t.Context(), []record.Record{txByEmail(6, "t4", "twin@x.io", "10")})
			if err != nil {
				t.Fatal(err)
			}
			if got := outcomes(t, res); !equal(got, []string{"rejected:invalid_value"}) || !strings.Contains(res[0].Err.Message, "twin@x.io") {
				t.Fatalf("email of two customers: %v %+v", got, res[0].Err)
			}
			if n := f.calls["GET /customers:search"]; n != mode.searches {
				t.Errorf("%d searches, want %d (calls %v)", n, mode.searches, f.calls)
			}
			if len(f.txs) != 3 {
				t.Errorf("target holds %d transactions, want 3", len(f.txs))
			}
		})
	}
}

// Records of two customers handed to one Write (two partition keys that
// collide) are each written under their own customer.
func TestWriteSplitsCustomers(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
	f.customers = []api.Customer{{Key: "email:c1@x.io", Partner: &api.PartnerRef{ID: "p1"}}, {Key: "c2", Email: "c1@x.io", Partner: &api.PartnerRef{ID: "p1"}}}
	s := New(f, Options{Entity: record.Transactions})
	got := writeAll(t, s, txRec(2, "t1", "email:c1@x.io", "10", nil), txByEmail(3, "t2", "c1@x.io", "20"), txRec(4, "t3", "email:c1@x.io", "30", nil))
	if want := []string{"created", "created", "created"}; !equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, tx := range f.txs {
		if want := map[string]string{"t1": "email:c1@x.io", "t2": "c2", "t3": "email:c1@x.io"}[tx.Key]; tx.Customer.Key != want {
			t.Errorf("%s under %s, want %s", tx.Key, tx.Customer.Key, want)
		}
	}
}

// TestMissingCustomerIsNotMadeUp: a transaction whose customer Partnero
// does not have creates it only when the import says it may (a platform
// without a customer export, --create-customers, or a migration's customers
// input naming it); otherwise it is rejected as unknown_customer even when
// the row names a partner (on the old code every such row made a customer).
func TestMissingCustomerIsNotMadeUp(t *testing.T) {
	ann := &api.PartnerRef{Key: "ann"}
	tests := []struct {
		name      string
		opt       Options
		want      []string
		customers int
	}{
		{name: "default", opt: Options{}, want: []string{"rejected:unknown_customer", "rejected:unknown_customer"}},
		{name: "dry run", opt: Options{DryRun: true}, want: []string{"rejected:unknown_customer", "rejected:unknown_customer"}},
		{name: "create_customers", opt: Options{CreateCustomers: true}, want: []string{"created", "created"}, customers: 1},
		{name: "named by the customers input", opt: Options{MayCreateCustomer: func(k string) bool { return k == "c2" }}, want: []string{"created", "created"}, customers: 1},
		{name: "not named by the customers input", opt: Options{MayCreateCustomer: func(k string) bool { return k == "c9" }}, want: []string{"rejected:unknown_customer", "rejected:unknown_customer"}},
	}
	for _, tt := range tests {
		for _, est := range []int64{1000, -2} {
			t.Run(fmt.Sprintf("%s/%d", tt.name, est), func(t *testing.T) {
				f := newFake()
				f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Key: "ann"}}
				opt := tt.opt
				opt.Entity = record.Transactions
				s := New(f, opt)
				if est > -2 {
					if err := s.Prepare(t.Context(), est); err != nil {
						t.Fatal(err)
					}
				}
				got := writeAll(t, s, txRec(2, "t1", "c2", "10", ann), txRec(3, "t2", "c2", "11", nil))
				if !equal(got, tt.want) {
					t.Errorf("got %v, want %v", got, tt.want)
				}
				if len(f.customers) != tt.customers {
					t.Errorf("target holds %d customers, want %d", len(f.customers), tt.customers)
				}
			})
		}
	}
}

// TestDeferredCustomerIsCreatedByItsBatch: the customers sink leaves a
// missing customer to its transactions when told (no request), and the
// transactions sink creates it inside the batch with the customer's own
// fields, and says so; an existing customer is reported as seen.
func TestDeferredCustomerIsCreatedByItsBatch(t *testing.T) {
	f := newFake()
	f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Key: "ann"}}
	f.customers = []api.Customer{{Key: "old", Partner: &api.PartnerRef{ID: "p1"}}}
	ann := &api.PartnerRef{Email: "a@x.io"}
	cs := New(f, Options{Entity: record.Customers, DeferCreate: func(k string) bool { return k == "new" }})
	if err := cs.Prepare(t.Context(), 10); err != nil {
		t.Fatal(err)
	}
	newRec := record.Record{Entity: record.Customers, Customer: &api.Customer{Key: "new", Email: "n@x.io", Name: "Nia", Partner: ann}}
	other := record.Record{Entity: record.Customers, Customer: &api.Customer{Key: "other", Email: "o@x.io", Partner: ann}}
	if got := writeAll(t, cs, newRec); !equal(got, []string{"created"}) {
		t.Errorf("deferred customer: %v", got)
	}
	if got := writeAll(t, cs, other); !equal(got, []string{"created"}) {
		t.Errorf("other customer: %v", got)
	}
	if n := f.calls["POST /customers"]; n != 1 {
		t.Errorf("%d customer creates, want 1 (the deferred one costs none)", n)
	}

	seen := map[string]bool{}
	ts := New(f, Options{Entity: record.Transactions, MayCreateCustomer: func(k string) bool { return k == "new" },
		OnCustomer: func(k string, created bool) { seen[k] = created }})
	tx1, tx2 := txRec(2, "t1", "new", "10", ann), txRec(3, "t2", "new", "11", ann)
	tx1.Transaction.Customer = api.CustomerRef{Key: "new", Email: "n@x.io", Name: "Nia", Partner: ann}
	tx2.Transaction.Customer = tx1.Transaction.Customer
	if got := writeAll(t, ts, tx1, tx2); !equal(got, []string{"created", "created"}) {
		t.Errorf("batch: %v", got)
	}
	if got := writeAll(t, ts, txRec(4, "t3", "old", "5", nil)); !equal(got, []string{"created"}) {
		t.Errorf("existing customer: %v", got)
	}
	if n := f.calls["POST /transactions[]"]; n != 1 {
		t.Errorf("%d batches, want 1", n)
	}
	var created *api.Customer
	for i := range f.customers {
		if f.customers[i].Key == "new" {
			created = &f.customers[i]
		}
	}
	if created == nil || created.Email != "n@x.io" {
		t.Errorf("customer created by the batch: %+v, want the customers file's fields", created)
	}
	if !maps.Equal(seen, map[string]bool{"new": true, "old": false}) || ts.CustomersCreated() != 1 {
		t.Errorf("reported %v, %d created; want new created, old seen", seen, ts.CustomersCreated())
	}
}

// An ambiguous create whose verification fails too is unfinished, not
// rejected: the rows may have landed, and a rejected row fed again by
// another route would pay its commission twice. The sink stops with an
// *UnverifiedError and leaves the rows without an outcome (the engine
// counts them abandoned, keeps the journal), and a resume reconciles.
func TestUnverifiedWritesAreUnfinishedNotRejected(t *testing.T) {
	for _, tc := range []struct {
		name    string
		noBatch bool
	}{
		{"batch", false},
		{"single", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
			f.loseNext = 1
			f.failCustomerListings = true
			s := New(f, Options{Entity: record.Transactions, CreateCustomers: true, NoBatch: tc.noBatch})
			if err := s.Prepare(t.Context(), 100); err != nil {
				t.Fatal(err)
			}
			ann := &api.PartnerRef{Key: "ann"}
			recs := []record.Record{txRec(2, "t1", "c1", "10", ann)}
			if !tc.noBatch {
				recs = append(recs, txRec(3, "t2", "c1", "20", ann))
			}
			res, err := s.Write(t.Context(), recs)
			var ue *UnverifiedError
			if !errors.As(err, &ue) {
				t.Fatalf("Write error %v, want an *UnverifiedError", err)
			}
			if !strings.Contains(err.Error(), "c1") || !strings.Contains(err.Error(), "run the same command again") {
				t.Errorf("message %q should name the customer and say how to resume", err)
			}
			for i, r := range res {
				if r.Outcome != 0 {
					t.Errorf("row %d: outcome %v, want none (unfinished)", i, r.Outcome)
				}
			}
			landed := len(f.txs)
			if landed == 0 {
				t.Fatal("the lost create did not land: the test proves nothing")
			}

			// The resume: the listing works again, nothing is sent twice.
			f.failCustomerListings = false
			s2 := New(f, Options{Entity: record.Transactions, CreateCustomers: true, NoBatch: tc.noBatch})
			if err := s2.Prepare(t.Context(), 100); err != nil {
				t.Fatal(err)
			}
			got := writeAll(t, s2, recs...)
			for _, o := range got {
				if o != "unchanged" && o != "created" {
					t.Fatalf("resume outcomes %v", got)
				}
			}
			if len(f.txs) != len(recs) {
				t.Fatalf("target holds %d transactions after the resume, want %d", len(f.txs), len(recs))
			}
		})
	}
}

// A create refused because the identity is taken (422 "already taken"),
// when the record there is identical, was created by someone else (another
// run importing the same rows): unchanged, never created. A create whose
// answer was lost and that landed stays created (TestPartnerLostAnswerIsNotDuplicated).
func TestTakenIdentityIsUnchangedNotCreated(t *testing.T) {
	t.Run("partner", func(t *testing.T) {
		f := newFake()
		s := New(f, Options{Entity: record.Partners})
		if err := s.Prepare(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		// Another run creates it after this one listed the program.
		f.partners = append(f.partners, api.Partner{ID: "p1", Email: "a@x.io", Name: "Ann", Key: "ann"})
		got := writeAll(t, s, partnerRec(2, api.Partner{ID: "p1", Email: "a@x.io", Name: "Ann"}))
		if !equal(got, []string{"unchanged"}) || len(f.partners) != 1 {
			t.Fatalf("outcomes %v, partners %d", got, len(f.partners))
		}
	})
	t.Run("customer", func(t *testing.T) {
		f := newFake()
		f.partners = []api.Partner{{ID: "p1", Email: "a@x.io", Key: "ann"}}
		s := New(f, Options{Entity: record.Customers})
		if err := s.Prepare(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
		f.customers = append(f.customers, api.Customer{Key: "c1", Email: "c1@x.io", Partner: &api.PartnerRef{ID: "p1"}})
		got := writeAll(t, s, customerRec(2, api.Customer{Key: "c1", Email: "c1@x.io", Partner: &api.PartnerRef{ID: "p1"}}))
		if !equal(got, []string{"unchanged"}) || len(f.customers) != 1 {
			t.Fatalf("outcomes %v, customers %d", got, len(f.customers))
		}
	})
}

// A key several transactions hold (created twice, by concurrent runs or
// outside the tool) is counted, so the run can say so.
func TestDuplicateTransactionKeysAreCounted(t *testing.T) {
	for _, budget := range []int64{100, 0} {
		f := newFake()
		f.partners = []api.Partner{{ID: "p1", Key: "ann"}}
		f.customers = []api.Customer{{Key: "c1", Partner: &api.PartnerRef{ID: "p1"}}}
		twice := txRec(2, "t1", "c1", "10", nil).Transaction
		f.txs = []api.Transaction{*twice, *twice}
		s := New(f, Options{Entity: record.Transactions})
		if budget > 0 {
			if err := s.Prepare(t.Context(), budget); err != nil {
				t.Fatal(err)
			}
		}
		got := writeAll(t, s, txRec(2, "t1", "c1", "10", nil), txRec(3, "t2", "c1", "20", nil))
		if !equal(got, []string{"unchanged", "created"}) {
			t.Fatalf("budget %d: outcomes %v", budget, got)
		}
		if n := s.DuplicateKeys(); n != 1 {
			t.Errorf("budget %d: %d duplicate keys counted, want 1", budget, n)
		}
	}
}
