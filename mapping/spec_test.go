package mapping

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// TestSpecErrors checks that every kind of mistake in a mapping file names
// the file, the line and the setting.
func TestSpecErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		yaml  string
		line  int
		field string
		msg   string
	}{
		{"empty", "", 0, "", "empty"},
		{"not yaml", "partners: [\n", 1, "", "not valid YAML"},
		{"top-level list", "- a\n", 1, "", "want a mapping"},
		{"unknown top key", "partner:\n  fields: {email: e}\n", 1, "partner", "unknown setting"},
		{"bad version", "version: 2\npartners:\n  fields: {email: e}\n", 1, "version", "unsupported version"},
		{"nothing mapped", "version: 1\n", 1, "", "maps nothing"},
		{"unknown section key", "partners:\n  field:\n    email: e\n", 2, "partners.field", "unknown setting"},
		{"no fields", "partners:\n  ignore: [x]\n", 1, "partners.fields", "no fields"},
		{"unknown field", "partners:\n  fields:\n    email: e\n    nmae: n\n", 4, "partners.fields.nmae", "unknown field"},
		{"field of another entity", "partners:\n  fields:\n    amount: a\n", 3, "partners.fields.amount", "unknown field"},
		{"duplicate key", "partners:\n  fields:\n    email: e\n    email: f\n", 4, "partners.fields.email", "set twice"},
		{"alias twice", "transactions:\n  fields:\n    currency: c\n    amount_units: u\n", 4, "transactions.fields.amount_units", "same field"},
		{"unknown rule key", "partners:\n  fields:\n    email: {colum: e}\n", 3, "partners.fields.email.colum", "unknown setting"},
		{"no source", "partners:\n  fields:\n    email: {transform: [trim]}\n", 3, "partners.fields.email", "no source"},
		{"column and value", "partners:\n  fields:\n    email: {column: e, value: a@b.io}\n", 3, "partners.fields.email", "not both"},
		{"unknown transform", "partners:\n  fields:\n    email:\n      column: e\n      transform: [trim, lowercase]\n", 5, "partners.fields.email.transform.lowercase", "unknown transform"},
		{"transform without arg", "partners:\n  fields:\n    email:\n      column: e\n      transform: [strip_suffix]\n", 5, "strip_suffix", "needs the text"},
		{"transform bad arg", "partners:\n  fields:\n    email:\n      column: e\n      transform: [{trim: x}]\n", 5, "trim", "takes no setting"},
		{"bad referral param", "partners:\n  fields:\n    email: e\n    key: {column: k, transform: [{referral_code: [\"a=b\"]}]}\n", 4, "referral_code", "not a query parameter"},
		{"money on text", "partners:\n  fields:\n    email: e\n    name: {column: n, money: minor}\n", 4, "partners.fields.name.money", "money applies"},
		{"bad money units", "transactions:\n  fields:\n    amount:\n      column: a\n      money: dollars\n", 5, "transactions.fields.amount.money", "unknown money units"},
		{"bad exponent", "transactions:\n  fields:\n    amount:\n      column: a\n      money: {units: minor, exponents: {USD: x}}\n", 5, "exponents.USD", "exponent"},
		{"bad exponent currency", "transactions:\n  fields:\n    amount:\n      column: a\n      money: {units: minor, exponents: {ZZZ: 0}}\n", 5, "exponents.ZZZ", "ISO 4217"},
		{"bad decimal separator", "transactions:\n  fields:\n    amount:\n      column: a\n      money: {decimal_separator: \";\"}\n", 5, "money.decimal_separator", "want"},
		{"time on text", "partners:\n  fields:\n    email: {column: e, time: rfc3339}\n", 3, "partners.fields.email.time", "time applies"},
		{"bad layout", "transactions:\n  fields:\n    created_at:\n      column: c\n      time: {layout: yyyy-mm-dd}\n", 5, "transactions.fields.created_at.time.layout", "bad time layout"},
		{"bad zone", "transactions:\n  fields:\n    created_at:\n      column: c\n      time:\n        zone: Mars/Olympus\n", 6, "time.zone", "unknown time zone"},
		{"host zone", "transactions:\n  fields:\n    created_at:\n      column: c\n      time: {zone: Local}\n", 5, "time.zone", "host's zone"},
		{"split on scalar", "partners:\n  fields:\n    email: {column: e, split: \",\"}\n", 3, "split", "split applies"},
		{"bad constant currency", "transactions:\n  fields:\n    currency: {value: usdollar}\n", 3, "transactions.fields.currency.value", "ISO 4217"},
		{"bad default amount", "transactions:\n  fields:\n    amount: {column: a, default: \"1,5\"}\n", 3, "transactions.fields.amount.default", "not a decimal"},
		{"bad map target", "transactions:\n  fields:\n    rewarded:\n      column: s\n      map:\n        paid: sure\n", 6, "transactions.fields.rewarded.map.paid", "not a boolean"},
		{"reject without reason", "transactions:\n  fields:\n    action:\n      column: s\n      map: {refunded: reject}\n", 5, "map.refunded", "needs a reason"},
		{"value is a list", "transactions:\n  fields:\n    action: {value: [a, b]}\n", 3, "action.value", "want a single value"},
		{"filter without condition", "partners:\n  filter:\n    - column: x\n  fields: {email: e}\n", 3, "partners.filter[0]", "exactly one of"},
		{"filter without column", "partners:\n  filter:\n    - in: [a]\n  fields: {email: e}\n", 3, "partners.filter[0]", "needs a column"},
		{"filter bad action", "partners:\n  filter:\n    - {column: x, in: [a], action: drop}\n  fields: {email: e}\n", 3, "partners.filter[0].action", "unknown action"},
		{"filter not a list", "partners:\n  filter: {column: x}\n  fields: {email: e}\n", 2, "partners.filter", "want a list"},
		{"map on a list", "partners:\n  fields:\n    email: e\n    tags: {column: t, map: {a: b}}\n", 4, "partners.fields.tags.map", "single values"},
		{"empty column name", "partners:\n  fields:\n    email: {column: \"\"}\n", 3, "email.column", "cannot be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.yaml))
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SpecError", err)
			}
			if se.File != "m.yaml" || se.Line != tt.line || !strings.Contains(se.Field, tt.field) || !strings.Contains(se.Message, tt.msg) {
				t.Errorf("err = %q (line %d, field %q), want line %d, field %q, message with %q", err, se.Line, se.Field, tt.line, tt.field, tt.msg)
			}
			if tt.line > 0 && !strings.HasPrefix(err.Error(), "m.yaml:") {
				t.Errorf("err %q does not start with file:line", err)
			}
		})
	}
}

func TestSpecAliasesAndBOM(t *testing.T) {
	t.Parallel()
	spec := mustParse(t, "\ufeffx-email: &email\n  column: [email, Email]\n  transform: [{strip_suffix: \" (moved)\"}]\n"+
		"partners:\n  fields:\n    email: *email\ncustomers:\n  fields:\n    key: id\n    email: *email\n    partner.key: p\n")
	for _, e := range []record.Entity{record.Partners, record.Customers} {
		res := mustMapper(t, e, spec).Map(csvRow("id|Email|p", "c1|A@B.io (moved)|sam"))
		if res.Err != nil {
			t.Fatalf("%s: %v", e, res.Err)
		}
		if got := res.Record.Partner; got != nil && got.Email != "a@b.io" {
			t.Errorf("partner email %q", got.Email)
		}
		if got := res.Record.Customer; got != nil && got.Email != "a@b.io" {
			t.Errorf("customer email %q", got.Email)
		}
	}
	if _, err := Parse("m.yaml", []byte("x-a: &a {column: e}\npartners:\n  fields:\n    email:\n      <<: *a\n")); err == nil || !strings.Contains(err.Error(), "merge keys") {
		t.Errorf("merge key: %v", err)
	}
}

func TestLoad(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "map.yaml")
	if err := os.WriteFile(path, []byte("description: test\npartners:\n  fields:\n    email: Email\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != path || s.Description() != "test" || !s.Has(record.Partners) || s.Has(record.Customers) || len(s.Entities()) != 1 {
		t.Errorf("spec = %+v", s)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if err := os.WriteFile(path, []byte("partners:\n  fields:\n    emial: Email\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.HasPrefix(err.Error(), path+":3: partners.fields.emial:") {
		t.Errorf("bad file: %v", err)
	}
}

// FuzzParseSpec: any bytes parse or fail with a SpecError naming the file;
// a spec that parses compiles for each entity it has, and maps a row.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"partners:\n  fields:\n    email: e\n",
		"transactions:\n  filter:\n    - {column: u, in: [cash]}\n  fields:\n    customer.email: {column: e, transform: [{strip_suffix: \" (moved)\"}]}\n    amount: {column: a, money: minor}\n    currency: {value: JPY}\n    created_at: {column: t, time: {layout: epoch_ms}}\n    action: {column: s, map: {a: sale, d: skip, r: \"reject: no\"}}\n",
		"customers:\n  fields:\n    key: [id, customer.id]\n    partner.source_id: affiliate.id\n    tags: {column: t, split: \"|\"}\n",
		"version: 1\n", "a: &x [*x]\n", "{", "partners: {fields: {email: {map: {\"*\": keep}, column: e}}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		spec, err := Parse("f.yaml", []byte(data))
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || se.File != "f.yaml" || !strings.HasPrefix(err.Error(), "f.yaml") {
				t.Fatalf("error %v is not a SpecError naming the file", err)
			}
			return
		}
		for _, e := range spec.Entities() {
			m, err := NewMapper(e, spec)
			if err != nil {
				continue
			}
			row := csvRow("e|a|u|id|s|t", "x@y.io|12|cash|1|a|2025-01-01")
			res := m.Map(row)
			if res.Err != nil && (res.Err.Origin.Line != 2 || res.Err.Code == "") {
				t.Fatalf("row error without position or code: %#v", res.Err)
			}
		}
	})
}
