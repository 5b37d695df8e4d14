package mapping

import (
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

// Tolt's own example objects (testdata/tolt/README.md says where each comes
// from), mapped through the preset.
func TestToltDocsFixtures(t *testing.T) {
	t.Parallel()
	parts := mapFixtureRows(t, "tolt", record.Partners, readFixture(t, "tolt", "partners_docs.jsonl", 0))
	p := parts[0]
	if p.Err != nil || p.Record.Partner.Email != "michael.scott@dundermifflin.com" || p.Record.SourceID != "part_s7mbzRGn46BhVgNFHD6fDgXW" ||
		p.Record.Partner.Name != "Michael" || p.Record.Partner.Key != "" {
		t.Errorf("docs partner: %+v %+v", p, p.Record.Partner)
	}
	if p := parts[1]; p.Err != nil || p.Record.SourceID != "part_yP2D2oFyPsFUfkwzXCzRn3U2" {
		t.Errorf("created partner: %+v", p)
	}

	links := mapFixtureRows(t, "tolt", record.Partners, readFixture(t, "tolt", "links_docs.jsonl", 0))
	// A link without its partner has no email: reported, not guessed.
	if e := links[0].Err; e == nil || e.Code != record.CodeMissingField || e.Field != "email" {
		t.Errorf("bare link: %+v, want missing_field email", links[0])
	}
	l := links[1]
	if l.Err != nil || l.Record.Partner.Key != "michael_scott" || l.Record.SourceID != "part_s7mbzRGn46BhVgNFHD6fDgXW" ||
		l.Record.Partner.Email != "michael.scott@dundermifflin.com" || l.Record.Partner.Surname != "Scott" {
		t.Errorf("link with partner: %+v %+v", l, l.Record.Partner)
	}

	custs := mapFixtureRows(t, "tolt", record.Customers, readFixture(t, "tolt", "customers_docs.jsonl", 0))
	c := custs[0]
	// The customer's customer_id is yours: the key. Tolt's cust_ id is the
	// source id transactions join on.
	if c.Err != nil || c.Record.Customer.Key != "jim_halpert_789" || c.Record.SourceID != "cust_dK9bzRGn46BhVgNFHD6fDgXW" ||
		c.Record.ParentSourceID != "part_s7mbzRGn46BhVgNFHD6fDgXW" || c.Record.Customer.Email != "jim@dundermifflin.com" {
		t.Errorf("docs customer: %+v %+v", c, c.Record.Customer)
	}
	if e := custs[1].Err; e == nil || e.Code != record.CodeInvalidEmail {
		t.Errorf("elided email: %+v, want invalid_email", custs[1])
	}

	txs := mapFixtureRows(t, "tolt", record.Transactions, readFixture(t, "tolt", "transactions_docs.jsonl", 0))
	// The list example carries no currency: cents cannot be read without
	// one, and the row says so.
	if e := txs[0].Err; e == nil || e.Code != record.CodeInvalidAmount {
		t.Errorf("listed transaction without a currency: %+v, want invalid_amount", txs[0])
	}
	r := txs[3]
	if r.Err != nil || r.Skipped {
		t.Fatalf("listed transaction with its program: %+v", r)
	}
	tx := r.Record.Transaction
	// The program's currency, from the expanded program.
	if tx.Amount.String() != "99.99" || tx.AmountUnits != "EUR" || tx.Key != "ch_9bzRGn46BhVgNFHD6fDgXW" || tx.Action != "sale" ||
		r.Record.CustomerSourceID != "cust_dK9bzRGn46BhVgNFHD6fDgXW" || tx.Customer.Key != "" ||
		r.Record.SourceID != "txn_eK9bzRGn46BhVgNFHD6fDgXW" || r.Record.ParentSourceID != "part_JE3jbmkL9ci7sFaJazAv2" ||
		!tx.CreatedAt.Equal(time.Date(2025, 1, 15, 14, 30, 0, 0, time.UTC)) || tx.ProductID != "prod_123" ||
		len(tx.ProductType) != 1 || tx.ProductType[0] != "subscription" {
		t.Errorf("listed transaction: %+v %+v", r.Record, tx)
	}
	r = txs[1]
	if r.Err != nil || r.Skipped || r.Record.Transaction.Amount.String() != "149.99" || r.Record.Transaction.AmountUnits != "USD" ||
		!r.Record.Transaction.CreatedAt.Equal(time.Date(2025, 4, 25, 9, 35, 53, 25e6, time.UTC)) {
		t.Errorf("paid transaction: %+v", r)
	}
	if !txs[2].Skipped || txs[2].Reason != "refunded" {
		t.Errorf("refunded transaction: %+v, want skipped", txs[2])
	}

	// A commissions export given as transactions: refused, never read as sales.
	cm := mapFixtureRows(t, "tolt", record.Transactions, readFixture(t, "tolt", "commissions_dub.jsonl", 0))
	if e := cm[0].Err; e == nil || e.Code != record.CodeRejectedByRule {
		t.Errorf("commission as a transaction: %+v, want rejected_by_rule", cm[0])
	}
}
