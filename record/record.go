// Package record owns the values that flow between the stages of a run: a raw
// Row read from an input with its Origin, the Record a row maps to (one typed
// Partnero entity), the Outcome of writing it, and the RowError that explains a
// row that could not be read, mapped or written; and the stage contract
// (stage.go): Mapped and Mapper, Result and Sink, the one definition of what
// mapping hands the engine and what the engine asks of a sink.
//
// It sits below sources, sinks, mapping and pipeline so that all of them share
// these types without importing each other.
package record

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// Entity names a kind of Partnero record. Its value is the plural used in
// commands, file names and reports.
type Entity string

// The entities the tool reads and writes.
const (
	Partners     Entity = "partners"
	Customers    Entity = "customers"
	Transactions Entity = "transactions"
	Rewards      Entity = "rewards"
)

// ParseEntity accepts the plural or singular name of an importable entity.
func ParseEntity(s string) (Entity, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "partners", "partner":
		return Partners, nil
	case "customers", "customer":
		return Customers, nil
	case "transactions", "transaction":
		return Transactions, nil
	case "rewards", "reward":
		return Rewards, nil
	}
	return "", fmt.Errorf("unknown entity %q: want partners, customers or transactions", s)
}

// Origin says where a row came from: a file (or "-" for standard input, or an
// API endpoint) and the 1-based line of a text file or row of a Parquet file.
type Origin struct {
	File string
	Line int64
}

func (o Origin) String() string {
	if o.Line <= 0 {
		return o.File
	}
	return o.File + ":" + strconv.FormatInt(o.Line, 10)
}

// Header holds the column names of a tabular input, shared by all its rows.
type Header struct {
	Names []string
	index map[string]int
}

// NewHeader indexes names; the first of duplicate names wins lookups.
func NewHeader(names []string) *Header {
	h := &Header{Names: names, index: make(map[string]int, len(names))}
	for i, n := range names {
		if _, dup := h.index[n]; !dup {
			h.index[n] = i
		}
	}
	return h
}

// Index returns the position of a column, or -1.
func (h *Header) Index(name string) int {
	if h == nil {
		return -1
	}
	if i, ok := h.index[name]; ok {
		return i
	}
	return -1
}

// Row is one input row as read, before mapping: ordered column/value pairs and
// where they came from.
//
// Flat sources (CSV) fill Text, one string per column of Header. Structured
// sources (JSON lines, Parquet) fill Values instead, one decoded value per
// column of Header: nil, bool, string, json.Number, int64, float64, time.Time,
// map[string]any, []any. Raw keeps a JSON line as read so a reject file can
// reproduce it with every field the input had.
type Row struct {
	Origin Origin
	Header *Header
	Text   []string
	Values []any
	Raw    []byte
}

// Lookup returns the value of a column or dotted path ("customer.email",
// "links.0.token"). An exact column name wins over a path; a path descends
// into maps and lists. ok is false when nothing is there; a present null is
// (nil, true).
func (r Row) Lookup(path string) (v any, ok bool) {
	if i := r.Header.Index(path); i >= 0 {
		return r.at(i)
	}
	// Try the longest column-name prefix followed by a nested path, so that
	// a column named "customer.address" with nested "city" resolves.
	for dot := strings.LastIndexByte(path, '.'); dot > 0; dot = strings.LastIndexByte(path[:dot], '.') {
		i := r.Header.Index(path[:dot])
		if i < 0 {
			continue
		}
		v, ok := r.at(i)
		if !ok {
			return nil, false
		}
		return Descend(v, path[dot+1:])
	}
	return nil, false
}

func (r Row) at(i int) (any, bool) {
	switch {
	case r.Text != nil:
		if i < len(r.Text) {
			return r.Text[i], true
		}
	case i < len(r.Values):
		return r.Values[i], true
	}
	return nil, false
}

// Descend follows a dotted path ("address.city", "links.0.token") into the
// maps and lists of a decoded value. A map key that itself contains dots is
// found too. ok is false when the path leads nowhere.
func Descend(v any, path string) (any, bool) {
	for path != "" {
		step := path
		rest := ""
		if dot := strings.IndexByte(path, '.'); dot >= 0 {
			step, rest = path[:dot], path[dot+1:]
		}
		switch c := v.(type) {
		case map[string]any:
			next, ok := c[step]
			if !ok {
				// A key containing dots: try the whole remaining path.
				if whole, ok := c[path]; ok {
					return whole, true
				}
				return nil, false
			}
			v = next
		case []any:
			n, err := strconv.Atoi(step)
			if err != nil || n < 0 || n >= len(c) {
				return nil, false
			}
			v = c[n]
		default:
			return nil, false
		}
		path = rest
	}
	return v, true
}

// Record is one typed Partnero entity on its way to a sink. Exactly one of
// Partner, Customer and Transaction is set, matching Entity.
type Record struct {
	Entity      Entity
	Origin      Origin
	Partner     *partnero.Partner
	Customer    *partnero.Customer
	Transaction *partnero.Transaction
	// Row is the input row the record was mapped from (nil when the record
	// came from the API): reject files are written from it.
	Row *Row
	// Raw is the API object as received, for writers that keep it verbatim.
	Raw json.RawMessage
	// SourceID is the record's own id on the platform it came from (a
	// Rewardful affiliate id, say), and ParentSourceID the source id of its
	// parent (a customer's partner, a transaction's customer's partner). A
	// migration joins on them; both are empty for Partnero-native input.
	SourceID       string
	ParentSourceID string
	// CustomerSourceID is a transaction's customer's id on the old platform
	// (Rewardful's referral id, Tolt's cust_ id): a migration joins the
	// transaction to the customers file's source_id through it.
	CustomerSourceID string

	// The export-only entities (record/lists.go): exactly one is set, with
	// Raw, for a record of leads, coupons, promotion_codes,
	// payout_requests, webhooks or referral_links.
	Lead          *partnero.Lead
	Coupon        *partnero.Coupon
	PromotionCode *partnero.PromotionCode
	PayoutRequest *partnero.PayoutRequest
	Webhook       *partnero.Webhook
	ReferralLink  *partnero.ReferralLink
}

// Key returns the identity a record is deduplicated, journaled and reported
// by: a partner's id, else its email; a customer's key; a transaction's key.
func (r Record) Key() string {
	switch {
	case r.Partner != nil:
		if r.Partner.ID != "" {
			return "id:" + string(r.Partner.ID)
		}
		return "email:" + strings.ToLower(r.Partner.Email)
	case r.Customer != nil:
		return r.Customer.Key
	case r.Transaction != nil:
		return r.Transaction.Key
	}
	return ""
}

// Outcome is what happened to one row. Every row read ends in exactly one.
type Outcome int

// The outcomes. Skipped is a row a mapping rule chose not to import (a filter
// or a status mapped to skip): it was read and deliberately left out.
const (
	Created Outcome = iota + 1
	Updated
	Unchanged
	Skipped
	Rejected
)

func (o Outcome) String() string {
	switch o {
	case Created:
		return "created"
	case Updated:
		return "updated"
	case Unchanged:
		return "unchanged"
	case Skipped:
		return "skipped"
	case Rejected:
		return "rejected"
	}
	return "unknown"
}

// Error codes of rejected rows. They are stable: reports and reject files
// carry them and users filter on them.
const (
	CodeMalformedRow        = "malformed_row"        // the reader could not decode the row
	CodeMissingField        = "missing_field"        // a required field is empty
	CodeInvalidEmail        = "invalid_email"        // not an email address
	CodeTooLong             = "too_long"             // over Partnero's length limit
	CodeInvalidAmount       = "invalid_amount"       // not a decimal amount
	CodeInvalidCurrency     = "invalid_currency"     // not an ISO 4217 code
	CodeInvalidTime         = "invalid_time"         // not a time in the declared format
	CodeInvalidValue        = "invalid_value"        // any other unusable value
	CodeDuplicate           = "duplicate"            // the same identity twice in the input
	CodeRejectedByRule      = "rejected_by_rule"     // a mapping rule rejects such rows
	CodeParentRejected      = "parent_rejected"      // the row's partner or customer was rejected
	CodeUnknownPartner      = "unknown_partner"      // the partner exists neither in input nor target
	CodeUnknownCustomer     = "unknown_customer"     // the customer exists neither in input nor target
	CodePartnerConflict     = "partner_conflict"     // the customer exists under another partner
	CodeTransactionConflict = "transaction_conflict" // the key exists with other values
	CodeAPIValidation       = "api_validation"       // the API answered 422 or 400
	CodeAPIError            = "api_error"            // the API failed after every retry
)

// AmountPrecision and AmountScale bound every amount the tool carries: the
// Parquet export stores amounts as DECIMAL(AmountPrecision, AmountScale), so
// at most 29 digits before the point and 9 after. Mapping refuses what would
// not fit (invalid_amount) rather than let it into a program whose every
// Parquet export would then fail on it.
const (
	AmountPrecision = 38
	AmountScale     = 9
)

// RowError explains why one row was rejected: where (origin, column, field),
// a stable code and a message. It is a value, not a fatal error: the run goes on.
type RowError struct {
	Origin  Origin
	Column  string // the input column or path, when known
	Field   string // the Partnero field, when known
	Code    string
	Message string
	// Err is the error that caused the rejection, when one did (the API's
	// answer, a *partnero.Error): errors.Is and errors.As see it through
	// the row error. Message already says what it says; Error() does not
	// repeat it.
	Err error
}

func (e *RowError) Error() string {
	var b strings.Builder
	b.WriteString(e.Origin.String())
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		if e.Column != "" && e.Column != e.Field {
			b.WriteString(" (column ")
			b.WriteString(strconv.Quote(e.Column))
			b.WriteString(")")
		}
		b.WriteString(": ")
	} else if e.Column != "" {
		b.WriteString("column ")
		b.WriteString(strconv.Quote(e.Column))
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	if e.Code != "" {
		b.WriteString(" [")
		b.WriteString(e.Code)
		b.WriteString("]")
	}
	return b.String()
}

// Unwrap returns the cause of the rejection, if it has one.
func (e *RowError) Unwrap() error { return e.Err }
