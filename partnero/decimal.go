package partnero

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// decimalSyntax is a plain decimal with an optional exponent: no thousands
// separators, no comma as decimal point, no NaN or Inf, no fractions.
var decimalSyntax = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// Decimal is an exact decimal number kept as its canonical text: no exponent,
// no leading zeros, no trailing fractional zeros ("99.90" is "99.9", "-0" is
// "0"). Money and commissions are Decimals: never float arithmetic. The API
// sends amounts as JSON numbers or numeric strings; both decode exactly.
type Decimal struct{ text string }

// ParseDecimal reads a decimal such as "99.99", "-5", "1e3", "0.000001".
// It rejects thousands separators, commas as decimal points, NaN and Inf.
func ParseDecimal(s string) (Decimal, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Decimal{}, fmt.Errorf("empty decimal")
	}
	if !decimalSyntax.MatchString(t) {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	if e := strings.IndexAny(t, "eE"); e >= 0 {
		// Bound the exponent: "1e999999999" would build a huge number.
		if exp, err := strconv.Atoi(t[e+1:]); err != nil || exp > 40 || exp < -40 {
			return Decimal{}, fmt.Errorf("invalid decimal %q: exponent out of range", s)
		}
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return Decimal{}, fmt.Errorf("invalid decimal %q", s)
	}
	return decimalFromRat(r)
}

// MustDecimal is ParseDecimal for constants in tests and code; it panics on error.
func MustDecimal(s string) Decimal {
	d, err := ParseDecimal(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DecimalFromMinor converts an integer amount in minor units (cents) into
// major units, given the currency's exponent (2 for USD, 0 for JPY, 3 for KWD).
func DecimalFromMinor(minor string, exponent int) (Decimal, error) {
	t := strings.TrimSpace(minor)
	n, ok := new(big.Int).SetString(strings.TrimPrefix(t, "+"), 10)
	if !ok {
		return Decimal{}, fmt.Errorf("invalid minor-unit amount %q: want an integer", minor)
	}
	if exponent < 0 || exponent > 18 {
		return Decimal{}, fmt.Errorf("invalid currency exponent %d", exponent)
	}
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(exponent)), nil)
	return decimalFromRat(new(big.Rat).SetFrac(n, den))
}

func decimalFromRat(r *big.Rat) (Decimal, error) {
	// Find the number of fractional digits: the denominator must be 2^a*5^b.
	den := new(big.Int).Set(r.Denom())
	digits := 0
	ten, two, five := big.NewInt(10), big.NewInt(2), big.NewInt(5)
	mod := new(big.Int)
	for den.Cmp(big.NewInt(1)) != 0 {
		if digits > 40 {
			return Decimal{}, fmt.Errorf("decimal %s has too many fractional digits", r.RatString())
		}
		switch {
		case mod.Mod(den, ten).Sign() == 0:
			den.Div(den, ten)
		case mod.Mod(den, two).Sign() == 0:
			den.Div(den, two)
		case mod.Mod(den, five).Sign() == 0:
			den.Div(den, five)
		default:
			return Decimal{}, fmt.Errorf("%s is not a finite decimal", r.RatString())
		}
		digits++
	}
	s := r.FloatString(digits)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return Decimal{text: s}, nil
}

// String returns the canonical text ("" for the zero Decimal, which is unset).
func (d Decimal) String() string { return d.text }

// IsZero reports whether d was never set.
func (d Decimal) IsZero() bool { return d.text == "" }

// Equal compares two decimals by value (canonical text makes that textual).
func (d Decimal) Equal(o Decimal) bool { return d.text == o.text }

// Rat returns d as an exact rational; the zero Decimal is 0.
func (d Decimal) Rat() *big.Rat {
	r := new(big.Rat)
	if d.text != "" {
		r.SetString(d.text)
	}
	return r
}

// Scale returns the number of fractional digits of the canonical text.
func (d Decimal) Scale() int {
	if i := strings.IndexByte(d.text, '.'); i >= 0 {
		return len(d.text) - i - 1
	}
	return 0
}

// Unscaled returns d as an integer count of 10^-scale units, for writers that
// store fixed-point decimals (Parquet DECIMAL). ok is false if it does not fit
// in an int64 at that scale.
func (d Decimal) Unscaled(scale int) (v int64, ok bool) {
	r := d.Rat()
	r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	if !r.IsInt() || !r.Num().IsInt64() {
		return 0, false
	}
	return r.Num().Int64(), true
}

// MarshalJSON writes a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) {
	if d.text == "" {
		return []byte("null"), nil
	}
	return []byte(d.text), nil
}

// UnmarshalJSON accepts a JSON number, a numeric string, or null.
func (d *Decimal) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		*d = Decimal{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			*d = Decimal{}
			return nil
		}
	}
	v, err := ParseDecimal(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ParseTime reads the timestamps the API sends: RFC 3339 with any fraction and
// offset, "2006-01-02 15:04:05" (zone-less, taken as UTC), a date, or Unix
// seconds. The result is in UTC.
func ParseTime(s string) (time.Time, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return time.Time{}, fmt.Errorf("empty time")
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return time.Unix(n, 0).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05Z07:00", "2006-01-02"} {
		if v, err := time.Parse(layout, t); err == nil {
			return v.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid time %q: want ISO-8601 or Unix seconds", s)
}
