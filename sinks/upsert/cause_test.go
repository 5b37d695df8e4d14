package upsert

import (
	"errors"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Against the sandbox: a row the API's answer rejected keeps that answer as
// the row error's cause (errors.Is and errors.As see it), and says what it
// said before; a row the sink rejected on its own has no cause.
func TestRejectKeepsTheAPIsAnswer(t *testing.T) {
	t.Parallel()
	_, newSink := sandboxSink(t)

	res, err := newSink(Options{Entity: record.Customers}).Write(t.Context(), []record.Record{
		customerRec(2, api.Customer{Key: "c1", Partner: &api.PartnerRef{Key: "nobody"}}),
		customerRec(3, api.Customer{Key: "c2"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := outcomes(t, res); !equal(got, []string{"rejected:unknown_partner", "rejected:missing_field"}) {
		t.Fatalf("outcomes %v", got)
	}
	unknown := res[0].Err
	if got, want := unknown.Error(), "c.csv:2: partner: partner key nobody does not exist [unknown_partner]"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	cause, ok := errors.AsType[*api.Error](unknown)
	if !ok || !errors.Is(unknown, api.ErrValidation) || cause.StatusCode != 400 || !api.IsUnknownPartner(unknown) {
		t.Errorf("cause of %v: %+v", unknown, cause)
	}
	if res[1].Err.Unwrap() != nil {
		t.Errorf("the sink's own rejection has a cause: %v", res[1].Err.Unwrap())
	}

	res, err = newSink(Options{Entity: record.Partners}).Write(t.Context(), []record.Record{
		partnerRec(2, api.Partner{ID: "p1", Email: "not an email"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	refused := res[0].Err
	if got := outcomes(t, res); !equal(got, []string{"rejected:api_validation"}) || refused.Field != "email" {
		t.Fatalf("outcomes %v, %v", got, refused)
	}
	cause, ok = errors.AsType[*api.Error](refused)
	if !ok || !errors.Is(refused, api.ErrValidation) || cause.StatusCode != 422 || len(cause.Fields["email"]) == 0 {
		t.Errorf("cause of %v: %+v", refused, cause)
	}
}
