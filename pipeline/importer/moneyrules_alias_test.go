package importer

import (
	"testing"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// A preset whose money rules use a YAML anchor (FirstPromoter's
// *account currency) still has its money read for rows that did not become
// records: before, the copied rules named an anchor the new document did
// not hold and every such row was counted unreadable.
func TestMoneyReaderFollowsAliases(t *testing.T) {
	spec, err := mapping.Preset("firstpromoter", record.Transactions)
	if err != nil {
		t.Fatal(err)
	}
	rules := moneyRules(spec)
	if rules == nil {
		t.Fatal("the money rules of the firstpromoter preset did not compile")
	}
	m, err := mapping.NewMapper(record.Transactions, rules)
	if err != nil {
		t.Fatalf("the money rules of the firstpromoter preset did not compile: %v", err)
	}
	h := record.NewHeader([]string{"original_sale_amount", "original_sale_currency", "amount"})
	row := record.Row{Header: h, Text: []string{"4500", "GBP", "1500"}}
	var tally pipeline.MoneyTally
	// As the importer's money reader counts a row that did not become a
	// record (pipeline/importer: TestMoneyReader).
	if r := m.Map(row); r.Err == nil && r.Record.Transaction != nil {
		tx := r.Record.Transaction
		tally.Add(pipeline.MoneyRead, tx.AmountUnits, tx.Amount, tx.Reward)
	}
	got := tally.Snapshot()
	if got["GBP"] == nil || got["GBP"].Read.Amount != "45.00" {
		t.Errorf("money read %+v, want 45.00 GBP", got)
	}
}
