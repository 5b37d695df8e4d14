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

func TestSampleRewardful(t *testing.T) {
	aff := mapSample(t, "rewardful", record.Partners, readSample(t, "rewardful", "affiliates.jsonl", 0))
	checkCounts(t, "affiliates.jsonl", aff.counts, map[string]int{
		"valid": 35, record.CodeMissingField: 1, record.CodeInvalidEmail: 1, record.CodeDuplicate: 2, record.CodeTooLong: 1,
	})
	if len(aff.unknown) != 0 {
		t.Errorf("affiliates.jsonl: unknown columns %q", aff.unknown)
	}
	// Line 2: the first affiliate, value by value.
	p := aff.records["email:olivia.martin@northwind.io"]
	if p.Partner == nil || p.Partner.Key != "olivia" || p.Partner.Name != "Olivia" || p.Partner.Surname != "Martin" ||
		p.SourceID != "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90" || strings.Join(p.Partner.Tags, ",") != "Default" {
		t.Errorf("line 2: %+v %+v", p, p.Partner)
	}
	if p := aff.records["email:maria.garcia3@example.com"]; p.Partner == nil {
		t.Error("line 5: the mixed-case email was not normalised")
	}
	// Line 7: the key comes out of the full link (?via=bob-22).
	keys := map[string]bool{}
	for _, r := range aff.records {
		keys[r.Partner.Key] = true
	}
	if !keys["bob-22"] || !keys["olivia11"] {
		t.Errorf("referral codes not preserved: %v", keys)
	}
	wantErr(t, aff, 11, record.CodeMissingField, "email")
	wantErr(t, aff, 16, record.CodeInvalidEmail, "email")
	wantErr(t, aff, 21, record.CodeDuplicate, "email")
	wantErr(t, aff, 26, record.CodeTooLong, "key")
	wantErr(t, aff, 31, record.CodeDuplicate, "key")
	if e := aff.errs[21]; e != nil && !strings.Contains(e.Message, "duplicate of line 3") {
		t.Errorf("line 21: %v", e)
	}

	refs := mapSample(t, "rewardful", record.Customers, readSample(t, "rewardful", "referrals.jsonl", 0))
	checkCounts(t, "referrals.jsonl", refs.counts, map[string]int{
		"valid": 245, "skipped": 70, record.CodeInvalidEmail: 2, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1,
	})
	if len(refs.unknown) != 0 {
		t.Errorf("referrals.jsonl: unknown columns %q", refs.unknown)
	}
	c := refs.records["cus_Q8xZ2mN4vB7kLp"]
	if c.Customer == nil || c.Customer.Email != "hiro.tanaka@example.jp" || c.Customer.Name != "Hiro Tanaka" ||
		c.ParentSourceID != "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90" || c.SourceID != "7c1e9a52-3b4d-4f6e-8a21-d0c9b8e7f6a5" ||
		c.Customer.Partner == nil || c.Customer.Partner.Email != "olivia.martin@northwind.io" {
		t.Errorf("referral line 71: %+v %+v", c, c.Customer)
	}
	// Line 71 + 40: not Stripe customers, keyed by their customer.id; the
	// referral id stays their source id (commissions join on it).
	notStripe := 0
	for k, r := range refs.records {
		if !strings.HasPrefix(k, "cus_") && r.SourceID != "" && k != r.SourceID {
			notStripe++
		}
	}
	if notStripe != 5 {
		t.Errorf("%d customers keyed by a non-Stripe customer id, want 5", notStripe)
	}
	wantErr(t, refs, 131, record.CodeInvalidEmail, "email")
	wantErr(t, refs, 141, record.CodeMissingField, "partner")
	wantErr(t, refs, 151, record.CodeDuplicate, "key")
	wantErr(t, refs, 161, record.CodeTooLong, "name")

	com := mapSample(t, "rewardful", record.Transactions, readSample(t, "rewardful", "commissions.jsonl", 0))
	checkCounts(t, "commissions.jsonl", com.counts, map[string]int{
		"valid": 909, "skipped": 85, record.CodeInvalidAmount: 1, record.CodeInvalidCurrency: 1, record.CodeMissingField: 1,
		record.CodeDuplicate: 2, record.CodeInvalidTime: 1,
	})
	if len(com.unknown) != 0 {
		t.Errorf("commissions.jsonl: unknown columns %q", com.unknown)
	}
	tests := []struct {
		key, amount, reward, currency, created, action string
		rewarded                                       bool
	}{
		// The commission's currency is the account's (USD): on a JPY or
		// KWD sale it is left out, never stored as yen or dinars.
		{"sale_fixed_jpy", "12000", "", "JPY", "2024-03-05T09:30:00.123Z", "sale", true},
		{"sale_fixed_kwd", "15", "", "KWD", "2024-03-06T10:00:00Z", "sale", false},
		{"sale_fixed_usd", "49.99", "12.5", "USD", "2024-03-07T11:15:30.5Z", "sale", false},
	}
	for _, tt := range tests {
		r := com.records[tt.key]
		tx := r.Transaction
		if tx == nil {
			t.Errorf("%s: missing", tt.key)
			continue
		}
		created, _ := time.Parse(time.RFC3339Nano, tt.created)
		reward := ""
		if tx.Reward != nil {
			reward = tx.Reward.String()
		}
		if tx.Amount.String() != tt.amount || reward != tt.reward || tx.AmountUnits != tt.currency ||
			!tx.CreatedAt.Equal(created) || tx.Action != tt.action || *tx.Rewarded != tt.rewarded {
			t.Errorf("%s: amount %s reward %q %s at %v action %s rewarded %v", tt.key, tx.Amount, reward, tx.AmountUnits, tx.CreatedAt, tx.Action, *tx.Rewarded)
		}
	}
	if jpy := com.records["sale_fixed_jpy"]; jpy.Transaction != nil && (jpy.Transaction.Customer.Key != "cus_Q8xZ2mN4vB7kLp" ||
		jpy.ParentSourceID != "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90" || jpy.SourceID != "comm_fixed_jpy" ||
		jpy.CustomerSourceID != "7c1e9a52-3b4d-4f6e-8a21-d0c9b8e7f6a5") {
		t.Errorf("sale_fixed_jpy joins: %+v", jpy)
	}
	wantErr(t, com, 101, record.CodeInvalidAmount, "amount")
	wantErr(t, com, 201, record.CodeInvalidCurrency, "currency")
	wantErr(t, com, 301, record.CodeMissingField, "customer")
	wantErr(t, com, 401, record.CodeDuplicate, "key")
	wantErr(t, com, 402, record.CodeDuplicate, "key")
	wantErr(t, com, 601, record.CodeInvalidTime, "created_at")
}

// fixtureRow reads one of the example objects a platform prints in its
// documentation (mapping/testdata/PLATFORM, sources in its README) as a
// JSON lines row.
func fixtureRow(t *testing.T, platform, name string) record.Row {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", platform, name))
	if err != nil {
		t.Fatal(err)
	}
	return jsonLine(t, string(data))
}

// mapFixture maps a documented example object with the platform's preset
// and reports any key the preset neither reads nor ignores.
func mapFixture(t *testing.T, platform string, e record.Entity, name string) record.Mapped {
	t.Helper()
	spec, err := Preset(platform, e)
	if err != nil {
		t.Fatal(err)
	}
	m := mustMapper(t, e, spec)
	row := fixtureRow(t, platform, name)
	if u := m.UnknownColumns(row.Header.Names); len(u) != 0 {
		t.Errorf("%s: keys the preset does not know: %q", name, u)
	}
	return m.Map(row)
}

// TestRewardfulDocumentedObjects maps the objects of Rewardful's API
// reference (rewardful/rest-api-docs) and checks every field the preset
// reads, and the join ids a migration uses.
func TestRewardfulDocumentedObjects(t *testing.T) {
	aff := mapFixture(t, "rewardful", record.Partners, "affiliate.json")
	want(t, "affiliate.json", aff, map[string]string{
		"email": "adam.jones@example.com", "name": "Adam", "surname": "Jones", "key": "adam",
		"tags": "Best Friends of Kyle", "source_id": "d0ed8392-8880-4f39-8715-60230f9eceab",
	})
	ref := mapFixture(t, "rewardful", record.Customers, "referral.json")
	want(t, "referral.json", ref, map[string]string{
		"key": "cus_ABC123", "email": "fred@example.com", "name": "Fred Durst",
		"partner.source_id": "dc939584-a94a-4bdf-b8f4-8d255aae729c", "partner.email": "james.bond@mi6.co.uk",
		"source_id": "e523da29-6157-4aac-b4b5-05b3b7b14fb6",
	})
	com := mapFixture(t, "rewardful", record.Transactions, "commission.json")
	want(t, "commission.json", com, map[string]string{
		"key": "1566a74e-e9ad-4849-b024-e1be9ef316ff", "amount": "25", "currency": "USD", "reward": "7.5",
		"created_at": "2020-05-02T21:40:28Z", "customer.source_id": "3aafa13f-0a41-43d2-8d3a-a14e8c6a4621",
		"customer.key": "cus_ABC123", "customer.email": "fred@example.com",
		"customer.partner.source_id": "dc939584-a94a-4bdf-b8f4-8d255aae729c", "action": "sale", "rewarded": "",
		"source_id": "7d2886ca-8764-4e43-9230-013ad00037e7",
	})

	// The same commission, as Rewardful writes it for other cases: a sale in
	// another currency than the account's (the commission's "currency"), a
	// voided commission, a paid one.
	var obj map[string]any
	raw, _ := os.ReadFile(filepath.Join("testdata", "rewardful", "commission.json"))
	if err := json.Unmarshal(raw, &obj); err != nil {
		t.Fatal(err)
	}
	variant := func(mut func(o, sale map[string]any)) record.Mapped {
		var o map[string]any
		_ = json.Unmarshal(raw, &o)
		mut(o, o["sale"].(map[string]any))
		b, _ := json.Marshal(o)
		spec, _ := Preset("rewardful", record.Transactions)
		return mustMapper(t, record.Transactions, spec).Map(jsonLine(t, string(b)))
	}
	gbp := variant(func(o, sale map[string]any) { sale["currency"], sale["sale_amount_cents"] = "GBP", 29900 })
	want(t, "GBP sale, USD commission", gbp, map[string]string{"amount": "299", "currency": "GBP", "reward": ""})
	jpy := variant(func(o, sale map[string]any) {
		sale["currency"], sale["sale_amount_cents"], o["currency"], o["amount"] = "JPY", 980, "JPY", 294
	})
	want(t, "JPY sale, JPY commission", jpy, map[string]string{"amount": "980", "currency": "JPY", "reward": "294"})
	if r := variant(func(o, sale map[string]any) { o["state"] = "voided" }); !r.Skipped || !strings.Contains(r.Reason, "voided") {
		t.Errorf("voided commission: %+v", r)
	}
	if r := variant(func(o, sale map[string]any) { sale["sale_amount_cents"] = -2500 }); !r.Skipped || r.Reason != "a negative sale is a refund" {
		t.Errorf("negative sale: %+v", r)
	}
	paid := variant(func(o, sale map[string]any) { o["state"], o["paid_at"] = "paid", "2020-06-02T00:00:00.000Z" })
	want(t, "paid", paid, map[string]string{"rewarded": "true", "action": "sale"})
}

// want checks a mapped record's fields (recordFields' names); "" means
// the field is not set.
func want(t *testing.T, what string, r record.Mapped, fields map[string]string) {
	t.Helper()
	if r.Err != nil || r.Skipped {
		t.Errorf("%s: %+v", what, r)
		return
	}
	got := recordFields(r.Record)
	for k, v := range fields {
		if got[k] != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got[k], v)
		}
	}
}
