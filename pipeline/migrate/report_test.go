package migrate

import (
	"bytes"
	"strings"
	"testing"
	"time"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// d is a decimal of the test's money.
func d(s string) *api.Decimal { v := api.MustDecimal(s); return &v }

func TestMigrationReport(t *testing.T) {
	var money pipeline.MoneyTally
	money.Add(pipeline.MoneyRead, "GBP", d("299"), nil)
	money.Add(pipeline.MoneyWritten, "GBP", d("299"), nil)
	m := &MigrationReport{From: "rewardful", Duration: 2 * time.Second, Stages: []*pipeline.Report{
		{Entity: record.Partners, Counts: pipeline.Counts{Read: 10, Created: 8, Rejected: 2, ByCode: map[string]int64{"duplicate": 2}}, Requests: pipeline.RequestStats{Total: 10}, RejectsFile: "p.rejects.csv"},
		{Entity: record.Customers, Counts: pipeline.Counts{Read: 1, Created: 1}},
		{Entity: record.Transactions, Counts: pipeline.Counts{Read: 30, Created: 20, Skipped: 5, Rejected: 5, ByCode: map[string]int64{"duplicate": 1, "parent_rejected": 4}}, Requests: pipeline.RequestStats{Total: 5, RateLimited: 1},
			Money: money.Snapshot(), CustomerJoins: map[string]int64{"source_id": 25}, CustomersCreated: 1},
	}}
	m.Finish()
	if m.Total.Read != 41 || m.Total.Created != 29 || m.Total.Rejected != 7 || m.Total.ByCode["duplicate"] != 3 || !m.Total.Balanced() {
		t.Errorf("total %+v", m.Total)
	}
	if m.Requests != 15 || m.RateLimited != 1 || m.RequestsPerRow != 15.0/41 {
		t.Errorf("requests %d, 429s %d, per row %v", m.Requests, m.RateLimited, m.RequestsPerRow)
	}
	if m.Money["GBP"].Written.Amount != "299.00" || m.CustomerJoins["source_id"] != 25 || m.CustomersCreated != 1 {
		t.Errorf("money %+v, joins %v, created %d: want the transactions stage's", m.Money, m.CustomerJoins, m.CustomersCreated)
	}
	// The client's total: the key check and the requests between stages.
	m.SetRequests(16, 0, 1)
	if m.Requests != 16 || m.RequestsPerRow != 16.0/41 {
		t.Errorf("requests %d, per row %v after SetRequests", m.Requests, m.RequestsPerRow)
	}
	var b bytes.Buffer
	if err := m.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Migrated from rewardful: 41 rows", "partners", "parent_rejected          4", "rejected partners written to p.rejects.csv", "requests: 16 (0.390 per row)",
		"GBP", "299.00", "joined to their customer by: source_id 25", "customers created from transactions: 1", "counted as created under customers"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, b.String())
		}
	}
	b.Reset()
	if err := m.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"by_entity"`) || !strings.Contains(b.String(), `"parent_rejected": 4`) || !strings.Contains(b.String(), `"money_by_currency"`) {
		t.Errorf("JSON:\n%s", b.String())
	}
}
