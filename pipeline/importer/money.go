package importer

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/partnero-etl/partnero-etl/mapping"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// money reconciles the money of a transactions run per currency: every row
// read is counted once as read and once by its outcome.
type money struct {
	tally          *pipeline.MoneyTally
	rows           *moneyReader
	rewardsLeftOut atomic.Int64 // rewards in another currency than their sale
	// joins counts the rule that found each transaction's customer, for an
	// import only (a migration's join counts its own).
	countJoins bool
	joinsMu    sync.Mutex
	joins      map[string]int64
}

func newMoney(programCurrency string, rules *mapping.Spec, countJoins bool) *money {
	return &money{
		tally:      &pipeline.MoneyTally{ProgramCurrency: strings.ToUpper(strings.TrimSpace(programCurrency))},
		rows:       newMoneyReader(rules),
		countJoins: countJoins,
		joins:      map[string]int64{},
	}
}

// mapped counts a row as mapping left it (after the hooks).
func (m *money) mapped(row *record.Row, r *record.Mapped) {
	switch {
	case r.Skipped:
		m.rows.add(m.tally, pipeline.MoneyRead, row)
		m.rows.add(m.tally, pipeline.MoneySkipped, row)
	case r.Record.Transaction != nil:
		addRecord(m.tally, pipeline.MoneyRead, &r.Record)
		if r.RewardLeftOut {
			m.rewardsLeftOut.Add(1)
		}
		if r.Err == nil && m.countJoins {
			// An import finds the customer in Partnero; a migration's
			// join counts its own rules.
			m.joinsMu.Lock()
			m.joins[pipeline.CustomerJoinRule(r.Record.Transaction)]++
			m.joinsMu.Unlock()
		}
	default:
		m.rows.add(m.tally, pipeline.MoneyRead, row)
	}
}

// written counts a record the sink wrote or found unchanged.
func (m *money) written(rec *record.Record, o record.Outcome) {
	switch o {
	case record.Created, record.Updated:
		addRecord(m.tally, pipeline.MoneyWritten, rec)
	case record.Unchanged:
		addRecord(m.tally, pipeline.MoneyUnchanged, rec)
	}
}

// rejected counts a rejected row.
func (m *money) rejected(row *record.Row, rerr *record.RowError) {
	if rerr.Code == record.CodeMalformedRow {
		// Never reached mapping: read only here.
		m.rows.add(m.tally, pipeline.MoneyRead, row)
	}
	m.rows.add(m.tally, pipeline.MoneyRejected, row)
}

// report puts the money, rewards left out and customer joins in rep.
func (m *money) report(rep *pipeline.Report) {
	rep.Money = m.tally.Snapshot()
	rep.RewardsLeftOut = m.rewardsLeftOut.Load()
	if len(m.joins) > 0 {
		rep.CustomerJoins = m.joins
	}
}

// moneyReader reads the amount, currency and reward of a transaction row
// that did not become a record (mapping refused or skipped it, or it was
// rejected later and only its row is at hand), so that the report's money
// reconciliation counts it in its currency. It maps the row with only the
// rules of those fields (moneyRules).
type moneyReader struct {
	m *mapping.Mapper
}

// newMoneyReader compiles the money rules. Rules it cannot compile leave
// such rows unreadable rather than failing the run: the main mapping has
// been checked already.
func newMoneyReader(rules *mapping.Spec) *moneyReader {
	if rules == nil {
		return &moneyReader{}
	}
	m, err := mapping.NewMapper(record.Transactions, rules)
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
