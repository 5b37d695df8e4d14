package sandbox

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// The answer shapes of the API. They are written out here rather than taken
// from the client's types because the wire shape differs from what a client
// sends: tags as [{"value": ..}], a customer's partner as a bare id, nulls
// where Partnero answers null.

type tagOut struct {
	Value string `json:"value"`
}

type partnerOut struct {
	ID           string  `json:"id"`
	Email        string  `json:"email"`
	Name         *string `json:"name"`
	Surname      *string `json:"surname"`
	Approved     bool    `json:"approved"`
	Status       string  `json:"status"`
	CustomFields []any   `json:"custom_fields"`
	CreatedAt    string  `json:"created_at"`
	UpdatedAt    string  `json:"updated_at"`

	// Create, update and get.
	TOS            *bool     `json:"tos,omitempty"`
	ReferralsCount *int      `json:"referrals_count,omitempty"`
	Tags           *[]tagOut `json:"tags,omitempty"`
	ReferralLink   *string   `json:"referral_link,omitempty"`
	ReferralLinks  *[]string `json:"referral_links,omitempty"`

	// Get only.
	Referrals   *referralsOut   `json:"referrals,omitempty"`
	Commissions *commissionsOut `json:"commissions,omitempty"`
}

type moneyOut struct {
	Currency string           `json:"currency"`
	Amount   partnero.Decimal `json:"amount"`
}

type referralsOut struct {
	Clicks       int        `json:"clicks"`
	Signups      int        `json:"signups"`
	Revenue      []moneyOut `json:"revenue"`
	SalesCount   int        `json:"sales_count"`
	PaidAccounts int        `json:"paid_accounts"`
}

type commissionsOut struct {
	Paid    []moneyOut `json:"paid"`
	Pending []moneyOut `json:"pending"`
	NotPaid []moneyOut `json:"not_paid"`
}

type referralLinkOut struct {
	ID        int64  `json:"id"`
	Key       string `json:"key"`
	URL       string `json:"url"`
	Partner   string `json:"partner"`
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	// Documented fields of a link object [doc]; the sandbox's one link per
	// partner is the default one, not additional, without direct tracking
	// (the direct_tracking* members are a guess).
	Default        bool `json:"default"`
	IsAdditional   bool `json:"is_additional"`
	DirectTracking bool `json:"direct_tracking"`
}

type customerOut struct {
	Key       string   `json:"key"`
	Partner   string   `json:"partner"`
	Email     *string  `json:"email"`
	Name      *string  `json:"name"`
	Surname   *string  `json:"surname"`
	Status    string   `json:"status"`
	Deleted   bool     `json:"deleted"`
	Tags      []tagOut `json:"tags"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
	DeletedAt *string  `json:"deleted_at"`
}

type transactionOut struct {
	Key         string           `json:"key"`
	Action      string           `json:"action"`
	Amount      partnero.Decimal `json:"amount"`
	AmountUnits string           `json:"amount_units"`
	Partner     string           `json:"partner"`
	Customer    string           `json:"customer"`
	Credit      bool             `json:"credit"`
	IsCurrency  bool             `json:"is_currency"`
	CreatedAt   string           `json:"created_at"`
	DeletedAt   *string          `json:"deleted_at"`
	Rewards     []rewardOut      `json:"rewards"`
}

type rewardOut struct {
	Key             string           `json:"key"`
	Action          string           `json:"action"`
	Status          string           `json:"status"`
	Amount          partnero.Decimal `json:"amount"`
	AmountUnits     string           `json:"amount_units"`
	Customer        string           `json:"customer"`
	Partner         string           `json:"partner"`
	CreatedAt       string           `json:"created_at"`
	DeletedAt       *string          `json:"deleted_at"`
	ProductTypeData any              `json:"product_type_data"`
}

func ts(t time.Time) string { return t.UTC().Format(partnero.TimeLayout) }

func tsPtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := ts(*t)
	return &s
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func tagList(tags []string) []tagOut {
	out := make([]tagOut, 0, len(tags))
	for _, t := range tags {
		out = append(out, tagOut{Value: t})
	}
	return out
}

func (p *program) referralLink(r *partnerRec) string {
	return p.Website + "?aff=" + url.QueryEscape(r.Key)
}

// partnerView levels: the list item, the create/update answer, the get answer.
const (
	viewList = iota
	viewFull
	viewDetail
)

func (p *program) partnerView(r *partnerRec, level int) partnerOut {
	out := partnerOut{
		ID: r.ID, Email: r.Email, Name: nullable(r.Name), Surname: nullable(r.Surname),
		Approved: r.Status != "pending", Status: r.Status, CustomFields: []any{},
		CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt),
	}
	if level == viewList {
		return out
	}
	tos := true
	link := p.referralLink(r)
	links := []string{link}
	tags := tagList(r.Tags)
	var customers []*customerRec
	for _, c := range p.customers.sorted() {
		if c.PartnerID == r.ID {
			customers = append(customers, c)
		}
	}
	count := len(customers)
	out.TOS, out.ReferralsCount, out.Tags, out.ReferralLink, out.ReferralLinks = &tos, &count, &tags, &link, &links
	if level == viewFull {
		return out
	}
	revenue, paid, notPaid := map[string]partnero.Decimal{}, map[string]partnero.Decimal{}, map[string]partnero.Decimal{}
	sales, paying := 0, 0
	for _, c := range customers {
		if len(c.txs) > 0 {
			paying++
		}
		for _, t := range c.txs {
			sales++
			addMoney(revenue, t.AmountUnits, t.Amount)
			if t.Reward != nil {
				if t.Rewarded {
					addMoney(paid, t.AmountUnits, t.Reward.Amount)
				} else {
					addMoney(notPaid, t.AmountUnits, t.Reward.Amount)
				}
			}
		}
	}
	out.Referrals = &referralsOut{Signups: count, Revenue: moneyList(revenue), SalesCount: sales, PaidAccounts: paying}
	out.Commissions = &commissionsOut{Paid: moneyList(paid), Pending: []moneyOut{}, NotPaid: moneyList(notPaid)}
	return out
}

func addMoney(m map[string]partnero.Decimal, currency string, d partnero.Decimal) {
	sum := m[currency].Rat()
	sum.Add(sum, d.Rat())
	v, err := partnero.ParseDecimal(sum.FloatString(40))
	if err == nil {
		m[currency] = v
	}
}

func moneyList(m map[string]partnero.Decimal) []moneyOut {
	out := make([]moneyOut, 0, len(m))
	for c, v := range m {
		out = append(out, moneyOut{Currency: c, Amount: v})
	}
	slices.SortFunc(out, func(a, b moneyOut) int {
		if a.Currency < b.Currency {
			return -1
		}
		if a.Currency > b.Currency {
			return 1
		}
		return 0
	})
	return out
}

func (p *program) linkView(r *partnerRec) referralLinkOut {
	return referralLinkOut{ID: r.LinkID, Key: r.Key, URL: p.referralLink(r), Partner: r.ID, CreatedAt: ts(r.CreatedAt), UpdatedAt: ts(r.UpdatedAt), Default: true}
}

func customerView(c *customerRec) customerOut {
	return customerOut{
		Key: c.Key, Partner: c.PartnerID, Email: nullable(c.Email), Name: nullable(c.Name), Surname: nullable(c.Surname),
		Status: c.Status, Deleted: c.DeletedAt != nil, Tags: tagList(c.Tags),
		CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt), DeletedAt: tsPtr(c.DeletedAt),
	}
}

func transactionView(t *transactionRec) transactionOut {
	out := transactionOut{
		Key: t.Key, Action: t.Action, Amount: t.Amount, AmountUnits: t.AmountUnits,
		Partner: t.PartnerID, Customer: t.CustomerKey, Credit: false, IsCurrency: true,
		CreatedAt: ts(t.CreatedAt), DeletedAt: tsPtr(t.DeletedAt), Rewards: []rewardOut{},
	}
	if t.Reward != nil {
		var product any = map[string]any{}
		if t.ProductID != "" || len(t.ProductType) > 0 {
			pd := map[string]any{"product_id": nullable(t.ProductID)}
			switch len(t.ProductType) {
			case 0:
				pd["product_type"] = nil
			case 1:
				pd["product_type"] = t.ProductType[0]
			default:
				pd["product_type"] = t.ProductType
			}
			product = pd
		}
		out.Rewards = append(out.Rewards, rewardOut{
			Key: t.Reward.Key, Action: t.Action, Status: t.Reward.Status, Amount: t.Reward.Amount,
			AmountUnits: t.AmountUnits, Customer: t.CustomerKey, Partner: t.PartnerID,
			CreatedAt: ts(t.CreatedAt), DeletedAt: tsPtr(t.DeletedAt), ProductTypeData: product,
		})
	}
	return out
}

// pageParams are the paginator's inputs: limit 1..250 (default 15), page
// from 1, sort asc|desc (default desc: newest first).
type pageParams struct {
	limit, page int64
	asc         bool
}

func (c *call) pageParams(f form) pageParams {
	pp := pageParams{limit: 15, page: 1}
	if n, ok := f.integer("limit", 1, 250); ok {
		pp.limit = n
	}
	if n, ok := f.integer("page", 1, maxInt); ok {
		pp.page = n
	}
	if v, ok := f.raw("sort"); ok {
		switch v {
		case "asc":
			pp.asc = true
		case "desc":
		default:
			f.e.add(f.name("sort"), "The selected sort is invalid.")
		}
	}
	return pp
}

type linksOut struct {
	First string  `json:"first"`
	Last  *string `json:"last"`
	Prev  *string `json:"prev"`
	Next  *string `json:"next"`
}

type metaOut struct {
	CurrentPage int64  `json:"current_page"`
	From        *int64 `json:"from"`
	Path        string `json:"path"`
	PerPage     int64  `json:"per_page"`
	To          *int64 `json:"to"`
}

type pageOut struct {
	Data   any      `json:"data"`
	Links  linksOut `json:"links"`
	Meta   metaOut  `json:"meta"`
	Status int      `json:"status"`
}

// paginate answers one page of items (sorted oldest first) that pass keep
// (nil keeps all), in Laravel's simple paginator envelope: no total, and
// links.next is null on the last page.
func paginate[T any, O any](c *call, pp pageParams, items []T, keep func(T) bool, view func(T) O) response {
	var skip int64
	if pp.page-1 > maxInt/pp.limit {
		skip = maxInt
	} else {
		skip = (pp.page - 1) * pp.limit
	}
	data := make([]O, 0, min(pp.limit, int64(len(items))))
	more := false
	n := int64(len(items))
	at := func(i int64) T {
		if pp.asc {
			return items[i]
		}
		return items[n-1-i]
	}
	if keep == nil {
		if skip < n {
			end := min(skip+pp.limit, n)
			for i := skip; i < end; i++ {
				data = append(data, view(at(i)))
			}
			more = end < n
		}
	} else {
		for i := range n {
			it := at(i)
			if !keep(it) {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			if int64(len(data)) == pp.limit {
				more = true
				break
			}
			data = append(data, view(it))
		}
	}
	path := pathURL(c.r)
	pageURL := func(n int64) *string { s := path + "?page=" + strconv.FormatInt(n, 10); return &s }
	out := pageOut{
		Data:   data,
		Links:  linksOut{First: *pageURL(1)},
		Meta:   metaOut{CurrentPage: pp.page, Path: path, PerPage: pp.limit},
		Status: 1,
	}
	if pp.page > 1 {
		out.Links.Prev = pageURL(pp.page - 1)
	}
	if more {
		out.Links.Next = pageURL(pp.page + 1)
	}
	if len(data) > 0 {
		from := (pp.page-1)*pp.limit + 1
		to := from + int64(len(data)) - 1
		out.Meta.From, out.Meta.To = &from, &to
	}
	return response{status: http.StatusOK, body: out}
}
