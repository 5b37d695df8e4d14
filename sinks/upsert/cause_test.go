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

// TestAPIRejectBlamesOneFieldEveryRun: a refusal naming several fields is
// rejected under the same field on every run (the one the API's message
// repeats), so reject files and reports do not change between runs.
func TestAPIRejectBlamesOneFieldEveryRun(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err                    *api.Error
		wantField, wantMessage string
	}{
		{&api.Error{Kind: api.ErrValidation, StatusCode: 422, Message: "The name field is required. (and 1 more error)",
			Fields: map[string][]string{"email": {"The email has already been taken."}, "name": {"The name field is required."}}},
			"name", "the API refused the row: The name field is required. (and 1 more error)"},
		{&api.Error{Kind: api.ErrValidation, StatusCode: 422,
			Fields: map[string][]string{"surname": {"Too long."}, "email": {"Not an email."}, "name": {"Too long."}}},
			"email", "the API refused the row: Not an email."},
	}
	for _, tt := range tests {
		for range 64 {
			res := apiReject(partnerRec(2, api.Partner{Email: "a@x.io"}), tt.err)
			if res.Err.Field != tt.wantField || res.Err.Message != tt.wantMessage {
				t.Fatalf("field %q message %q, want %q %q", res.Err.Field, res.Err.Message, tt.wantField, tt.wantMessage)
			}
		}
	}
}
