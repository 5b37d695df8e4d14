package mapping

import (
	"errors"
	"strings"
	"testing"
)

// TestSpecSyntaxErrorLine: a YAML syntax error names the line it is on, not
// the line where the block around it starts (the YAML library's own line,
// which for a wrong indent deep in a file is line 1).
func TestSpecSyntaxErrorLine(t *testing.T) {
	t.Parallel()
	head := "version: 1\npartners:\n  fields:\n    email: Email\n"
	tests := []struct {
		name string
		yaml string
		line int
		msg  string
	}{
		{"wrong indent", head + "   name: Name\n    id: Id\n", 5, "did not find expected key"},
		{"wrong indent deep in a file", head + strings.Repeat("    # a comment\n", 20) + "    name: Name\n   id: Id\n    tags: t\n", 26, "did not find expected key"},
		{"tab", head + "\tname: Name\n", 5, "tab"},
		{"unclosed list", head + "    name: [Name\n    id: Id\n", 5, ""},
		{"unterminated quote", head + "    name: \"Name\n    id: Id\n", 5, ""},
		{"second colon", head + "    name: Name: x\n    id: Id\n", 5, "mapping values are not allowed"},
		{"first line", "partners: [\n", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tt.yaml))
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SpecError", err)
			}
			if se.Line != tt.line {
				t.Errorf("line %d, want %d: %v", se.Line, tt.line, err)
			}
			if !strings.Contains(se.Message, "not valid YAML") || !strings.Contains(se.Message, tt.msg) {
				t.Errorf("message %q, want it to say not valid YAML and %q", se.Message, tt.msg)
			}
		})
	}
}
