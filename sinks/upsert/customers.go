package upsert

import (
	"context"
	"errors"
	"fmt"
	"strings"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// findCustomer returns the target's entry for a customer key, nil when it
// does not exist.
func (s *Sink) findCustomer(ctx context.Context, key string) (*customerEntry, error) {
	if s.customers != nil {
		return s.customers.find(key), nil
	}
	got, err := s.t.GetCustomer(ctx, key)
	if err != nil || got == nil {
		return nil, err
	}
	return entryOfCustomer(got), nil
}

func entryOfCustomer(c *api.Customer) *customerEntry {
	e := &customerEntry{f: customerHashes(c)}
	if c.Partner != nil {
		e.partner = string(c.Partner.ID)
	}
	return e
}

func customerDiff(in *api.Customer, have fieldHashes) *api.CustomerUpdate {
	var u api.CustomerUpdate
	changed := false
	if e := strings.ToLower(strings.TrimSpace(in.Email)); e != "" && hashString(e) != have.email {
		u.Email, changed = &in.Email, true
	}
	if in.Name != "" && hashString(in.Name) != have.name {
		u.Name, changed = &in.Name, true
	}
	if in.Surname != "" && hashString(in.Surname) != have.surname {
		u.Surname, changed = &in.Surname, true
	}
	if in.Tags != nil && have.tagsKnown && hashTags(in.Tags) != have.tags {
		tags := []string(in.Tags)
		u.Tags, changed = &tags, true
	}
	if !changed {
		return nil
	}
	return &u
}

// partnerID resolves a partner reference to the partner's id ("" when no
// such partner exists), with one request per distinct reference at most.
// The API has no bulk way to map referral keys to partners (a listing
// carries no keys), so a run whose rows name partners by key costs one
// partners:search per distinct key on top of the customers listing.
func (s *Sink) partnerID(ctx context.Context, ref *api.PartnerRef) (string, error) {
	if ref.ID != "" {
		return string(ref.ID), nil
	}
	cacheKey := "email:" + strings.ToLower(ref.Email)
	if ref.Email == "" {
		cacheKey = "key:" + ref.Key
	}
	if v, ok := s.partnerIDs.Load(cacheKey); ok {
		return v.(string), nil
	}
	if ref.Email != "" && s.partnerBudget > 0 {
		s.partnerOnce.Do(func() {
			s.partnerList, s.partnerErr = s.listPartners(ctx, s.partnerBudget)
		})
		if s.partnerErr != nil {
			return "", s.partnerErr
		}
		if s.partnerList != nil {
			id := ""
			if e := s.partnerList.find(&api.Partner{Email: ref.Email}); e != nil {
				id = e.id
			}
			return id, nil
		}
	}
	// Workers that miss the same reference at once share one lookup: a
	// re-run's first rows all miss together, and each used to send its own
	// partners:search.
	v, err, _ := s.partnerLookups.Do(cacheKey, func() (any, error) {
		if v, ok := s.partnerIDs.Load(cacheKey); ok {
			return v, nil // resolved between our miss and this call
		}
		got, err := s.t.FindPartner(ctx, api.PartnerRef{Email: ref.Email, Key: ref.Key})
		if err != nil {
			return "", err
		}
		id := ""
		if got != nil {
			id = string(got.ID)
		}
		s.partnerIDs.Store(cacheKey, id)
		return id, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func describeRef(ref *api.PartnerRef) string {
	switch {
	case ref.ID != "":
		return "id " + string(ref.ID)
	case ref.Email != "":
		return "email " + ref.Email
	}
	return "key " + ref.Key
}

func (s *Sink) writeCustomer(ctx context.Context, rec record.Record) (record.Result, error) {
	c := rec.Customer
	have, err := s.findCustomer(ctx, c.Key)
	if api.IsFatal(err) {
		return record.Result{}, err
	}
	if err != nil {
		return apiReject(rec, err), nil
	}
	if have == nil {
		if p := c.Partner; p != nil && (p.ID != "" || p.Email != "" || p.Key != "") && s.opt.DeferCreate != nil && s.opt.DeferCreate(c.Key) {
			// Created inside its first transaction batch, with these
			// fields: a request saved.
			return record.Result{Outcome: record.Created}, nil
		}
		return s.createCustomer(ctx, rec)
	}
	return s.updateCustomer(ctx, rec, have)
}

func (s *Sink) createCustomer(ctx context.Context, rec record.Record) (record.Result, error) {
	c := rec.Customer
	if c.Partner == nil || (c.Partner.ID == "" && c.Partner.Email == "" && c.Partner.Key == "") {
		return reject(rec, record.CodeMissingField, "partner", "a new customer needs its partner (partner.id, partner.key or partner.email)"), nil
	}
	if s.opt.DryRun {
		// Only a read can tell whether the partner exists.
		id, err := s.partnerID(ctx, c.Partner)
		if api.IsFatal(err) {
			return record.Result{}, err
		}
		if err == nil && id == "" {
			return reject(rec, record.CodeUnknownPartner, "partner", fmt.Sprintf("partner %s does not exist", describeRef(c.Partner))), nil
		}
		if s.customers != nil {
			s.customers.add(c)
		}
		return record.Result{Outcome: record.Created}, nil
	}
	created, err := s.t.CreateCustomer(ctx, c)
	if api.IsFatal(err) {
		return record.Result{}, err
	}
	if err == nil {
		if s.customers != nil {
			if created == nil || created.Key == "" {
				created = c
			}
			s.customers.add(created)
		}
		return record.Result{Outcome: record.Created}, nil
	}
	if api.IsUnknownPartner(err) {
		return rejectFor(rec, err, record.CodeUnknownPartner, "partner", fmt.Sprintf("partner %s does not exist", describeRef(c.Partner))), nil
	}
	if errors.Is(err, api.ErrValidation) && !api.IsDuplicate(err) {
		return apiReject(rec, err), nil
	}
	// Taken key or ambiguous failure: the customer may be ours from a lost
	// answer. Look before deciding.
	got, gerr := s.t.GetCustomer(ctx, c.Key)
	if api.IsFatal(gerr) {
		return record.Result{}, gerr
	}
	if gerr != nil || got == nil {
		return apiReject(rec, err), nil
	}
	if s.customers != nil {
		s.customers.add(got)
	}
	have := entryOfCustomer(got)
	if res, conflict, err := s.checkCustomerPartner(ctx, rec, have); conflict || err != nil {
		return res, err
	}
	if customerDiff(c, have.f) == nil {
		if api.IsDuplicate(err) {
			// Taken by someone else (another run importing the same
			// rows), identical: this run created nothing.
			return record.Result{Outcome: record.Unchanged}, nil
		}
		return record.Result{Outcome: record.Created}, nil
	}
	return s.updateCustomer(ctx, rec, have)
}

// checkCustomerPartner rejects a customer that exists under another partner
// than the input says: the API cannot move a customer.
func (s *Sink) checkCustomerPartner(ctx context.Context, rec record.Record, have *customerEntry) (record.Result, bool, error) {
	ref := rec.Customer.Partner
	if ref == nil || (ref.ID == "" && ref.Email == "" && ref.Key == "") || have.partner == "" {
		return record.Result{}, false, nil
	}
	id, err := s.partnerID(ctx, ref)
	if api.IsFatal(err) {
		return record.Result{}, true, err
	}
	if err != nil {
		return apiReject(rec, err), true, nil
	}
	if id == "" {
		return reject(rec, record.CodePartnerConflict, "partner", fmt.Sprintf("customer %s exists under partner %s; partner %s does not exist", rec.Customer.Key, have.partner, describeRef(ref))), true, nil
	}
	if id != have.partner {
		return reject(rec, record.CodePartnerConflict, "partner", fmt.Sprintf("customer %s exists under partner %s, not %s (the API cannot move a customer)", rec.Customer.Key, have.partner, describeRef(ref))), true, nil
	}
	return record.Result{}, false, nil
}

func (s *Sink) updateCustomer(ctx context.Context, rec record.Record, have *customerEntry) (record.Result, error) {
	if res, conflict, err := s.checkCustomerPartner(ctx, rec, have); conflict || err != nil {
		return res, err
	}
	u := customerDiff(rec.Customer, have.f)
	if u == nil {
		return record.Result{Outcome: record.Unchanged}, nil
	}
	if s.opt.DryRun {
		return record.Result{Outcome: record.Updated}, nil
	}
	_, err := s.t.UpdateCustomer(ctx, rec.Customer.Key, u)
	if api.IsFatal(err) {
		return record.Result{}, err
	}
	if err != nil {
		return apiReject(rec, err), nil
	}
	return record.Result{Outcome: record.Updated}, nil
}
