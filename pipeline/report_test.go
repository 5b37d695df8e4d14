package pipeline

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

func d(s string) *api.Decimal { v := api.MustDecimal(s); return &v }

// TestMoneyTally: sums are exact decimals in the currency's minor units
// (never floats: 0.1 + 0.2 is 0.30), per currency and bucket, and what was
// read and is in no outcome is not finished.
func TestMoneyTally(t *testing.T) {
	var m MoneyTally
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			m.Add(MoneyRead, "USD", d("0.1"), d("0.01"))
			m.Add(MoneyWritten, "USD", d("0.1"), d("0.01"))
		})
	}
	wg.Wait()
	m.Add(MoneyRead, "USD", d("0.2"), nil)
	m.Add(MoneyRejected, "USD", d("0.2"), nil)
	m.Add(MoneyRead, "JPY", d("12000"), d("3600"))
	m.Add(MoneyRead, "KWD", d("15"), d("3.75"))
	m.Add(MoneyRead, "KWD", d("0.0001"), nil) // finer than the currency: shown
	m.Add(MoneySkipped, "KWD", d("15"), d("3.75"))
	m.Add(MoneyRead, "", d("5"), nil)
	m.Add(MoneyUnchanged, "", d("5"), nil)
	m.AddUnreadable(MoneyRead)
	m.AddUnreadable(MoneyRejected)

	got := m.Snapshot()
	want := map[string]CurrencyMoney{
		"USD": {Read: MoneyTotals{11, "1.20", "0.10"}, Written: MoneyTotals{10, "1.00", "0.10"}, Unchanged: MoneyTotals{0, "0.00", "0.00"},
			Skipped: MoneyTotals{0, "0.00", "0.00"}, Rejected: MoneyTotals{1, "0.20", "0.00"}, NotFinished: MoneyTotals{0, "0.00", "0.00"}},
		"JPY": {Read: MoneyTotals{1, "12000", "3600"}, Written: MoneyTotals{0, "0", "0"}, Unchanged: MoneyTotals{0, "0", "0"},
			Skipped: MoneyTotals{0, "0", "0"}, Rejected: MoneyTotals{0, "0", "0"}, NotFinished: MoneyTotals{1, "12000", "3600"}},
		"KWD": {Read: MoneyTotals{2, "15.0001", "3.7500"}, Written: MoneyTotals{0, "0.0000", "0.0000"}, Unchanged: MoneyTotals{0, "0.0000", "0.0000"},
			Skipped: MoneyTotals{1, "15.0000", "3.7500"}, Rejected: MoneyTotals{0, "0.0000", "0.0000"}, NotFinished: MoneyTotals{1, "0.0001", "0.0000"}},
		MoneyProgramCurrency: {Read: MoneyTotals{1, "5", "0"}, Written: MoneyTotals{0, "0", "0"}, Unchanged: MoneyTotals{1, "5", "0"},
			Skipped: MoneyTotals{0, "0", "0"}, Rejected: MoneyTotals{0, "0", "0"}, NotFinished: MoneyTotals{0, "0", "0"}},
		MoneyUnreadable: {Read: MoneyTotals{1, "0", "0"}, Written: MoneyTotals{0, "0", "0"}, Unchanged: MoneyTotals{0, "0", "0"},
			Skipped: MoneyTotals{0, "0", "0"}, Rejected: MoneyTotals{1, "0", "0"}, NotFinished: MoneyTotals{0, "0", "0"}},
	}
	if len(got) != len(want) {
		t.Errorf("currencies %v", got)
	}
	for cur, w := range want {
		if g := got[cur]; g == nil || *g != w {
			t.Errorf("%s:\n got %+v\nwant %+v", cur, g, w)
		}
	}
	if (&MoneyTally{}).Snapshot() != nil {
		t.Error("an empty tally has a snapshot")
	}
}

func TestReportMoneyAndJoins(t *testing.T) {
	var m MoneyTally
	m.Add(MoneyRead, "EUR", d("10.5"), d("1"))
	m.Add(MoneyWritten, "EUR", d("10.5"), d("1"))
	r := &Report{Entity: record.Transactions, Input: "t.csv", Counts: Counts{Read: 1, Created: 1},
		Money: m.Snapshot(), CustomerJoins: map[string]int64{"partnero_key": 1}, CustomersCreated: 1}
	r.Finish()
	var b bytes.Buffer
	if err := r.WriteSummary(&b); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"transactions by currency", "EUR", "10.50", "1.00", "joined to their customer by: partnero_key 1", "customers created from transactions: 1"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("summary lacks %q:\n%s", s, b.String())
		}
	}
	b.Reset()
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back struct {
		Money   map[string]CurrencyMoney `json:"money_by_currency"`
		Joins   map[string]int64         `json:"customers_joined_by"`
		Created int64                    `json:"customers_created_from_transactions"`
	}
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Money["EUR"].Written.Amount != "10.50" || back.Joins["partnero_key"] != 1 || back.Created != 1 {
		t.Errorf("JSON: %s", b.String())
	}
}

// With the program's currency known, a transaction without a currency is
// counted in it, beside those that name it.
func TestMoneyTallyProgramCurrency(t *testing.T) {
	m := MoneyTally{ProgramCurrency: "EUR"}
	m.Add(MoneyRead, "", d("5"), nil)
	m.Add(MoneyRead, "eur", d("2.50"), nil)
	m.Add(MoneyWritten, "", d("5"), nil)
	got := m.Snapshot()
	if _, ok := got[MoneyProgramCurrency]; ok || got["EUR"] == nil {
		t.Fatalf("currencies %v: want EUR only", got)
	}
	if r := got["EUR"].Read; r.Rows != 2 || r.Amount != "7.50" {
		t.Errorf("EUR read %+v, want 2 rows, 7.50", r)
	}
}

// The money table fits an 80-column terminal, with every column shown (an
// interrupted run adds "unfinished") and a long label on a line of its own.
func TestMoneyTableFitsEightyColumns(t *testing.T) {
	var m MoneyTally
	m.Add(MoneyRead, "USD", d("57391.74"), d("14218.85"))
	m.Add(MoneyRead, "JPY", d("1089000"), nil)
	m.Add(MoneyRead, "", d("5"), nil)
	m.Add(MoneyWritten, "USD", d("52887.74"), d("13143.30"))
	m.AddUnreadable(MoneyRead)
	for _, would := range []string{"", "would "} {
		var buf strings.Builder
		ew := &SummaryWriter{W: &buf}
		writeMoney(ew, m.Snapshot(), would)
		if !strings.Contains(buf.String(), "unfinished") || !strings.Contains(buf.String(), "amount or currency unreadable") {
			t.Fatalf("table lacks a column or a label:\n%s", buf.String())
		}
		for _, line := range strings.Split(buf.String(), "\n") {
			if n := utf8.RuneCountInString(line); n > 79 {
				t.Errorf("line of %d columns: %q", n, line)
			}
		}
	}
}
