package export

import (
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// An amount already in a program that does not fit DECIMAL(38,9) (imported
// before mapping refused such amounts) used to fail every Parquet export of
// the program. Now that row is left out with a per-row error in the
// manifest, and every other row is exported.
func TestParquetAmountTooWideIsARowError(t *testing.T) {
	src := fixture()
	wide := tx("t-wide", "2025-01-02T12:00:00Z", "1e35")
	fine := partnero.MustDecimal("0.0000000001") // 10 decimals: too fine
	wide.Transaction.Rewards[0].Amount = &fine
	src.recs[record.Transactions] = append(src.recs[record.Transactions], wide)

	dir := t.TempDir()
	m, err := Run(t.Context(), baseOpts(dir, "parquet"), src)
	if err != nil {
		t.Fatalf("export failed on one row: %v", err)
	}
	for e, want := range map[record.Entity]int64{record.Transactions: 4, record.Rewards: 4} {
		sum := m.Entities[e]
		if sum.Rows != want || sum.Rejected != 1 || len(sum.RejectedRows) != 1 {
			t.Fatalf("%s: %+v, want %d rows and 1 rejected", e, sum, want)
		}
		r := sum.RejectedRows[0]
		if r.Code != record.CodeInvalidAmount || r.Field != "amount" || !strings.Contains(r.Message, "DECIMAL(38,9)") {
			t.Errorf("%s: rejected row %+v", e, r)
		}
	}
	if k := m.Entities[record.Transactions].RejectedRows[0].Key; k != "t-wide" {
		t.Errorf("rejected transaction key %q, want t-wide", k)
	}
	read, err := ReadManifest(dir)
	if err != nil || read.Entities[record.Transactions].Rejected != 1 {
		t.Fatalf("manifest on disk does not list the rejected row: %v %+v", err, read)
	}
	// CSV keeps any decimal as text: nothing to reject there.
	m, err = Run(t.Context(), baseOpts(t.TempDir(), "csv"), src)
	if err != nil || m.Entities[record.Transactions].Rows != 5 || m.Entities[record.Transactions].Rejected != 0 {
		t.Fatalf("csv: %v %+v", err, m.Entities[record.Transactions])
	}
}
