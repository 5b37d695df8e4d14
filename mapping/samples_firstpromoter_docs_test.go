package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// TestFirstPromoterDocumentedObjects maps the objects of FirstPromoter's
// API reference (docs.firstpromoter.com, v2 and the withdrawn v1).
func TestFirstPromoterDocumentedObjects(t *testing.T) {
	t.Parallel()
	p := mapFixture(t, "firstpromoter", record.Partners, "promoter_v1.json")
	want(t, "promoter_v1.json", p, map[string]string{"email": "user@example.com", "key": "heubv", "source_id": "8815216"})
	ref := mapFixture(t, "firstpromoter", record.Customers, "referral_v2.json")
	// uid "<string>" is the reference's placeholder, kept as printed.
	want(t, "referral_v2.json", ref, map[string]string{"key": "<string>", "email": "user@example.com", "source_id": "123",
		"partner.source_id": "123", "partner.email": "user@example.com"})

	// The refund the reference prints: a negative commission with its own
	// event id, never a sale.
	if r := mapFixture(t, "firstpromoter", record.Transactions, "reward_v1_refund.json"); !r.Skipped || !strings.Contains(r.Reason, "refund") {
		t.Errorf("reward_v1_refund.json: %+v", r)
	}
	// The same reward as a sale: v1's lead and conversion_amount are read.
	raw1, err := os.ReadFile(filepath.Join("testdata", "firstpromoter", "reward_v1_refund.json"))
	if err != nil {
		t.Fatal(err)
	}
	sale1 := strings.NewReplacer(`"amount": -200`, `"amount": 200`, `"conversion_amount": -1000`, `"conversion_amount": 1000`,
		`"event_id": "test_sale_12340987_refund"`, `"event_id": "test_sale_12340987"`).Replace(string(raw1))
	spec1, _ := Preset("firstpromoter", record.Transactions)
	want(t, "v1 reward", mustMapper(t, record.Transactions, spec1).Map(jsonLine(t, sale1)), map[string]string{
		"key": "test_sale_12340987", "amount": "10", "currency": "USD", "reward": "2", "customer.source_id": "20738339",
		"customer.email": "user@example.com", "created_at": "2024-09-11T14:36:01.016Z"})

	// The v2 commission as printed: a self-referral (is_self_referral
	// true), so it is skipped with its reason.
	com := mapFixture(t, "firstpromoter", record.Transactions, "commission_v2.json")
	if !com.Skipped || com.Reason != "self-referral" {
		t.Errorf("commission_v2.json: %+v", com)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "firstpromoter", "commission_v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	variant := func(mut func(o map[string]any)) record.Mapped {
		var o map[string]any
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		ref := o["referral"].(map[string]any)
		o["is_self_referral"], o["event_id"], ref["uid"], ref["email"] = false, "in_1Pq", "cus_fp1", "zoe@example.com"
		mut(o)
		b, _ := json.Marshal(o)
		spec, _ := Preset("firstpromoter", record.Transactions)
		return mustMapper(t, record.Transactions, spec).Map(jsonLine(t, string(b)))
	}
	// The placeholder currency is not a currency: rejected, never guessed.
	if r := variant(func(o map[string]any) {}); r.Err == nil || r.Err.Code != record.CodeInvalidCurrency {
		t.Errorf("placeholder currency: %+v", r)
	}
	// A 45.00 GBP sale in a USD account: sale_amount is the converted 57.15
	// USD, original_sale_amount the sale itself. The commission (USD) is
	// left out rather than stored as GBP.
	gbp := variant(func(o map[string]any) {
		o["original_sale_currency"], o["original_sale_amount"], o["sale_amount"], o["amount"] = "GBP", 4500, 5715, 1143
	})
	want(t, "GBP sale", gbp, map[string]string{"key": "in_1Pq", "amount": "45", "currency": "GBP", "reward": "",
		"customer.source_id": "123", "customer.key": "cus_fp1", "customer.partner.source_id": "123", "action": "sale", "rewarded": "true"})
	jpy := variant(func(o map[string]any) {
		o["original_sale_currency"], o["original_sale_amount"], o["sale_amount"], o["amount"] = "JPY", 980, 654, 196
	})
	want(t, "JPY sale", jpy, map[string]string{"amount": "980", "currency": "JPY", "reward": ""})
	usd := variant(func(o map[string]any) {
		o["original_sale_currency"], o["original_sale_amount"], o["sale_amount"], o["amount"] = "USD", 4900, 4900, 1470
	})
	want(t, "USD sale", usd, map[string]string{"amount": "49", "currency": "USD", "reward": "14.7"})
	// A refund: a negative commission with its own event id.
	refund := variant(func(o map[string]any) {
		o["original_sale_currency"], o["original_sale_amount"], o["sale_amount"], o["amount"], o["event_id"] = "USD", -4900, -4900, -1470, "re_3Pq"
	})
	if !refund.Skipped || !strings.Contains(refund.Reason, "refund") {
		t.Errorf("refund: %+v", refund)
	}
	for _, unit := range []string{"credits", "points", "free_months", "mon_discount", "discount_per"} {
		if r := variant(func(o map[string]any) { o["original_sale_currency"], o["unit"] = "USD", unit }); !r.Skipped {
			t.Errorf("unit %s: %+v", unit, r)
		}
	}
	if r := variant(func(o map[string]any) { o["original_sale_currency"], o["status"] = "USD", "denied" }); !r.Skipped {
		t.Errorf("denied: %+v", r)
	}
	// A v2 promoter names its referral code on each campaign.
	v2 := `{"id":77,"email":"pia@q.io","name":"Pia Q","state":"accepted","profile":{"first_name":"Pia","last_name":"Q"},
		"promoter_campaigns":[{"id":5,"campaign_id":1,"promoter_id":77,"campaign":{"id":1,"name":"Main"},"ref_token":"pia","coupon":null}]}`
	spec, _ := Preset("firstpromoter", record.Partners)
	want(t, "v2 promoter", mustMapper(t, record.Partners, spec).Map(jsonLine(t, v2)),
		map[string]string{"key": "pia", "name": "Pia", "surname": "Q", "source_id": "77"})
}
