package sandbox

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// seedLists seeds n objects of each other list endpoint.
func (e *env) seedLists(n int) {
	e.t.Helper()
	body := map[string][]map[string]any{}
	for i := 1; i <= n; i++ {
		day := fmt.Sprintf("2025-04-%02d", i%28+1)
		body["leads"] = append(body["leads"], map[string]any{"created_at": day, "lead_info": map[string]any{"name": fmt.Sprintf("Lead %d", i), "email": fmt.Sprintf("l%d@example.com", i)}})
		body["coupons"] = append(body["coupons"], map[string]any{"uuid": fmt.Sprintf("cpn_%03d", i), "name": "C", "created_at": day + "T10:00:00.000000Z"})
		body["promotion_codes"] = append(body["promotion_codes"], map[string]any{"code": fmt.Sprintf("CODE%d", i), "coupon_uuid": "cpn_001", "created_at": day + "T10:00:00.000000Z"})
		body["payout_requests"] = append(body["payout_requests"], map[string]any{"amount": "10.50", "amount_units": "USD", "partner": map[string]any{"id": "p1"}, "created_at": day + "T10:00:00.000000Z"})
		body["webhooks"] = append(body["webhooks"], map[string]any{"name": fmt.Sprintf("hook %d", i), "url": "https://example.com/h", "created_at": day + "T10:00:00.000000Z"})
	}
	e.must(http.StatusOK, e.do(http.MethodPost, "/_sandbox/seed", body))
}

// TestListEndpointsContract: each of the other list endpoints answers the
// paginator's envelope, pages to the end with links.next null, and holds
// its documented limit range (a 422 on limit outside it).
func TestListEndpointsContract(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedLists(23)
	for _, tt := range []struct {
		path              string
		lo, hi, def       int
		sorts             bool
		idField, notField string
	}{
		{"/v1/leads", 1, 250, 15, true, "id", ""},
		{"/v1/coupons", 1, 250, 15, true, "uuid", ""},
		{"/v1/promotion-codes", 10, 100, 10, true, "code", ""},
		{"/v1/payout_requests", 1, 250, 15, true, "id", ""},
		{"/v1/webhooks", 10, 100, 10, false, "key", ""},
	} {
		t.Run(tt.path, func(t *testing.T) {
			r := e.must(http.StatusOK, e.do(http.MethodGet, tt.path, nil))
			if got := len(r.list("data")); got != tt.def {
				t.Errorf("default page holds %d, want %d", got, tt.def)
			}
			if r.field("meta.per_page") != fmt.Sprint(tt.def) || r.field("meta.current_page") != "1" || present(r.body, "meta.total") || !present(r.body, "links.next") {
				t.Errorf("envelope: %s", r.raw)
			}
			for _, bad := range []int{tt.lo - 1, tt.hi + 1} {
				r := e.do(http.MethodGet, fmt.Sprintf("%s?limit=%d", tt.path, bad), nil)
				if r.status != http.StatusUnprocessableEntity || !present(r.body, "errors.limit") {
					t.Errorf("limit=%d: %d %s", bad, r.status, r.raw)
				}
			}
			// Page through at the smallest allowed size: every object once, in order.
			seen := map[string]bool{}
			var last string
			for page := 1; page < 100; page++ {
				q := fmt.Sprintf("%s?limit=%d&page=%d", tt.path, max(tt.lo, 10), page)
				if tt.sorts {
					q += "&sort=asc"
				}
				r := e.must(http.StatusOK, e.do(http.MethodGet, q, nil))
				for _, it := range r.list("data") {
					id := str(get(it, tt.idField))
					if id == "" || seen[id] {
						t.Fatalf("page %d: id %q empty or seen twice", page, id)
					}
					seen[id] = true
					created := str(get(it, "created_at"))
					if tt.sorts && created < last {
						t.Errorf("sort=asc: %s after %s", created, last)
					}
					last = created
				}
				if get(r.body, "links.next") == nil {
					break
				}
			}
			if len(seen) != 23 {
				t.Errorf("paged %d objects, seeded 23", len(seen))
			}
		})
	}
	t.Run("webhooks answer their signing secret", func(t *testing.T) {
		r := e.must(http.StatusOK, e.do(http.MethodGet, "/v1/webhooks?limit=10", nil))
		if !strings.HasPrefix(str(get(r.list("data")[0], "signature")), "whsec_") {
			t.Errorf("no signature: %s", r.raw)
		}
	})
	t.Run("payout currency is lower case", func(t *testing.T) {
		r := e.must(http.StatusOK, e.do(http.MethodGet, "/v1/payout_requests?limit=1", nil))
		if got := str(get(r.list("data")[0], "amount_units")); got != "usd" {
			t.Errorf("amount_units %q", got)
		}
	})
	t.Run("leads carry a date", func(t *testing.T) {
		r := e.must(http.StatusOK, e.do(http.MethodGet, "/v1/leads?limit=1&sort=asc", nil))
		if got := str(get(r.list("data")[0], "created_at")); len(got) != len("2025-04-02") {
			t.Errorf("created_at %q", got)
		}
	})
	t.Run("wide promotion code limit", func(t *testing.T) {
		wide := newEnv(t, Config{PromotionCodesWideLimit: true})
		wide.must(http.StatusOK, wide.do(http.MethodGet, "/v1/promotion-codes?limit=250", nil))
		e.must(http.StatusUnprocessableEntity, e.do(http.MethodGet, "/v1/promotion-codes?limit=250", nil))
	})
	t.Run("seed refuses an unknown list and needs a key", func(t *testing.T) {
		r := e.do(http.MethodPost, "/_sandbox/seed", map[string]any{"orders": []any{map[string]any{}}})
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.raw, "orders") {
			t.Errorf("%d %s", r.status, r.raw)
		}
		e.must(http.StatusUnauthorized, e.doKey("nobody", http.MethodPost, "/_sandbox/seed", map[string]any{}))
	})
	t.Run("reset empties them", func(t *testing.T) {
		other := newEnv(t, Config{})
		other.seedLists(2)
		other.must(http.StatusOK, other.do(http.MethodPost, "/_sandbox/reset", nil))
		if n := len(other.must(http.StatusOK, other.do(http.MethodGet, "/v1/leads", nil)).list("data")); n != 0 {
			t.Errorf("%d leads after reset", n)
		}
	})
}

// TestReferralLinkObject: the documented link fields.
func TestReferralLinkObject(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "zoe", "zoe@example.com")
	r := e.must(http.StatusOK, e.do(http.MethodGet, "/v1/partners/p1/referral_links", nil))
	l := r.list("data")
	if len(l) != 1 || str(get(l[0], "key")) != "zoe" || str(get(l[0], "default")) != "true" || str(get(l[0], "is_additional")) != "false" {
		t.Errorf("%s", r.raw)
	}
}
