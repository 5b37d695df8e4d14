package export

import (
	"slices"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// TestOptionalTables: the other list endpoints are optional only when "all"
// (or nothing) chose them.
func TestOptionalTables(t *testing.T) {
	if got := optionalTables(nil); len(got) != 5 {
		t.Errorf("no arguments: %v", got)
	}
	if got := optionalTables([]string{"all", "webhooks"}); len(got) != 4 || slices.Contains(got, record.Webhooks) {
		t.Errorf("all webhooks: %v", got)
	}
	if got := optionalTables([]string{"leads", "partners"}); got != nil {
		t.Errorf("named: %v", got)
	}
}
