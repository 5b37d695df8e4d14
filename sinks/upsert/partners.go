package upsert

import (
	"context"
	"errors"
	"fmt"
	"strings"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// findPartner returns the target's entry for the record's partner, nil when
// it does not exist: from the index when the target was listed, else by a
// lookup (the id when the record has one, else the email). A lookup by email
// answers a list item, which, like the index, may not know the partner's
// tags and key; updatePartner learns them when it must.
func (s *Sink) findPartner(ctx context.Context, p *api.Partner) (*partnerEntry, error) {
	if s.partners != nil {
		return s.partners.find(p), nil
	}
	ref := api.PartnerRef{ID: p.ID}
	if p.ID == "" {
		ref.Email = p.Email
	}
	got, err := s.t.FindPartner(ctx, ref)
	if err != nil || got == nil {
		return nil, err
	}
	return &partnerEntry{id: string(got.ID), f: partnerHashes(got, false)}, nil
}

// partnerDiff is the update that makes the target partner match the input:
// only fields the input sets and the target has otherwise; the password
// never can be compared and is left alone. Tags and the referral key are
// absent from a listing: when the input sets one that have does not know,
// it rides along in the update if another field changed (one PUT either
// way), else partnerDiff returns nil and unknown, and the caller must learn
// the partner's tags and key before it may call the partner unchanged.
// With force, unknown fields are sent rather than reported.
func partnerDiff(in *api.Partner, have fieldHashes, force bool) (u *api.PartnerUpdate, unknown bool) {
	var d api.PartnerUpdate
	changed := false
	if e := strings.ToLower(strings.TrimSpace(in.Email)); e != "" && hashString(e) != have.email {
		d.Email, changed = &in.Email, true
	}
	if in.Name != "" && hashString(in.Name) != have.name {
		d.Name, changed = &in.Name, true
	}
	if in.Surname != "" && hashString(in.Surname) != have.surname {
		d.Surname, changed = &in.Surname, true
	}
	tagsUnknown := in.Tags != nil && !have.tagsKnown
	if in.Tags != nil && have.tagsKnown && hashTags(in.Tags) != have.tags {
		tags := []string(in.Tags)
		d.Tags, changed = &tags, true
	}
	keyUnknown := in.Key != "" && !have.keyKnown
	if in.Key != "" && have.keyKnown && hashString(in.Key) != have.key {
		d.Key, changed = &in.Key, true
	}
	if !changed && !force {
		return nil, tagsUnknown || keyUnknown
	}
	if tagsUnknown {
		tags := []string(in.Tags)
		d.Tags, changed = &tags, true
	}
	if keyUnknown {
		d.Key, changed = &in.Key, true
	}
	if !changed {
		return nil, false
	}
	return &d, false
}

func (s *Sink) writePartner(ctx context.Context, rec record.Record) (record.Result, error) {
	p := rec.Partner
	have, err := s.findPartner(ctx, p)
	if api.IsFatal(err) {
		return record.Result{}, err
	}
	if err != nil {
		return apiReject(rec, err), nil
	}
	if have == nil {
		return s.createPartner(ctx, rec)
	}
	return s.updatePartner(ctx, rec, have)
}

func (s *Sink) createPartner(ctx context.Context, rec record.Record) (record.Result, error) {
	if s.opt.DryRun {
		if s.partners != nil {
			s.partners.add(rec.Partner, true) // a later duplicate is then unchanged
		}
		return record.Result{Outcome: record.Created}, nil
	}
	created, err := s.t.CreatePartner(ctx, rec.Partner)
	if api.IsFatal(err) {
		return record.Result{}, err
	}
	if err == nil {
		if s.partners != nil {
			merged := *rec.Partner
			if created != nil && created.ID != "" {
				merged.ID = created.ID
			}
			s.partners.add(&merged, true)
		}
		return record.Result{Outcome: record.Created}, nil
	}
	// A refused create may be our own earlier create whose answer was lost
	// (the identity is taken), and an ambiguous failure may have landed:
	// look again before deciding.
	if errors.Is(err, api.ErrValidation) && !api.IsDuplicate(err) {
		return apiReject(rec, err), nil
	}
	got, ferr := s.t.FindPartner(ctx, partnerRefOf(rec.Partner))
	if api.IsFatal(ferr) {
		return record.Result{}, ferr
	}
	if ferr != nil || got == nil {
		return apiReject(rec, err), nil
	}
	have := &partnerEntry{id: string(got.ID), f: partnerHashes(got, false)}
	if s.partners != nil {
		s.partners.add(got, false)
	}
	if api.IsDuplicate(err) {
		// The identity was taken by someone else (another run importing
		// the same rows): what this run did is at most an update.
		return s.updatePartner(ctx, rec, have)
	}
	if u, unknown := partnerDiff(rec.Partner, have.f, false); u == nil && !unknown {
		return record.Result{Outcome: record.Created}, nil
	}
	return s.updatePartner(ctx, rec, have)
}

func partnerRefOf(p *api.Partner) api.PartnerRef {
	if p.ID != "" {
		return api.PartnerRef{ID: p.ID}
	}
	return api.PartnerRef{Email: p.Email}
}

func (s *Sink) updatePartner(ctx context.Context, rec record.Record, have *partnerEntry) (record.Result, error) {
	u, unknown := partnerDiff(rec.Partner, have.f, false)
	if unknown {
		// The input gives tags or a key and every field the listing could
		// compare is identical: only GET /partners/{id} has the tags and
		// the key (in its referral link). This costs one request per such
		// partner on a re-run; rows that give neither cost none.
		got, err := s.t.FindPartner(ctx, api.PartnerRef{ID: api.ID(have.id)})
		if api.IsFatal(err) {
			return record.Result{}, err
		}
		if err != nil {
			return apiReject(rec, err), nil
		}
		if got == nil {
			return reject(rec, record.CodeAPIError, "", fmt.Sprintf("partner %s was listed but cannot be read", have.id)), nil
		}
		if got.ID == "" {
			got.ID = api.ID(have.id)
		}
		have = &partnerEntry{id: have.id, f: partnerHashes(got, false)}
		if s.partners != nil {
			s.partners.add(got, false)
		}
		// A field the answer still lacks is sent, never called unchanged.
		u, _ = partnerDiff(rec.Partner, have.f, true)
	}
	if u == nil {
		return record.Result{Outcome: record.Unchanged}, nil
	}
	if s.opt.DryRun {
		return record.Result{Outcome: record.Updated}, nil
	}
	updated, err := s.t.UpdatePartner(ctx, have.id, u)
	if api.IsFatal(err) {
		return record.Result{}, err
	}
	if err != nil {
		return apiReject(rec, err), nil
	}
	if s.partners != nil {
		merged := *rec.Partner
		merged.ID = api.ID(have.id)
		if updated != nil && updated.Tags != nil {
			merged.Tags = updated.Tags
		}
		s.partners.add(&merged, have.f.tagsKnown || rec.Partner.Tags != nil)
	}
	return record.Result{Outcome: record.Updated}, nil
}
