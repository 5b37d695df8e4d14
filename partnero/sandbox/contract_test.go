package sandbox_test

// Contract tests: every call of the API contract's tables, through the
// project's client (partnero.NewClient) against the sandbox on a real HTTP
// server, including the error rows as typed errors and the paginator's
// edges. They pin the two halves to each other: a change that makes the
// client and the sandbox disagree fails here.

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

const key = "contract-key"

func setup(t *testing.T, cfg sandbox.Config, opts ...partnero.Option) (*partnero.Client, *sandbox.Server) {
	t.Helper()
	if cfg.Keys == nil {
		cfg.Keys = []string{key}
	}
	env := sandboxtest.Start(t, cfg)
	base := []partnero.Option{
		partnero.WithAPIKey(key),
		partnero.WithHTTPClient(env.HTTP.Client()),
		partnero.WithRate(partnero.Rate{PerSecond: 10000}),
	}
	return env.Client(t, append(base, opts...)...), env.Server
}

func dec(s string) *partnero.Decimal { d := partnero.MustDecimal(s); return &d }
func ptr[T any](v T) *T              { return &v }

// wantValidation checks err is an ErrValidation with the status and, when
// field is not "", an error on that field.
func wantValidation(t *testing.T, err error, status int, field, msg string) {
	t.Helper()
	ve, ok := errors.AsType[*partnero.Error](err)
	if !ok || !errors.Is(err, partnero.ErrValidation) {
		t.Fatalf("error %v (%T), want an ErrValidation", err, err)
	}
	if ve.StatusCode != status || !errors.Is(err, partnero.ErrValidation) || partnero.StatusCode(err) != status {
		t.Errorf("status %d, want %d", ve.StatusCode, status)
	}
	if field != "" {
		if _, ok := ve.Fields[field]; !ok {
			t.Errorf("fields %v, want %q", ve.Fields, field)
		}
	}
	if msg != "" && ve.Message != msg {
		t.Errorf("message %q, want %q", ve.Message, msg)
	}
	if partnero.IsRetryable(err) {
		t.Error("a validation error is retryable")
	}
}

func wantNotFound(t *testing.T, err error, msg string) {
	t.Helper()
	ne, ok := errors.AsType[*partnero.Error](err)
	if !ok || !errors.Is(err, partnero.ErrNotFound) || partnero.StatusCode(err) != 404 {
		t.Fatalf("error %v (%T), want an ErrNotFound", err, err)
	}
	if ne.Message != msg {
		t.Errorf("message %q, want %q", ne.Message, msg)
	}
}

func TestContractTestAndAuth(t *testing.T) {
	c, srv := setup(t, sandbox.Config{})
	prog, err := c.Test(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if prog.PubID == "" || prog.PubID != srv.Stats().Programs[0].PubID || prog.Name == "" {
		t.Errorf("program = %+v", prog)
	}

	bad, _ := setup(t, sandbox.Config{}, partnero.WithAPIKey("wrong-key"))
	_, err = bad.Test(t.Context())
	ue, ok := errors.AsType[*partnero.Error](err)
	if !ok || !errors.Is(err, partnero.ErrUnauthorized) || ue.StatusCode != 401 || ue.Message != "Unauthenticated." {
		t.Fatalf("error %v, want a 401 ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-key") {
		t.Error("the error reveals the key")
	}
	if _, err := bad.Partners.List(t.Context(), partnero.ListOptions{}); !errors.Is(err, partnero.ErrUnauthorized) {
		t.Errorf("list with a bad key: %v", err)
	}
}

func TestContractPartners(t *testing.T) {
	c, _ := setup(t, sandbox.Config{})
	ctx := t.Context()

	alice, err := c.Partners.Create(ctx, &partnero.Partner{ID: "p1", Key: "alice", Email: "alice@example.com", Name: "Alice", Surname: "A", Tags: partnero.Tags{"vip"}, Password: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID != "p1" || alice.Email != "alice@example.com" || !slices.Equal(alice.Tags, []string{"vip"}) || !strings.HasSuffix(alice.ReferralLink, "?aff=alice") ||
		alice.TOS == nil || !*alice.TOS || alice.Status != "active" || alice.CreatedAt == nil || alice.CreatedAt.IsZero() {
		t.Errorf("created = %+v", alice)
	}
	bob, err := c.Partners.Create(ctx, &partnero.Partner{Email: "bob@example.com", ReferringPartner: &partnero.PartnerRef{Key: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if bob.ID == "" {
		t.Error("no generated id")
	}

	t.Run("create errors", func(t *testing.T) {
		_, err := c.Partners.Create(ctx, &partnero.Partner{Name: "No Email"})
		wantValidation(t, err, 422, "email", "The email field is required.")
		_, err = c.Partners.Create(ctx, &partnero.Partner{Email: "ALICE@example.com"})
		wantValidation(t, err, 422, "email", "The email has already been taken.")
		_, err = c.Partners.Create(ctx, &partnero.Partner{ID: "p1", Email: "x@example.com"})
		wantValidation(t, err, 422, "id", "")
		_, err = c.Partners.Create(ctx, &partnero.Partner{Key: "alice", Email: "y@example.com"})
		wantValidation(t, err, 422, "key", "")
		_, err = c.Partners.Create(ctx, &partnero.Partner{Key: strings.Repeat("k", 65), Email: "z@example.com"})
		wantValidation(t, err, 422, "key", "")
		_, err = c.Partners.Create(ctx, &partnero.Partner{Email: "w@example.com", ReferringPartner: &partnero.PartnerRef{Key: "nobody"}})
		wantValidation(t, err, 422, "referring_partner", "")
	})

	t.Run("get", func(t *testing.T) {
		p, err := c.Partners.Get(ctx, "p1")
		if err != nil {
			t.Fatal(err)
		}
		if p.Email != "alice@example.com" || len(p.ReferralLinks) != 1 || p.ReferralsCount == nil {
			t.Errorf("get = %+v", p)
		}
		_, err = c.Partners.Get(ctx, "alice") // a referral key in the id slot
		wantNotFound(t, err, "Partner not found")
	})

	t.Run("search", func(t *testing.T) {
		for _, q := range []partnero.PartnerQuery{{Key: "alice"}, {Email: "Alice@Example.com"}, {ID: "p1"}} {
			page, err := c.Partners.Search(ctx, q, partnero.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Items) != 1 || page.Items[0].ID != "p1" || page.HasNext {
				t.Errorf("search %+v = %+v", q, page)
			}
		}
		page, err := c.Partners.Search(ctx, partnero.PartnerQuery{Key: "nobody"}, partnero.ListOptions{})
		if err != nil || len(page.Items) != 0 || page.HasNext {
			t.Errorf("search nobody = %+v, %v", page, err)
		}
	})

	t.Run("update", func(t *testing.T) {
		p, err := c.Partners.Update(ctx, "p1", &partnero.PartnerUpdate{Name: ptr("Alicia"), Tags: &[]string{"a", "b"}})
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Alicia" || p.Surname != "A" || !slices.Equal(p.Tags, []string{"a", "b"}) {
			t.Errorf("updated = %+v", p)
		}
		p, err = c.Partners.Update(ctx, "p1", &partnero.PartnerUpdate{Tags: &[]string{}})
		if err != nil || len(p.Tags) != 0 {
			t.Errorf("clear tags: %+v %v", p, err)
		}
		p, err = c.Partners.Update(ctx, "p1", &partnero.PartnerUpdate{Key: ptr("alice2")})
		if err != nil || !strings.HasSuffix(p.ReferralLink, "?aff=alice2") {
			t.Errorf("rekey: %+v %v", p, err)
		}
		_, err = c.Partners.Update(ctx, "p1", &partnero.PartnerUpdate{Email: ptr("bob@example.com")})
		wantValidation(t, err, 422, "update.email", "The update.email has already been taken.")
		_, err = c.Partners.Update(ctx, "nope", &partnero.PartnerUpdate{Name: ptr("X")})
		wantNotFound(t, err, "Partner not found")
	})

	t.Run("referral links", func(t *testing.T) {
		page, err := c.Partners.ReferralLinks(ctx, "p1", partnero.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].Key != "alice2" || !strings.HasSuffix(page.Items[0].URL, "?aff=alice2") {
			t.Errorf("links = %+v", page.Items)
		}
		_, err = c.Partners.ReferralLinks(ctx, "nope", partnero.ListOptions{})
		wantNotFound(t, err, "Partner not found")
	})

	t.Run("archive and restore", func(t *testing.T) {
		if err := c.Partners.Archive(ctx, "p1"); err != nil {
			t.Fatal(err)
		}
		wantValidation(t, c.Partners.Archive(ctx, "p1"), 400, "", "Action failed")
		if p, _ := c.Partners.Get(ctx, "p1"); p == nil || p.Status != "archived" {
			t.Errorf("after archive: %+v", p)
		}
		if err := c.Partners.RestoreArchive(ctx, "p1"); err != nil {
			t.Fatal(err)
		}
		wantValidation(t, c.Partners.RestoreArchive(ctx, "p1"), 400, "", "Action failed")
		wantNotFound(t, c.Partners.Archive(ctx, "nope"), "Partner not found")
	})

	t.Run("list", func(t *testing.T) {
		page, err := c.Partners.List(ctx, partnero.ListOptions{Sort: "asc"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 2 || page.Items[0].ID != "p1" || page.Items[0].Key != "" || page.PerPage != 15 || page.HasNext {
			t.Errorf("list = %+v", page)
		}
	})

	t.Run("delete", func(t *testing.T) {
		if err := c.Partners.Delete(ctx, string(bob.ID)); err != nil {
			t.Fatal(err)
		}
		_, err := c.Partners.Get(ctx, string(bob.ID))
		wantNotFound(t, err, "Partner not found")
		wantNotFound(t, c.Partners.Delete(ctx, string(bob.ID)), "Partner not found")
	})
}

func TestContractCustomers(t *testing.T) {
	c, _ := setup(t, sandbox.Config{})
	ctx := t.Context()
	for _, p := range []partnero.Partner{{ID: "p1", Key: "alice", Email: "alice@example.com"}, {ID: "p2", Key: "bob", Email: "bob@example.com"}} {
		if _, err := c.Partners.Create(ctx, &p); err != nil {
			t.Fatal(err)
		}
	}
	cu, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Email: "c1@example.com", Name: "C", Tags: partnero.Tags{"t"}, Partner: &partnero.PartnerRef{Key: "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	if cu.Key != "c1" || cu.Partner == nil || cu.Partner.ID != "p1" || !slices.Equal(cu.Tags, []string{"t"}) || cu.Deleted == nil || *cu.Deleted || cu.Status != "active" {
		t.Errorf("created = %+v (partner %+v)", cu, cu.Partner)
	}
	for _, ref := range []partnero.PartnerRef{{ID: "p2"}, {Email: "bob@example.com"}} {
		k := "c-" + string(ref.ID) + ref.Email
		if cu, err := c.Customers.Create(ctx, &partnero.Customer{Key: k, Partner: &ref}); err != nil || cu.Partner.ID != "p2" {
			t.Errorf("create by %+v: %+v %v", ref, cu, err)
		}
	}

	t.Run("create errors", func(t *testing.T) {
		_, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c9", Partner: &partnero.PartnerRef{Key: "nobody"}})
		wantValidation(t, err, 400, "", "Invalid partner key")
		_, err = c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Partner: &partnero.PartnerRef{Key: "alice"}})
		wantValidation(t, err, 422, "key", "Duplicate key")
		_, err = c.Customers.Create(ctx, &partnero.Customer{Partner: &partnero.PartnerRef{Key: "alice"}})
		wantValidation(t, err, 422, "key", "")
		_, err = c.Customers.Create(ctx, &partnero.Customer{Key: "c9"})
		wantValidation(t, err, 422, "partner", "")
	})

	t.Run("get, list, search", func(t *testing.T) {
		got, err := c.Customers.Get(ctx, "c1")
		if err != nil || got.Email != "c1@example.com" || got.Partner.ID != "p1" {
			t.Errorf("get = %+v %v", got, err)
		}
		_, err = c.Customers.Get(ctx, "nope")
		wantNotFound(t, err, "Customer not found")
		page, err := c.Customers.List(ctx, partnero.ListOptions{Filters: map[string]string{"partner.key": "bob"}})
		if err != nil || len(page.Items) != 2 {
			t.Errorf("list by partner = %+v %v", page, err)
		}
		page, err = c.Customers.List(ctx, partnero.ListOptions{Filters: map[string]string{"partner.email": "alice@example.com"}})
		if err != nil || len(page.Items) != 1 || page.Items[0].Key != "c1" {
			t.Errorf("list by partner email = %+v %v", page, err)
		}
		page, err = c.Customers.Search(ctx, partnero.CustomerQuery{Email: "C1@example.com"}, partnero.ListOptions{})
		if err != nil || len(page.Items) != 1 || page.Items[0].Key != "c1" {
			t.Errorf("search = %+v %v", page, err)
		}
		page, err = c.Customers.Search(ctx, partnero.CustomerQuery{Key: "c1"}, partnero.ListOptions{})
		if err != nil || len(page.Items) != 1 {
			t.Errorf("search by key = %+v %v", page, err)
		}
	})

	t.Run("update", func(t *testing.T) {
		got, err := c.Customers.Update(ctx, "c1", &partnero.CustomerUpdate{Name: ptr("New"), Key: ptr("c1b"), Tags: &[]string{}})
		if err != nil || got.Key != "c1b" || got.Name != "New" || got.Email != "c1@example.com" || len(got.Tags) != 0 {
			t.Errorf("update = %+v %v", got, err)
		}
		_, err = c.Customers.Get(ctx, "c1")
		wantNotFound(t, err, "Customer not found")
		_, err = c.Customers.Update(ctx, "c1b", &partnero.CustomerUpdate{Key: ptr("c-p2")})
		wantValidation(t, err, 422, "update.key", "Duplicate key")
		_, err = c.Customers.Update(ctx, "c1b", &partnero.CustomerUpdate{Email: ptr("not-an-email")})
		wantValidation(t, err, 422, "update.email", "")
		_, err = c.Customers.Update(ctx, "nope", &partnero.CustomerUpdate{Name: ptr("X")})
		wantNotFound(t, err, "Customer not found")
	})

	t.Run("status changes", func(t *testing.T) {
		steps := []struct {
			name   string
			call   func() error
			status string
		}{
			{"suspend", func() error { return c.Customers.Suspend(ctx, "c1b") }, "suspended"},
			{"approve", func() error { return c.Customers.Approve(ctx, "c1b") }, "active"},
			{"archive", func() error { return c.Customers.Archive(ctx, "c1b") }, "archived"},
			{"restore", func() error { return c.Customers.RestoreArchive(ctx, "c1b") }, "active"},
		}
		for _, s := range steps {
			if err := s.call(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got, err := c.Customers.Get(ctx, "c1b"); err != nil || got.Status != s.status {
				t.Errorf("after %s: %+v %v", s.name, got, err)
			}
		}
		wantValidation(t, c.Customers.RestoreArchive(ctx, "c1b"), 400, "", "Action failed")
		wantNotFound(t, c.Customers.Suspend(ctx, "nope"), "Customer not found")
	})

	t.Run("transactions and delete", func(t *testing.T) {
		for i := range 3 {
			if _, err := c.Transactions.Create(ctx, &partnero.Transaction{Key: fmt.Sprintf("t%d", i), Amount: dec("10"), Customer: partnero.CustomerRef{Key: "c1b"}}, nil); err != nil {
				t.Fatal(err)
			}
		}
		page, err := c.Customers.Transactions(ctx, "c1b", partnero.ListOptions{Limit: 2, Sort: "asc"})
		if err != nil || len(page.Items) != 2 || !page.HasNext || page.Items[0].Key != "t0" {
			t.Errorf("transactions page 1 = %+v %v", page, err)
		}
		page, err = c.Customers.Transactions(ctx, "c1b", partnero.ListOptions{Limit: 2, Page: 2, Sort: "asc"})
		if err != nil || len(page.Items) != 1 || page.HasNext {
			t.Errorf("transactions page 2 = %+v %v", page, err)
		}
		_, err = c.Customers.Transactions(ctx, "nope", partnero.ListOptions{})
		wantNotFound(t, err, "Customer not found")

		if err := c.Customers.Delete(ctx, "c1b"); err != nil {
			t.Fatal(err)
		}
		_, err = c.Transactions.Get(ctx, "t0")
		wantNotFound(t, err, "Transaction not found")
		wantNotFound(t, c.Customers.Delete(ctx, "c1b"), "Customer not found")
	})
}

func TestContractTransactions(t *testing.T) {
	c, _ := setup(t, sandbox.Config{})
	ctx := t.Context()
	if _, err := c.Partners.Create(ctx, &partnero.Partner{ID: "p1", Key: "alice", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Partner: &partnero.PartnerRef{Key: "alice"}}); err != nil {
		t.Fatal(err)
	}

	tx, err := c.Transactions.Create(ctx, &partnero.Transaction{
		Key: "t1", Amount: dec("99.99"), AmountUnits: "eur", Action: "sale", ProductID: "pro", ProductType: partnero.StringList{"plan"},
		Customer: partnero.CustomerRef{Key: "c1"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tx.Key != "t1" || tx.Amount.String() != "99.99" || tx.AmountUnits != "EUR" || tx.Partner != "p1" || tx.Customer.Key != "c1" ||
		len(tx.Rewards) != 1 || tx.Rewards[0].Amount.String() != "29.997" || tx.Rewards[0].Partner != "p1" {
		t.Errorf("created = %+v", tx)
	}

	t.Run("create errors", func(t *testing.T) {
		_, err := c.Transactions.Create(ctx, &partnero.Transaction{Key: "x", Customer: partnero.CustomerRef{Key: "c1"}}, nil)
		wantValidation(t, err, 422, "amount", "")
		_, err = c.Transactions.Create(ctx, &partnero.Transaction{Amount: dec("1"), Customer: partnero.CustomerRef{Key: "nope"}}, nil)
		wantValidation(t, err, 422, "customer.key", "")
		_, err = c.Transactions.Create(ctx, &partnero.Transaction{Amount: dec("1")}, nil)
		wantValidation(t, err, 422, "customer.key", "")
		_, err = c.Transactions.Create(ctx, &partnero.Transaction{Amount: dec("1"), Customer: partnero.CustomerRef{Key: "c2", Partner: &partnero.PartnerRef{Key: "nobody"}}}, &partnero.CreateOptions{CreateCustomer: true})
		wantValidation(t, err, 400, "", "Invalid partner key")
	})

	t.Run("reward, backdating, create customer", func(t *testing.T) {
		when := partnero.Time{Time: mustTime(t, "2024-02-03T04:05:06Z")}
		got, err := c.Transactions.Create(ctx, &partnero.Transaction{Key: "t2", Reward: dec("5"), CreatedAt: &when, Customer: partnero.CustomerRef{Key: "c1"}}, nil)
		if err != nil || got.Rewards[0].Amount.String() != "5" || !got.CreatedAt.Equal(when.Time) {
			t.Errorf("reward only = %+v %v", got, err)
		}
		got, err = c.Transactions.Create(ctx, &partnero.Transaction{Key: "t3", Amount: dec("10"), Customer: partnero.CustomerRef{Key: "c2", Email: "c2@example.com", Partner: &partnero.PartnerRef{Email: "alice@example.com"}}}, &partnero.CreateOptions{CreateCustomer: true})
		if err != nil || got.Customer.Key != "c2" || got.Partner != "p1" {
			t.Fatalf("create customer = %+v %v", got, err)
		}
		if cu, err := c.Customers.Get(ctx, "c2"); err != nil || cu.Email != "c2@example.com" {
			t.Errorf("customer created with it = %+v %v", cu, err)
		}
	})

	t.Run("duplicate keys are accepted", func(t *testing.T) {
		if _, err := c.Transactions.Create(ctx, &partnero.Transaction{Key: "t1", Amount: dec("1"), Customer: partnero.CustomerRef{Key: "c1"}}, nil); err != nil {
			t.Fatal(err)
		}
		page, err := c.Transactions.List(ctx, partnero.ListOptions{Filters: map[string]string{"key": "t1"}})
		if err != nil || len(page.Items) != 2 {
			t.Errorf("list by key = %+v %v", page, err)
		}
	})

	t.Run("batch", func(t *testing.T) {
		res, err := c.Transactions.CreateBatch(ctx, partnero.CustomerRef{Key: "c1"}, []partnero.Transaction{{Key: "b1", Amount: dec("1")}, {Key: "b2", Amount: dec("2.5"), AmountUnits: "gbp"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Understood || len(res.Created) != 2 || res.Created[1].Key != "b2" || res.Created[1].Rewards[0].Amount.String() != "0.75" {
			t.Errorf("batch = %+v", res)
		}
		_, err = c.Transactions.CreateBatch(ctx, partnero.CustomerRef{Key: "c1"}, []partnero.Transaction{{Key: "b3", Amount: dec("1")}, {Key: "b4"}}, nil)
		wantValidation(t, err, 422, "transactions.1.amount", "")
		_, err = c.Transactions.Get(ctx, "b3")
		wantNotFound(t, err, "Transaction not found")
		res, err = c.Transactions.CreateBatch(ctx, partnero.CustomerRef{Key: "c3", Partner: &partnero.PartnerRef{ID: "p1"}}, []partnero.Transaction{{Key: "b5", Amount: dec("3")}}, &partnero.CreateOptions{CreateCustomer: true})
		if err != nil || !res.Understood || res.Created[0].Customer.Key != "c3" {
			t.Errorf("batch creating its customer = %+v %v", res, err)
		}
	})

	t.Run("get, list, filters", func(t *testing.T) {
		got, err := c.Transactions.Get(ctx, "b2")
		if err != nil || len(got.Rewards) != 1 || got.AmountUnits != "GBP" {
			t.Errorf("get = %+v %v", got, err)
		}
		_, err = c.Transactions.Get(ctx, "nope")
		wantNotFound(t, err, "Transaction not found")
		for filter, want := range map[string]int{"customer.key": 1, "partner.key": 7} {
			v := map[string]string{"customer.key": "c2", "partner.key": "alice"}[filter]
			page, err := c.Transactions.List(ctx, partnero.ListOptions{Limit: 250, Filters: map[string]string{filter: v}})
			if err != nil || len(page.Items) != want {
				t.Errorf("filter %s=%s: %d items, %v; want %d", filter, v, len(page.Items), err, want)
			}
		}
		var keys []string
		for tx, err := range c.Transactions.All(ctx, partnero.ListOptions{Limit: 2, Sort: "asc"}) {
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, tx.Key)
		}
		// t2 was backdated, so it comes first oldest-first.
		if len(keys) != 7 || keys[0] != "t2" {
			t.Errorf("all = %v", keys)
		}
	})

	t.Run("archive, restore, delete", func(t *testing.T) {
		if err := c.Transactions.Archive(ctx, "b2"); err != nil {
			t.Fatal(err)
		}
		if got, _ := c.Transactions.Get(ctx, "b2"); got == nil || got.DeletedAt == nil {
			t.Errorf("archived = %+v", got)
		}
		wantValidation(t, c.Transactions.Archive(ctx, "b2"), 400, "", "Action failed")
		if err := c.Transactions.RestoreArchive(ctx, "b2"); err != nil {
			t.Fatal(err)
		}
		if err := c.Transactions.Delete(ctx, "b2"); err != nil {
			t.Fatal(err)
		}
		_, err := c.Transactions.Get(ctx, "b2")
		wantNotFound(t, err, "Transaction not found")
		wantNotFound(t, c.Transactions.Delete(ctx, "b2"), "Transaction not found")
		wantNotFound(t, c.Transactions.RestoreArchive(ctx, "b2"), "Transaction not found")
	})
}

func TestContractStrictTransactionKeys(t *testing.T) {
	c, _ := setup(t, sandbox.Config{StrictTransactionKeys: true})
	ctx := t.Context()
	c.Partners.Create(ctx, &partnero.Partner{Key: "alice", Email: "alice@example.com"})
	c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Partner: &partnero.PartnerRef{Key: "alice"}})
	tx := &partnero.Transaction{Key: "t1", Amount: dec("1"), Customer: partnero.CustomerRef{Key: "c1"}}
	if _, err := c.Transactions.Create(ctx, tx, nil); err != nil {
		t.Fatal(err)
	}
	_, err := c.Transactions.Create(ctx, tx, nil)
	wantValidation(t, err, 422, "key", "The key has already been taken.")
}

func TestContractPagination(t *testing.T) {
	c, _ := setup(t, sandbox.Config{})
	ctx := t.Context()
	for i := range 7 {
		if _, err := c.Partners.Create(ctx, &partnero.Partner{ID: partnero.ID(fmt.Sprintf("p%d", i)), Email: fmt.Sprintf("p%d@example.com", i)}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		opts     partnero.ListOptions
		wantIDs  string
		wantNext bool
	}{
		{"first page", partnero.ListOptions{Limit: 3, Sort: "asc"}, "p0,p1,p2", true},
		{"last partial page", partnero.ListOptions{Limit: 3, Page: 3, Sort: "asc"}, "p6", false},
		{"exact fit", partnero.ListOptions{Limit: 7}, "p6,p5,p4,p3,p2,p1,p0", false},
		{"past the end", partnero.ListOptions{Limit: 3, Page: 9}, "", false},
		{"default is newest first, 15", partnero.ListOptions{}, "p6,p5,p4,p3,p2,p1,p0", false},
		{"desc second page", partnero.ListOptions{Limit: 2, Page: 2, Sort: "desc"}, "p4,p3", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := c.Partners.List(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, p := range page.Items {
				ids = append(ids, string(p.ID))
			}
			if strings.Join(ids, ",") != tt.wantIDs || page.HasNext != tt.wantNext || len(page.Raw) != len(page.Items) {
				t.Errorf("ids %v next %v, want %s next %v", ids, page.HasNext, tt.wantIDs, tt.wantNext)
			}
		})
	}
	_, err := c.Partners.List(ctx, partnero.ListOptions{Sort: "sideways"})
	wantValidation(t, err, 422, "sort", "")
	var n int
	for _, err := range c.Partners.All(ctx, partnero.ListOptions{Limit: 1}) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 7 {
		t.Errorf("All yielded %d partners, want 7", n)
	}
}

// The misbehaviours reach the client as the typed errors it retries on.
func TestContractMisbehaviour(t *testing.T) {
	t.Run("429", func(t *testing.T) {
		c, srv := setup(t, sandbox.Config{RateLimit: 1.0 / 60}, partnero.WithMaxAttempts(1))
		if _, err := c.Test(t.Context()); err != nil {
			t.Fatal(err)
		}
		_, err := c.Test(t.Context())
		re, ok := errors.AsType[*partnero.Error](err)
		if !ok || !errors.Is(err, partnero.ErrRateLimited) || re.StatusCode != 429 || re.RetryAfter <= 0 || !partnero.IsRetryable(err) {
			t.Fatalf("error %v, want an ErrRateLimited with RetryAfter", err)
		}
		if srv.Stats().RateLimited != 1 {
			t.Errorf("sandbox counted %d 429s", srv.Stats().RateLimited)
		}
	})
	t.Run("5xx with HTML", func(t *testing.T) {
		c, _ := setup(t, sandbox.Config{FaultRate: 1}, partnero.WithMaxAttempts(1))
		_, err := c.Partners.List(t.Context(), partnero.ListOptions{})
		se, ok := errors.AsType[*partnero.Error](err)
		if !ok || !errors.Is(err, partnero.ErrServer) || se.StatusCode < 500 || !partnero.IsRetryable(err) {
			t.Fatalf("error %v, want an ErrServer", err)
		}
	})
	t.Run("drop after commit", func(t *testing.T) {
		c, srv := setup(t, sandbox.Config{DropAfterCommitRate: 1}, partnero.WithMaxAttempts(1))
		_, err := c.Partners.Create(t.Context(), &partnero.Partner{ID: "p1", Email: "a@example.com"})
		if err == nil || partnero.StatusCode(err) != 0 || !partnero.IsRetryable(err) {
			t.Fatalf("error %v, want a retryable network error", err)
		}
		// The write happened although the client never heard of it.
		if p, err := c.Partners.Get(t.Context(), "p1"); err != nil || p.Email != "a@example.com" {
			t.Errorf("after the drop: %+v %v", p, err)
		}
		if srv.Stats().Dropped != 1 {
			t.Errorf("sandbox counted %d drops", srv.Stats().Dropped)
		}
	})
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
