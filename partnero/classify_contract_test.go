package partnero_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
)

// classes is what every classifier of API answers says of one error.
type classes struct {
	kind                                       *partnero.Kind
	status                                     int
	duplicate, unknownPartner, unknownCustomer bool
	fatal, retryable, ambiguous, limitRefused  bool
	notServed                                  bool
}

func classify(err error) classes {
	c := classes{
		status:          partnero.StatusCode(err),
		duplicate:       partnero.IsDuplicate(err),
		unknownPartner:  partnero.IsUnknownPartner(err),
		unknownCustomer: partnero.IsUnknownCustomer(err),
		fatal:           partnero.IsFatal(err),
		retryable:       partnero.IsRetryable(err),
		ambiguous:       partnero.IsAmbiguous(err),
		limitRefused:    partnero.IsLimitRefused(err),
		notServed:       partnero.IsNotServed(err),
	}
	if e, ok := errors.AsType[*partnero.Error](err); ok {
		c.kind = e.Kind
	}
	return c
}

// TestClassifiersAgainstTheSandbox pins every classifier of API answers to
// the answers the sandbox really sends: each call below fails, and every
// classifier must read its answer as the row says. The messages the
// classifiers match as text (IsDuplicate, IsUnknownPartner,
// IsUnknownCustomer) are the sandbox's own; the variants the contract
// leaves open are in TestClassifiersReadEveryVariant.
func TestClassifiersAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	c, _ := newSandboxClient(t, sandbox.Config{StrictTransactionKeys: true})
	ctx := t.Context()
	must(c.Partners.Create(ctx, &partnero.Partner{ID: "p1", Email: "ann@example.com", Key: "ann"}))(t)
	must(c.Partners.Create(ctx, &partnero.Partner{ID: "p2", Email: "bob@example.com", Key: "bob"}))(t)
	must(c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Partner: &partnero.PartnerRef{Key: "ann"}}))(t)
	must(c.Customers.Create(ctx, &partnero.Customer{Key: "c2", Partner: &partnero.PartnerRef{Key: "ann"}}))(t)
	must(c.Transactions.Create(ctx, &partnero.Transaction{Key: "t1", Amount: new(partnero.MustDecimal("1")), Customer: partnero.CustomerRef{Key: "c1"}}, nil))(t)

	validation := func(status int) classes { return classes{kind: partnero.ErrValidation, status: status} }
	with := func(c classes, f func(*classes)) classes { f(&c); return c }
	dup := func(c *classes) { c.duplicate = true }
	unknownPartner := func(c *classes) { c.unknownPartner = true }
	str := func(s string) *string { return &s }
	cancelled, cancel := context.WithCancel(ctx)
	cancel()

	tests := []struct {
		name string
		call func() error
		want classes
	}{
		// IsDuplicate: Laravel's unique rule for a partner's identities,
		// "Duplicate key" for a customer's, the unique rule for a
		// transaction key in strict mode.
		{"partner email taken", func() error {
			_, err := c.Partners.Create(ctx, &partnero.Partner{Email: "ann@example.com"})
			return err
		}, with(validation(422), dup)},
		{"partner id taken", func() error {
			_, err := c.Partners.Create(ctx, &partnero.Partner{ID: "p1", Email: "new1@example.com"})
			return err
		}, with(validation(422), dup)},
		{"partner key taken", func() error {
			_, err := c.Partners.Create(ctx, &partnero.Partner{Key: "ann", Email: "new2@example.com"})
			return err
		}, with(validation(422), dup)},
		{"partner update to a taken email", func() error {
			_, err := c.Partners.Update(ctx, "p2", &partnero.PartnerUpdate{Email: str("ann@example.com")})
			return err
		}, with(validation(422), dup)},
		{"customer key taken", func() error {
			_, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c1", Partner: &partnero.PartnerRef{Key: "ann"}})
			return err
		}, with(validation(422), dup)},
		{"customer renamed to a taken key", func() error {
			_, err := c.Customers.Update(ctx, "c2", &partnero.CustomerUpdate{Key: str("c1")})
			return err
		}, with(validation(422), dup)},
		{"transaction key taken (strict)", func() error {
			_, err := c.Transactions.Create(ctx, &partnero.Transaction{Key: "t1", Amount: new(partnero.MustDecimal("1")), Customer: partnero.CustomerRef{Key: "c1"}}, nil)
			return err
		}, with(validation(422), dup)},
		{"transaction key taken in a batch (strict)", func() error {
			_, err := c.Transactions.CreateBatch(ctx, partnero.CustomerRef{Key: "c1"}, []partnero.Transaction{
				{Key: "t9", Amount: new(partnero.MustDecimal("1"))}, {Key: "t1", Amount: new(partnero.MustDecimal("1"))}}, nil)
			return err
		}, with(validation(422), dup)},

		// IsUnknownPartner: the documented 400, on its own and inside a
		// transaction that creates its customer.
		{"customer of an unknown partner", func() error {
			_, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c9", Partner: &partnero.PartnerRef{Key: "nobody"}})
			return err
		}, with(validation(400), unknownPartner)},
		{"transaction creating a customer of an unknown partner", func() error {
			_, err := c.Transactions.Create(ctx, &partnero.Transaction{Key: "t8", Amount: new(partnero.MustDecimal("1")),
				Customer: partnero.CustomerRef{Key: "c8", Partner: &partnero.PartnerRef{Email: "nobody@example.com"}}}, &partnero.CreateOptions{CreateCustomer: true})
			return err
		}, with(validation(400), unknownPartner)},
		// Any complaint about the partner field counts: the sink checks
		// that a new customer names a partner before it sends it.
		{"customer without a partner", func() error {
			_, err := c.Customers.Create(ctx, &partnero.Customer{Key: "c7"})
			return err
		}, with(validation(422), unknownPartner)},
		// A referring partner is not the row's partner.
		{"partner referred by an unknown partner", func() error {
			_, err := c.Partners.Create(ctx, &partnero.Partner{Email: "new3@example.com", ReferringPartner: &partnero.PartnerRef{Key: "nobody"}})
			return err
		}, validation(422)},
		// IsUnknownCustomer reads any 404: the sink asks it only of calls
		// about a customer.
		{"partner not found", func() error {
			_, err := c.Partners.Get(ctx, "nobody")
			return err
		}, classes{kind: partnero.ErrNotFound, status: 404, unknownCustomer: true, notServed: true}},

		// IsUnknownCustomer: the 404s of the customer's own endpoints.
		{"customer not found", func() error {
			_, err := c.Customers.Get(ctx, "nobody")
			return err
		}, classes{kind: partnero.ErrNotFound, status: 404, unknownCustomer: true, notServed: true}},
		{"transactions of an unknown customer", func() error {
			_, err := c.Customers.Transactions(ctx, "nobody", partnero.ListOptions{})
			return err
		}, classes{kind: partnero.ErrNotFound, status: 404, unknownCustomer: true, notServed: true}},
		// A transaction for a customer that does not exist is refused as
		// invalid, not as an unknown customer: the sink knows which
		// customers exist before it creates their transactions.
		{"transaction of an unknown customer", func() error {
			_, err := c.Transactions.Create(ctx, &partnero.Transaction{Key: "t7", Amount: new(partnero.MustDecimal("1")), Customer: partnero.CustomerRef{Key: "nobody"}}, nil)
			return err
		}, validation(422)},

		// Neither duplicate nor unknown: a plain refusal of a value.
		{"invalid email", func() error {
			_, err := c.Partners.Create(ctx, &partnero.Partner{Email: "not an email"})
			return err
		}, validation(422)},
		{"archive twice", func() error {
			if err := c.Customers.Archive(ctx, "c2"); err != nil {
				return err
			}
			return c.Customers.Archive(ctx, "c2")
		}, validation(400)},

		// IsLimitRefused: a page larger than the endpoint serves (the
		// promotion codes' documented range is 10..100).
		{"page too large", func() error {
			_, err := partnero.ListPage[partnero.PromotionCode](ctx, c, partnero.PromotionCodesRoute, partnero.ListOptions{Limit: 250})
			return err
		}, with(validation(422), func(c *classes) { c.limitRefused = true })},

		// IsNotServed: an endpoint the API does not have.
		{"no such endpoint", func() error {
			_, err := partnero.ListPage[partnero.Lead](ctx, c, partnero.ListRoute{Route: "GET /affiliates", Path: "affiliates", MaxLimit: 100}, partnero.ListOptions{})
			return err
		}, classes{kind: partnero.ErrNotFound, status: 404, unknownCustomer: true, notServed: true}},

		// IsFatal: a refused key and a cancelled call end the run.
		{"unknown key", func() error {
			wrong, err := partnero.NewClient(partnero.WithBaseURL(c.BaseURL()), partnero.WithAPIKey("not-the-contract-key"), partnero.WithRate(partnero.Rate{}))
			if err != nil {
				return err
			}
			_, err = wrong.Test(ctx)
			return err
		}, classes{kind: partnero.ErrUnauthorized, status: 401, fatal: true}},
		{"cancelled", func() error {
			_, err := c.Partners.Get(cancelled, "p1")
			return err
		}, classes{fatal: true}},
	}
	for _, tt := range tests {
		err := tt.call()
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		if got := classify(err); got != tt.want {
			t.Errorf("%s: %v\n got %+v\nwant %+v", tt.name, err, got, tt.want)
		}
	}
}

// TestClassifiersAgainstSandboxFaults: the sandbox's 429, 5xx and dropped
// answers are retried, never fatal, and the 5xx and the drop may have
// landed.
func TestClassifiersAgainstSandboxFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  sandbox.Config
		want classes
	}{
		{"429", sandbox.Config{Burst429Rate: 1}, classes{kind: partnero.ErrRateLimited, status: 429, retryable: true}},
		{"5xx", sandbox.Config{FaultRate: 1}, classes{kind: partnero.ErrServer, retryable: true, ambiguous: true}},
		{"dropped after commit", sandbox.Config{DropAfterCommitRate: 1}, classes{kind: partnero.ErrNetwork, retryable: true, ambiguous: true}},
	}
	for _, tt := range tests {
		c, _ := newSandboxClient(t, tt.cfg)
		cc, err := partnero.NewClient(partnero.WithBaseURL(c.BaseURL()), partnero.WithAPIKey("contract-key"), partnero.WithRate(partnero.Rate{}), partnero.WithMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		_, err = cc.Partners.Create(t.Context(), &partnero.Partner{Email: "ann@example.com"})
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		got := classify(err)
		if tt.want.kind == partnero.ErrServer {
			tt.want.status = got.status // 500, 502 or 503, at random
			if got.status < 500 {
				t.Errorf("%s: status %d", tt.name, got.status)
			}
		}
		if got != tt.want {
			t.Errorf("%s: %v\n got %+v\nwant %+v", tt.name, err, got, tt.want)
		}
	}
}

// TestFirstFieldAgainstTheSandbox: of a refusal naming several fields, the
// field FirstField blames is the one the sandbox's message repeats (here
// not the first by name: the sandbox checks the surname before the
// password).
func TestFirstFieldAgainstTheSandbox(t *testing.T) {
	t.Parallel()
	c, _ := newSandboxClient(t, sandbox.Config{})
	_, err := c.Partners.Create(t.Context(), &partnero.Partner{Email: "ann@example.com", Surname: strings.Repeat("s", 101), Password: strings.Repeat("p", 256)})
	e, ok := errors.AsType[*partnero.Error](err)
	if !ok || len(e.Fields) < 2 {
		t.Fatalf("want a refusal naming two fields, got %v", err)
	}
	name, msg := e.FirstField()
	if name != "surname" || msg == "" || !strings.HasPrefix(e.Message, msg) || e.Fields[name][0] != msg {
		t.Errorf("FirstField = %q %q of %q (fields %v)", name, msg, e.Message, e.Fields)
	}
}
