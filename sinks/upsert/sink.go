package upsert

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/singleflight"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Sink satisfies the engine's stage contract directly.
var _ record.Sink = (*Sink)(nil)

// Options configure a Sink.
type Options struct {
	Entity record.Entity
	// DryRun makes only read requests: outcomes say what would happen.
	DryRun bool
	// NoBatch writes transactions one request each.
	NoBatch bool
	// ReplaceTransactions deletes a transaction whose key exists with other
	// values and creates the input's instead (outcome updated), rather than
	// rejecting the row as transaction_conflict.
	ReplaceTransactions bool
	// MaxBatch bounds the transactions sent in one request; 0 means 100.
	MaxBatch int
	// PageSize is the listing page size; 0 means 250, the API's maximum.
	PageSize int
	// ListConcurrency is how many listing pages are fetched at once after
	// the first; 0 means 4.
	ListConcurrency int
	// MaxAttempts bounds how often one transaction is sent when its create
	// fails ambiguously (a lost answer, a 5xx) and a listing shows it did
	// not land. Pass the client's attempt cap (--max-attempts); 0 means
	// defaultMaxAttempts, the client's default.
	MaxAttempts int
	// CreateCustomers lets a transaction create its customer when Partnero
	// does not have it (options.create_customer, with the partner the row
	// names): for a platform without a customer export (a mapping's
	// create_customers) or `import transactions --create-customers`.
	// Without it, a transaction of a missing customer is rejected
	// (unknown_customer): a customer is never made up from a sale.
	CreateCustomers bool
	// MayCreateCustomer, when set, says whether the customer of this key may
	// be created with its first transaction all the same: a migration's
	// customers input names it (see pipeline/migrate.Join.MayCreateCustomer).
	MayCreateCustomer func(key string) bool
	// DeferCreate, when set (customers), is asked about a customer
	// Partnero does not have: true leaves its creation to its first
	// transaction batch (a migration whose transactions name it), and the
	// row's outcome is created.
	DeferCreate func(key string) bool
	// OnCustomer, when set (transactions), hears of each transaction's
	// customer that exists in Partnero (created false) or that a
	// transaction write created (created true).
	OnCustomer func(key string, created bool)
}

// defaultMaxAttempts is the API client's default attempt budget
// (partnero.WithMaxAttempts): a transaction create that the client does not
// retry itself gets as many tries from the sink, each after a verification.
const defaultMaxAttempts = 8

// Sink upserts records into a Partnero program. Write is safe for
// concurrent use with distinct partition keys.
type Sink struct {
	t   Target
	opt Options

	// The indexes are non-nil when a full listing of the target was taken:
	// then absence from the index means absence from the target.
	partners  *partnerIndex
	customers *customerIndex
	txs       *txIndex
	strategy  string

	// txCustomers is the customer index of a transactions import, listed
	// lazily (custOnce) within custBudget pages; nil past the budget, when
	// customers are looked up one by one.
	custOnce    sync.Once
	custReady   atomic.Bool
	custBudget  int64
	txCustomers *customerIndex
	custErr     error

	// partnerList is the partner index a customers import lists lazily
	// (partnerOnce) to resolve partners named by email, within
	// partnerBudget pages; nil past the budget.
	partnerOnce   sync.Once
	partnerBudget int64
	partnerList   *partnerIndex
	partnerErr    error

	// partnerIDs caches the id of a partner named by email or key, for
	// partner_conflict checks ("" when the partner does not exist).
	partnerIDs sync.Map
	// partnerLookups lets concurrent misses of one reference share a
	// lookup.
	partnerLookups singleflight.Group

	// verified counts the listings taken to settle an ambiguous create (an
	// answer lost or a 5xx, or a 2xx body not understood).
	verified atomic.Int64

	listed atomic.Int64 // records seen by listings

	// customersCreated counts the customers transaction writes created
	// (options.create_customer).
	customersCreated atomic.Int64
	// dupKeys counts input transactions whose key the program holds more
	// than once (DuplicateKeys).
	dupKeys atomic.Int64
}

// CustomersCreated counts the customers that transaction writes created
// with their first transaction (in a dry run: would create).
func (s *Sink) CustomersCreated() int64 { return s.customersCreated.Load() }

// New returns a sink writing opt.Entity records through t.
func New(t Target, opt Options) *Sink {
	if opt.PageSize <= 0 || opt.PageSize > 250 {
		opt.PageSize = 250
	}
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 100
	}
	if opt.ListConcurrency <= 0 {
		opt.ListConcurrency = 4
	}
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = defaultMaxAttempts
	}
	return &Sink{t: t, opt: opt, strategy: "lookups"}
}

// Strategy describes how the sink learns what the target holds.
func (s *Sink) Strategy() string { return s.strategy }

// AmbiguousVerified counts the transaction creates whose outcome was unclear
// (the answer was lost, a 5xx, or a body not understood) and was settled by
// listing the customer's transactions instead of sending them again.
func (s *Sink) AmbiguousVerified() int64 { return s.verified.Load() }

// Prepare decides how to learn what exists, given an estimate of the input's
// rows (negative when unknown), and takes the listings it chose. A listing
// costs one request per 250 target records, a lookup one request per input
// row (per customer for transactions); not knowing the target's size, the
// sink lists until the listing has cost what the lookups would and falls
// back to lookups past that point, which bounds the waste to a factor two.
func (s *Sink) Prepare(ctx context.Context, estimatedRows int64) error {
	budget := estimatedRows // pages a listing may cost
	if estimatedRows < 0 {
		budget = 400 // 100,000 records
	}
	switch s.opt.Entity {
	case record.Partners:
		ix, err := s.listPartners(ctx, max(budget, 1))
		if err != nil {
			return err
		}
		if ix != nil {
			s.partners = ix
			s.strategy = fmt.Sprintf("listing (%d partners in target)", ix.len())
		}
	case record.Customers:
		ix, err := s.listCustomers(ctx, max(budget, 1), false)
		if err != nil {
			return err
		}
		if ix != nil {
			s.customers = ix
			s.strategy = fmt.Sprintf("listing (%d customers in target)", ix.len())
		}
		// Partners named by email are resolved from a listing of the
		// partners when one is needed and cheap enough.
		s.partnerBudget = max(budget/4, 1)
	case record.Transactions:
		// The alternative to listing is one listing request per customer;
		// assume a few transactions per customer.
		b := max(budget/4, 1)
		if estimatedRows < 0 {
			b = budget
		}
		txs, err := s.listTransactions(ctx, b)
		if err != nil {
			return err
		}
		if txs == nil {
			s.strategy = "per-customer listings"
			return nil
		}
		// Which customers exist matters only when something is to be
		// created: the customers are listed at the first such group (a
		// re-run never needs them).
		s.txs, s.custBudget = txs, b
		s.strategy = fmt.Sprintf("listing (%d transaction keys in target)", txs.len())
	default:
		return fmt.Errorf("cannot import %s", s.opt.Entity)
	}
	return nil
}

// Partition orders records: a customer's transactions are written in input
// order by one worker (a customer named by email only is partitioned by its
// email); a partner referred by another follows its referrer.
func (s *Sink) Partition(rec record.Record) string {
	switch {
	case rec.Transaction != nil:
		return customerIdent(rec.Transaction.Customer)
	case rec.Partner != nil:
		if r := rec.Partner.ReferringPartner; r != nil {
			switch {
			case r.ID != "":
				return "id:" + string(r.ID)
			case r.Email != "":
				return "email:" + strings.ToLower(r.Email)
			case r.Key != "":
				return "key:" + r.Key
			}
		}
		return rec.Key()
	}
	return rec.Key()
}

// customerIdent is the identity a transaction's customer is grouped by: its
// key, else its email.
func customerIdent(c api.CustomerRef) string {
	if c.Key != "" {
		return c.Key
	}
	if e := strings.ToLower(strings.TrimSpace(c.Email)); e != "" {
		return "email:" + e
	}
	return ""
}

// byCustomer yields the indexes of the transactions of each customer, in
// input order, customers in the order of their first record.
func byCustomer(recs []record.Record) iter.Seq[[]int] {
	return func(yield func([]int) bool) {
		index := map[string]int{}
		var groups [][]int
		for i, rec := range recs {
			k := customerIdent(rec.Transaction.Customer)
			if rec.Transaction.Customer.Key == "" {
				k = "\x00" + k // a key cannot share a group with an email
			}
			g, ok := index[k]
			if !ok {
				g = len(groups)
				index[k] = g
				groups = append(groups, nil)
			}
			groups[g] = append(groups[g], i)
		}
		for _, g := range groups {
			if !yield(g) {
				return
			}
		}
	}
}

// Write writes records that share a partition key, in order. The error is
// fatal (a refused key, a cancelled context): records without an outcome
// were not finished.
func (s *Sink) Write(ctx context.Context, recs []record.Record) ([]record.Result, error) {
	out := make([]record.Result, len(recs))
	if len(recs) == 0 {
		return out, nil
	}
	if recs[0].Transaction != nil {
		// Records of one partition are one customer's, unless two
		// partition keys collide (a key spelled like another customer's
		// "email:" partition): write each customer's records as a group.
		for idxs := range byCustomer(recs) {
			if len(idxs) == len(recs) {
				return out, s.writeTransactions(ctx, recs, out)
			}
			grp := make([]record.Record, len(idxs))
			res := make([]record.Result, len(idxs))
			for n, i := range idxs {
				grp[n] = recs[i]
			}
			err := s.writeTransactions(ctx, grp, res)
			for n, i := range idxs {
				out[i] = res[n]
			}
			if err != nil {
				return out, err
			}
		}
		return out, nil
	}
	for i, rec := range recs {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var err error
		switch {
		case rec.Partner != nil:
			out[i], err = s.writePartner(ctx, rec)
		case rec.Customer != nil:
			out[i], err = s.writeCustomer(ctx, rec)
		default:
			out[i] = reject(rec, record.CodeInvalidValue, "", fmt.Sprintf("not a %s record", s.opt.Entity))
		}
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

func reject(rec record.Record, code, field, msg string) record.Result {
	return record.Result{Outcome: record.Rejected, Err: &record.RowError{Origin: rec.Origin, Field: field, Code: code, Message: msg}}
}

// rejectFor is reject for a row that err, the API's answer, rejected: the
// row error keeps err as its cause, so errors.Is and errors.As see it.
func rejectFor(rec record.Record, err error, code, field, msg string) record.Result {
	res := reject(rec, code, field, msg)
	res.Err.Err = err
	return res
}

// apiReject turns a refusal of the API into a rejected row, naming the field
// the API complained about when it said.
func apiReject(rec record.Record, err error) record.Result {
	if ve, ok := errors.AsType[*api.Error](err); ok && ve.Kind == api.ErrValidation {
		code := record.CodeAPIValidation
		msg := ve.Message
		if api.IsUnknownPartner(err) {
			code = record.CodeUnknownPartner
		}
		field, fmsg := ve.FirstField()
		if msg == "" {
			msg = fmsg
		}
		if msg == "" {
			msg = err.Error()
		}
		return rejectFor(rec, err, code, field, "the API refused the row: "+msg)
	}
	return rejectFor(rec, err, record.CodeAPIError, "", "the API failed: "+err.Error())
}
