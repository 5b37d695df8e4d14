package migrate

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// MigrationReport combines the reports of a migration's stages: what
// `migrate` prints and what its --report writes as JSON.
type MigrationReport struct {
	From        string `json:"from,omitempty"`
	DryRun      bool   `json:"dry_run"`
	Interrupted bool   `json:"interrupted"`
	Error       string `json:"error,omitempty"`
	// Stages are the imports in the order they ran (partners, customers,
	// transactions; those without an input are absent).
	Stages []*pipeline.Report `json:"stages"`
	// Total adds up the stages' counts; ByEntity is the same per entity.
	Total    pipeline.Counts            `json:"total"`
	ByEntity map[string]pipeline.Counts `json:"by_entity"`

	Started        time.Time     `json:"started"`
	Duration       time.Duration `json:"-"`
	Seconds        float64       `json:"duration_seconds"`
	Requests       int64         `json:"requests"`
	RequestsPerRow float64       `json:"requests_per_row"`
	Retries        int64         `json:"retries"`
	RateLimited    int64         `json:"rate_limited"`
	// DanglingReferrers counts partners imported without their referring
	// partner, which was not in the partners input.
	DanglingReferrers int64 `json:"partners_without_referrer,omitempty"`
	// LateRejects are the customers left to their transactions that could
	// not be written on their own either (see the customers' counts).
	LateRejects []string `json:"customers_rejected_after_transactions,omitempty"`

	// Money, CustomerJoins and CustomersCreated are the transactions
	// stage's (see Report): the money reconciled per currency, how each
	// transaction found its customer, and the customers created inside a
	// transaction batch (with a customers file: its own customers, which
	// the customers stage left to their first batch and counts as created).
	Money            map[string]*pipeline.CurrencyMoney `json:"money_by_currency,omitempty"`
	CustomerJoins    map[string]int64                   `json:"customers_joined_by,omitempty"`
	CustomersCreated int64                              `json:"customers_created_from_transactions"`
	RewardsLeftOut   int64                              `json:"rewards_left_out_other_currency,omitempty"`
}

// SetRequests replaces the requests the stages counted by the client's
// totals for the whole migration (which include the key check and the
// requests between stages).
func (m *MigrationReport) SetRequests(total, retries, rateLimited int64) {
	m.Requests, m.Retries, m.RateLimited = total, retries, rateLimited
	m.RequestsPerRow = 0
	if m.Total.Read > 0 {
		m.RequestsPerRow = float64(m.Requests) / float64(m.Total.Read)
	}
}

// Finish adds up the stages.
func (m *MigrationReport) Finish() {
	m.Total = pipeline.Counts{ByCode: map[string]int64{}}
	m.ByEntity = make(map[string]pipeline.Counts, len(m.Stages))
	m.Requests, m.Retries, m.RateLimited = 0, 0, 0
	for _, r := range m.Stages {
		c := r.Counts
		m.ByEntity[string(r.Entity)] = c
		m.Total.Read += c.Read
		m.Total.Created += c.Created
		m.Total.Updated += c.Updated
		m.Total.Unchanged += c.Unchanged
		m.Total.Skipped += c.Skipped
		m.Total.Rejected += c.Rejected
		m.Total.Abandoned += c.Abandoned
		m.Total.Resumed += c.Resumed
		for code, n := range c.ByCode {
			m.Total.ByCode[code] += n
		}
		m.Requests += r.Requests.Total
		m.Retries += r.Requests.Retries
		m.RateLimited += r.Requests.RateLimited
		if r.Entity == record.Transactions {
			m.Money, m.CustomerJoins, m.CustomersCreated = r.Money, r.CustomerJoins, r.CustomersCreated
			m.RewardsLeftOut = r.RewardsLeftOut
		}
	}
	m.Seconds = m.Duration.Seconds()
	m.RequestsPerRow = 0
	if m.Total.Read > 0 {
		m.RequestsPerRow = float64(m.Requests) / float64(m.Total.Read)
	}
}

// WriteJSON writes the report as indented JSON.
func (m *MigrationReport) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(m)
}

// WriteSummary writes the human summary: a table of outcomes per entity,
// rejections per code, requests, and where the reject files are.
func (m *MigrationReport) WriteSummary(w io.Writer) error {
	ew := &pipeline.SummaryWriter{W: w}
	verb := "Migrated"
	switch {
	case m.DryRun:
		verb = "Dry run of the migration"
	case m.Interrupted:
		verb = "Interrupted migration"
	case m.Error != "":
		verb = "Failed migration"
	}
	from := ""
	if m.From != "" {
		from = " from " + m.From
	}
	ew.Printf("%s%s: %d rows in %s\n", verb, from, m.Total.Read, m.Duration.Round(time.Millisecond))
	would := ""
	if m.DryRun {
		would = " (would be)"
	}
	ew.Printf("  %-13s %8s %8s %8s %8s %8s %8s%s\n", "", "read", "created", "updated", "unchanged", "skipped", "rejected", would)
	for _, r := range m.Stages {
		c := r.Counts
		ew.Printf("  %-13s %8d %8d %8d %8d %8d %8d\n", r.Entity, c.Read, c.Created, c.Updated, c.Unchanged, c.Skipped, c.Rejected)
	}
	t := m.Total
	ew.Printf("  %-13s %8d %8d %8d %8d %8d %8d\n", "total", t.Read, t.Created, t.Updated, t.Unchanged, t.Skipped, t.Rejected)
	if len(t.ByCode) > 0 {
		ew.Printf("  rejected by code:\n")
		for _, code := range slices.Sorted(maps.Keys(t.ByCode)) {
			ew.Printf("    %-24s %d\n", code, t.ByCode[code])
		}
	}
	if t.Abandoned > 0 {
		ew.Printf("  abandoned %d rows (not finished; run the same command again to resume)\n", t.Abandoned)
	}
	if t.Resumed > 0 {
		ew.Printf("  %d rows were done by an earlier run, according to the journals\n", t.Resumed)
	}
	if ew.Err == nil {
		ew.Err = pipeline.WriteTransactionTotals(w, m.Money, m.RewardsLeftOut, m.CustomerJoins, m.CustomersCreated, would)
	}
	if _, ok := m.ByEntity[string(record.Customers)]; ok && m.CustomersCreated > 0 {
		ew.Printf("    (customers of the customers file, created inside their first\n     transaction batch: counted as created under customers)\n")
	}
	for _, r := range m.LateRejects {
		ew.Printf("  a customer left to its transactions could not be created: %s\n", r)
	}
	if m.DanglingReferrers > 0 {
		ew.Printf("  %d partners were imported without their referring partner (not in the partners input)\n", m.DanglingReferrers)
	}
	for _, r := range m.Stages {
		if r.DuplicateKeys > 0 {
			ew.Printf("  warning: %d %s key(s) are held by more than one record in the program (created twice); review them\n", r.DuplicateKeys, r.Entity)
		}
	}
	ew.Printf("  requests: %d (%.3f per row), retries %d, 429s %d\n", m.Requests, m.RequestsPerRow, m.Retries, m.RateLimited)
	for _, r := range m.Stages {
		if r.RejectsFile != "" && r.Counts.Rejected > 0 {
			ew.Printf("  rejected %s written to %s\n", r.Entity, r.RejectsFile)
		}
	}
	if m.Error != "" {
		ew.Printf("  error: %s\n", m.Error)
	}
	return ew.Err
}
