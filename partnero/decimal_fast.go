package partnero

// This file adds allocation-light fast paths for the plain decimal forms that
// almost every input uses ("49.99", "-5", "4900" cents). They give exactly the
// results of ParseDecimal and DecimalFromMinor and report ok=false for any
// other form, so callers fall back to those (exponents, ".5" with no integer
// digits, anything invalid). Mapping a million rows calls them a million
// times; the regexp and big-number arithmetic of the general path would be
// most of the cost.

// ParsePlainDecimal reads "[+-]digits[.digits]" into its canonical Decimal.
// ok is false for every other form; ParseDecimal handles those.
func ParsePlainDecimal(s string) (d Decimal, ok bool) {
	neg := false
	t := s
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	intPart, frac := t, ""
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '.' {
			intPart, frac = t[:i], t[i+1:]
			break
		}
	}
	if intPart == "" || len(frac) > maxPlainFrac || !allDigits(intPart) || !allDigits(frac) {
		return Decimal{}, false
	}
	return canonicalDecimal(s, neg, intPart, frac), true
}

// MinorPlainDecimal is the fast path of DecimalFromMinor for "[+-]digits"
// with an exponent of 0 to 18. ok is false for every other form.
func MinorPlainDecimal(minor string, exponent int) (d Decimal, ok bool) {
	if exponent < 0 || exponent > 18 {
		return Decimal{}, false
	}
	neg := false
	t := minor
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" || !allDigits(t) {
		return Decimal{}, false
	}
	if exponent == 0 {
		return canonicalDecimal(minor, neg, t, ""), true
	}
	if len(t) > exponent {
		return canonicalDecimal("", neg, t[:len(t)-exponent], t[len(t)-exponent:]), true
	}
	// Fewer digits than the exponent: "5" cents is 0.05.
	var buf [18]byte
	pad := exponent - len(t)
	for i := range pad {
		buf[i] = '0'
	}
	copy(buf[pad:], t)
	return canonicalDecimal("", neg, "0", string(buf[:exponent])), true
}

// maxPlainFrac keeps the fast path inside the general path's limit on
// fractional digits; longer fractions take the general path and its error.
const maxPlainFrac = 40

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// canonicalDecimal builds the canonical text from a sign, integer digits
// (at least one) and fractional digits. When orig is already canonical it is
// returned as is, without allocating.
func canonicalDecimal(orig string, neg bool, intPart, frac string) Decimal {
	for len(intPart) > 1 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	for frac != "" && frac[len(frac)-1] == '0' {
		frac = frac[:len(frac)-1]
	}
	if intPart == "0" && frac == "" {
		return Decimal{text: "0"}
	}
	n := len(intPart)
	if frac != "" {
		n += 1 + len(frac)
	}
	if neg {
		n++
	}
	// orig is canonical when nothing was stripped: same length, and it
	// does not start with "+".
	if len(orig) == n && orig[0] != '+' {
		return Decimal{text: orig}
	}
	b := make([]byte, 0, n)
	if neg {
		b = append(b, '-')
	}
	b = append(b, intPart...)
	if frac != "" {
		b = append(b, '.')
		b = append(b, frac...)
	}
	return Decimal{text: string(b)}
}
