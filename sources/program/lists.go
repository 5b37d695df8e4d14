package program

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// rawLister is what the other list endpoints need of the API: one page of
// raw objects. The source decodes them itself, so one method serves every
// endpoint. clientLister provides it.
type rawLister interface {
	rawPage(ctx context.Context, r partnero.ListRoute, page, limit int, sort string) (*partnero.Page[json.RawMessage], error)
}

func (l clientLister) rawPage(ctx context.Context, r partnero.ListRoute, page, limit int, sort string) (*partnero.Page[json.RawMessage], error) {
	return partnero.ListPage[json.RawMessage](ctx, l.c, r, partnero.ListOptions{Page: page, Limit: limit, Sort: sort})
}

// ListRoute returns the endpoint an export-only entity is read from.
func ListRoute(e record.Entity) (partnero.ListRoute, bool) {
	switch e {
	case record.Leads:
		return partnero.LeadsRoute, true
	case record.Coupons:
		return partnero.CouponsRoute, true
	case record.PromotionCodes:
		return partnero.PromotionCodesRoute, true
	case record.PayoutRequests:
		return partnero.PayoutRequestsRoute, true
	case record.Webhooks:
		return partnero.WebhooksRoute, true
	}
	return partnero.ListRoute{}, false
}

// firstPage fetches page 1 at the largest page size the endpoint accepts
// and returns it with that size, which every later page must use (page n
// holds items (n-1)*limit+1..n*limit). The docs disagree on some limits: a
// 422 on limit is retried with the fallback size, then with the documented
// maximum (a size below an endpoint's minimum, such as webhooks' 10), once
// each; and a server that serves fewer per page than asked (per_page) is
// taken at its word, so a short first page is never mistaken for the last.
func firstPage(ctx context.Context, api rawLister, r partnero.ListRoute, limit int, sort string) (*partnero.Page[json.RawMessage], int, error) {
	tries := []int{min(limit, r.MaxLimit)}
	for _, n := range []int{r.FallbackLimit, r.MaxLimit} {
		if n > 0 && !slices.Contains(tries, n) {
			tries = append(tries, n)
		}
	}
	var err error
	for _, limit := range tries {
		var p *partnero.Page[json.RawMessage]
		p, err = api.rawPage(ctx, r, 1, limit, sort)
		if err != nil {
			if partnero.IsLimitRefused(err) {
				continue
			}
			return nil, 0, err
		}
		if p.PerPage > 0 && p.PerPage < limit {
			limit = p.PerPage
		}
		return p, limit, nil
	}
	return nil, 0, err
}

// eachList reads an export-only entity: every object of its list endpoint,
// oldest first where the endpoint sorts, decoded liberally. A webhook's
// signing secret is removed from the raw object before anything sees it.
func (s *Source) eachList(ctx context.Context, entity record.Entity, yield func(record.Record) error) (Stats, error) {
	r, ok := ListRoute(entity)
	if !ok {
		return Stats{}, fmt.Errorf("cannot export %q", entity)
	}
	api, ok := s.api.(rawLister)
	if !ok {
		return Stats{}, fmt.Errorf("export %s: this source cannot read %s", entity, r.Route)
	}
	sort := ""
	if r.Sorts {
		sort = "asc"
	}
	first, limit, err := firstPage(ctx, api, r, s.opts.Limit, sort)
	if err != nil {
		return Stats{}, fmt.Errorf("page 1: %w", err)
	}
	p := newPager(s, limit, rawIdentity, func(ctx context.Context, page int) (batch[json.RawMessage], error) {
		if page == 1 {
			return batch[json.RawMessage]{Items: first.Items, Raw: first.Raw, HasNext: first.HasNext}, nil
		}
		return toBatch(api.rawPage(ctx, r, page, limit, sort))
	})
	err = each(ctx, p, func(it partnero.Item[json.RawMessage]) error {
		rec, err := decodeListRecord(entity, it.Raw)
		if err != nil {
			return fmt.Errorf("%s page %d item %d: %w", r.Route, it.Page, it.Index+1, err)
		}
		rec.Origin = record.Origin{File: r.Route, Line: int64((it.Page-1)*limit + it.Index + 1)}
		return yield(rec)
	})
	return Stats{Pages: p.Pages(), Shifted: p.Shifted()}, err
}

// rawIdentity names an object by its bytes: a record a shifted page shows
// again is the very same object.
func rawIdentity(_ json.RawMessage, raw json.RawMessage) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:16])
}

// decodeListRecord decodes one object of an export-only entity.
func decodeListRecord(entity record.Entity, raw json.RawMessage) (record.Record, error) {
	rec := record.Record{Entity: entity, Raw: raw}
	var err error
	switch entity {
	case record.Leads:
		rec.Lead = new(partnero.Lead)
		err = json.Unmarshal(raw, rec.Lead)
	case record.Coupons:
		rec.Coupon = new(partnero.Coupon)
		err = json.Unmarshal(raw, rec.Coupon)
	case record.PromotionCodes:
		rec.PromotionCode = new(partnero.PromotionCode)
		err = json.Unmarshal(raw, rec.PromotionCode)
	case record.PayoutRequests:
		rec.PayoutRequest = new(partnero.PayoutRequest)
		err = json.Unmarshal(raw, rec.PayoutRequest)
	case record.Webhooks:
		// The secret goes before anything else sees the object.
		if rec.Raw, err = partnero.StripSecrets(raw, partnero.WebhookSecretFields); err != nil {
			return rec, err
		}
		rec.Webhook = new(partnero.Webhook)
		err = json.Unmarshal(rec.Raw, rec.Webhook)
	default:
		err = fmt.Errorf("no decoder for %s", entity)
	}
	return rec, err
}

// ReferAFriendError says the key belongs to a refer-a-friend program: its
// customers and transactions carry referring_customer/referred_customer
// instead of a partner, which this tool does not read.
type ReferAFriendError struct {
	Route, Field string
}

func (e *ReferAFriendError) Error() string {
	return fmt.Sprintf("this API key belongs to a refer-a-friend program (%s answers with %q): partnero-etl exports affiliate programs only; its partners, customers and transactions tables would be wrong", e.Route, e.Field)
}

// referAFriendFields are the fields only refer-a-friend programs' customers
// and transactions carry (the API contract, "Other list endpoints").
var referAFriendFields = []string{"referring_customer", "referred_customer"}

// CheckProgramKind looks at one customer and one transaction (two requests
// of one record each, sent together) and returns a *ReferAFriendError when they have the
// refer-a-friend shape. An empty program passes: nothing can be misread.
func CheckProgramKind(ctx context.Context, c *partnero.Client) error {
	return checkProgramKind(ctx, clientLister{c})
}

func checkProgramKind(ctx context.Context, api rawLister) error {
	routes := []partnero.ListRoute{
		{Route: "GET /customers", Path: "customers", MaxLimit: 250},
		{Route: "GET /transactions", Path: "transactions", MaxLimit: 250},
	}
	// Both at once: the export waits for this check, and two round trips
	// one after the other are a tenth of a second of a 20/s budget's
	// pages. The answers are read in order, so what is reported does not
	// depend on which came first.
	pages := make([]*partnero.Page[json.RawMessage], len(routes))
	errs := make([]error, len(routes))
	var wg sync.WaitGroup
	for i, r := range routes {
		wg.Go(func() { pages[i], errs[i] = api.rawPage(ctx, r, 1, 1, "") })
	}
	wg.Wait()
	for i, r := range routes {
		if errs[i] != nil {
			return fmt.Errorf("check the program's kind: %w", errs[i])
		}
		for _, raw := range pages[i].Raw {
			if f := referAFriendField(raw); f != "" {
				return &ReferAFriendError{Route: r.Route, Field: f}
			}
		}
	}
	return nil
}

func referAFriendField(raw json.RawMessage) string {
	if !bytes.Contains(raw, []byte("_customer")) {
		return "" // the cheap test first
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	for _, f := range referAFriendFields {
		if _, ok := m[f]; ok {
			return f
		}
	}
	return ""
}

// IsListEntity reports whether e is read by eachList.
func IsListEntity(e record.Entity) bool { return slices.Contains(record.ListEntities, e) }
