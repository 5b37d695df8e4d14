package mapping

import (
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestSamplePostAffiliatePro(t *testing.T) {
	affs := mapSample(t, "postaffiliatepro", record.Partners, readSample(t, "postaffiliatepro", "affiliates.csv", ';'))
	checkCounts(t, "affiliates.csv", affs.counts, map[string]int{
		"valid": 29, "skipped": 2, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1, record.CodeInvalidEmail: 1,
	})
	if len(affs.unknown) != 0 {
		t.Errorf("affiliates.csv: unknown columns %q", affs.unknown)
	}
	p := affs.records["email:peter.horvath@example.sk"]
	if p.Partner == nil || p.Partner.Key != "testaff" || p.SourceID != "11111111" || p.Partner.Name != "Peter" || p.Partner.Surname != "Horváth" {
		t.Errorf("affiliate line 3: %+v %+v", p, p.Partner)
	}
	subs := 0
	for _, r := range affs.records {
		if r.ParentSourceID != "" {
			subs++
		}
	}
	if subs == 0 {
		t.Error("no sub-affiliate carries its parent")
	}
	wantErr(t, affs, 14, record.CodeMissingField, "email")
	wantErr(t, affs, 18, record.CodeDuplicate, "email")
	wantErr(t, affs, 25, record.CodeTooLong, "key")
	wantErr(t, affs, 33, record.CodeInvalidEmail, "email")

	com := mapSample(t, "postaffiliatepro", record.Transactions, readSample(t, "postaffiliatepro", "commissions.csv", ','))
	checkCounts(t, "commissions.csv", com.counts, map[string]int{
		"valid": 804, "skipped": 191, record.CodeInvalidAmount: 1, record.CodeInvalidTime: 1, record.CodeDuplicate: 1,
		record.CodeMissingField: 1, record.CodeInvalidCurrency: 1,
	})
	if len(com.unknown) != 0 {
		t.Errorf("commissions.csv: unknown columns %q", com.unknown)
	}
	r := com.records["fixed001"]
	tx := r.Transaction
	// The sale as made (149.00 EUR), not !TOTALCOST (162.01, in USD).
	if tx == nil || tx.Amount.String() != "149" || tx.Reward != nil || tx.AmountUnits != "EUR" || !*tx.Rewarded ||
		!tx.CreatedAt.Equal(time.Date(2024, 6, 5, 14, 30, 0, 0, time.UTC)) || tx.Customer.Email != "marek.novak@example.cz" ||
		tx.Customer.Key != "C000001" || r.ParentSourceID != "11111111" || tx.Action != "sale" {
		t.Errorf("fixed001: %+v %+v", r, tx)
	}
	// A manual commission: no order id, a zero sale in the main currency.
	tx = com.records["fixed002"].Transaction
	if tx == nil || tx.Amount.String() != "0" || tx.AmountUnits != "" || *tx.Rewarded {
		t.Errorf("fixed002: %+v", tx)
	}
	// The renewal of fixed001 (a recurring commission, type U) is a sale
	// of the same customer.
	tx = com.records["fixed003"].Transaction
	if tx == nil || tx.Action != "sale" || tx.Amount.String() != "149" || tx.AmountUnits != "EUR" || tx.Customer.Key != "C000001" {
		t.Errorf("fixed003: %+v", tx)
	}
	if tx := com.records["fixed004"].Transaction; tx == nil || tx.Amount.String() != "9800" || tx.AmountUnits != "JPY" {
		t.Errorf("fixed004: %+v", tx)
	}
	wantErr(t, com, 103, record.CodeInvalidAmount, "amount")
	wantErr(t, com, 203, record.CodeInvalidTime, "created_at")
	wantErr(t, com, 303, record.CodeDuplicate, "key")
	wantErr(t, com, 403, record.CodeMissingField, "customer")
	wantErr(t, com, 503, record.CodeInvalidCurrency, "currency")
}
