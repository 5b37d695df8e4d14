package mapping

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

func TestCanonicalTransaction(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Transactions, nil)
	row := csvRow("key|amount|currency|reward|action|product_id|product_type|rewarded|rewardable|created_at|customer.key|customer.email|customer.name|customer.partner.key|customer.partner.source_id|source_id",
		"ch_1| 049.90 |usd|10.5|sale|prod_9|pro;annual|yes|0|2025-04-30T18:44:13+02:00|cus_1| Sam@Example.COM |Sam|sam|aff_1|src_1")
	res := m.Map(row)
	if res.Err != nil || res.Skipped {
		t.Fatalf("Map: %+v", res)
	}
	tx := res.Record.Transaction
	if tx.Key != "ch_1" || tx.Amount.String() != "49.9" || tx.AmountUnits != "USD" || tx.Reward.String() != "10.5" ||
		tx.Action != "sale" || tx.ProductID != "prod_9" || !slices.Equal(tx.ProductType, []string{"pro", "annual"}) ||
		!*tx.Rewarded || *tx.Rewardable || tx.Customer.Key != "cus_1" || tx.Customer.Email != "sam@example.com" ||
		tx.Customer.Name != "Sam" || tx.Customer.Partner == nil || tx.Customer.Partner.Key != "sam" {
		t.Errorf("transaction = %+v", tx)
	}
	if want := time.Date(2025, 4, 30, 16, 44, 13, 0, time.UTC); !tx.CreatedAt.Time.Equal(want) || tx.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at = %v, want %v in UTC", tx.CreatedAt.Time, want)
	}
	if res.Record.SourceID != "src_1" || res.Record.ParentSourceID != "aff_1" {
		t.Errorf("source ids = %q, %q", res.Record.SourceID, res.Record.ParentSourceID)
	}
	if res.Record.Row == nil || res.Record.Row.Origin.Line != 2 || res.Record.Origin.Line != 2 {
		t.Errorf("row/origin not carried: %+v", res.Record)
	}
}

func TestCanonicalPartnerAndCustomer(t *testing.T) {
	t.Parallel()
	pm := mustMapper(t, record.Partners, nil)
	res := pm.Map(csvRow("id|email|name|surname|key|tags|referring_partner.email|source_id|referring_partner.source_id",
		"p1|A@B.io|Ann|Lee|ann|vip, beta;;x|boss@b.io|aff_9|aff_1"))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	p := res.Record.Partner
	if p.ID != "p1" || p.Email != "a@b.io" || p.Key != "ann" || !slices.Equal(p.Tags, []string{"vip", "beta", "x"}) ||
		p.ReferringPartner == nil || p.ReferringPartner.Email != "boss@b.io" || res.Record.SourceID != "aff_9" || res.Record.ParentSourceID != "aff_1" {
		t.Errorf("partner = %+v, record = %+v", p, res.Record)
	}
	cm := mustMapper(t, record.Customers, nil)
	res = cm.Map(csvRow("key|email|partner.source_id", "cus_1|c@d.io|aff_9"))
	if res.Err != nil || res.Record.Customer.Key != "cus_1" || res.Record.ParentSourceID != "aff_9" || res.Record.Customer.Partner != nil {
		t.Errorf("customer = %+v err %v", res.Record, res.Err)
	}
}

func TestAmountUnitsAlias(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Transactions, nil)
	res := m.Map(csvRow("customer.key|amount|amount_units", "c|5|eur"))
	if res.Err != nil || res.Record.Transaction.AmountUnits != "EUR" {
		t.Fatalf("%+v", res)
	}
}

// TestValidation covers every validation rule on canonical columns.
func TestValidation(t *testing.T) {
	t.Parallel()
	long := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name   string
		entity record.Entity
		header string
		line   string
		code   string
		field  string
		column string
	}{
		{"partner email required", record.Partners, "email|name", "|Ann", record.CodeMissingField, "email", "email"},
		{"partner email syntax", record.Partners, "email", "ann.example.com", record.CodeInvalidEmail, "email", "email"},
		{"display name refused", record.Partners, "email", "Ann <ann@x.io>", record.CodeInvalidEmail, "email", "email"},
		{"name over 100", record.Partners, "email|name", "a@b.io|" + long(101), record.CodeTooLong, "name", "name"},
		{"name of 100 multibyte ok", record.Partners, "email|name", "a@b.io|" + strings.Repeat("é", 100), "", "", ""},
		{"surname over 100", record.Partners, "email|surname", "a@b.io|" + long(101), record.CodeTooLong, "surname", "surname"},
		{"key over 64", record.Partners, "email|key", "a@b.io|" + long(65), record.CodeTooLong, "key", "key"},
		{"key of 64 ok", record.Partners, "email|key", "a@b.io|" + long(64), "", "", ""},
		{"key with space", record.Partners, "email|key", "a@b.io|john doe", record.CodeInvalidValue, "key", "key"},
		{"key with ampersand", record.Partners, "email|key", "a@b.io|sam&co", record.CodeInvalidValue, "key", "key"},
		{"key with slash", record.Partners, "email|key", "a@b.io|sam/x", record.CodeInvalidValue, "key", "key"},
		{"unicode key ok", record.Partners, "email|key", "a@b.io|jörg", "", "", ""},
		{"customer key with slash ok", record.Customers, "key|partner.key", "acct/7|sam", "", "", ""},
		{"partner key of a customer", record.Customers, "key|partner.key", "c1|sam?x", record.CodeInvalidValue, "partner.key", "partner.key"},
		{"password over 255", record.Partners, "email|password", "a@b.io|" + long(256), record.CodeTooLong, "password", "password"},
		{"tag over 255", record.Partners, "email|tags", "a@b.io|ok," + long(256), record.CodeTooLong, "tags", "tags"},
		{"invalid utf-8", record.Partners, "email|name", "a@b.io|\xff", record.CodeInvalidValue, "name", "name"},
		{"newline in a name", record.Partners, "email|name", "a@b.io|Ann\nLee", record.CodeInvalidValue, "name", "name"},
		{"C1 control in a name", record.Partners, "email|name", "a@b.io|Ann\u0085Lee", record.CodeInvalidValue, "name", "name"},
		{"tab in an action", record.Transactions, "customer.key|amount|action", "c1|5|a\tb", record.CodeInvalidValue, "action", "action"},
		{"customer key required", record.Customers, "key|partner.key", "|sam", record.CodeMissingField, "key", "key"},
		{"customer partner required", record.Customers, "key|email", "c1|c@d.io", record.CodeMissingField, "partner", ""},
		{"customer key over 64", record.Customers, "key|partner.key", long(65) + "|sam", record.CodeTooLong, "key", "key"},
		{"customer partner email", record.Customers, "key|partner.email", "c1|nope", record.CodeInvalidEmail, "partner.email", "partner.email"},
		{"transaction customer required", record.Transactions, "amount|customer.name", "5|Sam", record.CodeMissingField, "customer", ""},
		{"transaction amount or reward", record.Transactions, "customer.key|amount", "c1|", record.CodeMissingField, "amount", "amount"},
		{"reward alone ok", record.Transactions, "customer.email|reward", "c@d.io|3", "", "", ""},
		{"decimal comma", record.Transactions, "customer.key|amount", "c1|1,5", record.CodeInvalidAmount, "amount", "amount"},
		{"thousands separator", record.Transactions, "customer.key|amount", "c1|1,000.00", record.CodeInvalidAmount, "amount", "amount"},
		{"NaN", record.Transactions, "customer.key|amount", "c1|NaN", record.CodeInvalidAmount, "amount", "amount"},
		{"exponent ok", record.Transactions, "customer.key|amount", "c1|1e2", "", "", ""},
		{"JPY has no minor unit", record.Transactions, "customer.key|amount|currency", "c1|1000.5|JPY", record.CodeInvalidAmount, "amount", "amount"},
		{"USD has two decimals", record.Transactions, "customer.key|amount|currency", "c1|12.345|usd", record.CodeInvalidAmount, "amount", "amount"},
		{"KWD has three decimals", record.Transactions, "customer.key|amount|currency", "c1|1.2345|KWD", record.CodeInvalidAmount, "amount", "amount"},
		{"KWD three decimals ok", record.Transactions, "customer.key|amount|currency", "c1|1.234|KWD", "", "", ""},
		{"trailing zeros ok", record.Transactions, "customer.key|amount|currency", "c1|1000.00|JPY", "", "", ""},
		{"USD two decimals ok", record.Transactions, "customer.key|amount|currency", "c1|12.34|USD", "", "", ""},
		{"no currency: not checked", record.Transactions, "customer.key|amount", "c1|12.345", "", "", ""},
		{"unrounded reward ok", record.Transactions, "customer.key|amount|reward|currency", "c1|99.99|29.997|USD", "", "", ""},
		{"amount of 29 integer digits ok", record.Transactions, "customer.key|amount", "c1|" + strings.Repeat("9", 29) + ".5", "", "", ""},
		{"amount over DECIMAL(38,9)", record.Transactions, "customer.key|amount", "c1|1" + strings.Repeat("0", 29), record.CodeInvalidAmount, "amount", "amount"},
		{"amount 1e40 over DECIMAL(38,9)", record.Transactions, "customer.key|amount", "c1|1e40", record.CodeInvalidAmount, "amount", "amount"},
		{"reward with 10 decimals", record.Transactions, "customer.key|reward", "c1|0.0000000001", record.CodeInvalidAmount, "reward", "reward"},
		{"reward with 9 decimals ok", record.Transactions, "customer.key|reward", "c1|0.000000001", "", "", ""},
		{"unknown currency", record.Transactions, "customer.key|amount|currency", "c1|5|XYZ", record.CodeInvalidCurrency, "currency", "currency"},
		{"currency as symbol", record.Transactions, "customer.key|amount|currency", "c1|5|$", record.CodeInvalidCurrency, "currency", "currency"},
		{"bad time", record.Transactions, "customer.key|amount|created_at", "c1|5|30/04/2025", record.CodeInvalidTime, "created_at", "created_at"},
		{"time out of range", record.Transactions, "customer.key|amount|created_at", "c1|5|1714495453000", record.CodeInvalidTime, "created_at", "created_at"},
		{"bad bool", record.Transactions, "customer.key|amount|rewarded", "c1|5|maybe", record.CodeInvalidValue, "rewarded", "rewarded"},
		{"transaction key over 64", record.Transactions, "key|customer.key|amount", long(65) + "|c1|5", record.CodeTooLong, "key", "key"},
		{"customer email on transaction", record.Transactions, "customer.email|amount", "x@|5", record.CodeInvalidEmail, "customer.email", "customer.email"},
		{"action over 255", record.Transactions, "customer.key|amount|action", "c1|5|" + long(256), record.CodeTooLong, "action", "action"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustMapper(t, tt.entity, nil)
			res := m.Map(csvRow(tt.header, tt.line))
			if tt.code == "" {
				if res.Err != nil {
					t.Fatalf("unexpected error: %v", res.Err)
				}
				return
			}
			if res.Err == nil {
				t.Fatalf("no error, want %s", tt.code)
			}
			e := res.Err
			if e.Code != tt.code || e.Field != tt.field || e.Column != tt.column || e.Origin.Line != 2 || e.Origin.File != "in.csv" || e.Message == "" {
				t.Errorf("error = %#v, want code %s field %s column %q", e, tt.code, tt.field, tt.column)
			}
		})
	}
}

// TestAmountScaleMessage: the refusal names the currency and its exponent,
// and only the amount is checked, never the commission.
func TestAmountScaleMessage(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Transactions, nil)
	res := m.Map(csvRow("customer.key|amount|currency", "c1|1000.5|JPY"))
	if res.Err == nil || !strings.Contains(res.Err.Message, "JPY") || !strings.Contains(res.Err.Message, "ISO 4217 exponent") || !strings.Contains(res.Err.Message, "has 0") {
		t.Errorf("err = %v, want one naming JPY and its exponent 0", res.Err)
	}
	res = m.Map(csvRow("customer.key|reward|currency", "c1|0.333333|USD"))
	if res.Err != nil || res.Record.Transaction.Reward.String() != "0.333333" {
		t.Errorf("an unrounded commission: %v", res.Err)
	}
}

func TestEmailSyntax(t *testing.T) {
	t.Parallel()
	good := []string{"a@b.io", "first.last+tag@sub.example.co.uk", "o'neil@x.ie", "josé@exemple.fr", "a@xn--bcher-kva.example", "1@2.com"}
	bad := []string{"", "a", "@b.io", "a@", "a@b", "a@@b.io", "a b@c.io", ".a@b.io", "a.@b.io", "a..b@c.io", "a@-b.io", "a@b-.io", "a@b..io",
		"a@b.123", "\"a\"@b.io", "a@[1.2.3.4]", "Sam <a@b.io>", "a@b_c.io", strings.Repeat("x", 65) + "@b.io"}
	for _, s := range good {
		if msg := checkEmail(s, s); msg != "" {
			t.Errorf("checkEmail(%q) = %q, want valid", s, msg)
		}
	}
	for _, s := range bad {
		if msg := checkEmail(s, s); msg == "" {
			t.Errorf("checkEmail(%q) valid, want refused", s)
		}
	}
}

func TestDerivedKey(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Transactions, nil)
	rows := csvRows("customer.email|amount|currency|created_at|action",
		"sam@x.io|10|USD|2025-01-02T03:04:05Z|sale",
		"SAM@x.io |10.00|usd|2025-01-02T04:04:05+01:00|sale", // the same content, written differently
		"sam@x.io|10|USD|2025-01-02T03:04:06Z|sale")
	k := make([]string, len(rows))
	for i, r := range rows {
		res := m.Map(r)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		k[i] = res.Record.Transaction.Key
	}
	if k[0] != k[1] || k[0] == k[2] {
		t.Errorf("keys = %q: same content must give the same key, other content another", k)
	}
	if !strings.HasPrefix(k[0], DerivedKeyPrefix) || len(k[0]) > 64 {
		t.Errorf("key %q: want the derived prefix and at most 64 characters", k[0])
	}
	// Stable across runs and versions: a re-run must find what it created.
	if want := "derived-"; !strings.HasPrefix(k[0], want) || len(k[0]) != len(want)+32 {
		t.Errorf("key %q has the wrong shape", k[0])
	}
	m2 := mustMapper(t, record.Transactions, nil)
	if again := m2.Map(rows[0]).Record.Transaction.Key; again != k[0] {
		t.Errorf("second mapper gave %q, first %q", again, k[0])
	}
}

func TestUnknownColumns(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Transactions, nil)
	got := m.UnknownColumns([]string{"key", "amount", "customer", "customer.email", "colour", "_line", "_error_code", "notes"})
	if !slices.Equal(got, []string{"colour", "notes"}) {
		t.Errorf("UnknownColumns = %q", got)
	}
	spec := mustParse(t, `
transactions:
  fields:
    key: id
    customer.email: referral.customer.email
    amount: {column: sale_amount_cents, money: minor}
    currency: currency
  ignore: [paypal_email]
`)
	m = mustMapper(t, record.Transactions, spec)
	got = m.UnknownColumns([]string{"id", "referral", "sale_amount_cents", "currency", "paypal_email", "state"})
	if !slices.Equal(got, []string{"state"}) {
		t.Errorf("UnknownColumns = %q", got)
	}
}

func TestStructuredRows(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
customers:
  fields:
    key: [stripe_customer_id, customer.id]
    email: customer.email
    name: customer.name
    partner.source_id: affiliate.id
    tags: labels
    source_id: id
`)
	m := mustMapper(t, record.Customers, spec)
	row := jsonRow(
		"id", "ref_1",
		"stripe_customer_id", nil,
		"customer", map[string]any{"id": "cus_9", "email": " X@Y.io", "name": "Xi"},
		"affiliate", map[string]any{"id": "aff_1"},
		"labels", []any{"a", " b ", ""},
	)
	res := m.Map(row)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	c := res.Record.Customer
	if c.Key != "cus_9" || c.Email != "x@y.io" || c.Name != "Xi" || !slices.Equal(c.Tags, []string{"a", "b"}) || res.Record.ParentSourceID != "aff_1" || res.Record.SourceID != "ref_1" {
		t.Errorf("customer = %+v record %+v", c, res.Record)
	}
	// An object where a value is expected is a row error naming the path.
	spec = mustParse(t, "customers:\n  fields:\n    key: customer\n    partner.key: p\n")
	res = mustMapper(t, record.Customers, spec).Map(jsonRow("customer", map[string]any{"id": "x"}, "p", "sam"))
	if res.Err == nil || res.Err.Code != record.CodeInvalidValue || res.Err.Column != "customer" {
		t.Errorf("object as value: %+v", res.Err)
	}
	// Numbers, booleans and times of structured sources.
	spec = mustParse(t, `
transactions:
  fields:
    customer.key: c
    amount: {column: cents, money: minor}
    currency: {value: JPY}
    rewarded: paid
    created_at: at
    product_id: pid
`)
	at := time.Date(2024, 2, 3, 4, 5, 6, 0, time.FixedZone("x", 3600))
	res = mustMapper(t, record.Transactions, spec).Map(jsonRow("c", "c1", "cents", float64(1200), "paid", true, "at", at, "pid", int64(77)))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	tx := res.Record.Transaction
	if tx.Amount.String() != "1200" || !*tx.Rewarded || !tx.CreatedAt.Equal(at) || tx.CreatedAt.Location() != time.UTC || tx.ProductID != "77" {
		t.Errorf("transaction = %+v", tx)
	}
}

func TestCandidatesFirstNonEmpty(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
partners:
  fields:
    email: [email, "Affiliate Email"]
    name: [first_name, "Affiliate First Name"]
`)
	m := mustMapper(t, record.Partners, spec)
	for _, row := range []record.Row{
		csvRow("Affiliate Email|Affiliate First Name", "a@b.io|Ann"),
		csvRow("email|first_name", "a@b.io|Ann"),
		csvRow("email|Affiliate Email|first_name", "|a@b.io|Ann"),
	} {
		res := m.Map(row)
		if res.Err != nil || res.Record.Partner.Email != "a@b.io" || res.Record.Partner.Name != "Ann" {
			t.Errorf("%v: %+v %v", row.Header.Names, res.Record.Partner, res.Err)
		}
	}
}

// TestHeaderChange checks that a mapper re-resolves columns for a new header
// (several files through one mapper, or JSON rows with their own headers).
func TestHeaderChange(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Customers, nil)
	a := m.Map(csvRow("key|partner.key", "c1|p1"))
	b := m.Map(csvRow("partner.key|key", "p2|c2"))
	if a.Record.Customer.Key != "c1" || b.Record.Customer.Key != "c2" || b.Record.Customer.Partner.Key != "p2" {
		t.Errorf("a = %+v, b = %+v", a.Record.Customer, b.Record.Customer)
	}
}

// TestMapConcurrent maps rows of two headers from several goroutines: the
// header cache must stay correct (run with -race).
func TestMapConcurrent(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Customers, nil)
	a := csvRows("key|partner.key", "c1|p1", "c2|p2")
	b := csvRows("partner.key|key", "q1|d1", "q2|d2")
	done := make(chan error, 4)
	for g := range 4 {
		go func() {
			for i := range 500 {
				rows, want := a, "c"
				if (g+i)%2 == 0 {
					rows, want = b, "d"
				}
				res := m.Map(rows[i%2])
				if res.Err != nil || !strings.HasPrefix(res.Record.Customer.Key, want) {
					done <- fmt.Errorf("row %d: %+v %v", i, res.Record.Customer, res.Err)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestHeaderCache: rows alternating between a few key sets (JSON lines)
// keep their resolved columns instead of resolving on every row.
func TestHeaderCache(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Customers, nil)
	rows := []record.Row{
		jsonRow("key", "a", "partner", map[string]any{"key": "p"}),
		jsonRow("key", "b", "partner", map[string]any{"key": "p"}, "email", "b@c.io"),
		jsonRow("key", "c", "partner", map[string]any{"key": "p"}, "name", "C"),
	}
	first := map[*record.Header]*resolved{}
	for i := range 30 {
		row := rows[i%3]
		if res := m.Map(row); res.Err != nil {
			t.Fatal(res.Err)
		}
		r := m.resolve(row.Header)
		if prev, ok := first[row.Header]; ok && prev != r {
			t.Fatalf("row %d: header resolved again", i)
		}
		first[row.Header] = r
	}
}

func TestRaggedRow(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Customers, nil)
	row := csvRow("key|partner.key|email", "c1")
	res := m.Map(row)
	if res.Err == nil || res.Err.Code != record.CodeMissingField {
		t.Errorf("ragged row: %+v", res)
	}
}

func TestNewMapperErrors(t *testing.T) {
	t.Parallel()
	if _, err := NewMapper(record.Rewards, nil); err == nil {
		t.Error("rewards: want an error")
	}
	spec := mustParse(t, "partners:\n  fields:\n    email: e\n")
	_, err := NewMapper(record.Customers, spec)
	if err == nil || !strings.Contains(err.Error(), "no customers section") {
		t.Errorf("missing section: %v", err)
	}
	spec = mustParse(t, "transactions:\n  fields:\n    customer.key: c\n    amount:\n      column: a\n      money: minor\n")
	_, err = NewMapper(record.Transactions, spec)
	if err == nil || !strings.Contains(err.Error(), "test.yaml:6") || !strings.Contains(err.Error(), "currency") {
		t.Errorf("minor without currency: %v", err)
	}
}

// fuzzSpecs are mapping files exercising every option, for FuzzMapper.
var fuzzSpecs = []string{
	`transactions:
  filter:
    - {column: u, not_in: [points]}
  fields:
    key: id
    customer.email: {column: [e, c.email], transform: [lower, {strip_suffix: " (moved)"}]}
    customer.key: c.id
    amount: {column: a, money: minor}
    reward: {column: r, money: {units: decimal, decimal_separator: ","}}
    currency: {column: cur, default: USD}
    created_at: {column: t, time: {layout: ["2006-01-02 15:04:05", epoch_ms], zone: Asia/Tokyo}}
    action: {column: s, map: {a: sale, d: skip, x: "reject: no", "*": keep}}
    product_type: {column: pt, split: "/"}
    rewarded: p
`,
	`partners:
  fields:
    email: e
    key: {column: [k, links.0.url], transform: [{referral_code: [via, ref]}]}
    tags: t
    referring_partner.source_id: parent.id
    source_id: id
`,
	`customers:
  fields:
    key: [id, c.id]
    email: e
    partner.email: p
    partner.source_id: a.id
`,
}

// FuzzMapper: no spec and no row make Map panic; every row error carries
// the row's origin, a code and a field or column.
func FuzzMapper(f *testing.F) {
	f.Add(0, "x@y.io", "4900", "2025-01-01 10:00:00", "a", "https://x.io/?via=k", "USD")
	f.Add(1, "X@Y.IO (moved)", "12.5", "1714495453000", "d", "ref=k", "jpy")
	f.Add(2, "", "", "", "", "", "")
	f.Add(3, "\xff@\x00", "-0", "9999999999999999999", "*", "?", "KWD")
	var specs []*Spec
	for _, y := range fuzzSpecs {
		specs = append(specs, mustParse(f, y))
	}
	f.Fuzz(func(t *testing.T, which int, e, a, tm, s, k, cur string) {
		entities := []record.Entity{record.Transactions, record.Partners, record.Customers}
		idx := which
		if idx < 0 {
			idx = -idx
		}
		idx %= len(entities) + 1
		var m *Mapper
		var err error
		if idx == len(entities) {
			m, err = NewMapper(entities[which&1], nil)
		} else {
			m, err = NewMapper(entities[idx], specs[idx])
		}
		if err != nil {
			t.Fatal(err)
		}
		rows := []record.Row{
			csvRow("e|a|t|s|k|cur|id|u|r|pt|p", strings.Join([]string{e, a, tm, s, k, cur, k, s, a, s, e}, "|")),
			jsonRow("e", e, "a", a, "t", tm, "s", s, "cur", cur, "c", map[string]any{"email": e, "id": k}, "links", []any{map[string]any{"url": k}},
				"parent", map[string]any{"id": []any{k}}, "id", k, "pt", []any{s, a}, "p", e, "key", k, "email", e, "amount", a, "customer", map[string]any{"key": k}),
		}
		for _, row := range rows {
			res := m.Map(row)
			if res.Err != nil {
				if res.Err.Origin != row.Origin || res.Err.Code == "" || (res.Err.Field == "" && res.Err.Column == "") || res.Err.Message == "" {
					t.Fatalf("row error without position: %#v", res.Err)
				}
				continue
			}
			if res.Skipped && res.Reason == "" {
				t.Fatal("skipped without a reason")
			}
			if res.Record.Row == nil || res.Record.Origin != row.Origin {
				t.Fatal("record without its row")
			}
			if tx := res.Record.Transaction; tx != nil && (tx.Key == "" || len(tx.Key) > 64) {
				t.Fatalf("transaction key %q", tx.Key)
			}
		}
	})
}
