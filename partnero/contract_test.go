package partnero_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

// These tests run every call of the contract through the client against the
// sandbox: each side's reading of the contract checks the other's.

func newSandboxClient(t *testing.T, cfg sandbox.Config) (*partnero.Client, *sandbox.Server) {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = []string{"contract-key"}
	}
	env := sandboxtest.Start(t, cfg)
	return env.Client(t), env.Server
}

// must(call())(t) returns call's value, failing t on its error.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestContractPartners(t *testing.T) {
	c, _ := newSandboxClient(t, sandbox.Config{})
	ctx := t.Context()

	prog := must(c.Test(ctx))(t)
	if prog.PubID == "" {
		t.Errorf("program = %+v", prog)
	}

	boss := must(c.Partners.Create(ctx, &partnero.Partner{Email: "boss@example.com", Name: "Bo", Key: "boss", ID: "boss-id"}))(t)
	if boss.ID != "boss-id" || boss.Email != "boss@example.com" {
		t.Errorf("created %+v", boss)
	}
	p := must(c.Partners.Create(ctx, &partnero.Partner{Email: "ann@example.com", Name: "Ann", Tags: partnero.Tags{"vip"},
		ReferringPartner: &partnero.PartnerRef{Key: "boss"}}))(t)
	if p.ID == "" || len(p.Tags) != 1 || p.Tags[0] != "vip" {
		t.Errorf("created %+v", p)
	}
	_, err := c.Partners.Create(ctx, &partnero.Partner{Email: "ann@example.com"})
	if !errors.Is(err, partnero.ErrValidation) {
		t.Errorf("duplicate email: %v", err)
	}

	got := must(c.Partners.Get(ctx, string(p.ID)))(t)
	if got.Email != "ann@example.com" {
		t.Errorf("get %+v", got)
	}
	if _, err := c.Partners.Get(ctx, "no-such-partner"); !errors.Is(err, partnero.ErrNotFound) {
		t.Errorf("get unknown: %v", err)
	}

	name := "Anna"
	upd := must(c.Partners.Update(ctx, string(p.ID), &partnero.PartnerUpdate{Name: &name, Tags: &[]string{}}))(t)
	if upd.Name != "Anna" || len(upd.Tags) != 0 {
		t.Errorf("updated %+v", upd)
	}

	found := must(c.Partners.Search(ctx, partnero.PartnerQuery{Email: "ann@example.com"}, partnero.ListOptions{}))(t)
	if len(found.Items) != 1 || found.Items[0].ID != p.ID || found.HasNext {
		t.Errorf("search %+v", found)
	}
	links := must(c.Partners.ReferralLinks(ctx, "boss-id", partnero.ListOptions{}))(t)
	if len(links.Items) == 0 || links.Items[0].Key != "boss" {
		t.Errorf("referral links %+v", links.Items)
	}

	mustDo(t, c.Partners.Archive(ctx, string(p.ID)))
	if err := c.Partners.Archive(ctx, string(p.ID)); !errors.Is(err, partnero.ErrValidation) || partnero.StatusCode(err) != 400 {
		t.Errorf("archive twice: %v", err)
	}
	mustDo(t, c.Partners.RestoreArchive(ctx, string(p.ID)))
	mustDo(t, c.Partners.Delete(ctx, string(p.ID)))
	if _, err := c.Partners.Get(ctx, string(p.ID)); !errors.Is(err, partnero.ErrNotFound) {
		t.Errorf("get deleted: %v", err)
	}
}

func TestContractPaging(t *testing.T) {
	c, _ := newSandboxClient(t, sandbox.Config{})
	ctx := t.Context()
	const n = 7
	for i := range n {
		must(c.Partners.Create(ctx, &partnero.Partner{Email: fmt.Sprintf("p%d@example.com", i)}))(t)
	}
	for _, limit := range []int{1, 3, 7, 250} {
		var emails []string
		for p, err := range c.Partners.All(ctx, partnero.ListOptions{Limit: limit, Sort: "asc"}) {
			if err != nil {
				t.Fatal(err)
			}
			emails = append(emails, p.Email)
		}
		if len(emails) != n || emails[0] != "p0@example.com" || emails[n-1] != fmt.Sprintf("p%d@example.com", n-1) {
			t.Errorf("limit %d: %v", limit, emails)
		}
	}
	past := must(c.Partners.List(ctx, partnero.ListOptions{Limit: 5, Page: 9}))(t)
	if len(past.Items) != 0 || past.HasNext {
		t.Errorf("past the end: %+v", past)
	}
	first := must(c.Partners.List(ctx, partnero.ListOptions{Limit: 5}))(t)
	if len(first.Items) != 5 || !first.HasNext || first.PerPage != 5 || len(first.Raw) != 5 {
		t.Errorf("first page: %+v", first)
	}
}

func TestContractCustomersAndTransactions(t *testing.T) {
	c, _ := newSandboxClient(t, sandbox.Config{})
	ctx := t.Context()
	must(c.Partners.Create(ctx, &partnero.Partner{Email: "ref@example.com", Key: "ref"}))(t)

	if _, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c0", Partner: &partnero.PartnerRef{Key: "nobody"}}); !errors.Is(err, partnero.ErrValidation) || partnero.StatusCode(err) != 400 {
		t.Errorf("unknown partner: %v", err)
	}
	cu := must(c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Email: "c1@example.com", Partner: &partnero.PartnerRef{Key: "ref"}}))(t)
	if cu.Key != "c1" || cu.Partner == nil || cu.Partner.ID == "" {
		t.Errorf("customer %+v", cu)
	}
	_, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Partner: &partnero.PartnerRef{Key: "ref"}})
	ve, ok := errors.AsType[*partnero.Error](err)
	if !ok || !errors.Is(err, partnero.ErrValidation) || ve.StatusCode != 422 {
		t.Errorf("duplicate key: %v", err)
	}
	name := "Cee"
	if got := must(c.Customers.Update(ctx, "c1", &partnero.CustomerUpdate{Name: &name}))(t); got.Name != "Cee" {
		t.Errorf("updated %+v", got)
	}
	if got := must(c.Customers.Search(ctx, partnero.CustomerQuery{Email: "c1@example.com"}, partnero.ListOptions{}))(t); len(got.Items) != 1 {
		t.Errorf("search %+v", got)
	}
	byPartner := must(c.Customers.List(ctx, partnero.ListOptions{Filters: map[string]string{"partner.key": "ref"}}))(t)
	if len(byPartner.Items) != 1 {
		t.Errorf("by partner %+v", byPartner)
	}
	for _, f := range []func(context.Context, string) error{c.Customers.Suspend, c.Customers.Approve, c.Customers.Archive, c.Customers.RestoreArchive} {
		mustDo(t, f(ctx, "c1"))
	}

	when := time.Date(2024, 3, 1, 12, 30, 0, 0, time.UTC)
	tx := must(c.Transactions.Create(ctx, &partnero.Transaction{Key: "t1", Amount: new(partnero.MustDecimal("100")), AmountUnits: "usd", Action: "sale",
		Customer: partnero.CustomerRef{Key: "c1"}, CreatedAt: &partnero.Time{Time: when}}, nil))(t)
	if tx.Key != "t1" || tx.Amount.String() != "100" || tx.AmountUnits != "USD" || tx.CreatedAt == nil || !tx.CreatedAt.Equal(when) {
		t.Errorf("transaction %+v", tx)
	}
	// A transaction creating its customer on the way.
	must(c.Transactions.Create(ctx, &partnero.Transaction{Key: "t2", Amount: new(partnero.MustDecimal("10")),
		Customer: partnero.CustomerRef{Key: "c2", Email: "c2@example.com", Partner: &partnero.PartnerRef{Key: "ref"}}}, &partnero.CreateOptions{CreateCustomer: true}))(t)
	must(c.Customers.Get(ctx, "c2"))(t)

	res := must(c.Transactions.CreateBatch(ctx, partnero.CustomerRef{Key: "c1"}, []partnero.Transaction{
		{Key: "t3", Amount: new(partnero.MustDecimal("1.5"))}, {Key: "t4", Amount: new(partnero.MustDecimal("2.25"))},
	}, nil))(t)
	if !res.Understood || len(res.Created) != 2 || res.Created[1].Key != "t4" {
		t.Errorf("batch %+v", res)
	}
	_, err = c.Transactions.CreateBatch(ctx, partnero.CustomerRef{Key: "c1"}, []partnero.Transaction{
		{Key: "t5", Amount: new(partnero.MustDecimal("1"))}, {Key: "t6"},
	}, nil)
	if ve, ok = errors.AsType[*partnero.Error](err); !ok || !errors.Is(err, partnero.ErrValidation) || len(ve.Fields) == 0 {
		t.Fatalf("bad batch: %v", err)
	}
	for k := range ve.Fields {
		if len(k) < len("transactions.1") || k[:len("transactions.1")] != "transactions.1" {
			t.Errorf("field %q does not name the bad transaction", k)
		}
	}

	page := must(c.Customers.Transactions(ctx, "c1", partnero.ListOptions{Limit: 250}))(t)
	if len(page.Items) != 3 {
		t.Errorf("c1 has %d transactions, want 3", len(page.Items))
	}
	got := must(c.Transactions.Get(ctx, "t1"))(t)
	if len(got.Rewards) != 1 || got.Rewards[0].Amount.String() != "30" {
		t.Errorf("rewards %+v", got.Rewards)
	}
	list := must(c.Transactions.List(ctx, partnero.ListOptions{Filters: map[string]string{"key": "t3"}}))(t)
	if len(list.Items) != 1 {
		t.Errorf("filter by key: %+v", list.Items)
	}
	mustDo(t, c.Transactions.Archive(ctx, "t1"))
	mustDo(t, c.Transactions.RestoreArchive(ctx, "t1"))
	mustDo(t, c.Transactions.Delete(ctx, "t1"))
	if _, err := c.Transactions.Get(ctx, "t1"); !errors.Is(err, partnero.ErrNotFound) {
		t.Errorf("deleted transaction: %v", err)
	}
	mustDo(t, c.Customers.Delete(ctx, "c2"))
}

func TestContractAuth(t *testing.T) {
	c, _ := newSandboxClient(t, sandbox.Config{Keys: []string{"right-key"}})
	wrong, err := partnero.NewClient(partnero.WithBaseURL(c.BaseURL()), partnero.WithAPIKey("wrong-key"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Test(t.Context()); !errors.Is(err, partnero.ErrUnauthorized) {
		t.Errorf("wrong key: %v", err)
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// handlerTransport serves requests with a handler in the caller's goroutine,
// so the sandbox can run inside a synctest bubble.
type handlerTransport struct{ h http.Handler }

func (t handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	rec := httptest.NewRecorder()
	t.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}

// TestContractSurvivesFaults runs a small import and export through a
// sandbox that throttles, injects 5xx with HTML bodies and 429 bursts: every
// call must succeed in the end, without a single row lost or doubled.
func TestContractSurvivesFaults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := sandbox.New(sandbox.Config{Keys: []string{"k"}, RateLimit: 20, RateWindow: time.Second,
			FaultRate: 0.2, Burst429Rate: 0.02, Latency: 10 * time.Millisecond, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		c, err := partnero.NewClient(partnero.WithBaseURL("http://sandbox.test/v1/"), partnero.WithAPIKey("k"),
			partnero.WithHTTPClient(&http.Client{Transport: handlerTransport{srv}}))
		if err != nil {
			t.Fatal(err)
		}
		ctx := t.Context()
		const n = 60
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				_, err := c.Partners.Create(ctx, &partnero.Partner{Email: fmt.Sprintf("f%d@example.com", i)})
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		seen := map[string]bool{}
		for p, err := range c.Partners.All(ctx, partnero.ListOptions{Limit: 7}) {
			if err != nil {
				t.Fatal(err)
			}
			if seen[p.Email] {
				t.Errorf("%s listed twice", p.Email)
			}
			seen[p.Email] = true
		}
		s := c.Stats()
		ss := srv.Stats()
		t.Logf("client %+v; sandbox 429s %d, faults %d", s, ss.RateLimited, ss.Faults)
		if len(seen) != n || s.ServerErrors == 0 || s.RateLimited == 0 || s.ServerErrors != ss.Faults || s.RateLimited != ss.RateLimited {
			t.Errorf("listed %d of %d; client %+v; sandbox %+v", len(seen), n, s, ss)
		}
	})
}
