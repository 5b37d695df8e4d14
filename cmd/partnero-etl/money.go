package main

import (
	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// moneyReader reads the amount, currency and reward of a transaction row
// that did not become a record (mapping refused or skipped it, or it was
// rejected later and only its row is at hand), so that the report's money
// reconciliation counts it in its currency. It maps the row with only the
// rules of those fields, taken from the run's own mapping.
type moneyReader struct {
	m *mapping.Mapper
}

// newMoneyReader compiles the money rules of a transactions mapping
// (spec nil: the canonical columns). A mapping it cannot compile leaves
// such rows unreadable rather than failing the run: the main mapping has
// been checked already.
func newMoneyReader(spec *mapping.Spec) *moneyReader {
	spec, err := spec.Subset(record.Transactions, []string{"amount", "currency", "reward"},
		map[string]string{"customer.key": "identity"})
	if err != nil || spec == nil {
		return &moneyReader{}
	}
	m, err := mapping.NewMapper(record.Transactions, spec)
	if err != nil {
		return &moneyReader{}
	}
	return &moneyReader{m: m}
}

// add counts the row in a bucket of the tally, as unreadable when its
// money cannot be read.
func (mr *moneyReader) add(t *pipeline.MoneyTally, bucket int, row *record.Row) {
	if mr == nil || mr.m == nil || row == nil || row.Header == nil {
		t.AddUnreadable(bucket)
		return
	}
	r := mr.m.Map(*row)
	if r.Err != nil || r.Record.Transaction == nil {
		t.AddUnreadable(bucket)
		return
	}
	tx := r.Record.Transaction
	t.Add(bucket, tx.AmountUnits, tx.Amount, tx.Reward)
}

// addRecord counts a transaction record in a bucket.
func addRecord(t *pipeline.MoneyTally, bucket int, rec *record.Record) {
	if rec.Transaction == nil {
		return
	}
	tx := rec.Transaction
	t.Add(bucket, tx.AmountUnits, tx.Amount, tx.Reward)
}
