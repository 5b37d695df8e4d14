package partnero_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
)

// The example objects below follow the fields the API contract lists for
// each endpoint ("Other list endpoints"), which it took from Partnero's API
// reference (docs.partnero.com, developers.partnero.com: leads, coupons,
// promotion codes, webhooks, referral links) and, for payout requests, from
// the official n8n node (partnero/n8n-nodes-partnero,
// nodes/Partnero/resources/payoutRequest). The variants are the ones a
// liberal client must survive: numbers as strings, 0/1 flags, renamed fields.

func TestDecodeLead(t *testing.T) {
	const doc = `{"id": 17, "status": "converted", "created_at": "2025-04-30",
		"lead_info": {"name": "Ann Lee", "email": "ann@example.com"},
		"converted_to": {"key": "cus_9", "name": "Ann Lee", "email": "ann@example.com"},
		"submitter": {"id": "p_1", "name": "Zoë", "email": "zoe@example.com"},
		"submission_form": [{"question": "Company", "answer": "Acme"}],
		"can_be_converted": false, "can_be_rejected": 0, "future_field": {"x": 1}}`
	var l partnero.Lead
	if err := json.Unmarshal([]byte(doc), &l); err != nil {
		t.Fatal(err)
	}
	if l.ID != "17" || l.Status != "converted" || l.LeadInfo.Email != "ann@example.com" || l.Submitter.ID != "p_1" ||
		l.ConvertedTo == nil || l.ConvertedTo.Key != "cus_9" || l.CanBeConverted == nil || *l.CanBeConverted ||
		l.CanBeRejected == nil || *l.CanBeRejected {
		t.Errorf("%+v", l)
	}
	if !l.CreatedAt.Equal(time.Date(2025, 4, 30, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("created_at %v", l.CreatedAt)
	}
	if !strings.Contains(string(l.SubmissionForm), `"answer": "Acme"`) {
		t.Errorf("submission_form %s", l.SubmissionForm)
	}
	var unconverted partnero.Lead
	if err := json.Unmarshal([]byte(`{"id":"18","status":"submitted","converted_to":null,"submitter":5}`), &unconverted); err != nil {
		t.Fatal(err)
	}
	if unconverted.ConvertedTo != nil || unconverted.Submitter.ID != "5" {
		t.Errorf("%+v", unconverted)
	}
}

func TestDecodeCoupon(t *testing.T) {
	const doc = `{"uuid": "c0f1", "name": "Spring", "uuid_code": "SPRING", "coupon_discount_type": "percent",
		"coupon_discount_amount": "15.50", "coupon_duration_type": "months", "coupon_duration_value": "3",
		"redemption_times_value": 100, "redemption_date_value": "2025-12-31", "promotion_codes": [{"code": "ZOE15"}],
		"metadata": {"campaign": "spring"}, "created_at": "2025-04-30T16:44:13.000000Z", "updated_at": 1746031453}`
	var c partnero.Coupon
	if err := json.Unmarshal([]byte(doc), &c); err != nil {
		t.Fatal(err)
	}
	if c.UUID != "c0f1" || c.DiscountAmount == nil || c.DiscountAmount.String() != "15.5" || c.DurationValue == nil || *c.DurationValue != 3 {
		t.Errorf("%+v", c)
	}
	if string(c.Redemption) != `{"redemption_times_value":100,"redemption_date_value":"2025-12-31"}` {
		t.Errorf("redemption %s", c.Redemption)
	}
	if c.UpdatedAt == nil || !c.UpdatedAt.Equal(time.Unix(1746031453, 0)) {
		t.Errorf("updated_at %v", c.UpdatedAt)
	}
}

func TestDecodePromotionCode(t *testing.T) {
	for _, doc := range []string{
		`{"id": 4, "code": "ZOE15", "coupon_uuid": "c0f1", "partner": {"id": "p_1"}, "minimum_amount": 20, "expires_at": null, "times_redeemed": 7, "is_active": true}`,
		// The older doc version's name for the coupon.
		`{"id": "4", "code": "ZOE15", "coupon_id": "c0f1", "partner": {"id": "p_1"}, "minimum_amount": "20", "times_redeemed": "7", "is_active": 1}`,
	} {
		var p partnero.PromotionCode
		if err := json.Unmarshal([]byte(doc), &p); err != nil {
			t.Fatal(err)
		}
		if p.ID != "4" || p.CouponUUID != "c0f1" || p.MinimumAmount.String() != "20" || *p.TimesRedeemed != 7 || !*p.IsActive ||
			p.ExpiresAt != nil || string(p.Partner) != `{"id": "p_1"}` {
			t.Errorf("%s: %+v", doc, p)
		}
	}
}

func TestDecodePayoutRequest(t *testing.T) {
	const doc = `{"id": 3, "partner": {"id": "p_1", "key": "zoe", "email": "zoe@example.com"}, "amount": "120.00",
		"amount_units": "usd", "gateway": "paypal", "status": "requested", "reward_ids": [11, "12"],
		"created_at": "2025-05-01 10:00:00"}`
	var p partnero.PayoutRequest
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != "3" || p.Partner.Key != "zoe" || p.Amount.String() != "120" || p.AmountUnits != "usd" ||
		len(p.RewardIDs) != 2 || p.RewardIDs[0] != "11" || p.RewardIDs[1] != "12" ||
		!p.CreatedAt.Equal(time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("%+v", p)
	}
}

func TestDecodeWebhookDropsItsSecret(t *testing.T) {
	const doc = `{"key": "wh_1", "name": "CRM", "url": "https://example.com/hook", "is_active": "1",
		"events": ["partner.created", "transaction.created"], "signature": "whsec_TOPSECRET"}`
	var w partnero.Webhook
	if err := json.Unmarshal([]byte(doc), &w); err != nil {
		t.Fatal(err)
	}
	if w.Key != "wh_1" || !*w.IsActive || len(w.Events) != 2 {
		t.Errorf("%+v", w)
	}
	b, _ := json.Marshal(w)
	if strings.Contains(string(b), "TOPSECRET") {
		t.Errorf("the typed webhook carries its secret: %s", b)
	}
	stripped, err := partnero.StripSecrets(json.RawMessage(doc), partnero.WebhookSecretFields)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(stripped), "TOPSECRET") || strings.Contains(string(stripped), "signature") ||
		!strings.Contains(string(stripped), `"url":"https://example.com/hook"`) {
		t.Errorf("stripped: %s", stripped)
	}
}

func TestDecodeReferralLink(t *testing.T) {
	const doc = `{"id": 9, "key": "zoe", "url": "https://example.com/?aff=zoe", "default": 1, "is_additional": false,
		"direct_tracking": false, "direct_tracking_domain": null}`
	var l partnero.ReferralLink
	if err := json.Unmarshal([]byte(doc), &l); err != nil {
		t.Fatal(err)
	}
	if l.ID != "9" || l.Key != "zoe" || !*l.Default || *l.IsAdditional || string(l.DirectTracking) != `{"direct_tracking":false,"direct_tracking_domain":null}` {
		t.Errorf("%+v %s", l, l.DirectTracking)
	}
}

// TestDecodeListErrorsNameTheField: a value no variant explains fails
// with the object and the field.
func TestDecodeListErrorsNameTheField(t *testing.T) {
	var c partnero.Coupon
	err := json.Unmarshal([]byte(`{"uuid":"x","coupon_duration_value":"three"}`), &c)
	if err == nil || !strings.Contains(err.Error(), `coupon: field "coupon_duration_value"`) {
		t.Errorf("error %v", err)
	}
	var w partnero.Webhook
	if err := json.Unmarshal([]byte(`{"key":"k","is_active":"maybe"}`), &w); err == nil || !strings.Contains(err.Error(), `"is_active"`) {
		t.Errorf("error %v", err)
	}
}

// TestListAllAgainstTheSandbox: ListAll pages every seeded object of each
// endpoint; promotion codes, whose sandbox takes 10..100 by default, cost
// one refused request (limit=250) and then 100 per page; under the other
// doc version (1..250) one page of 250.
func TestListAllAgainstTheSandbox(t *testing.T) {
	t.Run("limit 10..100", func(t *testing.T) { listAllAgainstTheSandbox(t, false, 4) })
	t.Run("limit 1..250", func(t *testing.T) { listAllAgainstTheSandbox(t, true, 1) })
}

func listAllAgainstTheSandbox(t *testing.T, wide bool, codeRequests int64) {
	env := sandboxtest.Start(t, sandbox.Config{Keys: []string{"lists-key"}, PromotionCodesWideLimit: wide})
	srv := env.Server
	var codes, hooks []map[string]any
	for i := range 230 {
		codes = append(codes, map[string]any{"code": fmt.Sprintf("C%d", i), "coupon_uuid": "cpn_1"})
	}
	for i := range 12 {
		hooks = append(hooks, map[string]any{"name": fmt.Sprintf("h%d", i), "url": "https://example.com"})
	}
	env.Seed(t, map[string]any{"promotion_codes": codes, "webhooks": hooks})
	c := env.Client(t)
	n := 0
	for p, err := range partnero.ListAll[partnero.PromotionCode](t.Context(), c, partnero.PromotionCodesRoute, partnero.ListOptions{Sort: "asc"}) {
		if err != nil {
			t.Fatal(err)
		}
		if p.Code != fmt.Sprintf("C%d", n) {
			t.Fatalf("item %d is %q", n, p.Code)
		}
		n++
	}
	if n != 230 {
		t.Errorf("listed %d promotion codes, seeded 230", n)
	}
	if got := srv.Stats().Routes["GET /promotion-codes"]; got.Total != codeRequests {
		t.Errorf("promotion code requests: %+v, want %d", got, codeRequests)
	}
	n = 0
	for w, err := range partnero.ListAll[partnero.Webhook](t.Context(), c, partnero.WebhooksRoute, partnero.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if w.Key == "" {
			t.Errorf("webhook without key: %+v", w)
		}
		n++
	}
	if n != 12 {
		t.Errorf("listed %d webhooks, seeded 12", n)
	}
}
