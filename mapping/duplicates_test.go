package mapping

import (
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

func keyedTransaction(key string, line int64) record.Record {
	return record.Record{Entity: record.Transactions, Origin: record.Origin{File: "in.csv", Line: line}, Transaction: &partnero.Transaction{Key: key}}
}

func TestDuplicates(t *testing.T) {
	d := NewDuplicates(record.Transactions)
	if err := d.Check(keyedTransaction("ch_1", 12)); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(keyedTransaction("ch_2", 13)); err != nil {
		t.Fatal(err)
	}
	err := d.Check(keyedTransaction("ch_1", 40))
	if err == nil || err.Code != record.CodeDuplicate || err.Origin.Line != 40 || !strings.Contains(err.Message, "duplicate of line 12") || err.Field != "key" {
		t.Fatalf("duplicate: %#v", err)
	}
	if d.Len() != 2 {
		t.Errorf("Len = %d, want 2", d.Len())
	}
}

func TestDuplicatePartners(t *testing.T) {
	m := mustMapper(t, record.Partners, nil)
	d := NewDuplicates(record.Partners)
	rows := csvRows("email|key|source_id",
		"a@b.io|ann|1",
		"A@B.io |other|2", // same email after normalising
		"c@b.io|ann|3",    // referral key collision
		"d@b.io|dee|1",    // same source id
		"e@b.io|eve|5",
	)
	want := []string{"", "email", "key", "source_id", ""}
	for i, r := range rows {
		res := m.Map(r)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		err := d.Check(res.Record)
		switch {
		case want[i] == "" && err != nil:
			t.Errorf("line %d: unexpected %v", r.Origin.Line, err)
		case want[i] != "" && (err == nil || err.Field != want[i] || !strings.Contains(err.Message, "duplicate of line 2")):
			t.Errorf("line %d: got %v, want a duplicate %s of line 2", r.Origin.Line, err, want[i])
		}
	}
}

// A transaction is identified by its key alone: two transactions sharing a
// source id (two commissions of one sale, say) are not duplicates unless
// their keys are.
func TestDuplicateTransactionsByKeyOnly(t *testing.T) {
	d := NewDuplicates(record.Transactions)
	tx := func(line int64, key, source string) record.Record {
		return record.Record{
			Entity:      record.Transactions,
			Origin:      record.Origin{File: "t.csv", Line: line},
			Transaction: &partnero.Transaction{Key: key},
			SourceID:    source,
		}
	}
	if err := d.Check(tx(2, "k1", "s1")); err != nil {
		t.Fatal(err)
	}
	if err := d.Check(tx(3, "k2", "s1")); err != nil {
		t.Errorf("same source id, other key: %v", err)
	}
	if err := d.Check(tx(4, "k1", "s9")); err == nil || err.Field != "key" || !strings.Contains(err.Message, "line 2") {
		t.Errorf("same key: got %v, want a duplicate key of line 2", err)
	}
	if d.Len() != 2 {
		t.Errorf("Len = %d, want 2 (keys only)", d.Len())
	}
}
