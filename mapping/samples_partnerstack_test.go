package mapping

import (
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestSamplePartnerStack(t *testing.T) {
	parts := mapSample(t, "partnerstack", record.Partners, readSample(t, "partnerstack", "partnerships.csv", ','))
	checkCounts(t, "partnerships.csv", parts.counts, map[string]int{
		"valid": 27, record.CodeInvalidEmail: 1, record.CodeDuplicate: 1, record.CodeMissingField: 1,
	})
	if len(parts.unknown) != 0 {
		t.Errorf("partnerships.csv: unknown columns %q", parts.unknown)
	}
	p := parts.records["email:grace@okafor.media"]
	if p.Partner == nil || p.Partner.Key != "grace-okafor" || p.SourceID != "pship_fixed0001" || p.Partner.Name != "Grace" ||
		len(p.Partner.Tags) != 1 || p.Partner.Tags[0] != "influencers" {
		t.Errorf("partnership line 2: %+v %+v", p, p.Partner)
	}
	wantErr(t, parts, 9, record.CodeInvalidEmail, "email")
	wantErr(t, parts, 15, record.CodeDuplicate, "key")
	wantErr(t, parts, 28, record.CodeMissingField, "email")

	custs := mapSample(t, "partnerstack", record.Customers, readSample(t, "partnerstack", "customers.jsonl", 0))
	checkCounts(t, "customers.jsonl", custs.counts, map[string]int{
		"valid": 235, "skipped": 2, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeInvalidEmail: 1,
	})
	if len(custs.unknown) != 0 {
		t.Errorf("customers.jsonl: unknown columns %q", custs.unknown)
	}
	c := custs.records["acct_fixed_1"]
	if c.Customer == nil || c.Customer.Email != "lena.vogel@example.at" || c.Customer.Name != "Lena Vogel" || c.ParentSourceID != "pship_fixed0001" || c.SourceID != "cus_fixed0000001" {
		t.Errorf("customer line 1: %+v %+v", c, c.Customer)
	}
	ownKey := 0
	for k, r := range custs.records {
		if k == r.SourceID {
			ownKey++
		}
	}
	if ownKey != 2 {
		t.Errorf("%d customers keyed by PartnerStack's key, want 2 (lines 31, 32)", ownKey)
	}
	wantErr(t, custs, 51, record.CodeMissingField, "partner")
	wantErr(t, custs, 91, record.CodeDuplicate, "key")
	wantErr(t, custs, 131, record.CodeInvalidEmail, "email")

	txs := mapSample(t, "partnerstack", record.Transactions, readSample(t, "partnerstack", "transactions.csv", ','))
	checkCounts(t, "transactions.csv", txs.counts, map[string]int{
		"valid": 957, "skipped": 38, record.CodeInvalidTime: 1, record.CodeInvalidAmount: 2, record.CodeDuplicate: 1, record.CodeMissingField: 1,
	})
	if len(txs.unknown) != 0 {
		t.Errorf("transactions.csv: unknown columns %q", txs.unknown)
	}
	r := txs.records["txn_fixed_0001"]
	tx := r.Transaction
	if tx == nil || tx.Amount.String() != "149" || tx.AmountUnits != "USD" || !tx.CreatedAt.Equal(time.Date(2024, 4, 2, 12, 0, 0, 123e6, time.UTC)) ||
		r.CustomerSourceID != "cus_fixed0000001" || tx.Customer.Key != "" || tx.ProductID != "prod_growth" ||
		len(tx.ProductType) != 1 || tx.ProductType[0] != "subscription" || tx.Reward != nil || tx.Action != "sale" {
		t.Errorf("txn_fixed_0001: %+v %+v", r, tx)
	}
	if tx := txs.records["txn_fixed_0002"].Transaction; tx == nil || tx.Amount.String() != "8800" || tx.AmountUnits != "JPY" ||
		!tx.CreatedAt.Equal(time.Date(2024, 4, 2, 13, 0, 0, 0, time.UTC)) {
		t.Errorf("txn_fixed_0002: %+v", tx)
	}
	// 29900 pence of its own currency, not amount_usd.
	if tx := txs.records["txn_fixed_0003"].Transaction; tx == nil || tx.Amount.String() != "299" || tx.AmountUnits != "GBP" {
		t.Errorf("txn_fixed_0003: %+v", tx)
	}
	for _, r := range txs.records {
		if r.CustomerSourceID == "" || r.Transaction.Amount.Rat().Sign() < 0 {
			t.Fatalf("%s: customer source %q, amount %s", r.Transaction.Key, r.CustomerSourceID, r.Transaction.Amount)
		}
	}
	wantErr(t, txs, 102, record.CodeInvalidTime, "created_at")
	wantErr(t, txs, 202, record.CodeInvalidAmount, "amount")
	wantErr(t, txs, 302, record.CodeDuplicate, "key")
	wantErr(t, txs, 402, record.CodeMissingField, "customer")
	wantErr(t, txs, 502, record.CodeInvalidAmount, "amount")
}
