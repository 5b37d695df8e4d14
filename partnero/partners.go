package partnero

import (
	"context"
	"errors"
	"iter"
	"net/http"
	"net/url"
)

// PartnersService is the /partners resource. A partner is addressed by its
// id (a referral key in that slot is "not found").
type PartnersService struct{ c *Client }

// PartnerQuery selects partners to search for; set exactly the fields to match.
type PartnerQuery struct {
	ID, Key, Email string
}

// List returns one page of partners.
func (s *PartnersService) List(ctx context.Context, opts ListOptions) (*Page[Partner], error) {
	return list[Partner](ctx, s.c, "GET /partners", "partners", opts, nil)
}

// All iterates every partner, 250 per request unless opts.Limit says otherwise.
func (s *PartnersService) All(ctx context.Context, opts ListOptions) iter.Seq2[Partner, error] {
	return all[Partner](ctx, s.c, "GET /partners", "partners", opts)
}

// Pages iterates every page of partners, each with the items' raw JSON (for
// exports that keep fields the types do not know).
func (s *PartnersService) Pages(ctx context.Context, opts ListOptions) iter.Seq2[*Page[Partner], error] {
	return pages[Partner](ctx, s.c, "GET /partners", "partners", opts)
}

// Get returns one partner by id.
func (s *PartnersService) Get(ctx context.Context, id string) (*Partner, error) {
	seg, err := segment("partner id", id)
	if err != nil {
		return nil, err
	}
	var p Partner
	if err := s.c.get(ctx, "GET /partners/{id}", "partners/"+seg, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// Search returns the partners matching q (GET /partners:search), paginated.
func (s *PartnersService) Search(ctx context.Context, q PartnerQuery, opts ListOptions) (*Page[Partner], error) {
	extra := url.Values{}
	setIf(extra, "id", q.ID)
	setIf(extra, "key", q.Key)
	setIf(extra, "email", q.Email)
	if len(extra) == 0 {
		return nil, errors.New("search partners: empty query")
	}
	return list[Partner](ctx, s.c, "GET /partners:search", "partners:search", opts, extra)
}

// Create creates a partner and returns it as the API answered.
func (s *PartnersService) Create(ctx context.Context, p *Partner) (*Partner, error) {
	if p == nil {
		return nil, errors.New("create partner: nil partner")
	}
	var out Partner
	if err := s.c.call(ctx, request{method: http.MethodPost, route: "POST /partners", path: "partners", body: p}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Update changes the fields u sets on the partner with this id.
func (s *PartnersService) Update(ctx context.Context, id string, u *PartnerUpdate) (*Partner, error) {
	seg, err := segment("partner id", id)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, errors.New("update partner: nil update")
	}
	body := struct {
		Update *PartnerUpdate `json:"update"`
	}{u}
	var out Partner
	if err := s.c.call(ctx, request{method: http.MethodPut, route: "PUT /partners/{id}", path: "partners/" + seg, body: body}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Delete deletes the partner permanently.
func (s *PartnersService) Delete(ctx context.Context, id string) error {
	return s.action(ctx, http.MethodDelete, id, "")
}

// Archive soft-deletes the partner.
func (s *PartnersService) Archive(ctx context.Context, id string) error {
	return s.action(ctx, http.MethodPost, id, "archive")
}

// RestoreArchive restores an archived partner.
func (s *PartnersService) RestoreArchive(ctx context.Context, id string) error {
	return s.action(ctx, http.MethodPost, id, "revoke-archive")
}

func (s *PartnersService) action(ctx context.Context, method, id, verb string) error {
	seg, err := segment("partner id", id)
	if err != nil {
		return err
	}
	return s.c.call(ctx, actionRequest(method, "partners", "{id}", seg, verb), nil)
}

// ReferralLinks returns one page of the partner's referral links: the only
// place list answers carry referral keys.
func (s *PartnersService) ReferralLinks(ctx context.Context, id string, opts ListOptions) (*Page[ReferralLink], error) {
	seg, err := segment("partner id", id)
	if err != nil {
		return nil, err
	}
	return list[ReferralLink](ctx, s.c, "GET /partners/{id}/referral_links", "partners/"+seg+"/referral_links", opts, nil)
}

// actionRequest builds DELETE /things/{id} or POST /things/{id}/verb.
func actionRequest(method, resource, param, seg, verb string) request {
	r := request{method: method, route: method + " /" + resource + "/" + param, path: resource + "/" + seg}
	if verb != "" {
		r.route += "/" + verb
		r.path += "/" + verb
	}
	return r
}

func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}
