package mapping

import (
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

// Rows under Post Affiliate Pro's documented export header
// (testdata/postaffiliatepro/README.md), mapped through the preset.
func TestPostAffiliateProDocsFixtures(t *testing.T) {
	t.Parallel()
	spec, err := Preset("postaffiliatepro", record.Transactions)
	if err != nil {
		t.Fatal(err)
	}
	if !spec.CreatesCustomers() {
		t.Error("the preset does not declare create_customers: Post Affiliate Pro has no customer export")
	}
	res := mapFixtureRows(t, "postaffiliatepro", record.Transactions, readFixture(t, "postaffiliatepro", "commissions_docs.csv", ','))
	r := res[0]
	if r.Err != nil || r.Skipped {
		t.Fatalf("EUR sale: %+v", r)
	}
	tx := r.Record.Transaction
	// The sale as it was made (149.00 EUR), not !TOTALCOST converted to the
	// main currency (162.00) with the original code.
	if tx.Amount.String() != "149" || tx.AmountUnits != "EUR" || tx.Reward != nil || !*tx.Rewarded || tx.Action != "sale" ||
		tx.Key != "a1b2c3d4" || tx.Customer.Key != "C000001" || tx.Customer.Email != "marek.novak@example.cz" ||
		r.Record.ParentSourceID != "11111111" || !tx.CreatedAt.Equal(time.Date(2024, 6, 5, 14, 30, 0, 0, time.UTC)) {
		t.Errorf("EUR sale: %+v %+v", r.Record, tx)
	}
	r = res[1]
	// A recurring commission is a sale; no original currency: the main one.
	if r.Err != nil || r.Skipped || r.Record.Transaction.Action != "sale" || r.Record.Transaction.Amount.String() != "50" ||
		r.Record.Transaction.AmountUnits != "" || *r.Record.Transaction.Rewarded {
		t.Errorf("recurring: %+v", r)
	}
	for i, reason := range map[int]string{
		2: "refund (to reverse a sale in Partnero, delete it)", 3: "chargeback", 4: "extra bonus, not a sale",
		5: "a higher-tier commission of a sale imported at tier 1", 6: "declined commission",
	} {
		if !res[i].Skipped || res[i].Reason != reason {
			t.Errorf("row %d: %+v, want skipped: %s", i+2, res[i], reason)
		}
	}
	r = res[7]
	// A yen sale keeps its whole yen.
	if r.Err != nil || r.Record.Transaction.Amount.String() != "6000" || r.Record.Transaction.AmountUnits != "JPY" {
		t.Errorf("JPY sale: %+v", r)
	}
	// A date alone is a documented form too: midnight, in the preset's zone.
	if r := res[8]; r.Err != nil || !r.Record.Transaction.CreatedAt.Equal(time.Date(2024, 7, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date-only sale: %+v", r)
	}
}
