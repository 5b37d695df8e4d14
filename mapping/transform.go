package mapping

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones resolve the same on hosts without a zoneinfo database
	"unicode/utf8"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// defaultReferralParams are the query parameters referral links carry on the
// platforms users migrate from: Rewardful ?via=, Tapfiliate and Tolt ?ref=,
// FirstPromoter ?fpr=, Partnero ?aff=, Post Affiliate Pro ?a_aid=.
var defaultReferralParams = []string{"via", "ref", "fpr", "aff", "a_aid", "ref_id", "referral", "affiliate"}

// applyTransforms runs a rule's transforms in order.
func applyTransforms(ts []transformStep, s string) (string, string) {
	for i := range ts {
		var msg string
		if s, msg = applyTransform(&ts[i], s); msg != "" {
			return "", msg
		}
	}
	return s, ""
}

// applyTransform runs one string transform. msg is non-empty when the value
// cannot be transformed (a URL with no referral parameter).
func applyTransform(t *transformStep, s string) (out, msg string) {
	switch t.name {
	case "trim":
		return strings.TrimSpace(s), ""
	case "lower":
		return strings.ToLower(s), ""
	case "upper":
		return strings.ToUpper(s), ""
	case "strip_suffix":
		return strings.TrimSpace(strings.TrimSuffix(s, t.arg)), ""
	case "strip_prefix":
		return strings.TrimSpace(strings.TrimPrefix(s, t.arg)), ""
	case "referral_code":
		return referralCode(s, t.params)
	case "sign":
		return numberSign(s), ""
	}
	return s, "unknown transform " + t.name
}

// numberSign names the sign of a plain number ("-1500", "0.00", "49.99"):
// negative, zero or positive. It lets a map tell refunds written as negative
// amounts from sales without parsing money twice. Text that is not a plain
// number (digits, one dot, an optional leading sign) passes through as it is,
// so the field's map decides what it becomes and the amount field reports it.
func numberSign(s string) string {
	t := strings.TrimSpace(s)
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg, t = true, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	if t == "" || t == "." || strings.Count(t, ".") > 1 {
		return s
	}
	zero := true
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case c == '.':
		case c >= '1' && c <= '9':
			zero = false
		case c == '0':
		default:
			return s
		}
	}
	switch {
	case zero:
		return "zero"
	case neg:
		return "negative"
	}
	return "positive"
}

// referralCode returns the referral code in a full referral link
// ("https://example.com/pricing?via=sam" is "sam"), in a "param=value" pair
// ("ref=sam"), or a bare code as it is. The first of params present in the
// query (or in a "#fragment" written like one) wins.
func referralCode(s string, params []string) (string, string) {
	if s == "" {
		return "", ""
	}
	query := ""
	switch {
	case strings.ContainsAny(s, "?#"):
		rest := s
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest = rest[i+1:]
		} else {
			rest = rest[strings.IndexByte(rest, '#')+1:]
		}
		// A fragment may carry the parameters too (#via=sam).
		query = strings.Replace(rest, "#", "&", 1)
	case strings.Contains(s, "="):
		query = s
	case strings.Contains(s, "/"):
		return "", fmt.Sprintf("%q is a link without a referral parameter (%s)", s, strings.Join(params, ", "))
	default:
		return s, ""
	}
	values, err := url.ParseQuery(query)
	if err != nil {
		return "", fmt.Sprintf("%q is not a link with a readable query: %v", s, err)
	}
	for _, p := range params {
		if v := strings.TrimSpace(values.Get(p)); v != "" {
			return v, ""
		}
	}
	return "", fmt.Sprintf("%q has none of the referral parameters %s", s, strings.Join(params, ", "))
}

// parseTyped turns a field's text (or a structured input's native value, raw)
// into its typed, normalised value. On failure code and msg say why.
// currency is the row's currency, for money in minor units.
func parseTyped(v *value, d *fieldDef, r *fieldRule, s string, raw any, currency string) (code, msg string) {
	switch d.kind {
	case kText:
		return checkText(s, d.max, v)
	case kKey:
		if code, msg := checkText(s, d.max, v); msg != "" {
			return code, msg
		}
		for i := 0; i < len(s); i++ {
			if c := s[i]; c <= ' ' || c == 0x7f {
				return codeInvalidValue, fmt.Sprintf("%q contains spaces or control characters", s)
			}
		}
		if d.referral && strings.ContainsAny(s, "?#&=/+%") {
			return codeInvalidValue, fmt.Sprintf("referral key %q contains one of ?#&=/+%% that links cannot carry as they are", s)
		}
		return "", ""
	case kEmail:
		e := strings.ToLower(strings.TrimSpace(s))
		if msg := checkEmail(e, strings.TrimSpace(s)); msg != "" {
			return codeInvalidEmail, msg
		}
		v.s = e
		return "", ""
	case kCurrency:
		c, ok := normalizeCurrency(strings.TrimSpace(s))
		if !ok {
			return codeInvalidCurrency, fmt.Sprintf("%q is not an ISO 4217 currency code", s)
		}
		v.s = c
		return "", ""
	case kMoney:
		if code, msg := parseMoney(v, r, s, raw != nil, currency); msg != "" {
			return code, msg
		}
		return checkAmountFits(v.d)
	case kTime:
		t, msg := parseTime(r, s, raw)
		if msg != "" {
			return codeInvalidTime, msg
		}
		v.t = t
		return "", ""
	case kBool:
		b, ok := parseBool(s)
		if !ok {
			return codeInvalidValue, fmt.Sprintf("%q is not a boolean (true/false, yes/no, 1/0)", s)
		}
		v.b = b
		return "", ""
	case kList:
		return parseList(v, d, r, s, raw)
	}
	return codeInvalidValue, "unsupported field type"
}

func checkText(s string, max int, v *value) (code, msg string) {
	// One pass: control characters (a newline in a name is an export's
	// mistake, and Partnero would store it) and, past the ASCII prefix,
	// UTF-8 validity.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f {
			return codeInvalidValue, fmt.Sprintf("%q contains control characters", s)
		}
		if c >= 0x80 {
			if !utf8.ValidString(s[i:]) {
				return codeInvalidValue, "not valid UTF-8 text"
			}
			for _, r := range s[i:] {
				if r == 0x85 || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
					return codeInvalidValue, fmt.Sprintf("%q contains control characters", s)
				}
			}
			break
		}
	}
	// Byte length bounds rune count: count only when it could be over.
	if max > 0 && len(s) > max {
		if n := utf8.RuneCountInString(s); n > max {
			return codeTooLong, fmt.Sprintf("%d characters, more than Partnero's limit of %d", n, max)
		}
	}
	v.s = s
	return "", ""
}

// Local copies of the record codes keep parseTyped's signature short.
const (
	codeInvalidEmail    = "invalid_email"
	codeInvalidAmount   = "invalid_amount"
	codeInvalidCurrency = "invalid_currency"
	codeInvalidTime     = "invalid_time"
	codeInvalidValue    = "invalid_value"
	codeTooLong         = "too_long"
)

// parseMinorText checks an integer amount in minor units.
func parseMinorText(s string) (string, bool) {
	t := strings.TrimSpace(s)
	if t == "" {
		return "", false
	}
	if t[0] == '+' || t[0] == '-' {
		if len(t) == 1 {
			return "", false
		}
		return t, allDigits(t[1:])
	}
	return t, allDigits(t)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// parseMoney reads an amount; native is true for a structured input's own
// number (never written with a decimal comma).
func parseMoney(v *value, r *fieldRule, s string, native bool, currency string) (code, msg string) {
	s = strings.TrimSpace(s)
	if r != nil && r.minor {
		if currency == "" {
			return codeInvalidAmount, fmt.Sprintf("%q is in minor units, but the row has no currency to convert by", s)
		}
		exp, ok := r.exponents[currency]
		if !ok {
			exp, ok = currencyExponents[currency]
		}
		if !ok {
			return codeInvalidCurrency, fmt.Sprintf("%q has no known exponent", currency)
		}
		if d, ok := partnero.MinorPlainDecimal(s, exp); ok {
			v.d = d
			return "", ""
		}
		// Float-typed inputs write whole numbers as "4900.0": still cents.
		if whole, ok := strings.CutSuffix(s, ".0"); ok {
			if d, ok := partnero.MinorPlainDecimal(whole, exp); ok {
				v.d = d
				return "", ""
			}
		}
		return codeInvalidAmount, fmt.Sprintf("%q is not an integer amount in minor units", s)
	}
	if r != nil && r.decimalComma && !native {
		plain, ok := fromDecimalComma(s)
		if !ok {
			return codeInvalidAmount, fmt.Sprintf("%q is not a decimal amount written 1.234,56", s)
		}
		s = plain
	}
	if d, ok := partnero.ParsePlainDecimal(s); ok {
		v.d = d
		return "", ""
	}
	d, err := partnero.ParseDecimal(s)
	if err != nil {
		return codeInvalidAmount, fmt.Sprintf("%q is not a decimal amount (write 1234.56: no thousands separators, a dot for decimals)", s)
	}
	v.d = d
	return "", ""
}

// checkAmountFits refuses an amount the tool cannot carry to its exports
// (record.AmountPrecision digits, record.AmountScale after the point).
func checkAmountFits(d partnero.Decimal) (code, msg string) {
	text := strings.TrimPrefix(d.String(), "-")
	whole, _, _ := strings.Cut(text, ".")
	if d.Scale() > record.AmountScale || len(whole) > record.AmountPrecision-record.AmountScale {
		return codeInvalidAmount, fmt.Sprintf("amount %s does not fit DECIMAL(%d,%d), the widest amount exported: at most %d digits before the point and %d after",
			clipDigits(d.String()), record.AmountPrecision, record.AmountScale, record.AmountPrecision-record.AmountScale, record.AmountScale)
	}
	return "", ""
}

// clipDigits shortens a very long number for a message (1e400 has 401
// digits).
func clipDigits(s string) string {
	if len(s) <= 60 {
		return s
	}
	return s[:25] + fmt.Sprintf("...(%d digits)...", len(s)-50) + s[len(s)-25:]
}

// checkAmountScale refuses a sale amount with more decimals than its
// currency has minor units (1000.5 JPY, 12.345 USD): no payment is made in
// fractions of a cent, so such a value is a unit mix-up or an unrounded
// computation, and Partnero would store and pay commission on it as sent.
// Without a currency the program's applies, unknown offline: not checked.
// A commission (reward) may be unrounded (29.997) and is not checked. An
// exponent the mapping declares for minor units, when larger, is allowed.
func checkAmountScale(d partnero.Decimal, r *fieldRule, currency string) (code, msg string) {
	if currency == "" || d.IsZero() {
		return "", ""
	}
	exp, ok := currencyExponents[currency]
	if !ok {
		return "", "" // an unknown currency is the currency field's error
	}
	if r != nil {
		if x, ok := r.exponents[currency]; ok && x > exp {
			exp = x
		}
	}
	if d.Scale() > exp {
		return codeInvalidAmount, fmt.Sprintf("amount %s has %d decimal places, but %s has %d (its ISO 4217 exponent): round it or check the currency",
			d, d.Scale(), currency, exp)
	}
	return "", ""
}

// fromDecimalComma rewrites "1.234,56" (or "1 234,56", "1'234,56") as
// "1234.56". A thousands separator must be followed by exactly three digits,
// so that "12.50" written the other way is refused rather than read as 1250.
func fromDecimalComma(s string) (string, bool) {
	s = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)
	intPart, frac, hasFrac := strings.Cut(s, ",")
	if strings.Contains(frac, ",") || (hasFrac && frac == "") {
		return "", false
	}
	sign := ""
	if intPart != "" && (intPart[0] == '-' || intPart[0] == '+') {
		sign, intPart = intPart[:1], intPart[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	digits, seps := 0, 0 // digits since the last separator, separators seen
	for i := 0; i < len(intPart); i++ {
		switch c := intPart[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
			digits++
		case c == '.' || c == ' ' || c == '\'':
			// 1 to 3 digits lead, then groups of exactly 3.
			if digits == 0 || (seps == 0 && digits > 3) || (seps > 0 && digits != 3) {
				return "", false
			}
			digits, seps = 0, seps+1
		default:
			return "", false
		}
	}
	if seps > 0 && digits != 3 {
		return "", false
	}
	if hasFrac {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String(), true
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

func parseList(v *value, d *fieldDef, r *fieldRule, s string, raw any) (code, msg string) {
	var items []string
	if l, ok := raw.([]any); ok {
		for _, it := range l {
			t, ok := scalarText(it)
			if !ok {
				return codeInvalidValue, "a list item is not a single value"
			}
			if t = strings.TrimSpace(t); t != "" {
				items = append(items, t)
			}
		}
	} else {
		sep := ",;"
		if r != nil && r.split != "" {
			sep = r.split
		}
		for part := range strings.FieldsFuncSeq(s, func(c rune) bool { return strings.ContainsRune(sep, c) }) {
			if t := strings.TrimSpace(part); t != "" {
				items = append(items, t)
			}
		}
	}
	if r != nil && len(r.transforms) > 0 {
		kept := items[:0]
		for _, it := range items {
			t, msg := applyTransforms(r.transforms, it)
			if msg != "" {
				return codeInvalidValue, msg
			}
			if t != "" {
				kept = append(kept, t)
			}
		}
		items = kept
	}
	for _, it := range items {
		var tmp value
		if code, msg := checkText(it, d.max, &tmp); msg != "" {
			return code, fmt.Sprintf("item %q: %s", it, msg)
		}
	}
	v.list = items
	return "", ""
}

// Times outside these years are mistakes, not affiliate history: epoch
// milliseconds read as seconds land in year 55000, seconds read as
// milliseconds in January 1970.
const (
	minYear = 1990
	maxYear = 2200
)

func parseTime(r *fieldRule, s string, raw any) (time.Time, string) {
	if t, ok := raw.(time.Time); ok {
		return checkYear(t.UTC(), s)
	}
	s = strings.TrimSpace(s)
	layouts, loc := []string{"auto"}, time.UTC
	if r != nil {
		layouts, loc = r.layouts, r.loc
	}
	for _, l := range layouts {
		if t, ok := parseLayout(l, s, loc); ok {
			return checkYear(t.UTC(), s)
		}
	}
	return time.Time{}, fmt.Sprintf("%q is not a time in the layout %s", s, strings.Join(layouts, " or "))
}

func checkYear(t time.Time, s string) (time.Time, string) {
	if y := t.Year(); y < minYear || y > maxYear {
		return time.Time{}, fmt.Sprintf("%q is out of range (year %d): check the layout (epoch_s or epoch_ms?)", s, y)
	}
	return t, ""
}

// autoLayouts are tried in order by the "auto" layout; zone-less ones are
// read in the rule's zone.
var autoLayouts = []string{
	time.RFC3339Nano,
	rfc3339NoColon,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02T15:04",
	"2006-01-02 15:04",
	"2006-01-02",
}

// rfc3339NoColon is RFC 3339 with the offset written without a colon
// (2023-01-13T22:39:36+0000), as Tapfiliate's API writes its times
// (tapfiliate.com/docs/rest; its PHP SDK's tests, 1FF/tapfiliate-php-sdk
// tests/Unit/ConversionHandlerTest.php).
const rfc3339NoColon = "2006-01-02T15:04:05.999999999-0700"

func parseLayout(layout, s string, loc *time.Location) (time.Time, bool) {
	switch layout {
	case "rfc3339":
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t, err = time.Parse(rfc3339NoColon, s)
		}
		return t, err == nil
	case "epoch_s", "epoch_ms":
		n, err := strconv.ParseInt(strings.TrimSuffix(s, ".0"), 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		if layout == "epoch_ms" {
			return time.UnixMilli(n), true
		}
		return time.Unix(n, 0), true
	case "auto":
		// The common case first, without trying every layout.
		if len(s) >= 20 && s[10] == 'T' {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t, true
			}
		}
		if allDigits(s) && s != "" {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return time.Time{}, false
			}
			return time.Unix(n, 0), true
		}
		for _, l := range autoLayouts {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(layout, s, loc)
	return t, err == nil
}

// scalarText renders a structured input's single value as text; ok is false
// for objects and lists.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case nil:
		return "", true
	case string:
		return x, true
	case fmt.Stringer:
		if t, ok := x.(time.Time); ok {
			return t.UTC().Format(time.RFC3339Nano), true
		}
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32), true
	case []byte:
		return string(x), true
	}
	return "", false
}
