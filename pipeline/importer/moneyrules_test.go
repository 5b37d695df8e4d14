package importer

import (
	"testing"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/record"
)

// TestMoneyRulesCanonicalAlias: the money rules of the canonical columns
// read the currency where the canonical mapping does, amount_units
// included. Before, the rules were written out as "currency: currency" and
// a refused row with amount_units was counted as unreadable money.
func TestMoneyRulesCanonicalAlias(t *testing.T) {
	rules := moneyRules(nil)
	if rules == nil {
		t.Fatal("no money rules for the canonical columns")
	}
	m, err := mapping.NewMapper(record.Transactions, rules)
	if err != nil {
		t.Fatal(err)
	}
	row := record.Row{Header: record.NewHeader([]string{"key", "amount", "amount_units"}), Text: []string{"", "12.50", "EUR"}}
	r := m.Map(row)
	if r.Err != nil || r.Record.Transaction == nil || r.Record.Transaction.AmountUnits != "EUR" || r.Record.Transaction.Amount.String() != "12.5" {
		t.Errorf("mapped %+v, %v: want 12.5 EUR", r.Record.Transaction, r.Err)
	}
}
