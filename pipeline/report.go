package pipeline

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math/big"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/partnero-etl/partnero-etl/internal/atomicfile"
	"github.com/partnero-etl/partnero-etl/mapping"
	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Counts are the per-outcome tallies of a run. Every row read ends in exactly
// one of Created, Updated, Unchanged, Skipped, Rejected or, when the run was
// stopped, Abandoned (read but not finished: a resume picks it up again), so
//
//	Read == Created + Updated + Unchanged + Skipped + Rejected + Abandoned.
//
// Resumed counts the rows among the first four whose outcome came from the
// journal of an earlier run instead of from the target.
type Counts struct {
	Read      int64            `json:"read"`
	Created   int64            `json:"created"`
	Updated   int64            `json:"updated"`
	Unchanged int64            `json:"unchanged"`
	Skipped   int64            `json:"skipped"`
	Rejected  int64            `json:"rejected"`
	Abandoned int64            `json:"abandoned"`
	Resumed   int64            `json:"resumed"`
	ByCode    map[string]int64 `json:"rejected_by_code"`
}

// Done is the number of rows that have an outcome.
func (c Counts) Done() int64 {
	return c.Created + c.Updated + c.Unchanged + c.Skipped + c.Rejected
}

// Balanced reports whether the outcomes add up to the rows read.
func (c Counts) Balanced() bool {
	var codes int64
	for _, n := range c.ByCode {
		codes += n
	}
	return c.Done()+c.Abandoned == c.Read && codes == c.Rejected
}

// tally is the concurrency-safe accumulator behind Counts: workers record
// outcomes while the progress display reads snapshots.
type tally struct {
	read, created, updated, unchanged, skipped, rejected, abandoned, resumed atomic.Int64

	mu     sync.Mutex
	byCode map[string]int64
}

func (t *tally) add(o record.Outcome, code string, resumed bool) {
	switch o {
	case record.Created:
		t.created.Add(1)
	case record.Updated:
		t.updated.Add(1)
	case record.Unchanged:
		t.unchanged.Add(1)
	case record.Skipped:
		t.skipped.Add(1)
	case record.Rejected:
		if code == "" {
			code = record.CodeAPIError
		}
		t.mu.Lock()
		if t.byCode == nil {
			t.byCode = make(map[string]int64)
		}
		t.byCode[code]++
		t.mu.Unlock()
		t.rejected.Add(1)
	}
	if resumed {
		t.resumed.Add(1)
	}
}

func (t *tally) snapshot() Counts {
	t.mu.Lock()
	codes := maps.Clone(t.byCode)
	t.mu.Unlock()
	if codes == nil {
		codes = map[string]int64{}
	}
	return Counts{
		Read:      t.read.Load(),
		Created:   t.created.Load(),
		Updated:   t.updated.Load(),
		Unchanged: t.unchanged.Load(),
		Skipped:   t.skipped.Load(),
		Rejected:  t.rejected.Load(),
		Abandoned: t.abandoned.Load(),
		Resumed:   t.resumed.Load(),
		ByCode:    codes,
	}
}

// RequestStats is what the API client says about the requests of a run. The
// pipeline does not talk to the API itself; the command fills this in from
// the client's statistics.
type RequestStats struct {
	Total         int64            `json:"total"`
	ByKind        map[string]int64 `json:"by_kind"`
	Retries       int64            `json:"retries"`
	RateLimited   int64            `json:"rate_limited"`
	ServerErrors  int64            `json:"server_errors"`
	NetworkErrors int64            `json:"network_errors"`
	// AmbiguousWrites counts creates whose answer was lost or a 5xx, which
	// were verified by listing instead of being sent again blindly.
	AmbiguousWrites int64 `json:"ambiguous_writes_verified"`
	// LatencyMS is the API's smoothed latency at the end of the run.
	LatencyMS float64 `json:"latency_ms"`
	// Budget is the request budget in requests per second at the end of the
	// run, and BudgetLearned whether it came from the API's headers.
	Budget        float64 `json:"budget_per_second"`
	BudgetLearned bool    `json:"budget_learned_from_headers"`
}

// Report is the outcome of one run: what the human summary prints and what
// --report writes as JSON.
type Report struct {
	Entity      record.Entity `json:"entity"`
	Input       string        `json:"input"`
	DryRun      bool          `json:"dry_run"`
	Interrupted bool          `json:"interrupted"`
	// Error is the fatal error that ended the run early, if any.
	Error string `json:"error,omitempty"`

	Counts Counts `json:"counts"`

	Started       time.Time     `json:"started"`
	Duration      time.Duration `json:"-"`
	Seconds       float64       `json:"duration_seconds"`
	RowsPerSecond float64       `json:"rows_per_second"`
	Workers       int           `json:"workers"`

	Requests       RequestStats `json:"requests"`
	RequestsPerRow float64      `json:"requests_per_row"`
	// Strategy says how the sink learned what the target holds (a full
	// listing or per-key lookups), for the curious and for tuning.
	Strategy string `json:"strategy,omitempty"`

	// DuplicateKeys counts input transactions whose key the program holds
	// more than once (created twice, by runs importing the same rows at
	// once or outside this tool): a warning, the tool cannot pick one.
	DuplicateKeys int64 `json:"target_duplicate_keys,omitempty"`

	RejectsFile string `json:"rejects_file,omitempty"`
	JournalFile string `json:"journal_file,omitempty"`

	// Money reconciles a transactions run per currency: the rows and the
	// exact sums of their amounts and rewards, read and by outcome (see
	// CurrencyMoney). Keyed by ISO 4217 code; MoneyProgramCurrency for
	// transactions that name no currency, MoneyUnreadable for rows whose
	// amount or currency could not be read.
	Money map[string]*CurrencyMoney `json:"money_by_currency,omitempty"`
	// CustomerJoins counts the transactions by how their customer was
	// found when they were read (see JoinRules and the README).
	CustomerJoins map[string]int64 `json:"customers_joined_by,omitempty"`
	// CustomersCreated counts the customers transaction writes created
	// with their first transaction (options.create_customer).
	CustomersCreated int64 `json:"customers_created_from_transactions"`
	// RewardsLeftOut counts transactions whose reward was in another
	// currency than the sale (a money.currency rule) and was left out:
	// Partnero computes those commissions by the program's rules.
	RewardsLeftOut int64 `json:"rewards_left_out_other_currency,omitempty"`
}

// The currency keys of Report.Money that are not ISO 4217 codes.
const (
	MoneyProgramCurrency = "program_currency"
	MoneyUnreadable      = "unreadable"
)

// MoneyTotals is a number of transactions and the exact sums of their
// amounts and rewards, as decimal text ("0" when none).
type MoneyTotals struct {
	Rows   int64  `json:"rows"`
	Amount string `json:"amount"`
	Reward string `json:"reward"`
}

// CurrencyMoney is one currency's reconciliation. Every row read ends in
// one of the other buckets, so Read = Written + Unchanged + Skipped +
// Rejected + NotFinished, in rows and in sums.
type CurrencyMoney struct {
	// Read is every transaction row read in this currency.
	Read MoneyTotals `json:"read"`
	// Written were created or updated (by this run, or by an earlier one
	// according to the journal); Unchanged were already in the program.
	Written   MoneyTotals `json:"written"`
	Unchanged MoneyTotals `json:"unchanged"`
	// Skipped were left out by a mapping rule (refunds, voids...);
	// Rejected have a reject row with the reason.
	Skipped  MoneyTotals `json:"skipped"`
	Rejected MoneyTotals `json:"rejected"`
	// NotFinished were read but not finished (an interrupted run):
	// the next run picks them up.
	NotFinished MoneyTotals `json:"not_finished"`
}

// The buckets of a MoneyTally.
const (
	MoneyRead = iota
	MoneyWritten
	MoneyUnchanged
	MoneySkipped
	MoneyRejected
	moneyBuckets
)

// MoneyTally adds up transactions' amounts and rewards per currency and
// bucket in exact arithmetic (never floats). Safe for concurrent use.
type MoneyTally struct {
	// ProgramCurrency is the program's own currency when the API said it
	// (GET /test): a transaction without a currency is counted in it, so
	// the report's totals compare with the program's. Empty: such rows are
	// counted under MoneyProgramCurrency.
	ProgramCurrency string

	mu sync.Mutex
	by map[string]*[moneyBuckets]moneySum
}

type moneySum struct {
	rows           int64
	amount, reward big.Rat
	// scale is the most fractional digits an added value had: a sum of
	// decimals is printed with as many.
	scale int
}

// Add counts one transaction in a bucket: currency "" is the program's
// currency; amount and reward may be nil.
func (m *MoneyTally) Add(bucket int, currency string, amount, reward *api.Decimal) {
	if currency == "" {
		currency = MoneyProgramCurrency
		if m.ProgramCurrency != "" {
			currency = m.ProgramCurrency
		}
	}
	currency = strings.ToUpper(currency)
	if currency == strings.ToUpper(MoneyProgramCurrency) {
		currency = MoneyProgramCurrency
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by == nil {
		m.by = make(map[string]*[moneyBuckets]moneySum)
	}
	b, ok := m.by[currency]
	if !ok {
		b = new([moneyBuckets]moneySum)
		m.by[currency] = b
	}
	s := &b[bucket]
	s.rows++
	if amount != nil && !amount.IsZero() {
		s.amount.Add(&s.amount, amount.Rat())
		s.scale = max(s.scale, amount.Scale())
	}
	if reward != nil && !reward.IsZero() {
		s.reward.Add(&s.reward, reward.Rat())
		s.scale = max(s.scale, reward.Scale())
	}
}

// AddUnreadable counts, in a bucket, a row whose amount or currency could
// not be read.
func (m *MoneyTally) AddUnreadable(bucket int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.by == nil {
		m.by = make(map[string]*[moneyBuckets]moneySum)
	}
	b, ok := m.by[MoneyUnreadable]
	if !ok {
		b = new([moneyBuckets]moneySum)
		m.by[MoneyUnreadable] = b
	}
	b[bucket].rows++
}

// Snapshot returns the reconciliation per currency (nil when nothing was
// counted); NotFinished is what was read and is in no other bucket.
func (m *MoneyTally) Snapshot() map[string]*CurrencyMoney {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.by) == 0 {
		return nil
	}
	out := make(map[string]*CurrencyMoney, len(m.by))
	for cur, b := range m.by {
		// Sums are printed in the currency's minor units (2 for USD, 0
		// for JPY, 3 for KWD), or finer when a value was.
		scale, _ := mapping.CurrencyExponent(cur)
		for i := range b {
			scale = max(scale, b[i].scale)
		}
		var rest moneySum
		rest.rows = b[MoneyRead].rows
		rest.amount.Set(&b[MoneyRead].amount)
		rest.reward.Set(&b[MoneyRead].reward)
		for i := MoneyWritten; i < moneyBuckets; i++ {
			rest.rows -= b[i].rows
			rest.amount.Sub(&rest.amount, &b[i].amount)
			rest.reward.Sub(&rest.reward, &b[i].reward)
		}
		t := func(s *moneySum) MoneyTotals {
			return MoneyTotals{Rows: s.rows, Amount: s.amount.FloatString(scale), Reward: s.reward.FloatString(scale)}
		}
		out[cur] = &CurrencyMoney{
			Read: t(&b[MoneyRead]), Written: t(&b[MoneyWritten]), Unchanged: t(&b[MoneyUnchanged]),
			Skipped: t(&b[MoneySkipped]), Rejected: t(&b[MoneyRejected]), NotFinished: t(&rest),
		}
	}
	return out
}

// writeMoney prints the money reconciliation: per currency, rows, amounts
// and rewards read and by outcome.
func writeMoney(ew *SummaryWriter, money map[string]*CurrencyMoney, would string) {
	if len(money) == 0 {
		return
	}
	unfinished := false
	for _, m := range money {
		unfinished = unfinished || m.NotFinished.Rows != 0
	}
	// Narrow columns, so the table fits an 80-column terminal with all six.
	cols := []string{"read", "written", "unchanged", "skipped", "rejected"}
	if unfinished {
		cols = append(cols, "unfinished")
	}
	if would != "" {
		ew.Printf("  transactions by currency (exact sums; what a real run would do):\n")
	} else {
		ew.Printf("  transactions by currency (exact sums):\n")
	}
	ew.Printf("  %-12s", "")
	for _, c := range cols {
		ew.Printf(" %9s", c)
	}
	ew.Printf("\n")
	for _, cur := range slices.Sorted(maps.Keys(money)) {
		m := money[cur]
		buckets := []MoneyTotals{m.Read, m.Written, m.Unchanged, m.Skipped, m.Rejected, m.NotFinished}[:len(cols)]
		label := cur
		switch cur {
		case MoneyProgramCurrency:
			label = "the program's currency"
		case MoneyUnreadable:
			label = "amount or currency unreadable"
		}
		if len(label) > 5 {
			// A long label gets a line of its own.
			ew.Printf("  %s\n", label)
			label = ""
		}
		ew.Printf("  %-5s %-6s", label, "rows")
		for _, b := range buckets {
			ew.Printf(" %9d", b.Rows)
		}
		ew.Printf("\n")
		if cur == MoneyUnreadable {
			continue
		}
		for _, line := range []struct {
			name  string
			value func(MoneyTotals) string
		}{{"amount", func(t MoneyTotals) string { return t.Amount }}, {"reward", func(t MoneyTotals) string { return t.Reward }}} {
			any := false
			for _, b := range buckets {
				any = any || strings.Trim(line.value(b), "0.") != ""
			}
			if !any && line.name == "reward" {
				continue
			}
			ew.Printf("  %-5s %-6s", "", line.name)
			for _, b := range buckets {
				ew.Printf(" %9s", line.value(b))
			}
			ew.Printf("\n")
		}
	}
}

// writeRewardsLeftOut says how many commissions were not carried over
// because they were in another currency than their sale.
func writeRewardsLeftOut(ew *SummaryWriter, n int64) {
	if n > 0 {
		ew.Printf("  rewards left out: %d (in another currency than their sale;\n    Partnero computes those commissions by the program's rules)\n", n)
	}
}

// CustomerJoinRules names the rules of the reports' customers_joined_by,
// in the order they are tried: in a migration's customers input by the old
// platform's customer id, by key, by email (see pipeline/migrate's Join);
// then in Partnero by key or email.
var CustomerJoinRules = [...]string{"source_id", "key", "email", "partnero_key", "partnero_email"}

// CustomerJoinRule is how a transaction outside a migration's join finds
// its customer: in Partnero, by key, else by email.
func CustomerJoinRule(tx *api.Transaction) string {
	if tx.Customer.Key != "" {
		return CustomerJoinRules[3]
	}
	return CustomerJoinRules[4]
}

// WriteTransactionTotals prints what a transactions run adds to a summary:
// the money reconciled per currency, the rewards left out, and how the
// transactions found their customers. would marks a dry run, in the
// caller's wording.
func WriteTransactionTotals(w io.Writer, money map[string]*CurrencyMoney, rewardsLeftOut int64, joins map[string]int64, created int64, would string) error {
	ew := &SummaryWriter{W: w}
	writeMoney(ew, money, would)
	writeRewardsLeftOut(ew, rewardsLeftOut)
	writeJoins(ew, joins, created, would)
	return ew.Err
}

// writeJoins prints how transactions found their customers, and the
// customers created from transactions.
func writeJoins(ew *SummaryWriter, joins map[string]int64, created int64, would string) {
	var parts []string
	for _, rule := range CustomerJoinRules {
		if n := joins[rule]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", rule, n))
		}
	}
	if len(parts) > 0 {
		ew.Printf("  transactions joined to their customer by: %s\n", strings.Join(parts, ", "))
	}
	if created > 0 || len(parts) > 0 {
		ew.Printf("  customers %screated from transactions: %d\n", would, created)
	}
}

// Finish fills the derived figures from Counts, Duration and Requests.
func (r *Report) Finish() {
	r.Seconds = r.Duration.Seconds()
	if r.Seconds > 0 {
		r.RowsPerSecond = float64(r.Counts.Done()) / r.Seconds
	}
	if n := r.Counts.Read; n > 0 {
		r.RequestsPerRow = float64(r.Requests.Total) / float64(n)
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSummary writes the human summary of a run.
func (r *Report) WriteSummary(w io.Writer) error {
	c := r.Counts
	verb := "Imported"
	switch {
	case r.DryRun:
		verb = "Dry run of"
	case r.Interrupted:
		verb = "Interrupted import of"
	case r.Error != "":
		verb = "Failed import of"
	}
	would := ""
	if r.DryRun {
		would = "would be "
	}
	ew := &SummaryWriter{W: w}
	ew.Printf("%s %s from %s: %d rows read in %s (%.1f rows/s)\n", verb, r.Entity, r.Input, c.Read, r.Duration.Round(time.Millisecond), r.RowsPerSecond)
	ew.Printf("  %s%-10s %d\n", would, "created", c.Created)
	ew.Printf("  %s%-10s %d\n", would, "updated", c.Updated)
	ew.Printf("  %s%-10s %d\n", would, "unchanged", c.Unchanged)
	if c.Skipped > 0 {
		ew.Printf("  %-10s %d\n", "skipped", c.Skipped)
	}
	ew.Printf("  %s%-10s %d\n", would, "rejected", c.Rejected)
	for _, code := range slices.Sorted(maps.Keys(c.ByCode)) {
		ew.Printf("    %-24s %d\n", code, c.ByCode[code])
	}
	if c.Abandoned > 0 {
		ew.Printf("  %-10s %d (not finished; run the same command again to resume)\n", "abandoned", c.Abandoned)
	}
	if c.Resumed > 0 {
		ew.Printf("  (%d rows were done by an earlier run, according to the journal)\n", c.Resumed)
	}
	q := r.Requests
	ew.Printf("  requests: %d (%.3f per row), retries %d, 429s %d, budget %.1f/s", q.Total, r.RequestsPerRow, q.Retries, q.RateLimited, q.Budget)
	if q.BudgetLearned {
		ew.Printf(" (from the API's headers)")
	}
	ew.Printf("\n")
	if r.DuplicateKeys > 0 {
		ew.Printf("  warning: %d transaction key(s) of the input are held by more than one transaction in the program (created twice: by two runs at once, or outside this tool); review them, a commission may be paid twice\n", r.DuplicateKeys)
	}
	writeMoney(ew, r.Money, would)
	writeRewardsLeftOut(ew, r.RewardsLeftOut)
	writeJoins(ew, r.CustomerJoins, r.CustomersCreated, would)
	if r.RejectsFile != "" && c.Rejected > 0 {
		ew.Printf("  rejected rows written to %s\n", r.RejectsFile)
	}
	if r.Error != "" {
		ew.Printf("  error: %s\n", r.Error)
	}
	return ew.Err
}

// SummaryWriter keeps the first write error of a summary, so that the
// printing of a report (an import's, a migration's) reads straight.
type SummaryWriter struct {
	W   io.Writer
	Err error
}

// Printf writes unless an earlier write failed.
func (e *SummaryWriter) Printf(format string, args ...any) {
	if e.Err == nil {
		_, e.Err = fmt.Fprintf(e.W, format, args...)
	}
}

// WriteReportFile writes a report (an import's, a migration's) as JSON to
// path atomically: a failure (a full disk) leaves no partial or empty file,
// and a device or FIFO (/dev/stdout) is written through, never replaced.
func WriteReportFile(path string, rep interface{ WriteJSON(io.Writer) error }) error {
	if err := atomicfile.WriteFile(path, 0o644, rep.WriteJSON); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}
