package mapping

import (
	"strings"
	"testing"
	"time"

	"github.com/partnero-etl/partnero-etl/record"
)

// sampleFile is one file of a platform's sample export (samples/PLATFORM)
// and what mapping it through the platform's preset must give: the outcome
// of every row (counts), the rejected rows that are placed on purpose
// (errs), and the platform's own checks of chosen rows (check). No file may
// have a column its preset neither reads nor ignores.
type sampleFile struct {
	entity record.Entity
	name   string
	comma  rune // CSV only
	counts map[string]int
	errs   []sampleErr
	check  func(t *testing.T, o outcome)
}

// sampleErr is a row the sample generator made bad: its line, the code and
// the field the error must name.
type sampleErr struct {
	line        int64
	code, field string
}

var platformSamples = []struct {
	platform string
	files    []sampleFile
}{
	{"firstpromoter", []sampleFile{
		{
			entity: record.Partners, name: "promoters.jsonl",
			counts: map[string]int{
				"valid": 25, "skipped": 2, record.CodeInvalidEmail: 1, record.CodeDuplicate: 1, record.CodeInvalidValue: 1,
			},
			errs: []sampleErr{{13, record.CodeInvalidEmail, "email"}, {17, record.CodeDuplicate, "key"}, {24, record.CodeInvalidValue, "key"}},
			check: func(t *testing.T, proms outcome) {
				p := proms.records["email:ethan.cole@brightpath.co"]
				if p.Partner == nil || p.Partner.Key != "ethan" || p.Partner.Name != "Ethan" || p.Partner.Surname != "Cole" || p.SourceID != "5001" {
					t.Errorf("promoter line 1: %+v %+v", p, p.Partner)
				}
				subs := 0
				for _, r := range proms.records {
					if r.ParentSourceID == "5001" {
						subs++
					}
				}
				if subs != 1 {
					t.Errorf("%d sub-promoters of 5001, want 1 (line 4)", subs)
				}
			},
		},
		{
			entity: record.Customers, name: "referrals.jsonl",
			counts: map[string]int{
				"valid": 256, record.CodeInvalidEmail: 1, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1,
			},
			errs: []sampleErr{{51, record.CodeInvalidEmail, "email"}, {61, record.CodeMissingField, "partner"}, {71, record.CodeDuplicate, "key"}, {81, record.CodeTooLong, "key"}},
			check: func(t *testing.T, refs outcome) {
				c := refs.records["cus_FP0000000001"]
				if c.Customer == nil || c.Customer.Email != "sofia.rossi@example.it" || c.Customer.Name != "Sofia" || c.ParentSourceID != "5001" ||
					c.Customer.Partner == nil || c.Customer.Partner.Email != "ethan.cole@brightpath.co" || c.SourceID != "900000" {
					t.Errorf("referral line 2: %+v %+v", c, c.Customer)
				}
				for _, k := range []string{"900090", "900093", "900096", "900099"} {
					if refs.records[k].Customer == nil {
						t.Errorf("referral without uid: no customer keyed %s", k)
					}
				}
				moved := 0
				for _, r := range refs.records {
					if strings.Contains(r.Customer.Email, "moved") {
						t.Errorf("%s: (moved) not stripped", r.Customer.Email)
					}
					if r.Row != nil {
						if e, ok := r.Row.Values[r.Row.Header.Index("email")].(string); ok && strings.HasSuffix(e, " (moved)") {
							moved++
						}
					}
				}
				if moved != 6 {
					t.Errorf("%d moved referrals imported, want 6", moved)
				}
			},
		},
		{
			entity: record.Transactions, name: "commissions.jsonl",
			counts: map[string]int{
				"valid": 863, "skipped": 132, record.CodeInvalidAmount: 1, record.CodeInvalidCurrency: 1, record.CodeInvalidTime: 1,
				record.CodeDuplicate: 1, record.CodeMissingField: 1,
			},
			errs: []sampleErr{{101, record.CodeInvalidAmount, "amount"}, {201, record.CodeInvalidCurrency, "currency"}, {301, record.CodeInvalidTime, "created_at"}, {401, record.CodeDuplicate, "key"}, {601, record.CodeMissingField, "customer"}},
			check: func(t *testing.T, com outcome) {
				tests := []struct {
					key, amount, reward, currency, created, action string
					rewarded                                       bool
				}{
					// The sale in its own currency (original_sale_amount); the
					// commission is in the account's currency (USD), so it is left
					// out of a JPY or EUR sale rather than stored in the wrong one.
					{"evt_fixed_jpy", "5000", "", "JPY", "2024-03-05T09:30:00Z", "sale", true},
					{"evt_fixed_eur", "49.99", "", "EUR", "2024-03-05T09:30:00Z", "sale", false},
					{"evt_fixed_nocur", "49", "14.7", "USD", "", "sale", false},
				}
				for _, tt := range tests {
					tx := com.records[tt.key].Transaction
					if tx == nil {
						t.Errorf("%s: missing", tt.key)
						continue
					}
					reward := ""
					if tx.Reward != nil {
						reward = tx.Reward.String()
					}
					if tx.Amount.String() != tt.amount || reward != tt.reward || tx.AmountUnits != tt.currency || tx.Action != tt.action {
						t.Errorf("%s: amount %s reward %q %s action %s", tt.key, tx.Amount, reward, tx.AmountUnits, tx.Action)
					}
					if tt.created != "" {
						want, _ := time.Parse(time.RFC3339, tt.created)
						if !tx.CreatedAt.Equal(want) || *tx.Rewarded != tt.rewarded {
							t.Errorf("%s: at %v rewarded %v", tt.key, tx.CreatedAt, *tx.Rewarded)
						}
					}
				}
				if r := com.records["evt_fixed_jpy"]; r.Transaction != nil && (r.Transaction.Customer.Key != "cus_FP0000000001" || r.CustomerSourceID != "900000") {
					t.Errorf("evt_fixed_jpy customer %+v %q", r.Transaction.Customer, r.CustomerSourceID)
				}
				// Refunds (negative commissions, re_ event ids) are never sales.
				for k := range com.records {
					if strings.HasPrefix(k, "re_") {
						t.Errorf("refund %s mapped as a sale", k)
					}
				}
				// Line 4: a custom commission (a bonus) with no event id: a derived key.
				bonusAt := time.Date(2024, 3, 6, 12, 0, 0, 0, time.UTC)
				found := false
				for k, r := range com.records {
					tx := r.Transaction
					if tx.CreatedAt != nil && tx.CreatedAt.Equal(bonusAt) {
						found = true
						if !strings.HasPrefix(k, DerivedKeyPrefix) || tx.Action != "bonus" || tx.Amount.String() != "0" || tx.Reward.String() != "50" || r.SourceID != "300002" {
							t.Errorf("bonus of line 3: key %s %+v", k, tx)
						}
					}
				}
				if !found {
					t.Error("bonus of line 3 missing")
				}
			},
		},
	}},
	{"partnerstack", []sampleFile{
		{
			entity: record.Partners, name: "partnerships.csv", comma: ',',
			counts: map[string]int{
				"valid": 27, record.CodeInvalidEmail: 1, record.CodeDuplicate: 1, record.CodeMissingField: 1,
			},
			errs: []sampleErr{{9, record.CodeInvalidEmail, "email"}, {15, record.CodeDuplicate, "key"}, {28, record.CodeMissingField, "email"}},
			check: func(t *testing.T, parts outcome) {
				p := parts.records["email:grace@okafor.media"]
				if p.Partner == nil || p.Partner.Key != "grace-okafor" || p.SourceID != "pship_fixed0001" || p.Partner.Name != "Grace" ||
					len(p.Partner.Tags) != 1 || p.Partner.Tags[0] != "influencers" {
					t.Errorf("partnership line 2: %+v %+v", p, p.Partner)
				}
			},
		},
		{
			entity: record.Customers, name: "customers.jsonl",
			counts: map[string]int{
				"valid": 235, "skipped": 2, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeInvalidEmail: 1,
			},
			errs: []sampleErr{{51, record.CodeMissingField, "partner"}, {91, record.CodeDuplicate, "key"}, {131, record.CodeInvalidEmail, "email"}},
			check: func(t *testing.T, custs outcome) {
				c := custs.records["acct_fixed_1"]
				if c.Customer == nil || c.Customer.Email != "lena.vogel@example.at" || c.Customer.Name != "Lena Vogel" || c.ParentSourceID != "pship_fixed0001" || c.SourceID != "cus_fixed0000001" {
					t.Errorf("customer line 1: %+v %+v", c, c.Customer)
				}
				ownKey := 0
				for k, r := range custs.records {
					if k == r.SourceID {
						ownKey++
					}
				}
				if ownKey != 2 {
					t.Errorf("%d customers keyed by PartnerStack's key, want 2 (lines 31, 32)", ownKey)
				}
			},
		},
		{
			entity: record.Transactions, name: "transactions.csv", comma: ',',
			counts: map[string]int{
				"valid": 957, "skipped": 38, record.CodeInvalidTime: 1, record.CodeInvalidAmount: 2, record.CodeDuplicate: 1, record.CodeMissingField: 1,
			},
			errs: []sampleErr{{102, record.CodeInvalidTime, "created_at"}, {202, record.CodeInvalidAmount, "amount"}, {302, record.CodeDuplicate, "key"}, {402, record.CodeMissingField, "customer"}, {502, record.CodeInvalidAmount, "amount"}},
			check: func(t *testing.T, txs outcome) {
				r := txs.records["txn_fixed_0001"]
				tx := r.Transaction
				if tx == nil || tx.Amount.String() != "149" || tx.AmountUnits != "USD" || !tx.CreatedAt.Equal(time.Date(2024, 4, 2, 12, 0, 0, 123e6, time.UTC)) ||
					r.CustomerSourceID != "cus_fixed0000001" || tx.Customer.Key != "" || tx.ProductID != "prod_growth" ||
					len(tx.ProductType) != 1 || tx.ProductType[0] != "subscription" || tx.Reward != nil || tx.Action != "sale" {
					t.Errorf("txn_fixed_0001: %+v %+v", r, tx)
				}
				if tx := txs.records["txn_fixed_0002"].Transaction; tx == nil || tx.Amount.String() != "8800" || tx.AmountUnits != "JPY" ||
					!tx.CreatedAt.Equal(time.Date(2024, 4, 2, 13, 0, 0, 0, time.UTC)) {
					t.Errorf("txn_fixed_0002: %+v", tx)
				}
				// 29900 pence of its own currency, not amount_usd.
				if tx := txs.records["txn_fixed_0003"].Transaction; tx == nil || tx.Amount.String() != "299" || tx.AmountUnits != "GBP" {
					t.Errorf("txn_fixed_0003: %+v", tx)
				}
				for _, r := range txs.records {
					if r.CustomerSourceID == "" || r.Transaction.Amount.Rat().Sign() < 0 {
						t.Fatalf("%s: customer source %q, amount %s", r.Transaction.Key, r.CustomerSourceID, r.Transaction.Amount)
					}
				}
			},
		},
	}},
	{"postaffiliatepro", []sampleFile{
		{
			entity: record.Partners, name: "affiliates.csv", comma: ';',
			counts: map[string]int{
				"valid": 29, "skipped": 2, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1, record.CodeInvalidEmail: 1,
			},
			errs: []sampleErr{{14, record.CodeMissingField, "email"}, {18, record.CodeDuplicate, "email"}, {25, record.CodeTooLong, "key"}, {33, record.CodeInvalidEmail, "email"}},
			check: func(t *testing.T, affs outcome) {
				p := affs.records["email:peter.horvath@example.sk"]
				if p.Partner == nil || p.Partner.Key != "testaff" || p.SourceID != "11111111" || p.Partner.Name != "Peter" || p.Partner.Surname != "Horváth" {
					t.Errorf("affiliate line 3: %+v %+v", p, p.Partner)
				}
				subs := 0
				for _, r := range affs.records {
					if r.ParentSourceID != "" {
						subs++
					}
				}
				if subs == 0 {
					t.Error("no sub-affiliate carries its parent")
				}
			},
		},
		{
			entity: record.Transactions, name: "commissions.csv", comma: ',',
			counts: map[string]int{
				"valid": 804, "skipped": 191, record.CodeInvalidAmount: 1, record.CodeInvalidTime: 1, record.CodeDuplicate: 1,
				record.CodeMissingField: 1, record.CodeInvalidCurrency: 1,
			},
			errs: []sampleErr{{103, record.CodeInvalidAmount, "amount"}, {203, record.CodeInvalidTime, "created_at"}, {303, record.CodeDuplicate, "key"}, {403, record.CodeMissingField, "customer"}, {503, record.CodeInvalidCurrency, "currency"}},
			check: func(t *testing.T, com outcome) {
				r := com.records["fixed001"]
				tx := r.Transaction
				// The sale as made (149.00 EUR), not !TOTALCOST (162.01, in USD).
				if tx == nil || tx.Amount.String() != "149" || tx.Reward != nil || tx.AmountUnits != "EUR" || !*tx.Rewarded ||
					!tx.CreatedAt.Equal(time.Date(2024, 6, 5, 14, 30, 0, 0, time.UTC)) || tx.Customer.Email != "marek.novak@example.cz" ||
					tx.Customer.Key != "C000001" || r.ParentSourceID != "11111111" || tx.Action != "sale" {
					t.Errorf("fixed001: %+v %+v", r, tx)
				}
				// A manual commission: no order id, a zero sale in the main currency.
				tx = com.records["fixed002"].Transaction
				if tx == nil || tx.Amount.String() != "0" || tx.AmountUnits != "" || *tx.Rewarded {
					t.Errorf("fixed002: %+v", tx)
				}
				// The renewal of fixed001 (a recurring commission, type U) is a sale
				// of the same customer.
				tx = com.records["fixed003"].Transaction
				if tx == nil || tx.Action != "sale" || tx.Amount.String() != "149" || tx.AmountUnits != "EUR" || tx.Customer.Key != "C000001" {
					t.Errorf("fixed003: %+v", tx)
				}
				if tx := com.records["fixed004"].Transaction; tx == nil || tx.Amount.String() != "9800" || tx.AmountUnits != "JPY" {
					t.Errorf("fixed004: %+v", tx)
				}
			},
		},
	}},
	{"rewardful", []sampleFile{
		{
			entity: record.Partners, name: "affiliates.jsonl",
			counts: map[string]int{
				"valid": 35, record.CodeMissingField: 1, record.CodeInvalidEmail: 1, record.CodeDuplicate: 2, record.CodeTooLong: 1,
			},
			errs: []sampleErr{{11, record.CodeMissingField, "email"}, {16, record.CodeInvalidEmail, "email"}, {21, record.CodeDuplicate, "email"}, {26, record.CodeTooLong, "key"}, {31, record.CodeDuplicate, "key"}},
			check: func(t *testing.T, aff outcome) {
				// Line 2: the first affiliate, value by value.
				p := aff.records["email:olivia.martin@northwind.io"]
				if p.Partner == nil || p.Partner.Key != "olivia" || p.Partner.Name != "Olivia" || p.Partner.Surname != "Martin" ||
					p.SourceID != "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90" || strings.Join(p.Partner.Tags, ",") != "Default" {
					t.Errorf("line 2: %+v %+v", p, p.Partner)
				}
				if p := aff.records["email:maria.garcia3@example.com"]; p.Partner == nil {
					t.Error("line 5: the mixed-case email was not normalised")
				}
				// Line 7: the key comes out of the full link (?via=bob-22).
				keys := map[string]bool{}
				for _, r := range aff.records {
					keys[r.Partner.Key] = true
				}
				if !keys["bob-22"] || !keys["olivia11"] {
					t.Errorf("referral codes not preserved: %v", keys)
				}
				if e := aff.errs[21]; e != nil && !strings.Contains(e.Message, "duplicate of line 3") {
					t.Errorf("line 21: %v", e)
				}
			},
		},
		{
			entity: record.Customers, name: "referrals.jsonl",
			counts: map[string]int{
				"valid": 245, "skipped": 70, record.CodeInvalidEmail: 2, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1,
			},
			errs: []sampleErr{{131, record.CodeInvalidEmail, "email"}, {141, record.CodeMissingField, "partner"}, {151, record.CodeDuplicate, "key"}, {161, record.CodeTooLong, "name"}},
			check: func(t *testing.T, refs outcome) {
				c := refs.records["cus_Q8xZ2mN4vB7kLp"]
				if c.Customer == nil || c.Customer.Email != "hiro.tanaka@example.jp" || c.Customer.Name != "Hiro Tanaka" ||
					c.ParentSourceID != "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90" || c.SourceID != "7c1e9a52-3b4d-4f6e-8a21-d0c9b8e7f6a5" ||
					c.Customer.Partner == nil || c.Customer.Partner.Email != "olivia.martin@northwind.io" {
					t.Errorf("referral line 71: %+v %+v", c, c.Customer)
				}
				// Line 71 + 40: not Stripe customers, keyed by their customer.id; the
				// referral id stays their source id (commissions join on it).
				notStripe := 0
				for k, r := range refs.records {
					if !strings.HasPrefix(k, "cus_") && r.SourceID != "" && k != r.SourceID {
						notStripe++
					}
				}
				if notStripe != 5 {
					t.Errorf("%d customers keyed by a non-Stripe customer id, want 5", notStripe)
				}
			},
		},
		{
			entity: record.Transactions, name: "commissions.jsonl",
			counts: map[string]int{
				"valid": 909, "skipped": 85, record.CodeInvalidAmount: 1, record.CodeInvalidCurrency: 1, record.CodeMissingField: 1,
				record.CodeDuplicate: 2, record.CodeInvalidTime: 1,
			},
			errs: []sampleErr{{101, record.CodeInvalidAmount, "amount"}, {201, record.CodeInvalidCurrency, "currency"}, {301, record.CodeMissingField, "customer"}, {401, record.CodeDuplicate, "key"}, {402, record.CodeDuplicate, "key"}, {601, record.CodeInvalidTime, "created_at"}},
			check: func(t *testing.T, com outcome) {
				tests := []struct {
					key, amount, reward, currency, created, action string
					rewarded                                       bool
				}{
					// The commission's currency is the account's (USD): on a JPY or
					// KWD sale it is left out, never stored as yen or dinars.
					{"sale_fixed_jpy", "12000", "", "JPY", "2024-03-05T09:30:00.123Z", "sale", true},
					{"sale_fixed_kwd", "15", "", "KWD", "2024-03-06T10:00:00Z", "sale", false},
					{"sale_fixed_usd", "49.99", "12.5", "USD", "2024-03-07T11:15:30.5Z", "sale", false},
				}
				for _, tt := range tests {
					r := com.records[tt.key]
					tx := r.Transaction
					if tx == nil {
						t.Errorf("%s: missing", tt.key)
						continue
					}
					created, _ := time.Parse(time.RFC3339Nano, tt.created)
					reward := ""
					if tx.Reward != nil {
						reward = tx.Reward.String()
					}
					if tx.Amount.String() != tt.amount || reward != tt.reward || tx.AmountUnits != tt.currency ||
						!tx.CreatedAt.Equal(created) || tx.Action != tt.action || *tx.Rewarded != tt.rewarded {
						t.Errorf("%s: amount %s reward %q %s at %v action %s rewarded %v", tt.key, tx.Amount, reward, tx.AmountUnits, tx.CreatedAt, tx.Action, *tx.Rewarded)
					}
				}
				if jpy := com.records["sale_fixed_jpy"]; jpy.Transaction != nil && (jpy.Transaction.Customer.Key != "cus_Q8xZ2mN4vB7kLp" ||
					jpy.ParentSourceID != "0b6d2a4e-1c7f-4e8a-9b3d-5f2e8c1a7d90" || jpy.SourceID != "comm_fixed_jpy" ||
					jpy.CustomerSourceID != "7c1e9a52-3b4d-4f6e-8a21-d0c9b8e7f6a5") {
					t.Errorf("sale_fixed_jpy joins: %+v", jpy)
				}
			},
		},
	}},
	{"tapfiliate", []sampleFile{
		{
			entity: record.Partners, name: "affiliates.jsonl",
			counts: map[string]int{
				"valid": 27, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeTooLong: 1,
			},
			errs: []sampleErr{{10, record.CodeMissingField, "email"}, {15, record.CodeDuplicate, "email"}, {22, record.CodeTooLong, "key"}},
			check: func(t *testing.T, affs outcome) {
				p := affs.records["email:aurelie@bernard-conseil.fr"]
				if p.Partner == nil || p.Partner.Key != "aurelie" || p.Partner.Name != "Aurélie" || p.Partner.Surname != "Bernard" || p.SourceID != "aurelie-b" {
					t.Errorf("affiliate line 1: %+v %+v", p, p.Partner)
				}
				subs, linked := 0, false
				for _, r := range affs.records {
					if r.ParentSourceID == "aurelie-b" {
						subs++
					}
					if r.Partner.Key == "zoe6x" {
						linked = true
					}
				}
				if subs != 1 || !linked {
					t.Errorf("sub-affiliates of aurelie-b: %d (want 1); code out of the link: %v", subs, linked)
				}
			},
		},
		{
			entity: record.Customers, name: "customers.jsonl",
			counts: map[string]int{
				"valid": 247, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeInvalidEmail: 1,
			},
			errs: []sampleErr{{41, record.CodeMissingField, "partner"}, {81, record.CodeDuplicate, "key"}, {121, record.CodeInvalidEmail, "email"}},
			check: func(t *testing.T, custs outcome) {
				c := custs.records["user_fixed_1"]
				if c.Customer == nil || c.Customer.Email != "kai.muller@example.de" || c.ParentSourceID != "aurelie-b" || c.SourceID != "cu_fixed0001" ||
					len(c.Customer.Tags) != 1 || c.Customer.Tags[0] != "paid" {
					t.Errorf("customer line 1: %+v %+v", c, c.Customer)
				}
			},
		},
		{
			entity: record.Transactions, name: "conversions.jsonl",
			counts: map[string]int{
				"valid": 839, "skipped": 156, record.CodeInvalidAmount: 1, record.CodeInvalidTime: 1, record.CodeDuplicate: 1,
				record.CodeMissingField: 1, record.CodeInvalidCurrency: 1,
			},
			errs: []sampleErr{{101, record.CodeInvalidAmount, "amount"}, {201, record.CodeInvalidTime, "created_at"}, {301, record.CodeDuplicate, "key"}, {401, record.CodeMissingField, "customer"}, {501, record.CodeInvalidCurrency, "currency"}},
			check: func(t *testing.T, conv outcome) {
				tests := []struct{ key, amount, reward, currency, created string }{
					{"ord-fixed-1", "49.99", "9.99", "EUR", "2024-03-05T09:30:00Z"},
					{"ord-fixed-2", "1200", "240", "JPY", "2024-03-05T08:00:00Z"},
				}
				for _, tt := range tests {
					tx := conv.records[tt.key].Transaction
					if tx == nil {
						t.Errorf("%s missing", tt.key)
						continue
					}
					want, _ := time.Parse(time.RFC3339, tt.created)
					if tx.Amount.String() != tt.amount || tx.Reward.String() != tt.reward || tx.AmountUnits != tt.currency || !tx.CreatedAt.Equal(want) || tx.Action != "sale" {
						t.Errorf("%s: %s %s %s at %v %s", tt.key, tx.Amount, tx.Reward, tx.AmountUnits, tx.CreatedAt, tx.Action)
					}
				}
				if r := conv.records["ord-fixed-1"]; r.Transaction != nil && (r.Transaction.Customer.Key != "user_fixed_1" ||
					r.CustomerSourceID != "cu_fixed0001" || r.ParentSourceID != "aurelie-b") {
					t.Errorf("ord-fixed-1 joins: %+v %q %q", r.Transaction.Customer, r.CustomerSourceID, r.ParentSourceID)
				}
				// Currencies come from the program: no conversion is left in USD when
				// its program is not.
				byCur := map[string]int{}
				for _, r := range conv.records {
					byCur[r.Transaction.AmountUnits]++
				}
				if byCur["EUR"] == 0 || byCur["GBP"] == 0 || byCur["USD"] == 0 || byCur[""] != 0 {
					t.Errorf("currencies %v", byCur)
				}
			},
		},
	}},
	{"tolt", []sampleFile{
		{
			entity: record.Partners, name: "partners.jsonl",
			counts: map[string]int{
				"valid": 26, "skipped": 1, record.CodeInvalidValue: 1, record.CodeDuplicate: 1, record.CodeMissingField: 1,
			},
			errs: []sampleErr{{10, record.CodeInvalidValue, "key"}, {18, record.CodeDuplicate, "email"}, {25, record.CodeMissingField, "email"}},
			check: func(t *testing.T, parts outcome) {
				p := parts.records["email:samir@haddad.studio"]
				if p.Partner == nil || p.Partner.Key != "sam" || p.SourceID != "part_fixed00001" || p.Partner.Name != "Samir" || p.Partner.Surname != "Haddad" {
					t.Errorf("partner line 1: %+v %+v", p, p.Partner)
				}
			},
		},
		{
			entity: record.Customers, name: "customers.csv", comma: ',',
			counts: map[string]int{
				"valid": 227, record.CodeMissingField: 1, record.CodeDuplicate: 1, record.CodeInvalidEmail: 1,
			},
			errs: []sampleErr{{42, record.CodeMissingField, "partner"}, {82, record.CodeDuplicate, "key"}, {122, record.CodeInvalidEmail, "email"}},
			check: func(t *testing.T, custs outcome) {
				// The customer's customer_id is yours (the key); Tolt's id is the
				// source id transactions join on.
				c := custs.records["user_dana"]
				if c.Customer == nil || c.Customer.Email != "dana.ivanova@example.bg" || c.Customer.Name != "Dana Ivanova" || c.ParentSourceID != "part_fixed00001" || c.SourceID != "cust_fixed00001" {
					t.Errorf("customer line 2: %+v %+v", c, c.Customer)
				}
				ownKey := 0
				for k, r := range custs.records {
					if k == r.SourceID {
						ownKey++
					}
				}
				if ownKey != 2 {
					t.Errorf("%d customers keyed by Tolt's id, want 2 (lines 22, 23)", ownKey)
				}
			},
		},
		{
			entity: record.Transactions, name: "transactions.jsonl",
			counts: map[string]int{
				"valid": 970, "skipped": 25, record.CodeInvalidAmount: 1, record.CodeMissingField: 2, record.CodeInvalidTime: 1, record.CodeDuplicate: 1,
			},
			errs: []sampleErr{{101, record.CodeInvalidAmount, "amount"}, {201, record.CodeMissingField, "amount"}, {301, record.CodeInvalidTime, "created_at"}, {401, record.CodeDuplicate, "key"}, {501, record.CodeMissingField, "customer"}},
			check: func(t *testing.T, txs outcome) {
				r := txs.records["ch_fixed_0001"]
				tx := r.Transaction
				if tx == nil || tx.Amount.String() != "49" || tx.AmountUnits != "USD" || !tx.CreatedAt.Equal(time.Date(2024, 5, 7, 8, 15, 0, 0, time.UTC)) ||
					len(tx.ProductType) != 1 || tx.ProductType[0] != "subscription" || tx.Customer.Key != "" ||
					r.CustomerSourceID != "cust_fixed00001" || r.ParentSourceID != "part_fixed00001" || r.SourceID != "txn_fixed00001" || tx.Action != "sale" {
					t.Errorf("ch_fixed_0001: %+v %+v", r, tx)
				}
				// Cents as a string, the currency in lower case.
				if tx := txs.records["ch_fixed_0002"].Transaction; tx == nil || tx.Amount.String() != "0.05" || tx.AmountUnits != "EUR" {
					t.Errorf("ch_fixed_0002: %+v", tx)
				}
				if tx := txs.records["ch_fixed_0003"].Transaction; tx == nil || tx.Amount.String() != "9800" || tx.AmountUnits != "JPY" {
					t.Errorf("ch_fixed_0003: %+v", tx)
				}
			},
		},
	}},
}

// TestSamples maps every platform's sample export through its presets.
func TestSamples(t *testing.T) {
	t.Parallel()
	for _, s := range platformSamples {
		t.Run(s.platform, func(t *testing.T) {
			t.Parallel()
			for _, f := range s.files {
				o := mapSample(t, s.platform, f.entity, readSample(t, s.platform, f.name, f.comma))
				checkCounts(t, f.name, o.counts, f.counts)
				if len(o.unknown) != 0 {
					t.Errorf("%s: unknown columns %q", f.name, o.unknown)
				}
				for _, e := range f.errs {
					wantErr(t, o, e.line, e.code, e.field)
				}
				if f.check != nil {
					f.check(t, o)
				}
			}
		})
	}
}
