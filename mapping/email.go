package mapping

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkEmail validates a trimmed, lower-cased address and returns why it is
// not one ("" when it is). The reason quotes shown, the value as the input
// has it, so a user can find the row. It accepts what mail systems deliver to in
// practice: a dot-atom local part and a dotted domain of letter/digit/hyphen
// labels, UTF-8 allowed. Display names ("Sam <sam@x.com>"), quoted local
// parts, IP-literal domains and spaces are refused: Partnero stores the bare
// address and a migration must not import something no one can log in with.
func checkEmail(s, shown string) string {
	switch {
	case s == "":
		return "empty email address"
	case len(s) > 254:
		return "email address longer than 254 characters"
	case !utf8.ValidString(s):
		return "email address is not valid UTF-8"
	}
	q := strconv.Quote(shown)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return q + " is not an email address: no @"
	}
	local, domain := s[:at], s[at+1:]
	for i := 0; i < len(s); i++ {
		if notInAddress[s[i]] {
			return q + " is not a bare email address (display name, spaces, quotes or control characters)"
		}
	}
	switch {
	case local == "":
		return q + " has nothing before the @"
	case len(local) > 64:
		return q + " has a local part longer than 64 characters"
	case strings.IndexByte(local, '@') >= 0:
		return q + " has more than one @"
	case local[0] == '.' || local[len(local)-1] == '.' || strings.Contains(local, ".."):
		return q + " has a misplaced dot before the @"
	}
	for i := 0; i < len(local); i++ {
		if !localChar[local[i]] {
			return q + " has a character not allowed before the @"
		}
	}
	if msg := checkDomain(domain); msg != "" {
		return q + " " + msg
	}
	return ""
}

func checkDomain(d string) string {
	if d == "" {
		return "has no domain"
	}
	if len(d) > 253 {
		return "has a domain longer than 253 characters"
	}
	labels := 0
	last := ""
	for label := range strings.SplitSeq(d, ".") {
		labels++
		if label == "" || len(label) > 63 {
			return "has an empty or over-long domain label"
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return "has a domain label starting or ending with a hyphen"
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 0x80 || isAlnum(c) || c == '-') {
				return "has a character not allowed in a domain"
			}
		}
		last = label
	}
	if labels < 2 {
		return "has a domain without a dot"
	}
	if allDigits(last) {
		return "has a numeric top-level domain"
	}
	return ""
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// Byte tables: one pass per address instead of a set lookup per byte.
var notInAddress, localChar = func() (bad, local [256]bool) {
	for _, c := range []byte("<> \t\"(),:;[]\\") {
		bad[c] = true
	}
	for c := range 0x20 {
		bad[c] = true
	}
	bad[0x7f] = true
	for c := range 256 {
		b := byte(c)
		local[c] = b >= 0x80 || isAlnum(b) || strings.IndexByte("!#$%&'*+/=?^_`{|}~.-", b) >= 0
	}
	return bad, local
}()
