package mapping

import (
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

	refs := mapSample(t, "firstpromoter", record.Customers, readSample(t, "firstpromoter", "referrals.csv", ','))
	checkCounts(t, "referrals.csv", refs.counts, map[string]int{
		"valid": 256, record.CodeInvalidEmail: 1, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1,
	})
	if len(refs.unknown) != 0 {
		t.Errorf("referrals.csv: unknown columns %q", refs.unknown)
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
		if r.Row != nil && strings.HasSuffix(r.Row.Text[1], " (moved)") {
			moved++
		}
	}
	if moved != 6 {
		t.Errorf("%d moved referrals imported, want 6", moved)
	}
	wantErr(t, refs, 52, record.CodeInvalidEmail, "email")
	wantErr(t, refs, 62, record.CodeMissingField, "partner")
	wantErr(t, refs, 72, record.CodeDuplicate, "key")
	wantErr(t, refs, 82, record.CodeTooLong, "key")

	com := mapSample(t, "firstpromoter", record.Transactions, readSample(t, "firstpromoter", "commissions.csv", ','))
	checkCounts(t, "commissions.csv", com.counts, map[string]int{
		"valid": 864, "skipped": 131, record.CodeInvalidAmount: 1, record.CodeInvalidCurrency: 1, record.CodeInvalidTime: 1,
		record.CodeDuplicate: 1, record.CodeMissingField: 1,
	})
	if len(com.unknown) != 0 {
		t.Errorf("commissions.csv: unknown columns %q", com.unknown)
	}
	tests := []struct {
		key, amount, reward, currency, created, action string
		rewarded                                       bool
	}{
		{"evt_fixed_jpy", "5000", "1500", "JPY", "2024-03-05T09:30:00Z", "sale", true},
		{"evt_fixed_eur", "49.99", "15", "EUR", "2024-03-05T09:30:00Z", "sale", false},
		{"evt_fixed_nocur", "49", "14.7", "USD", "", "sale", false},
	}
	for _, tt := range tests {
		tx := com.records[tt.key].Transaction
		if tx == nil {
			t.Errorf("%s: missing", tt.key)
			continue
		}
		if tx.Amount.String() != tt.amount || tx.Reward.String() != tt.reward || tx.AmountUnits != tt.currency || tx.Action != tt.action {
			t.Errorf("%s: amount %s reward %s %s action %s", tt.key, tx.Amount, tx.Reward, tx.AmountUnits, tx.Action)
		}
		if tt.created != "" {
			want, _ := time.Parse(time.RFC3339, tt.created)
			if !tx.CreatedAt.Equal(want) || *tx.Rewarded != tt.rewarded {
				t.Errorf("%s: at %v rewarded %v", tt.key, tx.CreatedAt, *tx.Rewarded)
			}
		}
	}
	if tx := com.records["evt_fixed_jpy"].Transaction; tx != nil && tx.Customer.Key != "cus_FP0000000001" {
		t.Errorf("evt_fixed_jpy customer %+v", tx.Customer)
	}
	// Line 4: a custom commission (a bonus) with no event id: a derived key.
	bonusAt := time.Date(2024, 3, 6, 12, 0, 0, 0, time.UTC)
	found := false
	for k, r := range com.records {
		tx := r.Transaction
		if tx.CreatedAt != nil && tx.CreatedAt.Equal(bonusAt) {
			found = true
			if !strings.HasPrefix(k, DerivedKeyPrefix) || tx.Action != "bonus" || tx.Amount.String() != "0" || tx.Reward.String() != "50" || r.SourceID != "300002" {
				t.Errorf("bonus of line 4: key %s %+v", k, tx)
			}
		}
	}
	if !found {
		t.Error("bonus of line 4 missing")
	}
	wantErr(t, com, 102, record.CodeInvalidAmount, "amount")
	wantErr(t, com, 202, record.CodeInvalidCurrency, "currency")
	wantErr(t, com, 302, record.CodeInvalidTime, "created_at")
	wantErr(t, com, 402, record.CodeDuplicate, "key")
	wantErr(t, com, 602, record.CodeMissingField, "customer")
}
