package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// The other list endpoints of the contract ("Other list endpoints"):
// leads, coupons, promotion codes, payout requests and webhooks. The
// sandbox serves them from objects seeded through POST /_sandbox/seed (the
// API's own create routes for them are outside the contract), filling the
// fields a real answer always has (ids, times, a webhook's signing secret).
// What the contract leaves open is marked in README.md.

// extraData is one program's objects of the other list endpoints, guarded
// by the program's mu.
type extraData struct {
	seq   int64
	items map[string][]*extraItem // by endpoint name, oldest first
}

type extraItem struct {
	seq       int64
	createdAt time.Time
	obj       map[string]any
}

// extraStore holds every program's extraData (Server.extras): beside the
// programs rather than in them, so the data file's format does not change
// (seeded objects are not saved: a restarted sandbox is seeded again).
type extraStore struct {
	mu sync.Mutex
	m  map[*program]*extraData
}

func (e *extraStore) of(p *program) *extraData {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.m == nil {
		e.m = map[*program]*extraData{}
	}
	d := e.m[p]
	if d == nil {
		d = &extraData{items: map[string][]*extraItem{}}
		e.m[p] = d
	}
	return d
}

func (e *extraStore) reset(p *program) {
	e.mu.Lock()
	delete(e.m, p)
	e.mu.Unlock()
}

// listEndpoint is one of the other list endpoints: its name in seeds, and
// the limit range and default the sandbox enforces.
type listEndpoint struct {
	name          string
	lo, hi, def   int64
	sorts         bool
	idField       string
	dateOnly      bool // created_at as Y-m-d (leads, per the docs)
	fill          func(p *program, obj map[string]any, now time.Time)
	wideLimitable bool // Config.PromotionCodesWideLimit switches to 1..250
}

var listEndpoints = []*listEndpoint{
	{name: "leads", lo: 1, hi: 250, def: 15, sorts: true, idField: "id", dateOnly: true, fill: fillLead},
	{name: "coupons", lo: 1, hi: 250, def: 15, sorts: true, idField: "uuid", fill: fillCoupon},
	// Two doc versions: 1..250 (default 15) or 10..100 (default 10). The
	// sandbox takes the stricter unless configured otherwise.
	{name: "promotion_codes", lo: 10, hi: 100, def: 10, sorts: true, idField: "id", fill: fillPromotionCode, wideLimitable: true},
	// Undocumented range [guess]: the paginator's usual 1..250.
	{name: "payout_requests", lo: 1, hi: 250, def: 15, sorts: true, idField: "id", fill: fillPayoutRequest},
	{name: "webhooks", lo: 10, hi: 100, def: 10, sorts: false, idField: "key", fill: fillWebhook},
}

func listEndpointNamed(name string) *listEndpoint {
	for _, e := range listEndpoints {
		if e.name == name {
			return e
		}
	}
	return nil
}

// listRoutes are the routes of the other list endpoints.
func listRoutes() []struct {
	method, pattern string
	h               func(*call) response
} {
	return []struct {
		method, pattern string
		h               func(*call) response
	}{
		{"GET", "/leads", listExtra("leads")},
		{"GET", "/coupons", listExtra("coupons")},
		{"GET", "/promotion-codes", listExtra("promotion_codes")},
		{"GET", "/payout_requests", listExtra("payout_requests")},
		{"GET", "/webhooks", listExtra("webhooks")},
	}
}

func listExtra(name string) func(*call) response {
	ep := listEndpointNamed(name)
	return func(c *call) response {
		lo, hi, def := ep.lo, ep.hi, ep.def
		if ep.wideLimitable && c.s.cfg.PromotionCodesWideLimit {
			lo, hi, def = 1, 250, 15
		}
		f := c.form()
		pp := pageParams{limit: def, page: 1}
		if n, ok := f.integer("limit", lo, hi); ok {
			pp.limit = n
		}
		if n, ok := f.integer("page", 1, maxInt); ok {
			pp.page = n
		}
		if v, ok := f.raw("sort"); ok && ep.sorts {
			switch v {
			case "asc":
				pp.asc = true
			case "desc":
			default:
				f.e.add(f.name("sort"), "The selected sort is invalid.")
			}
		}
		if !f.e.empty() {
			return f.e.response()
		}
		items := c.s.extras.of(c.p).items[name]
		return paginate(c, pp, items, nil, func(it *extraItem) map[string]any { return it.obj })
	}
}

// seedBody is what POST /_sandbox/seed takes: lists of objects per
// endpoint, as the API would answer them (missing ids and times are made up).
type seedBody map[string][]map[string]any

// seed adds objects to the program of the request's key.
func (s *Server) seed(r *http.Request) response {
	p := s.programs[bearer(r)]
	if p == nil {
		return response{status: http.StatusUnauthorized, body: messageBody{Message: "Unauthenticated."}, plain: true}
	}
	var body seedBody
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil {
		return response{status: http.StatusUnprocessableEntity, body: messageBody{Message: "seed: " + err.Error()}, plain: true}
	}
	for name := range body {
		if listEndpointNamed(name) == nil {
			return response{status: http.StatusUnprocessableEntity, body: messageBody{Message: fmt.Sprintf("seed: unknown list %q: want leads, coupons, promotion_codes, payout_requests or webhooks", name)}, plain: true}
		}
	}
	now := time.Now().UTC().Truncate(time.Second)
	p.mu.Lock()
	defer p.mu.Unlock()
	d := s.extras.of(p)
	counts := map[string]int{}
	for _, ep := range listEndpoints {
		for i, obj := range body[ep.name] {
			if obj == nil {
				return response{status: http.StatusUnprocessableEntity, body: messageBody{Message: fmt.Sprintf("seed: %s[%d] is not an object", ep.name, i)}, plain: true}
			}
			d.seq++
			if _, ok := obj[ep.idField]; !ok && ep.idField == "id" {
				obj["id"] = d.seq
			}
			created := now
			if v, ok := obj["created_at"].(string); ok {
				if t, err := parseSeedTime(v); err == nil {
					created = t
				}
			} else if ep.dateOnly {
				obj["created_at"] = now.Format("2006-01-02")
			} else {
				obj["created_at"] = ts(now)
			}
			if _, ok := obj["updated_at"]; !ok && !ep.dateOnly {
				obj["updated_at"] = obj["created_at"]
			}
			ep.fill(p, obj, now)
			d.items[ep.name] = append(d.items[ep.name], &extraItem{seq: d.seq, createdAt: created, obj: obj})
			counts[ep.name]++
		}
		slices.SortStableFunc(d.items[ep.name], func(a, b *extraItem) int {
			if c := a.createdAt.Compare(b.createdAt); c != 0 {
				return c
			}
			return int(a.seq - b.seq)
		})
	}
	return response{status: http.StatusOK, body: counts, plain: true}
}

func parseSeedTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: %q", s)
}

func setDefault(obj map[string]any, k string, v any) {
	if _, ok := obj[k]; !ok {
		obj[k] = v
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails
	return hex.EncodeToString(b)
}

func fillLead(_ *program, obj map[string]any, _ time.Time) {
	setDefault(obj, "status", "submitted")
	setDefault(obj, "lead_info", map[string]any{"name": nil, "email": nil})
	setDefault(obj, "converted_to", nil)
	setDefault(obj, "submission_form", []any{})
	status, _ := obj["status"].(string)
	setDefault(obj, "can_be_converted", status == "submitted")
	setDefault(obj, "can_be_rejected", status == "submitted")
}

func fillCoupon(_ *program, obj map[string]any, _ time.Time) {
	setDefault(obj, "uuid", "cpn_"+randomHex(8))
	setDefault(obj, "coupon_discount_type", "percent")
	setDefault(obj, "coupon_duration_type", "once")
	setDefault(obj, "promotion_codes", []any{})
	setDefault(obj, "metadata", nil)
}

func fillPromotionCode(_ *program, obj map[string]any, _ time.Time) {
	setDefault(obj, "times_redeemed", 0)
	setDefault(obj, "metadata", nil)
}

func fillPayoutRequest(_ *program, obj map[string]any, _ time.Time) {
	setDefault(obj, "status", "requested")
	setDefault(obj, "reward_ids", []any{})
	if u, ok := obj["amount_units"].(string); ok {
		obj["amount_units"] = lower(u) // lower case, as the n8n node shows
	}
}

func fillWebhook(_ *program, obj map[string]any, _ time.Time) {
	setDefault(obj, "key", "wh_"+randomHex(6))
	setDefault(obj, "is_active", true)
	setDefault(obj, "events", []any{})
	// The signing secret the real API answers with: an export must drop it.
	setDefault(obj, "signature", "whsec_"+randomHex(16))
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
