package partnero

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"99.99", "99.99", false},
		{"99.90", "99.9", false},
		{"0010", "10", false}, // decimal, never octal
		{"-0.00", "0", false},
		{"+5", "5", false},
		{"1e3", "1000", false},
		{"29.997", "29.997", false},
		{".5", "0.5", false},
		{"5.", "5", false},
		{"0.000000001", "0.000000001", false},
		{"12345678901234567890.123456789", "12345678901234567890.123456789", false},
		{" 7 ", "7", false},
		{"1,5", "", true}, // a comma is never a decimal point here
		{"1,000", "", true},
		{"1_000", "", true},
		{"NaN", "", true},
		{"Inf", "", true},
		{"0x10", "", true},
		{"1/3", "", true},
		{"", "", true},
		{"1e999999999", "", true}, // bounded exponent: no huge allocation
		{"abc", "", true},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseDecimal(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got.String() != tt.want {
			t.Errorf("ParseDecimal(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecimalFromMinor(t *testing.T) {
	tests := []struct {
		minor    string
		exponent int
		want     string
		wantErr  bool
	}{
		{"4900", 2, "49", false},
		{"4999", 2, "49.99", false},
		{"1200", 0, "1200", false},  // JPY has no minor unit
		{"1234", 3, "1.234", false}, // KWD has three
		{"-150", 2, "-1.5", false},
		{"007", 2, "0.07", false}, // decimal, never octal
		{"12.9", 2, "", true},     // not an integer: never truncated
		{"1,5", 2, "", true},
		{"", 2, "", true},
		{"5", -1, "", true},
	}
	for _, tt := range tests {
		got, err := DecimalFromMinor(tt.minor, tt.exponent)
		if (err != nil) != tt.wantErr || got.String() != tt.want {
			t.Errorf("DecimalFromMinor(%q, %d) = %q, %v; want %q, error %v", tt.minor, tt.exponent, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestDecimalJSON(t *testing.T) {
	var v struct {
		A, B, C, D *Decimal
		E          Decimal
	}
	if err := json.Unmarshal([]byte(`{"A": 29.997, "B": "99.90", "C": null, "D": "", "E": 1e2}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.A.String() != "29.997" || v.B.String() != "99.9" || v.C != nil || !v.D.IsZero() || v.E.String() != "100" {
		t.Errorf("decoded A=%v B=%v C=%v D=%v E=%v", v.A, v.B, v.C, v.D, v.E)
	}
	out, err := json.Marshal(struct{ A Decimal }{MustDecimal("29.997")})
	if err != nil || string(out) != `{"A":29.997}` {
		t.Errorf("Marshal = %s, %v; want a JSON number", out, err)
	}
	if err := json.Unmarshal([]byte(`{"A": "1,5"}`), &v); err == nil {
		t.Error(`"1,5" decoded without an error`)
	}
}

func TestDecimalUnscaled(t *testing.T) {
	d := MustDecimal("29.997")
	if v, ok := d.Unscaled(9); !ok || v != 29997000000 {
		t.Errorf("Unscaled(9) = %d, %v", v, ok)
	}
	if _, ok := d.Unscaled(2); ok {
		t.Error("Unscaled(2) of 29.997 claimed to fit: it would lose a digit")
	}
	if d.Scale() != 3 || MustDecimal("10").Scale() != 0 {
		t.Errorf("Scale = %d", d.Scale())
	}
}

func TestTimeJSON(t *testing.T) {
	want := time.Date(2025, 4, 30, 16, 44, 13, 0, time.UTC)
	for _, in := range []string{
		`"2025-04-30T16:44:13.000000Z"`,
		`"2025-04-30T18:44:13+02:00"`,
		`"2025-04-30 16:44:13"`,
		`1746031453`,
		`"1746031453"`,
	} {
		var got Time
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Errorf("Unmarshal(%s): %v", in, err)
			continue
		}
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("Unmarshal(%s) = %v, want %v in UTC", in, got.Time, want)
		}
	}
	var missing struct{ T *Time }
	if err := json.Unmarshal([]byte(`{"T": null}`), &missing); err != nil || missing.T != nil {
		t.Errorf("null time: %v, %v", missing.T, err)
	}
	if err := json.Unmarshal([]byte(`"yesterday"`), new(Time)); err == nil {
		t.Error("a word decoded as a time")
	}
	out, _ := json.Marshal(Time{want})
	if string(out) != `"2025-04-30T16:44:13.000000Z"` {
		t.Errorf("Marshal = %s, want the API's layout", out)
	}
}

func TestLiberalIdentities(t *testing.T) {
	var tx Transaction
	body := `{"key":"pay_1","amount":"99.99","partner":12345,"customer":"cus_1","product_type":"plan",
		"rewards":[{"amount":29.997,"customer":"cus_1","partner":"p1"}],"unknown_field":{"x":1}}`
	if err := json.Unmarshal([]byte(body), &tx); err != nil {
		t.Fatal(err)
	}
	if tx.Partner != "12345" || tx.Customer.Key != "cus_1" || tx.Amount.String() != "99.99" ||
		len(tx.ProductType) != 1 || tx.ProductType[0] != "plan" || tx.Rewards[0].Amount.String() != "29.997" {
		t.Errorf("decoded %+v", tx)
	}
	var c Customer
	if err := json.Unmarshal([]byte(`{"key":"c","partner":"p9","tags":[{"value":"vip"},"plain"]}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Partner == nil || c.Partner.ID != "p9" || len(c.Tags) != 2 || c.Tags[0] != "vip" || c.Tags[1] != "plain" {
		t.Errorf("decoded %+v (partner %+v)", c, c.Partner)
	}
	if err := json.Unmarshal([]byte(`{"partner":{"key":"alice"}}`), &c); err != nil || c.Partner.Key != "alice" {
		t.Errorf("partner object: %+v, %v", c.Partner, err)
	}
	var id ID
	if err := json.Unmarshal([]byte(`true`), &id); err == nil {
		t.Error("a boolean decoded as an id")
	}
	out, _ := json.Marshal(StringList{"a", "b"})
	one, _ := json.Marshal(StringList{"a"})
	if string(out) != `["a","b"]` || string(one) != `"a"` {
		t.Errorf("StringList marshals as %s and %s", out, one)
	}
}
