package sinks

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Kind is the logical type of a column. CSV writes every kind as text; the
// Parquet writer maps each to a physical type (see sinks/parquet).
type Kind int

// The column kinds.
const (
	KindString  Kind = iota // free text: the only kind --csv-safe touches
	KindDecimal             // exact decimal, canonical text in CSV
	KindTime                // UTC instant, "2006-01-02T15:04:05.000000Z" in CSV
	KindBool                // "true" or "false"
	KindInt                 // a whole number
	KindList                // a list of strings, joined with ";" in CSV
	KindJSON                // a JSON document kept as text
)

// Column is one column of a table: its name, kind and how to read it from a
// record. Value returns the text form and false for NULL (an empty CSV cell).
type Column struct {
	Name  string
	Kind  Kind
	Value func(rec record.Record) (string, bool)
}

// ListSeparator joins list cells (tags, product types) in CSV: the import's
// canonical columns split tags on it too, so an export re-imports as is.
const ListSeparator = ";"

// Columns returns the documented column order of a table. CSV headers are
// exactly these names in this order, and the Parquet schemas use the same
// names and order.
func Columns(e record.Entity) []Column {
	switch e {
	case record.Partners:
		return partnerColumns
	case record.Customers:
		return customerColumns
	case record.Transactions:
		return transactionColumns
	case record.Rewards:
		return rewardColumns
	}
	return listColumns(e)
}

// ColumnNames returns the names of Columns(e).
func ColumnNames(e record.Entity) []string {
	cols := Columns(e)
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

func str(s string) (string, bool) { return s, s != "" }

func boolText(b *bool) (string, bool) {
	if b == nil {
		return "", false
	}
	return strconv.FormatBool(*b), true
}

func timeText(t *partnero.Time) (string, bool) {
	if t == nil || t.IsZero() {
		return "", false
	}
	return t.UTC().Format(partnero.TimeLayout), true
}

func decimalText(d *partnero.Decimal) (string, bool) {
	if d == nil || d.IsZero() {
		return "", false
	}
	return d.String(), true
}

// listText is NULL for a list the API did not send (nil) and the joined
// items, possibly none, for one it sent: an empty list is a fact ("no
// tags"), NULL is "not known" (a partner listing carries no tags).
func listText(l []string) (string, bool) {
	return strings.Join(l, ListSeparator), l != nil
}

func jsonText(raw json.RawMessage) (string, bool) {
	s := strings.TrimSpace(string(raw))
	return s, s != "" && s != "null"
}

var partnerColumns = []Column{
	{"id", KindString, func(r record.Record) (string, bool) { return str(string(r.Partner.ID)) }},
	{"email", KindString, func(r record.Record) (string, bool) { return str(r.Partner.Email) }},
	{"name", KindString, func(r record.Record) (string, bool) { return str(r.Partner.Name) }},
	{"surname", KindString, func(r record.Record) (string, bool) { return str(r.Partner.Surname) }},
	{"key", KindString, func(r record.Record) (string, bool) { return str(r.Partner.Key) }},
	{"status", KindString, func(r record.Record) (string, bool) { return str(r.Partner.Status) }},
	{"approved", KindBool, func(r record.Record) (string, bool) { return boolText(r.Partner.Approved) }},
	{"tos", KindBool, func(r record.Record) (string, bool) { return boolText(r.Partner.TOS) }},
	{"referrals_count", KindInt, func(r record.Record) (string, bool) {
		if r.Partner.ReferralsCount == nil {
			return "", false
		}
		return strconv.FormatInt(*r.Partner.ReferralsCount, 10), true
	}},
	{"referral_link", KindString, func(r record.Record) (string, bool) { return str(r.Partner.ReferralLink) }},
	{"referral_links", KindList, func(r record.Record) (string, bool) { return listText(r.Partner.ReferralLinks) }},
	{"tags", KindList, func(r record.Record) (string, bool) { return listText(r.Partner.Tags) }},
	{"custom_fields", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.Partner.CustomFields) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Partner.CreatedAt) }},
	{"updated_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Partner.UpdatedAt) }},
}

var customerColumns = []Column{
	{"key", KindString, func(r record.Record) (string, bool) { return str(r.Customer.Key) }},
	{"email", KindString, func(r record.Record) (string, bool) { return str(r.Customer.Email) }},
	{"name", KindString, func(r record.Record) (string, bool) { return str(r.Customer.Name) }},
	{"surname", KindString, func(r record.Record) (string, bool) { return str(r.Customer.Surname) }},
	{"partner", KindString, func(r record.Record) (string, bool) {
		if r.Customer.Partner == nil {
			return "", false
		}
		return str(string(r.Customer.Partner.ID))
	}},
	{"status", KindString, func(r record.Record) (string, bool) { return str(r.Customer.Status) }},
	{"deleted", KindBool, func(r record.Record) (string, bool) { return boolText(r.Customer.Deleted) }},
	{"tags", KindList, func(r record.Record) (string, bool) { return listText(r.Customer.Tags) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Customer.CreatedAt) }},
	{"updated_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Customer.UpdatedAt) }},
	{"deleted_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Customer.DeletedAt) }},
}

var transactionColumns = []Column{
	{"key", KindString, func(r record.Record) (string, bool) { return str(r.Transaction.Key) }},
	{"action", KindString, func(r record.Record) (string, bool) { return str(r.Transaction.Action) }},
	{"amount", KindDecimal, func(r record.Record) (string, bool) { return decimalText(r.Transaction.Amount) }},
	{"amount_units", KindString, func(r record.Record) (string, bool) { return str(r.Transaction.AmountUnits) }},
	{"partner", KindString, func(r record.Record) (string, bool) { return str(string(r.Transaction.Partner)) }},
	{"customer", KindString, func(r record.Record) (string, bool) { return str(r.Transaction.Customer.Key) }},
	{"product_id", KindString, func(r record.Record) (string, bool) { return str(r.Transaction.ProductID) }},
	{"product_type", KindList, func(r record.Record) (string, bool) { return listText(r.Transaction.ProductType) }},
	{"rewarded", KindBool, func(r record.Record) (string, bool) { return boolText(r.Transaction.Rewarded) }},
	{"rewardable", KindBool, func(r record.Record) (string, bool) { return boolText(r.Transaction.Rewardable) }},
	{"credit", KindBool, func(r record.Record) (string, bool) { return boolText(r.Transaction.Credit) }},
	{"is_currency", KindBool, func(r record.Record) (string, bool) { return boolText(r.Transaction.IsCurrency) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Transaction.CreatedAt) }},
	{"deleted_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Transaction.DeletedAt) }},
}

func rw(r record.Record) *partnero.Reward { return &r.Transaction.Rewards[0] }

var rewardColumns = []Column{
	{"transaction_key", KindString, func(r record.Record) (string, bool) { return str(r.Transaction.Key) }},
	{"key", KindString, func(r record.Record) (string, bool) { return str(rw(r).Key) }},
	{"action", KindString, func(r record.Record) (string, bool) { return str(rw(r).Action) }},
	{"status", KindString, func(r record.Record) (string, bool) { return str(rw(r).Status) }},
	{"amount", KindDecimal, func(r record.Record) (string, bool) { return decimalText(rw(r).Amount) }},
	{"amount_units", KindString, func(r record.Record) (string, bool) { return str(rw(r).AmountUnits) }},
	{"partner", KindString, func(r record.Record) (string, bool) { return str(string(rw(r).Partner)) }},
	{"customer", KindString, func(r record.Record) (string, bool) { return str(rw(r).Customer.Key) }},
	{"product_type_data", KindJSON, func(r record.Record) (string, bool) { return jsonText(rw(r).ProductType) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(rw(r).CreatedAt) }},
	{"deleted_at", KindTime, func(r record.Record) (string, bool) { return timeText(rw(r).DeletedAt) }},
}
