package yamlpos

import (
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func TestSyntaxError(t *testing.T) {
	tests := []struct {
		name, yaml string
		line       int
	}{
		{"wrong indent", "a:\n  b: 1\n  c: 2\n c2: 3\n  d: 4\n", 4},
		{"tab", "a:\n  b: 1\n\tc: 2\n", 3},
		{"unclosed flow list", "a:\n  b: 1\n  c: [1, 2\n  d: 4\n", 3},
		{"unterminated quote", "a:\n  b: 1\n  c: \"x\n  d: 4\n", 3},
		{"second colon", "a:\n  b: 1\n  c: x: y\n", 3},
		{"no final newline", "a:\n  b: 1\n  c: x: y", 3},
		{"first line", "a: [\n", 1},
		{"flow list across lines, error after it", "a: [1,\n  2]\nb: x: y\n", 3},
		{"CRLF", "a:\r\n  b: 1\r\n   c: 2\r\n", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc yaml.Node
			err := yaml.Unmarshal([]byte(tt.yaml), &doc)
			if err == nil {
				t.Fatal("parsed")
			}
			line, msg := SyntaxError([]byte(tt.yaml), err)
			if line != tt.line {
				t.Errorf("line %d, want %d (library: %v)", line, tt.line, err)
			}
			if msg == "" || strings.HasPrefix(msg, "yaml:") || strings.HasPrefix(msg, "line ") {
				t.Errorf("message %q", msg)
			}
		})
	}
	// An error no prefix reproduces keeps the library's line.
	if line, msg := SyntaxError([]byte("a: 1\n"), errors.New("yaml: line 7: something else")); line != 7 || msg != "something else" {
		t.Errorf("foreign error: %d %q", line, msg)
	}
}

type problemsInner struct {
	C bool `yaml:"c"`
}

type problemsOuter struct {
	A int           `yaml:"a"`
	B problemsInner `yaml:"b"`
}

func TestTypeProblems(t *testing.T) {
	var v problemsOuter
	dec := yaml.NewDecoder(strings.NewReader("a: lots\nb:\n  c: maybe\n  d: 1\n"))
	dec.KnownFields(true)
	got := TypeProblems(dec.Decode(&v))
	want := []TypeProblem{
		{Line: 1, Message: "cannot unmarshal !!str `lots` into int", Into: "int"},
		{Line: 3, Message: "cannot unmarshal !!str `maybe` into bool", Into: "bool"},
		{Line: 4, Message: "field d not found in type yamlpos.problemsInner", UnknownField: "d", In: "yamlpos.problemsInner"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("problem %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	if p := TypeProblems(errors.New("yaml: line 2: did not find expected key")); p != nil {
		t.Errorf("a syntax error taken for a type error: %+v", p)
	}
}
