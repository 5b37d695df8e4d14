package mapping

import (
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// TestInvalidEmailQuotesTheInput: the message of an invalid_email names the
// value as the input has it (the row a user looks for), not the lower-cased
// form the check ran on.
func TestInvalidEmailQuotesTheInput(t *testing.T) {
	t.Parallel()
	m := mustMapper(t, record.Partners, nil)
	for _, in := range []string{"Bob.Smith@@Example.COM", "Ann Lee <Ann@Example.com>", "NoAt.Example.COM", "  Zoë@Example..com "} {
		r := m.Map(csvRow("email|name", in+"|X"))
		if r.Err == nil || r.Err.Code != "invalid_email" {
			t.Fatalf("%q: %+v, want invalid_email", in, r.Err)
		}
		shown := strings.TrimSpace(in)
		if !strings.Contains(r.Err.Message, `"`+shown+`"`) {
			t.Errorf("%q: message %q does not quote %q", in, r.Err.Message, shown)
		}
	}
}
