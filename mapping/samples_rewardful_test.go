package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestSampleRewardful(t *testing.T) {
	aff := mapSample(t, "rewardful", record.Partners, readSample(t, "rewardful", "affiliates.csv", ','))
	checkCounts(t, "affiliates.csv", aff.counts, map[string]int{
		"valid": 35, record.CodeMissingField: 1, record.CodeInvalidEmail: 1, record.CodeDuplicate: 2, record.CodeTooLong: 1,
	})
	if len(aff.unknown) != 0 {
		t.Errorf("affiliates.csv: unknown columns %q", aff.unknown)
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
	wantErr(t, aff, 12, record.CodeMissingField, "email")
	wantErr(t, aff, 17, record.CodeInvalidEmail, "email")
	wantErr(t, aff, 22, record.CodeDuplicate, "email")
	wantErr(t, aff, 27, record.CodeTooLong, "key")
	wantErr(t, aff, 32, record.CodeDuplicate, "key")
	if e := aff.errs[22]; e != nil && !strings.Contains(e.Message, "duplicate of line 4") {
		t.Errorf("line 22: %v", e)
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
	// Line 71 + 40: no Stripe customer, the referral id is the key.
	byRefID := 0
	for k, r := range refs.records {
		if k == r.SourceID {
			byRefID++
		}
	}
	if byRefID != 5 {
		t.Errorf("%d customers keyed by referral id, want 5", byRefID)
	}
	wantErr(t, refs, 131, record.CodeInvalidEmail, "email")
	wantErr(t, refs, 141, record.CodeMissingField, "partner")
	wantErr(t, refs, 151, record.CodeDuplicate, "key")
	wantErr(t, refs, 161, record.CodeTooLong, "name")

	com := mapSample(t, "rewardful", record.Transactions, readSample(t, "rewardful", "commissions.csv", ','))
	checkCounts(t, "commissions.csv", com.counts, map[string]int{
		"valid": 909, "skipped": 85, record.CodeInvalidAmount: 1, record.CodeInvalidCurrency: 1, record.CodeMissingField: 1,
		record.CodeDuplicate: 2, record.CodeInvalidTime: 1,
	})
	if len(com.unknown) != 0 {
		t.Errorf("commissions.csv: unknown columns %q", com.unknown)
	}
	tests := []struct {
		key, amount, reward, currency, created, action string
		rewarded                                       bool
	}{
		{"sale_fixed_jpy", "12000", "3600", "JPY", "2024-03-05T09:30:00.123Z", "sale", true},
		{"sale_fixed_kwd", "15", "3.75", "KWD", "2024-03-06T10:00:00Z", "sale", false},
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
		if tx.Amount.String() != tt.amount || tx.Reward.String() != tt.reward || tx.AmountUnits != tt.currency ||
			!tx.CreatedAt.Equal(created) || tx.Action != tt.action || *tx.Rewarded != tt.rewarded {
			t.Errorf("%s: amount %s reward %s %s at %v action %s rewarded %v", tt.key, tx.Amount, tx.Reward, tx.AmountUnits, tx.CreatedAt, tx.Action, *tx.Rewarded)
		}
	}
	if jpy := com.records["sale_fixed_jpy"]; jpy.Transaction != nil && (jpy.Transaction.Customer.Key != "cus_Q8xZ2mN4vB7kLp" ||
		jpy.ParentSourceID != "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90" || jpy.SourceID != "comm_fixed_jpy") {
		t.Errorf("sale_fixed_jpy joins: %+v", jpy)
	}
	wantErr(t, com, 102, record.CodeInvalidAmount, "amount")
	wantErr(t, com, 202, record.CodeInvalidCurrency, "currency")
	wantErr(t, com, 302, record.CodeMissingField, "customer")
	wantErr(t, com, 402, record.CodeDuplicate, "key")
	wantErr(t, com, 403, record.CodeDuplicate, "key")
	wantErr(t, com, 602, record.CodeInvalidTime, "created_at")
}
