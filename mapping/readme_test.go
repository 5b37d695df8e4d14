package mapping

import (
	"os"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// TestReadmeExamples keeps the full examples in README.md valid: every
// ```yaml block that starts with an entity section must parse and compile.
func TestReadmeExamples(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := 0
	for part := range strings.SplitSeq(string(data), "```yaml\n") {
		body, _, ok := strings.Cut(part, "```")
		if !ok {
			continue
		}
		entity, _, _ := strings.Cut(body, ":")
		e, err := record.ParseEntity(entity)
		if err != nil || strings.Contains(body, "{ ... }") {
			continue
		}
		blocks++
		spec, err := Parse("README.md", []byte(body))
		if err != nil {
			t.Errorf("example %s: %v", entity, err)
			continue
		}
		if _, err := NewMapper(e, spec); err != nil {
			t.Errorf("example %s: %v", entity, err)
		}
	}
	if blocks != 3 {
		t.Errorf("found %d full examples, want 3 (one per entity)", blocks)
	}
}
