package mapping

import (
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

// PartnerStack's own example objects (testdata/partnerstack/README.md says
// where each comes from), mapped through the preset.
func TestPartnerStackDocsFixtures(t *testing.T) {
	t.Parallel()
	custs := mapFixtureRows(t, "partnerstack", record.Customers, readFixture(t, "partnerstack", "customers_docs.jsonl", 0))
	c := custs[0]
	if c.Err != nil || c.Skipped || c.Record.Customer.Key != "customer_123" || c.Record.SourceID != "cus_8U5s1iH2Pd2a2p" ||
		c.Record.ParentSourceID != "par_12345" {
		t.Errorf("docs customer: %+v %+v", c, c.Record.Customer)
	}

	txs := mapFixtureRows(t, "partnerstack", record.Transactions, readFixture(t, "partnerstack", "transactions_docs.jsonl", 0))
	// The reference's own example names no customer at all (customer: {}):
	// it cannot be filed, and says so.
	if e := txs[0].Err; e == nil || e.Code != record.CodeMissingField || e.Field != "customer" {
		t.Errorf("docs transaction: %+v, want missing_field customer", txs[0])
	}
	r := txs[1]
	if r.Err != nil || r.Skipped {
		t.Fatalf("transaction with customer_key: %+v", r)
	}
	tx := r.Record.Transaction
	// 1299 cents of its own currency (CAD), not amount_usd (961).
	if tx.Amount.String() != "12.99" || tx.AmountUnits != "CAD" || tx.Action != "sale" ||
		!tx.CreatedAt.Equal(time.UnixMilli(1538352000000).UTC()) || tx.Key != "key_withcustomer" ||
		r.Record.CustomerSourceID != "cus_8U5s1iH2Pd2a2p" || tx.Customer.Key != "" ||
		tx.ProductID != "prod_abc" || len(tx.ProductType) != 1 || tx.ProductType[0] != "cat_commission" {
		t.Errorf("transaction with customer_key: %+v customer source %q", tx, r.Record.CustomerSourceID)
	}
	if !txs[2].Skipped || txs[2].Reason != "a refund (negative amount)" {
		t.Errorf("refund: %+v, want skipped as a refund", txs[2])
	}
	if !txs[3].Skipped || txs[3].Reason != "a test transaction" {
		t.Errorf("test transaction: %+v, want skipped", txs[3])
	}

	// A rewards export given as transactions: refused, never read as sales.
	rw := mapFixtureRows(t, "partnerstack", record.Transactions, readFixture(t, "partnerstack", "rewards_dub.jsonl", 0))
	if e := rw[0].Err; e == nil || e.Code != record.CodeRejectedByRule {
		t.Errorf("reward as a transaction: %+v, want rejected_by_rule", rw[0])
	}
}
