package mapping

import (
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestSampleTolt(t *testing.T) {
	parts := mapSample(t, "tolt", record.Partners, readSample(t, "tolt", "partners.jsonl", 0))
	checkCounts(t, "partners.jsonl", parts.counts, map[string]int{
		"valid": 26, "skipped": 1, record.CodeInvalidValue: 1, record.CodeDuplicate: 1, record.CodeMissingField: 1,
	})
	if len(parts.unknown) != 0 {
		t.Errorf("partners.jsonl: unknown columns %q", parts.unknown)
	}
	p := parts.records["email:samir@haddad.studio"]
	if p.Partner == nil || p.Partner.Key != "sam" || p.SourceID != "part_fixed00001" || p.Partner.Name != "Samir" || p.Partner.Surname != "Haddad" {
		t.Errorf("partner line 1: %+v %+v", p, p.Partner)
	}
	wantErr(t, parts, 10, record.CodeInvalidValue, "key")
	wantErr(t, parts, 18, record.CodeDuplicate, "email")
	wantErr(t, parts, 25, record.CodeMissingField, "email")

	custs := mapSample(t, "tolt", record.Customers, readSample(t, "tolt", "customers.csv", ','))
	checkCounts(t, "customers.csv", custs.counts, map[string]int{
		"valid": 227, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeInvalidEmail: 1,
	})
	if len(custs.unknown) != 0 {
		t.Errorf("customers.csv: unknown columns %q", custs.unknown)
	}
	// The customer's customer_id is yours (the key); Tolt's id is the
	// source id transactions join on.
	c := custs.records["user_dana"]
	if c.Customer == nil || c.Customer.Email != "dana.ivanova@example.bg" || c.Customer.Name != "Dana Ivanova" || c.ParentSourceID != "part_fixed00001" || c.SourceID != "cust_fixed00001" {
		t.Errorf("customer line 2: %+v %+v", c, c.Customer)
	}
	ownKey := 0
	for k, r := range custs.records {
		if k == r.SourceID {
			ownKey++
		}
	}
	if ownKey != 2 {
		t.Errorf("%d customers keyed by Tolt's id, want 2 (lines 22, 23)", ownKey)
	}
	wantErr(t, custs, 42, record.CodeMissingField, "partner")
	wantErr(t, custs, 82, record.CodeDuplicate, "key")
	wantErr(t, custs, 122, record.CodeInvalidEmail, "email")

	txs := mapSample(t, "tolt", record.Transactions, readSample(t, "tolt", "transactions.jsonl", 0))
	checkCounts(t, "transactions.jsonl", txs.counts, map[string]int{
		"valid": 970, "skipped": 25, record.CodeInvalidAmount: 1, record.CodeMissingField: 2, record.CodeInvalidTime: 1, record.CodeDuplicate: 1,
	})
	if len(txs.unknown) != 0 {
		t.Errorf("transactions.jsonl: unknown columns %q", txs.unknown)
	}
	r := txs.records["ch_fixed_0001"]
	tx := r.Transaction
	if tx == nil || tx.Amount.String() != "49" || tx.AmountUnits != "USD" || !tx.CreatedAt.Equal(time.Date(2024, 5, 7, 8, 15, 0, 0, time.UTC)) ||
		len(tx.ProductType) != 1 || tx.ProductType[0] != "subscription" || tx.Customer.Key != "" ||
		r.CustomerSourceID != "cust_fixed00001" || r.ParentSourceID != "part_fixed00001" || r.SourceID != "txn_fixed00001" || tx.Action != "sale" {
		t.Errorf("ch_fixed_0001: %+v %+v", r, tx)
	}
	// Cents as a string, the currency in lower case.
	if tx := txs.records["ch_fixed_0002"].Transaction; tx == nil || tx.Amount.String() != "0.05" || tx.AmountUnits != "EUR" {
		t.Errorf("ch_fixed_0002: %+v", tx)
	}
	if tx := txs.records["ch_fixed_0003"].Transaction; tx == nil || tx.Amount.String() != "9800" || tx.AmountUnits != "JPY" {
		t.Errorf("ch_fixed_0003: %+v", tx)
	}
	wantErr(t, txs, 101, record.CodeInvalidAmount, "amount")
	wantErr(t, txs, 201, record.CodeMissingField, "amount")
	wantErr(t, txs, 301, record.CodeInvalidTime, "created_at")
	wantErr(t, txs, 401, record.CodeDuplicate, "key")
	wantErr(t, txs, 501, record.CodeMissingField, "customer")
}
