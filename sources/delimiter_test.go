package sources

import "testing"

func TestParseDelimiter(t *testing.T) {
	for in, want := range map[string]rune{"": 0, ",": ',', ";": ';', "tab": '\t', `\t`: '\t', "|": '|', "pipe": '|', "§": '§'} {
		if got, err := ParseDelimiter(in); err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"`, "ab", "\n"} {
		if _, err := ParseDelimiter(bad); err == nil {
			t.Errorf("ParseDelimiter(%q) accepted", bad)
		}
	}
}
