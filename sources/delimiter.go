package sources

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseDelimiter reads a CSV delimiter as a user gives it (--delimiter, or
// a job's delimiter): a single character, or a name (tab, comma,
// semicolon, pipe). "" is 0: detect it.
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case "":
		return 0, nil
	case "tab", `\t`:
		return '\t', nil
	case "comma":
		return ',', nil
	case "semicolon":
		return ';', nil
	case "pipe":
		return '|', nil
	}
	r, size := utf8.DecodeRuneInString(s)
	if size != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("--delimiter must be one character or tab, not %q", s)
	}
	return r, nil
}
