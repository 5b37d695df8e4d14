package upsert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// txGroup is the work on one customer's transactions in one Write.
type txGroup struct {
	key      string
	recs     []record.Record
	out      []record.Result
	replace  map[int]bool // rows whose key exists with other values, to be replaced
	customer api.CustomerRef
	// createCustomer is set while the customer does not exist and the next
	// create must make it (options.create_customer).
	createCustomer bool
}

func (g *txGroup) created(i int) {
	if g.replace[i] {
		g.out[i] = record.Result{Outcome: record.Updated}
	} else {
		g.out[i] = record.Result{Outcome: record.Created}
	}
}

// writeTransactions writes the transactions of one customer, in input order.
// It learns which of them exist (from the index, or one listing of the
// customer's transactions), then creates the missing ones in one request,
// creating the customer in the same request when it is missing and the input
// names its partner.
func (s *Sink) writeTransactions(ctx context.Context, recs []record.Record, out []record.Result) error {
	if recs[0].Transaction.Customer.Key == "" {
		var err error
		if recs, err = s.keyedByEmail(ctx, recs, out); recs == nil || err != nil {
			return err
		}
	}
	g := &txGroup{key: recs[0].Transaction.Customer.Key, recs: recs, out: out, replace: map[int]bool{}}

	existing, listed, err := s.existingTransactions(ctx, g.key)
	if api.IsFatal(err) {
		return err
	}
	if err != nil {
		for i, rec := range recs {
			out[i] = apiReject(rec, err)
		}
		return nil
	}

	var creates []int
	sawCustomer := false
	for i, rec := range recs {
		tx := rec.Transaction
		if tx.Customer.Key != g.key {
			out[i] = reject(rec, record.CodeInvalidValue, "customer.key", "transaction grouped under another customer")
			continue
		}
		have := existing(tx.Key)
		if !sawCustomer && ofCustomer(have, g.key) {
			// A transaction of it exists: so does the customer.
			sawCustomer = true
			s.onCustomer(g.key, false)
		}
		if len(have) > 1 {
			s.dupKeys.Add(1)
		}
		switch {
		case len(have) == 0:
			creates = append(creates, i)
		case anySame(have, tx):
			out[i] = record.Result{Outcome: record.Unchanged}
		case s.opt.ReplaceTransactions:
			g.replace[i] = true
			creates = append(creates, i)
		default:
			out[i] = reject(rec, record.CodeTransactionConflict, "", fmt.Sprintf("transaction %s exists with other values (amount, currency, action, customer or time); pass --replace-transactions to replace it", tx.Key))
		}
	}
	if len(creates) == 0 {
		return nil
	}

	customerExists := listed
	if s.txs != nil {
		// The index of transactions says nothing about customers.
		customerExists, err = s.customerExists(ctx, g.key)
		if api.IsFatal(err) {
			return err
		}
		if err != nil {
			for _, i := range creates {
				out[i] = apiReject(recs[i], err)
			}
			return nil
		}
	}
	g.customer = api.CustomerRef{Key: g.key}
	if customerExists && !sawCustomer {
		s.onCustomer(g.key, false)
	}
	if !customerExists {
		if !s.mayCreateCustomer(g.key) {
			for _, i := range creates {
				out[i] = reject(recs[i], record.CodeUnknownCustomer, "customer.key", fmt.Sprintf("customer %s does not exist in Partnero%s", g.key, s.noCreateReason()))
			}
			return nil
		}
		withPartner := -1
		for _, i := range creates {
			if p := recs[i].Transaction.Customer.Partner; p != nil && (p.ID != "" || p.Key != "" || p.Email != "") {
				withPartner = i
				break
			}
		}
		if withPartner < 0 {
			for _, i := range creates {
				out[i] = reject(recs[i], record.CodeUnknownCustomer, "customer.key", fmt.Sprintf("customer %s does not exist and the row does not name its partner to create it", g.key))
			}
			return nil
		}
		g.customer = recs[withPartner].Transaction.Customer
		g.createCustomer = true
	}

	if s.opt.DryRun {
		for _, i := range creates {
			g.created(i)
		}
		s.noteCreated(g, creates)
		return nil
	}

	if creates, err = s.deleteReplaced(ctx, g, creates); err != nil {
		return err
	}
	if len(creates) == 0 {
		return nil
	}
	if s.opt.NoBatch {
		return s.createSingles(ctx, g, creates)
	}
	// One request per MaxBatch transactions keeps a request body of a
	// customer with a long history within what a server accepts.
	for chunk := range slices.Chunk(creates, s.opt.MaxBatch) {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if len(chunk) == 1 {
			err = s.createSingles(ctx, g, chunk)
		} else {
			err = s.createBatch(ctx, g, chunk)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mayCreateCustomer says whether a missing customer may be created with its
// first transaction (Options.CreateCustomers, Options.MayCreateCustomer).
func (s *Sink) mayCreateCustomer(key string) bool {
	return s.opt.CreateCustomers || (s.opt.MayCreateCustomer != nil && s.opt.MayCreateCustomer(key))
}

// noCreateReason ends the message of a transaction whose customer is
// missing and may not be created.
func (s *Sink) noCreateReason() string {
	if s.opt.MayCreateCustomer != nil {
		return " and the customers input does not have it (a customer is created from its transactions only when the mapping says the platform has no customer export: create_customers)"
	}
	return " (pass --create-customers to create a missing customer with its first transaction, under the partner the row names)"
}

// keyedByEmail resolves the customer that transactions name by email only
// to its key, and returns copies of the records naming the customer by that
// key too (the caller's records stay as they were read). It returns nil when
// the records got their outcome instead: no such customer (a customer cannot
// be created without a key), or an email several customers share.
func (s *Sink) keyedByEmail(ctx context.Context, recs []record.Record, out []record.Result) ([]record.Record, error) {
	email := strings.TrimSpace(recs[0].Transaction.Customer.Email)
	rejectAll := func(code, msg string) ([]record.Record, error) {
		for i, rec := range recs {
			out[i] = reject(rec, code, "customer.email", msg)
		}
		return nil, nil
	}
	if email == "" {
		return rejectAll(record.CodeMissingField, "the transaction names no customer (customer.key or customer.email)")
	}
	key, n, err := s.customerKeyByEmail(ctx, email)
	if api.IsFatal(err) {
		return nil, err
	}
	if err != nil {
		for i, rec := range recs {
			out[i] = apiReject(rec, err)
		}
		return nil, nil
	}
	switch {
	case n == 0:
		return rejectAll(record.CodeUnknownCustomer, fmt.Sprintf("customer with email %s does not exist (a new customer needs customer.key)", email))
	case n > 1:
		return rejectAll(record.CodeInvalidValue, fmt.Sprintf("%d customers have the email %s: name the customer by customer.key", n, email))
	}
	keyed := make([]record.Record, len(recs))
	for i, rec := range recs {
		tx := *rec.Transaction
		tx.Customer.Key = key
		rec.Transaction = &tx
		keyed[i] = rec
	}
	return keyed, nil
}

// customerKeyByEmail finds the key of the customer with this email, and how
// many customers have it: from the listing of the customers when the
// transactions were listed (the same listing customerExists takes, once),
// else by one search.
func (s *Sink) customerKeyByEmail(ctx context.Context, email string) (string, int, error) {
	if s.txs != nil {
		s.listTxCustomers(ctx)
		if s.custErr != nil {
			return "", 0, s.custErr
		}
		if s.txCustomers != nil {
			key, n := s.txCustomers.keyByEmail(email)
			return key, n, nil
		}
	}
	found, err := s.t.CustomersByEmail(ctx, email)
	if err != nil {
		return "", 0, err
	}
	keys := map[string]bool{}
	key := ""
	for _, c := range found {
		if c.Key != "" && strings.EqualFold(strings.TrimSpace(c.Email), email) {
			if key == "" {
				key = c.Key
			}
			keys[c.Key] = true
		}
	}
	return key, len(keys), nil
}

// existingTransactions returns a lookup of the customer's existing
// transactions by key, and whether the customer is known to exist (from its
// listing; with a full index of transactions, true: ask customerExists).
func (s *Sink) existingTransactions(ctx context.Context, customerKey string) (func(string) []txEntry, bool, error) {
	if s.txs != nil {
		return s.txs.find, true, nil
	}
	list, found, err := s.customerTransactions(ctx, customerKey)
	if err != nil {
		return nil, false, err
	}
	byKey := make(map[string][]txEntry, len(list))
	for i := range list {
		byKey[list[i].Key] = append(byKey[list[i].Key], txEntryOf(&list[i]))
	}
	return func(k string) []txEntry { return byKey[k] }, found, nil
}

// ofCustomer says whether one of the entries is a transaction of the
// customer of this key (the index finds a key of any customer).
func ofCustomer(have []txEntry, customerKey string) bool {
	h := hashString(customerKey)
	for _, e := range have {
		if e.customer == h {
			return true
		}
	}
	return false
}

func anySame(have []txEntry, tx *api.Transaction) bool {
	for _, e := range have {
		if e.same(tx) {
			return true
		}
	}
	return false
}

// deleteReplaced deletes the target's transactions that --replace-transactions
// replaces, and returns the rows still to create.
func (s *Sink) deleteReplaced(ctx context.Context, g *txGroup, creates []int) ([]int, error) {
	keep := creates[:0:0]
	for _, i := range creates {
		if !g.replace[i] {
			keep = append(keep, i)
			continue
		}
		key := g.recs[i].Transaction.Key
		err := s.t.DeleteTransaction(ctx, key)
		if api.IsFatal(err) {
			return nil, err
		}
		if err != nil && !errors.Is(err, api.ErrNotFound) {
			g.out[i] = apiReject(g.recs[i], err)
			continue
		}
		if s.txs != nil {
			s.txs.remove(key)
		}
		keep = append(keep, i)
	}
	return keep, nil
}

// txFor is the transaction as sent: the customer as the group names it.
func (g *txGroup) txFor(i int, withCustomer bool) api.Transaction {
	tx := *g.recs[i].Transaction
	if withCustomer {
		tx.Customer = g.customer
	} else {
		tx.Customer = api.CustomerRef{Key: g.key}
	}
	return tx
}

func (s *Sink) createBatch(ctx context.Context, g *txGroup, creates []int) error {
	txs := make([]api.Transaction, len(creates))
	for n, i := range creates {
		txs[n] = g.txFor(i, false)
	}
	created, understood, err := s.t.CreateTransactions(ctx, g.customer, txs, g.createCustomer)
	if api.IsFatal(err) {
		return err
	}
	switch {
	case err == nil && understood && len(created) == len(creates):
		for _, i := range creates {
			g.created(i)
		}
		s.noteCreated(g, creates)
		return nil
	case err != nil && api.IsUnknownPartner(err):
		for _, i := range creates {
			g.out[i] = rejectFor(g.recs[i], err, record.CodeUnknownPartner, "customer.partner", fmt.Sprintf("customer %s does not exist and its partner %s does not either", g.key, describeRef(g.customer.Partner)))
		}
		return nil
	case err != nil && errors.Is(err, api.ErrValidation):
		// Refused as a whole (all or nothing): write one by one to find
		// the bad rows and land the good ones.
		return s.createSingles(ctx, g, creates)
	}
	// A 2xx we could not read, or a failure that may have landed: the
	// customer's listing says what exists.
	rest, verr := s.verify(ctx, g, creates)
	if verr != nil {
		return verr
	}
	return s.createSingles(ctx, g, rest)
}

// verify lists the customer's transactions after an ambiguous answer, marks
// the rows that landed as created and returns the others. When the listing
// fails too (after the client's retries), nobody knows whether the rows
// landed: they stay without an outcome and an *UnverifiedError ends the run.
func (s *Sink) verify(ctx context.Context, g *txGroup, idxs []int) ([]int, error) {
	s.verified.Add(1)
	list, found, err := s.customerTransactions(ctx, g.key)
	if api.IsFatal(err) {
		return nil, err
	}
	if err != nil {
		return nil, &UnverifiedError{Customer: g.key, Rows: len(idxs), Err: err}
	}
	if !found {
		return idxs, nil
	}
	// The customer exists now, whatever happened.
	if g.createCustomer {
		g.createCustomer = false
		s.noteCustomer(g)
		s.onCustomer(g.key, true)
	}
	byKey := make(map[string][]txEntry, len(list))
	for i := range list {
		byKey[list[i].Key] = append(byKey[list[i].Key], txEntryOf(&list[i]))
	}
	var rest, landed []int
	for _, i := range idxs {
		tx := g.recs[i].Transaction
		if anySame(byKey[tx.Key], tx) {
			g.created(i)
			landed = append(landed, i)
		} else {
			rest = append(rest, i)
		}
	}
	s.noteCreated(g, landed)
	return rest, nil
}

func (s *Sink) createSingles(ctx context.Context, g *txGroup, idxs []int) error {
	for _, i := range idxs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.createOne(ctx, g, i); err != nil {
			return err
		}
	}
	return nil
}

// createOne creates one transaction. After an ambiguous failure it lists the
// customer's transactions to see whether the create landed, and sends it
// again only when it did not, up to Options.MaxAttempts sends in all.
func (s *Sink) createOne(ctx context.Context, g *txGroup, i int) error {
	var err error
	for attempt := 1; ; attempt++ {
		withCustomer := g.createCustomer
		tx := g.txFor(i, withCustomer)
		_, err = s.t.CreateTransaction(ctx, &tx, withCustomer)
		if api.IsFatal(err) {
			return err
		}
		switch {
		case err == nil:
			g.created(i)
			s.noteCreated(g, []int{i})
			return nil
		case api.IsUnknownPartner(err):
			g.out[i] = rejectFor(g.recs[i], err, record.CodeUnknownPartner, "customer.partner", fmt.Sprintf("customer %s does not exist and its partner %s does not either", g.key, describeRef(g.customer.Partner)))
			return nil
		case api.IsUnknownCustomer(err):
			g.out[i] = rejectFor(g.recs[i], err, record.CodeUnknownCustomer, "customer.key", fmt.Sprintf("customer %s does not exist", g.key))
			return nil
		case errors.Is(err, api.ErrValidation):
			g.out[i] = apiReject(g.recs[i], err)
			return nil
		}
		rest, verr := s.verify(ctx, g, []int{i})
		if verr != nil {
			return verr
		}
		if len(rest) == 0 {
			return nil // it landed
		}
		if attempt >= s.opt.MaxAttempts {
			g.out[i] = rejectFor(g.recs[i], err, record.CodeAPIError, "", fmt.Sprintf("not confirmed after %d attempts, each verified by listing: %v", attempt, err))
			return nil
		}
	}
}

// onCustomer passes what the sink learned of a customer to Options.OnCustomer.
func (s *Sink) onCustomer(key string, created bool) {
	if created {
		s.customersCreated.Add(1)
	}
	if s.opt.OnCustomer != nil {
		s.opt.OnCustomer(key, created)
	}
}

// noteCustomer records in the index that the group's customer now exists.
func (s *Sink) noteCustomer(g *txGroup) {
	if !s.custReady.Load() || s.txCustomers == nil {
		return
	}
	c := api.Customer{Key: g.key, Email: g.customer.Email, Name: g.customer.Name, Surname: g.customer.Surname, Tags: g.customer.Tags}
	s.txCustomers.add(&c)
}

// customerExists says whether a transaction's customer exists: from a
// listing of the customers, taken once at the first need when it costs no
// more than custBudget pages, else by one lookup.
func (s *Sink) customerExists(ctx context.Context, key string) (bool, error) {
	s.listTxCustomers(ctx)
	if s.custErr != nil {
		return false, s.custErr
	}
	if s.txCustomers != nil {
		return s.txCustomers.find(key) != nil, nil
	}
	c, err := s.t.GetCustomer(ctx, key)
	return c != nil, err
}

// listTxCustomers takes the listing of the customers of a transactions
// import, once, within custBudget pages.
func (s *Sink) listTxCustomers(ctx context.Context) {
	s.custOnce.Do(func() {
		s.txCustomers, s.custErr = s.listCustomers(ctx, s.custBudget, true)
		s.custReady.Store(true)
	})
}

// noteCreated records created transactions (and their customer) in the
// indexes, so later rows of the same run see them.
func (s *Sink) noteCreated(g *txGroup, idxs []int) {
	if len(idxs) > 0 {
		if g.createCustomer {
			s.onCustomer(g.key, true)
		}
		g.createCustomer = false
		s.noteCustomer(g)
	}
	if s.txs == nil {
		return
	}
	for _, i := range idxs {
		s.txs.add(g.recs[i].Transaction)
	}
}

// UnverifiedError ends a run when transactions may or may not have landed:
// a create's answer was lost (or a 5xx, or a body not understood) and the
// listing that would tell failed too. Those rows are unfinished, not
// rejected: they may be in the program, and a rejected row fed again by
// another route would pay its commission twice. The rows get no outcome, the
// journal is kept, and the same command resumes and reconciles them against
// the customer's transactions.
type UnverifiedError struct {
	Customer string
	Rows     int
	Err      error // why the listing failed
}

func (e *UnverifiedError) Error() string {
	return fmt.Sprintf("could not tell whether %d transaction(s) of customer %s landed: the create's answer was lost and listing the customer's transactions failed too (%v); stopped so that nothing is sent twice: run the same command again to resume and reconcile",
		e.Rows, e.Customer, e.Err)
}

func (e *UnverifiedError) Unwrap() error { return e.Err }

// DuplicateKeys counts the input's transactions whose key several
// transactions of the program hold: created twice (by two runs importing
// the same rows at once, or outside this tool). The run reports them; it
// cannot tell which one to keep.
func (s *Sink) DuplicateKeys() int64 { return s.dupKeys.Load() }
