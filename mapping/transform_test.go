package mapping

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

func TestReferralCode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		params   []string
		bad      bool
	}{
		{in: "sam", want: "sam"},
		{in: "https://example.com/?via=sam", want: "sam"},
		{in: "https://example.com/pricing?utm_source=x&ref=jo-9", want: "jo-9"},
		{in: "example.com?fpr=abc#top", want: "abc"},
		{in: "https://shop.io/#aff=z1", want: "z1"},
		{in: "https://a.io/?a_aid=4f2c&a_bid=11", want: "4f2c"},
		{in: "https://a.io/?via=first&ref=second", want: "first"},
		{in: "https://a.io/?ref=second&via=first", want: "first"}, // params order wins, not the URL's
		{in: "ref=sam", want: "sam"},
		{in: "https://a.io/?via=j%C3%B6rg", want: "jörg"},
		{in: "https://a.io/?code=sam", params: []string{"code"}, want: "sam"},
		{in: "https://a.io/?utm=x", bad: true},
		{in: "https://a.io/ref/sam", bad: true},
		{in: "https://a.io/?via=%zz", bad: true},
		{in: "", want: ""},
	}
	for _, tt := range tests {
		params := tt.params
		if params == nil {
			params = defaultReferralParams
		}
		got, msg := referralCode(tt.in, params)
		if tt.bad != (msg != "") || got != tt.want {
			t.Errorf("referralCode(%q) = %q, %q; want %q, bad %v", tt.in, got, msg, tt.want, tt.bad)
		}
	}
}

// TestTransforms runs each transform through a mapping file.
func TestTransforms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, rule, in, want string
		code                 string
	}{
		{"trim", `{column: v, transform: [trim]}`, "  Ann  ", "Ann", ""},
		{"lower", `{column: v, transform: lower}`, "ANN", "ann", ""},
		{"upper", `{column: v, transform: [upper]}`, "ann", "ANN", ""},
		{"strip_suffix", `{column: v, transform: [{strip_suffix: " (moved)"}]}`, "Ann (moved)", "Ann", ""},
		{"strip_suffix absent", `{column: v, transform: [{strip_suffix: " (moved)"}]}`, "Ann", "Ann", ""},
		{"strip_prefix", `{column: v, transform: [{strip_prefix: "Mr. "}]}`, "Mr. Ann", "Ann", ""},
		{"order matters", `{column: v, transform: [upper, {strip_suffix: " X"}]}`, "ann x", "ANN", ""},
		{"default when empty", `{column: v, default: Anonymous}`, "  ", "Anonymous", ""},
		{"constant", `{value: Fixed}`, "ignored", "Fixed", ""},
		{"map", `{column: v, map: {a: Alpha, b: Beta}}`, "b", "Beta", ""},
		{"map other", `{column: v, map: {a: Alpha, "*": Other}}`, "zzz", "Other", ""},
		{"map keep", `{column: v, map: {a: Alpha, "*": keep}}`, "zzz", "zzz", ""},
		{"map to empty", `{column: v, map: {a: ""}}`, "a", "", ""},
		{"map empty key", `{column: v, map: {"": None, a: Alpha}}`, "", "None", ""},
		{"map after transform", `{column: v, transform: lower, map: {a: Alpha}}`, "A", "Alpha", ""},
		{"map unmatched", `{column: v, map: {a: Alpha}}`, "b", "", record.CodeInvalidValue},
		{"map reject", `{column: v, map: {a: "reject: not wanted"}}`, "a", "", record.CodeRejectedByRule},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := mustParse(t, "partners:\n  fields:\n    email: e\n    name: "+tt.rule+"\n")
			res := mustMapper(t, record.Partners, spec).Map(csvRow("e|v", "a@b.io|"+tt.in))
			if tt.code != "" {
				if res.Err == nil || res.Err.Code != tt.code || res.Err.Field != "name" {
					t.Fatalf("got %+v, want %s", res.Err, tt.code)
				}
				return
			}
			if res.Err != nil || res.Skipped {
				t.Fatalf("unexpected %+v", res)
			}
			if got := res.Record.Partner.Name; got != tt.want {
				t.Errorf("name = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReferralCodeField(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
partners:
  fields:
    email: email
    key: {column: [token, link], transform: [referral_code]}
`)
	m := mustMapper(t, record.Partners, spec)
	res := m.Map(csvRow("email|link", "a@b.io|https://x.io/?via=ann-1"))
	if res.Err != nil || res.Record.Partner.Key != "ann-1" {
		t.Fatalf("%+v", res)
	}
	res = m.Map(csvRow("email|link", "a@b.io|https://x.io/about"))
	if res.Err == nil || res.Err.Code != record.CodeInvalidValue || res.Err.Column != "link" || res.Err.Field != "key" {
		t.Fatalf("%+v", res.Err)
	}
	long := strings.Repeat("k", 65)
	res = m.Map(csvRow("email|token", "a@b.io|"+long))
	if res.Err == nil || res.Err.Code != record.CodeTooLong {
		t.Fatalf("over-long code must be reported, not cut: %+v", res)
	}
}

func TestSkipAndFilters(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
transactions:
  filter:
    - column: unit
      in: [cash]
    - column: is_self_referral
      not_in: ["true"]
      action: reject
      reason: self-referrals earn no commission
  fields:
    key: id
    customer.email: email
    amount: amount
    action:
      column: status
      map:
        approved: sale
        pending: sale
        denied: skip
        voided: "skip: voided commission"
        refunded: "reject: refunds are not sales"
`)
	m := mustMapper(t, record.Transactions, spec)
	rows := csvRows("id|email|amount|status|unit|is_self_referral",
		"1|a@b.io|10|approved|cash|false",
		"2|a@b.io|10|denied|cash|false",
		"3|a@b.io|10|voided|Cash|false",
		"4|a@b.io|10|refunded|cash|false",
		"5|a@b.io|10|approved|points|false",
		"6|a@b.io|10|approved|cash|TRUE",
		"7|a@b.io|bad|denied|cash|false", // skip wins over a bad amount
		"8|a@b.io|10|approved||false",    // missing unit: not cash
		"9|a@b.io|10|odd|cash|false",
	)
	type want struct {
		skipped bool
		code    string
		reason  string
	}
	wants := []want{
		{},
		{skipped: true, reason: `status "denied" is skipped (test.yaml:`},
		{skipped: true, reason: "voided commission"},
		{code: record.CodeRejectedByRule, reason: "refunds are not sales"},
		{skipped: true, reason: `unit "points" is not one of cash (filter at test.yaml:4)`},
		{code: record.CodeRejectedByRule, reason: "self-referrals earn no commission"},
		{skipped: true},
		{skipped: true, reason: `unit "" is not one of cash`},
		{code: record.CodeInvalidValue, reason: `unexpected value "odd"`},
	}
	for i, r := range rows {
		res := m.Map(r)
		w := wants[i]
		switch {
		case res.Skipped != w.skipped:
			t.Errorf("row %d: skipped = %v (%q), want %v; err %v", i+1, res.Skipped, res.Reason, w.skipped, res.Err)
		case w.skipped && !strings.Contains(res.Reason, w.reason):
			t.Errorf("row %d: reason %q, want %q", i+1, res.Reason, w.reason)
		case w.code == "" && res.Err != nil:
			t.Errorf("row %d: unexpected %v", i+1, res.Err)
		case w.code != "" && (res.Err == nil || res.Err.Code != w.code || !strings.Contains(res.Err.Message, w.reason)):
			t.Errorf("row %d: err %v, want %s %q", i+1, res.Err, w.code, w.reason)
		}
		if res.Record.Row == nil || res.Record.Origin.Line != int64(i+2) {
			t.Errorf("row %d: record lacks its row or origin", i+1)
		}
	}
}

func TestMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		money, amount, currency, want, code string
	}{
		{"decimal", "49.99", "USD", "49.99", ""},
		{"decimal", "1200", "JPY", "1200", ""},
		{"minor", "4999", "USD", "49.99", ""},
		{"minor", "4900", "usd", "49", ""},
		{"minor", "5", "EUR", "0.05", ""},
		{"minor", "-250", "EUR", "-2.5", ""},
		{"minor", "1200", "JPY", "1200", ""},
		{"minor", "1200", "KRW", "1200", ""},
		{"minor", "12345", "KWD", "12.345", ""},
		{"minor", "12345", "BHD", "12.345", ""},
		{"minor", "10000", "CLF", "1", ""},
		{"minor", "4900.0", "USD", "49", ""}, // float-typed cents from a JSON dump
		{"minor", "49.99", "USD", "", record.CodeInvalidAmount},
		{"minor", "4900", "", "", record.CodeInvalidAmount},
		{"minor", "4900", "ABC", "", record.CodeInvalidCurrency},
		{"{units: minor, exponents: {MGA: 0}}", "1000", "MGA", "1000", ""},
		{"{units: minor, exponents: {MGA: 0}}", "1000", "USD", "10", ""},
		{"{units: minor, exponents: {USD: 3}}", "12345", "USD", "12.345", ""}, // the mapping declares the exponent
		{"decimal", "1000.5", "JPY", "", record.CodeInvalidAmount},
		{"decimal", "12.345", "USD", "", record.CodeInvalidAmount},
		{"decimal", "12,50", "EUR", "", record.CodeInvalidAmount},
	}
	for _, tt := range tests {
		spec := mustParse(t, "transactions:\n  fields:\n    customer.key: c\n    currency: cur\n    amount: {column: a, money: "+tt.money+"}\n    reward: {column: r, money: "+tt.money+"}\n")
		m := mustMapper(t, record.Transactions, spec)
		res := m.Map(csvRow("c|cur|a|r", "c1|"+tt.currency+"|"+tt.amount+"|"+tt.amount))
		if tt.code != "" {
			if res.Err == nil || res.Err.Code != tt.code {
				t.Errorf("%s %s %s: err %v, want %s", tt.money, tt.amount, tt.currency, res.Err, tt.code)
			}
			continue
		}
		if res.Err != nil {
			t.Errorf("%s %s %s: %v", tt.money, tt.amount, tt.currency, res.Err)
			continue
		}
		tx := res.Record.Transaction
		if tx.Amount.String() != tt.want || tx.Reward.String() != tt.want {
			t.Errorf("%s %s %s: amount %s reward %s, want %s", tt.money, tt.amount, tt.currency, tx.Amount, tx.Reward, tt.want)
		}
	}
}

func TestTimes(t *testing.T) {
	t.Parallel()
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		rule, in string
		want     time.Time
		bad      bool
	}{
		{"{}", "2025-04-30T16:44:13.123Z", utc("2025-04-30T16:44:13.123Z"), false},
		{"{}", "2025-04-30T18:44:13+02:00", utc("2025-04-30T16:44:13Z"), false},
		{"{}", "2025-04-30 16:44:13", utc("2025-04-30T16:44:13Z"), false},
		{"{}", "2025-04-30", utc("2025-04-30T00:00:00Z"), false},
		{"{}", "1746031453", utc("2025-04-30T16:44:13Z"), false},
		{"{zone: Europe/Berlin}", "2025-04-30 16:44:13", utc("2025-04-30T14:44:13Z"), false},
		{"{zone: Europe/Berlin}", "2025-01-30 16:44:13", utc("2025-01-30T15:44:13Z"), false},
		{"{zone: Europe/Berlin}", "2025-04-30T16:44:13Z", utc("2025-04-30T16:44:13Z"), false}, // the value's own zone wins
		{"rfc3339", "2025-04-30T16:44:13Z", utc("2025-04-30T16:44:13Z"), false},
		{"rfc3339", "2025-04-30 16:44:13", time.Time{}, true},
		// Tapfiliate writes its offsets without a colon (tapfiliate.com/docs/rest,
		// "created_at": "2021-03-03T12:39:19+0000").
		{"{}", "2023-01-13T22:39:36+0000", utc("2023-01-13T22:39:36Z"), false},
		{"{}", "2023-01-13T22:39:36.5-0530", utc("2023-01-14T04:09:36.5Z"), false},
		{"rfc3339", "2023-01-13T22:39:36+0000", utc("2023-01-13T22:39:36Z"), false},
		{"rfc3339", "2023-01-13T22:39:36+0200", utc("2023-01-13T20:39:36Z"), false},
		{"rfc3339", "2023-01-13T22:39:36", time.Time{}, true}, // rfc3339 wants an offset
		{"{}", "2023-01-13T22:39:36+00", time.Time{}, true},
		{"epoch_s", "1746031453", utc("2025-04-30T16:44:13Z"), false},
		{"epoch_ms", "1746031453123", utc("2025-04-30T16:44:13.123Z"), false},
		{"epoch_s", "1746031453123", time.Time{}, true}, // year 57000
		{"epoch_ms", "2025-04-30", time.Time{}, true},
		{"epoch_ms", "1746031453", time.Time{}, true}, // seconds read as milliseconds: January 1970
		{`{layout: "02/01/2006 15:04", zone: America/New_York}`, "30/04/2025 12:44", utc("2025-04-30T16:44:00Z"), false},
		{`["02/01/2006", "2006-01-02"]`, "2025-04-30", utc("2025-04-30T00:00:00Z"), false},
		{`"2006-01-02 15:04:05"`, "1999-12-31 23:59:59", utc("1999-12-31T23:59:59Z"), false},
		{"{}", "1969-12-31", time.Time{}, true},
		{"{}", "yesterday", time.Time{}, true},
	}
	for _, tt := range tests {
		spec := mustParse(t, "transactions:\n  fields:\n    customer.key: c\n    amount: a\n    created_at: {column: at, time: "+tt.rule+"}\n")
		res := mustMapper(t, record.Transactions, spec).Map(csvRow("c|a|at", "c1|1|"+tt.in))
		if tt.bad {
			if res.Err == nil || res.Err.Code != record.CodeInvalidTime || res.Err.Field != "created_at" || res.Err.Column != "at" {
				t.Errorf("%s %q: err %v, want invalid_time", tt.rule, tt.in, res.Err)
			}
			continue
		}
		if res.Err != nil {
			t.Errorf("%s %q: %v", tt.rule, tt.in, res.Err)
			continue
		}
		got := res.Record.Transaction.CreatedAt
		if !got.Equal(tt.want) || got.Location() != time.UTC {
			t.Errorf("%s %q = %v, want %v in UTC", tt.rule, tt.in, got.Time, tt.want)
		}
	}
}

func TestSplitAndBool(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
transactions:
  fields:
    customer.key: c
    amount: a
    product_type: {column: pt, split: "|/"}
    rewardable: {column: ok, map: {paid: "false", unpaid: "true"}}
`)
	m := mustMapper(t, record.Transactions, spec)
	h := record.NewHeader([]string{"c", "a", "pt", "ok"})
	res := m.Map(record.Row{Origin: record.Origin{File: "x", Line: 2}, Header: h, Text: []string{"c1", "1", "a/b| c", "paid"}})
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	tx := res.Record.Transaction
	if strings.Join(tx.ProductType, "+") != "a+b+c" || *tx.Rewardable {
		t.Errorf("product_type %q rewardable %v", tx.ProductType, *tx.Rewardable)
	}
	for in, want := range map[string]bool{"yes": true, "Y": true, "1": true, "TRUE": true, "no": false, "0": false, "false": false} {
		got, ok := parseBool(in)
		if !ok || got != want {
			t.Errorf("parseBool(%q) = %v, %v", in, got, ok)
		}
	}
}

func TestCurrencyTable(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{"USD": 2, "EUR": 2, "JPY": 0, "KWD": 3, "BHD": 3, "CLF": 4, "KRW": 0, "VND": 0, "ISK": 0, "UYW": 4} {
		if got, ok := CurrencyExponent(code); !ok || got != want {
			t.Errorf("CurrencyExponent(%s) = %d, %v; want %d", code, got, ok, want)
		}
	}
	if len(currencyExponents) < 150 {
		t.Errorf("only %d currencies", len(currencyExponents))
	}
	for code := range currencyExponents {
		if len(code) != 3 || strings.ToUpper(code) != code {
			t.Errorf("bad code %q", code)
		}
	}
	for _, in := range []string{"usd", "Usd", "USD"} {
		if got, ok := normalizeCurrency(in); !ok || got != "USD" {
			t.Errorf("normalizeCurrency(%q) = %q, %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "US", "USDT", "XXX", "XAU", "$"} {
		if _, ok := normalizeCurrency(in); ok {
			t.Errorf("normalizeCurrency(%q) accepted", in)
		}
	}
}

func TestListTransformsAndEmptyMaps(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
customers:
  fields:
    key: k
    partner.key: {column: p, map: {"": house, x: xavier}}
    tags: {column: labels, transform: [lower, {strip_prefix: "tag:"}]}
`)
	m := mustMapper(t, record.Customers, spec)
	res := m.Map(jsonRow("k", "c1", "labels", []any{"TAG:VIP", " Beta "}))
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	c := res.Record.Customer
	if strings.Join(c.Tags, ",") != "vip,beta" {
		t.Errorf("tags = %q", c.Tags)
	}
	// The partner column is missing: the map's "" entry still applies.
	if c.Partner == nil || c.Partner.Key != "house" {
		t.Errorf("partner = %+v, want the map's empty entry", c.Partner)
	}
	res = m.Map(csvRow("k|labels|p", "c2|TAG:A;tag:b|x"))
	if res.Err != nil || strings.Join(res.Record.Customer.Tags, ",") != "a,b" || res.Record.Customer.Partner.Key != "xavier" {
		t.Errorf("csv: %+v %v", res.Record.Customer, res.Err)
	}
}

func TestDecimalComma(t *testing.T) {
	t.Parallel()
	good := map[string]string{
		"1.234,56": "1234.56", "1 234,5": "1234.5", "1\u00a0234,50": "1234.5", "1'234'567,89": "1234567.89",
		"12,5": "12.5", "-1.000,00": "-1000", "1234": "1234", "0,99": "0.99", "999.999": "999999",
	}
	for in, want := range good {
		spec := mustParse(t, "transactions:\n  fields:\n    customer.key: c\n    amount: {column: a, money: {units: decimal, decimal_separator: \",\"}}\n")
		res := mustMapper(t, record.Transactions, spec).Map(csvRow("c|a", "c1|"+in))
		if res.Err != nil || res.Record.Transaction.Amount.String() != want {
			t.Errorf("%q: %v %v, want %s", in, res.Record.Transaction, res.Err, want)
		}
	}
	for _, in := range []string{"12.50", "1..234,5", ".5", "1,2,3", "1234.567,8", "1.23,4", "12,", "1.2345", "abc", "1_000"} {
		if got, ok := fromDecimalComma(in); ok {
			if _, err := partnero.ParseDecimal(got); err == nil {
				t.Errorf("fromDecimalComma(%q) = %q, want refused", in, got)
			}
		}
	}
	// A structured input's own number is never read with a decimal comma.
	spec := mustParse(t, "transactions:\n  fields:\n    customer.key: c\n    amount: {column: a, money: {decimal_separator: \",\"}}\n")
	res := mustMapper(t, record.Transactions, spec).Map(jsonRow("c", "c1", "a", json.Number("12.5")))
	if res.Err != nil || res.Record.Transaction.Amount.String() != "12.5" {
		t.Errorf("JSON number: %+v %v", res.Record.Transaction, res.Err)
	}
	if _, err := Parse("m.yaml", []byte("transactions:\n  fields:\n    amount: {column: a, money: {units: minor, decimal_separator: \",\"}}\n")); err == nil {
		t.Error("minor units with a decimal separator: want an error")
	}
}

// A negative commission is a refund (FirstPromoter writes refunds so): a
// min filter skips it with its reason, and keeps empty and unreadable
// values for the field rules to judge.
func TestFilterMin(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
transactions:
  filter:
    - {column: amount, min: 0, reason: "a negative commission is a refund"}
  fields:
    customer.key: c
    amount: amount
`)
	m := mustMapper(t, record.Transactions, spec)
	for _, tt := range []struct {
		amount  string
		skipped bool
		code    string
	}{
		{"10", false, ""}, {"0", false, ""}, {"-0.01", true, ""}, {"-1500", true, ""},
		{"", false, record.CodeMissingField}, {"abc", false, record.CodeInvalidAmount},
	} {
		res := m.Map(csvRow("c|amount", "c1|"+tt.amount))
		if res.Skipped != tt.skipped || (tt.skipped && res.Reason != "a negative commission is a refund") {
			t.Errorf("%q: skipped %v %q, want %v", tt.amount, res.Skipped, res.Reason, tt.skipped)
		}
		if code := errCode(res); code != tt.code {
			t.Errorf("%q: code %q, want %q (%v)", tt.amount, code, tt.code, res.Err)
		}
	}
	// Without a reason the message names the column, the value and the filter.
	spec = mustParse(t, "transactions:\n  filter:\n    - {column: amount, min: 0}\n  fields:\n    customer.key: c\n    amount: amount\n")
	res := mustMapper(t, record.Transactions, spec).Map(csvRow("c|amount", "c1|-5"))
	if !res.Skipped || !strings.Contains(res.Reason, `amount "-5" is below 0 (filter at test.yaml:3)`) {
		t.Errorf("default reason: %+v", res)
	}
	for _, bad := range []string{"{column: a, min: zero}", "{column: a, min: 0, in: [x]}"} {
		if _, err := Parse("bad.yaml", []byte("transactions:\n  filter:\n    - "+bad+"\n  fields:\n    customer.key: c\n    amount: a\n")); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// A commission in another currency than its sale (Rewardful's commission
// currency is the account's; FirstPromoter's amount is in the account
// currency) is left out rather than paired with the sale's currency code.
func TestMoneyValueCurrency(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, `
transactions:
  fields:
    customer.key: c
    currency: cur
    amount: {column: a, money: minor}
    reward: {column: r, money: {units: minor, currency_column: rcur, currency: USD}}
`)
	m := mustMapper(t, record.Transactions, spec)
	for _, tt := range []struct{ cur, rcur, want string }{
		{"USD", "USD", "7.5"},
		{"GBP", "USD", ""}, // a USD commission on a GBP sale: left out
		{"JPY", "", ""},    // no commission currency: the constant (USD) applies
		{"USD", "", "7.5"}, // the same
		{"EUR", "eur", "7.5"},
		{"EUR", "EURO", ""}, // not a code: not the sale's currency
	} {
		res := m.Map(csvRow("c|cur|a|r|rcur", "c1|"+tt.cur+"|29900|750|"+tt.rcur))
		if res.Err != nil {
			t.Errorf("%s/%s: %v", tt.cur, tt.rcur, res.Err)
			continue
		}
		got := ""
		if r := res.Record.Transaction.Reward; r != nil {
			got = r.String()
		}
		if got != tt.want {
			t.Errorf("%s/%s: reward %q, want %q", tt.cur, tt.rcur, got, tt.want)
		}
		// A reward left out is said so, for the report's count.
		if res.RewardLeftOut != (tt.want == "") {
			t.Errorf("%s/%s: RewardLeftOut %v", tt.cur, tt.rcur, res.RewardLeftOut)
		}
		if res.Record.Transaction.AmountUnits != strings.ToUpper(tt.cur) {
			t.Errorf("%s/%s: currency %q", tt.cur, tt.rcur, res.Record.Transaction.AmountUnits)
		}
	}
	if _, err := Parse("bad.yaml", []byte("transactions:\n  fields:\n    customer.key: c\n    reward: {column: r, money: {currency: dollars}}\n")); err == nil || !strings.Contains(err.Error(), "ISO 4217") {
		t.Errorf("bad currency: %v", err)
	}
	// The currency column is read, not reported unknown.
	if u := m.UnknownColumns([]string{"c", "cur", "a", "r", "rcur"}); len(u) != 0 {
		t.Errorf("unknown %v", u)
	}
}

func errCode(r record.Mapped) string {
	if r.Err == nil {
		return ""
	}
	return r.Err.Code
}

// The sign transform lets a map keep refunds written as negative amounts
// (PartnerStack transactions, -50000000000 to 50000000000 cents) out of
// the sales.
func TestSignTransform(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"-1500": "negative", "-0.01": "negative", "1500": "positive", "+3": "positive", "49.99": "positive",
		"0": "zero", "-0": "zero", "0.00": "zero", " 12 ": "positive",
		"": "", "abc": "abc", "1.2.3": "1.2.3", "-": "-", "1,50": "1,50", ".": ".",
	} {
		if got := numberSign(in); got != want {
			t.Errorf("numberSign(%q) = %q, want %q", in, got, want)
		}
	}
	spec := mustParse(t, `transactions:
  fields:
    customer.key: c
    amount: {column: a, money: minor}
    currency: {value: USD}
    action:
      column: a
      transform: [sign]
      map: {negative: "skip: a refund (negative amount)", zero: sale, positive: sale}
`)
	m := mustMapper(t, record.Transactions, spec)
	if res := m.Map(csvRow("c|a", "cus_1|-1500")); !res.Skipped || res.Reason != "a refund (negative amount)" {
		t.Errorf("negative amount: %+v, want skipped as a refund", res)
	}
	res := m.Map(csvRow("c|a", "cus_1|1500"))
	if res.Err != nil || res.Skipped || res.Record.Transaction.Action != "sale" || res.Record.Transaction.Amount.String() != "15" {
		t.Errorf("positive amount: %+v", res)
	}
	// Not a number: the map has no entry for it, and says so.
	if res := m.Map(csvRow("c|a", "cus_1|12,00")); res.Err == nil || res.Err.Code != record.CodeInvalidValue {
		t.Errorf("12,00: %+v, want invalid_value", res)
	}
	if _, err := Parse("m.yaml", []byte("transactions:\n  fields:\n    customer.key: c\n    amount: a\n    action: {column: a, transform: [{sign: x}]}\n")); err == nil || !strings.Contains(err.Error(), "takes no setting") {
		t.Errorf("sign with a setting: %v", err)
	}
}
