package mapping

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestSampleFirstPromoter(t *testing.T) {
	proms := mapSample(t, "firstpromoter", record.Partners, readSample(t, "firstpromoter", "promoters.jsonl", 0))
	checkCounts(t, "promoters.jsonl", proms.counts, map[string]int{
		"valid": 25, "skipped": 2, record.CodeInvalidEmail: 1, record.CodeDuplicate: 1, record.CodeInvalidValue: 1,
	})
	if len(proms.unknown) != 0 {
		t.Errorf("promoters.jsonl: unknown columns %q", proms.unknown)
	}
	p := proms.records["email:ethan.cole@brightpath.co"]
	if p.Partner == nil || p.Partner.Key != "ethan" || p.Partner.Name != "Ethan" || p.Partner.Surname != "Cole" || p.SourceID != "5001" {
		t.Errorf("promoter line 1: %+v %+v", p, p.Partner)
	}
	subs := 0
	for _, r := range proms.records {
		if r.ParentSourceID == "5001" {
			subs++
		}
	}
	if subs != 1 {
		t.Errorf("%d sub-promoters of 5001, want 1 (line 4)", subs)
	}
	wantErr(t, proms, 13, record.CodeInvalidEmail, "email")
	wantErr(t, proms, 17, record.CodeDuplicate, "key")
	wantErr(t, proms, 24, record.CodeInvalidValue, "key")

	refs := mapSample(t, "firstpromoter", record.Customers, readSample(t, "firstpromoter", "referrals.jsonl", 0))
	checkCounts(t, "referrals.jsonl", refs.counts, map[string]int{
		"valid": 256, record.CodeInvalidEmail: 1, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1,
	})
	if len(refs.unknown) != 0 {
		t.Errorf("referrals.jsonl: unknown columns %q", refs.unknown)
	}
	c := refs.records["cus_FP0000000001"]
	if c.Customer == nil || c.Customer.Email != "sofia.rossi@example.it" || c.Customer.Name != "Sofia" || c.ParentSourceID != "5001" ||
		c.Customer.Partner == nil || c.Customer.Partner.Email != "ethan.cole@brightpath.co" || c.SourceID != "900000" {
		t.Errorf("referral line 2: %+v %+v", c, c.Customer)
	}
	for _, k := range []string{"900090", "900093", "900096", "900099"} {
		if refs.records[k].Customer == nil {
			t.Errorf("referral without uid: no customer keyed %s", k)
		}
	}
	moved := 0
	for _, r := range refs.records {
		if strings.Contains(r.Customer.Email, "moved") {
			t.Errorf("%s: (moved) not stripped", r.Customer.Email)
		}
		if r.Row != nil {
			if e, ok := r.Row.Values[r.Row.Header.Index("email")].(string); ok && strings.HasSuffix(e, " (moved)") {
				moved++
			}
		}
	}
	if moved != 6 {
		t.Errorf("%d moved referrals imported, want 6", moved)
	}
	wantErr(t, refs, 51, record.CodeInvalidEmail, "email")
	wantErr(t, refs, 61, record.CodeMissingField, "partner")
	wantErr(t, refs, 71, record.CodeDuplicate, "key")
	wantErr(t, refs, 81, record.CodeTooLong, "key")

	com := mapSample(t, "firstpromoter", record.Transactions, readSample(t, "firstpromoter", "commissions.jsonl", 0))
	checkCounts(t, "commissions.jsonl", com.counts, map[string]int{
		"valid": 863, "skipped": 132, record.CodeInvalidAmount: 1, record.CodeInvalidCurrency: 1, record.CodeInvalidTime: 1,
		record.CodeDuplicate: 1, record.CodeMissingField: 1,
	})
	if len(com.unknown) != 0 {
		t.Errorf("commissions.jsonl: unknown columns %q", com.unknown)
	}
	tests := []struct {
		key, amount, reward, currency, created, action string
		rewarded                                       bool
	}{
		// The sale in its own currency (original_sale_amount); the
		// commission is in the account's currency (USD), so it is left
		// out of a JPY or EUR sale rather than stored in the wrong one.
		{"evt_fixed_jpy", "5000", "", "JPY", "2024-03-05T09:30:00Z", "sale", true},
		{"evt_fixed_eur", "49.99", "", "EUR", "2024-03-05T09:30:00Z", "sale", false},
		{"evt_fixed_nocur", "49", "14.7", "USD", "", "sale", false},
	}
	for _, tt := range tests {
		tx := com.records[tt.key].Transaction
		if tx == nil {
			t.Errorf("%s: missing", tt.key)
			continue
		}
		reward := ""
		if tx.Reward != nil {
			reward = tx.Reward.String()
		}
		if tx.Amount.String() != tt.amount || reward != tt.reward || tx.AmountUnits != tt.currency || tx.Action != tt.action {
			t.Errorf("%s: amount %s reward %q %s action %s", tt.key, tx.Amount, reward, tx.AmountUnits, tx.Action)
		}
		if tt.created != "" {
			want, _ := time.Parse(time.RFC3339, tt.created)
			if !tx.CreatedAt.Equal(want) || *tx.Rewarded != tt.rewarded {
				t.Errorf("%s: at %v rewarded %v", tt.key, tx.CreatedAt, *tx.Rewarded)
			}
		}
	}
	if r := com.records["evt_fixed_jpy"]; r.Transaction != nil && (r.Transaction.Customer.Key != "cus_FP0000000001" || r.CustomerSourceID != "900000") {
		t.Errorf("evt_fixed_jpy customer %+v %q", r.Transaction.Customer, r.CustomerSourceID)
	}
	// Refunds (negative commissions, re_ event ids) are never sales.
	for k := range com.records {
		if strings.HasPrefix(k, "re_") {
			t.Errorf("refund %s mapped as a sale", k)
		}
	}
	// Line 4: a custom commission (a bonus) with no event id: a derived key.
	bonusAt := time.Date(2024, 3, 6, 12, 0, 0, 0, time.UTC)
	found := false
	for k, r := range com.records {
		tx := r.Transaction
		if tx.CreatedAt != nil && tx.CreatedAt.Equal(bonusAt) {
			found = true
			if !strings.HasPrefix(k, DerivedKeyPrefix) || tx.Action != "bonus" || tx.Amount.String() != "0" || tx.Reward.String() != "50" || r.SourceID != "300002" {
				t.Errorf("bonus of line 3: key %s %+v", k, tx)
			}
		}
	}
	if !found {
		t.Error("bonus of line 3 missing")
	}
	wantErr(t, com, 101, record.CodeInvalidAmount, "amount")
	wantErr(t, com, 201, record.CodeInvalidCurrency, "currency")
	wantErr(t, com, 301, record.CodeInvalidTime, "created_at")
	wantErr(t, com, 401, record.CodeDuplicate, "key")
	wantErr(t, com, 601, record.CodeMissingField, "customer")
}

// TestFirstPromoterDocumentedObjects maps the objects of FirstPromoter's
// API reference (docs.firstpromoter.com, v2 and the withdrawn v1).
func TestFirstPromoterDocumentedObjects(t *testing.T) {
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
