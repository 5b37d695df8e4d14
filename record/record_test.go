package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
)

func TestLookup(t *testing.T) {
	var nested map[string]any
	if err := json.Unmarshal([]byte(`{"email":"a@b.io","links":[{"token":"sam"}],"meta.dotted":"yes","deep":{"x":{"y":1}}}`), &nested); err != nil {
		t.Fatal(err)
	}
	structured := Row{
		Header: NewHeader([]string{"customer", "customer.address", "n"}),
		Values: []any{nested, map[string]any{"city": "Riga"}, nil},
	}
	flat := Row{Header: NewHeader([]string{"email", "amount", "email"}), Text: []string{"x@y.io", "9.99", "second"}}
	tests := []struct {
		name   string
		row    Row
		path   string
		want   any
		wantOK bool
	}{
		{"flat column", flat, "amount", "9.99", true},
		{"duplicate header: first wins", flat, "email", "x@y.io", true},
		{"flat missing", flat, "nope", nil, false},
		{"flat has no nesting", flat, "amount.cents", nil, false},
		{"nested map", structured, "customer.email", "a@b.io", true},
		{"list index", structured, "customer.links.0.token", "sam", true},
		{"list index out of range", structured, "customer.links.1.token", nil, false},
		{"list index not a number", structured, "customer.links.x", nil, false},
		{"key containing a dot", structured, "customer.meta.dotted", "yes", true},
		{"column name with a dot wins", structured, "customer.address.city", "Riga", true},
		{"whole object", structured, "customer.deep.x", map[string]any{"y": float64(1)}, true},
		{"present null", structured, "n", nil, true},
		{"through a scalar", structured, "customer.email.x", nil, false},
		{"nil header", Row{}, "a", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.row.Lookup(tt.path)
			if ok != tt.wantOK {
				t.Fatalf("Lookup(%q) ok = %v, want %v", tt.path, ok, tt.wantOK)
			}
			if gj, _ := json.Marshal(got); string(gj) != mustJSON(t, tt.want) {
				t.Errorf("Lookup(%q) = %s, want %s", tt.path, gj, mustJSON(t, tt.want))
			}
		})
	}
}

// A ragged CSV row has fewer cells than its header: the missing ones are absent.
func TestLookupShortRow(t *testing.T) {
	row := Row{Header: NewHeader([]string{"a", "b"}), Text: []string{"1"}}
	if _, ok := row.Lookup("b"); ok {
		t.Error("Lookup of a cell past the row's end reported a value")
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRowErrorSaysWhatAndWhere(t *testing.T) {
	tests := []struct {
		err  RowError
		want string
	}{
		{RowError{Origin: Origin{File: "a.csv", Line: 12}, Column: "Sale Cents", Field: "amount", Code: CodeInvalidAmount, Message: `"1,5" is not an integer`},
			`a.csv:12: amount (column "Sale Cents"): "1,5" is not an integer [invalid_amount]`},
		{RowError{Origin: Origin{File: "a.csv", Line: 3}, Column: "email", Field: "email", Code: CodeInvalidEmail, Message: "no @"},
			`a.csv:3: email: no @ [invalid_email]`},
		{RowError{Origin: Origin{File: "b.jsonl", Line: 7}, Column: "x", Message: "bad"},
			`b.jsonl:7: column "x": bad`},
		{RowError{Origin: Origin{File: "-"}, Code: CodeMalformedRow, Message: "ragged"},
			`-: ragged [malformed_row]`},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// TestRowErrorUnwraps: a row rejected because of the API's answer keeps
// that answer as its cause, so errors.Is and errors.As see through the row
// error (and through wrapping around it) without changing what it says.
func TestRowErrorUnwraps(t *testing.T) {
	cause := &partnero.Error{Kind: partnero.ErrValidation, Method: "POST", Path: "/customers", StatusCode: 400, Message: "Invalid partner key"}
	re := &RowError{Origin: Origin{File: "c.csv", Line: 4}, Field: "partner", Code: CodeUnknownPartner, Message: "partner ann does not exist", Err: cause}
	var err error = fmt.Errorf("write: %w", re)
	if !errors.Is(err, partnero.ErrValidation) || errors.Is(err, partnero.ErrNotFound) {
		t.Errorf("errors.Is does not see the API's answer through %v", err)
	}
	if got, ok := errors.AsType[*partnero.Error](err); !ok || got != cause {
		t.Errorf("errors.As = %v, %v; want the cause", got, ok)
	}
	if !partnero.IsUnknownPartner(err) || partnero.StatusCode(err) != 400 {
		t.Errorf("the classifiers do not see the cause of %v", err)
	}
	if got, ok := errors.AsType[*RowError](err); !ok || got != re {
		t.Errorf("the row error itself is lost: %v", got)
	}
	if got, want := re.Error(), "c.csv:4: partner: partner ann does not exist [unknown_partner]"; got != want {
		t.Errorf("Error() = %q, want %q: the cause must not change the text", got, want)
	}
	bare := &RowError{Code: CodeMalformedRow, Message: "ragged"}
	if bare.Unwrap() != nil || errors.Is(bare, partnero.ErrValidation) {
		t.Error("a row error without a cause unwraps to something")
	}
}

func TestRecordKey(t *testing.T) {
	tests := []struct {
		rec  Record
		want string
	}{
		{Record{Partner: &partnero.Partner{ID: "p1", Email: "a@b.io"}}, "id:p1"},
		{Record{Partner: &partnero.Partner{Email: "A@B.io"}}, "email:a@b.io"},
		{Record{Customer: &partnero.Customer{Key: "cus_1"}}, "cus_1"},
		{Record{Transaction: &partnero.Transaction{Key: "pay_1"}}, "pay_1"},
		{Record{}, ""},
	}
	for _, tt := range tests {
		if got := tt.rec.Key(); got != tt.want {
			t.Errorf("Key() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseEntity(t *testing.T) {
	for in, want := range map[string]Entity{"partners": Partners, "Partner": Partners, " customers ": Customers, "transaction": Transactions, "rewards": Rewards} {
		if got, err := ParseEntity(in); err != nil || got != want {
			t.Errorf("ParseEntity(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseEntity("leads"); err == nil || !strings.Contains(err.Error(), "leads") {
		t.Errorf("ParseEntity(leads) error = %v, want one naming the input", err)
	}
}

func TestOutcomeNames(t *testing.T) {
	seen := map[string]bool{}
	for o := Created; o <= Rejected; o++ {
		name := o.String()
		if name == "unknown" || seen[name] {
			t.Errorf("outcome %d has name %q", o, name)
		}
		seen[name] = true
	}
}
