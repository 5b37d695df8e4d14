package partnero

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"testing"
	"time"
)

var allKinds = []*Kind{ErrUnauthorized, ErrForbidden, ErrNotFound, ErrValidation, ErrRateLimited, ErrServer, ErrOther, ErrDecode, ErrNetwork}

// TestErrorIsItsKind: an *Error matches its own kind and no other under
// errors.Is, however it is wrapped, as an *fs.PathError matches
// fs.ErrNotExist.
func TestErrorIsItsKind(t *testing.T) {
	t.Parallel()
	for _, k := range allKinds {
		e := &Error{Kind: k, Method: "GET", Path: "/partners", StatusCode: 400}
		for _, err := range []error{
			e,
			fmt.Errorf("list partners: %w", e),
			&UnavailableError{Waited: time.Minute, Err: e},
			errors.Join(errors.New("other"), e),
		} {
			for _, other := range allKinds {
				if got := errors.Is(err, other); got != (other == k) {
					t.Errorf("errors.Is(%q error, %s) = %v", k.name, other, got)
				}
			}
			if got, ok := errors.AsType[*Error](err); !ok || got != e {
				t.Errorf("errors.As(%v) = %v, %v", err, got, ok)
			}
		}
		if errors.Is(e, fs.ErrNotExist) || errors.Is(e, context.Canceled) {
			t.Errorf("%s error matches an error that is not its kind", k.name)
		}
	}
	if errors.Is(errors.New("not found"), ErrNotFound) {
		t.Error("a plain error matches ErrNotFound")
	}
}

// TestErrorUnwrapsItsCause: a network or decoding failure keeps its cause.
func TestErrorUnwrapsItsCause(t *testing.T) {
	t.Parallel()
	cause := errors.New("connection reset")
	err := fmt.Errorf("get: %w", &Error{Kind: ErrNetwork, Method: "GET", Path: "/test", Err: cause})
	if !errors.Is(err, cause) || !errors.Is(err, ErrNetwork) {
		t.Errorf("%v does not unwrap to its cause and kind", err)
	}
	if (&Error{Kind: ErrNotFound}).Unwrap() != nil {
		t.Error("an answer with no cause unwraps to something")
	}
}

func validation(status int, msg string, fields map[string][]string) error {
	return &Error{Kind: ErrValidation, Method: "POST", Path: "/customers", StatusCode: status, Message: msg, Fields: fields}
}

// TestClassifiersReadEveryVariant holds the classifiers that read the API's
// text to the wordings the contract leaves open: a 422's message is
// "<first error>" by convention only, and for a partner's taken email, id
// or key only the status is documented (Laravel says "has already been
// taken"; older versions put "The given data was invalid." in the message
// and the reason in the fields only; newer ones add "(and 1 more error)").
// The rows that are not refusals of the content (404, 409, 5xx) are read by
// their kind alone.
func TestClassifiersReadEveryVariant(t *testing.T) {
	t.Parallel()
	f := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return m
	}
	tests := []struct {
		name                                       string
		err                                        error
		duplicate, unknownPartner, unknownCustomer bool
	}{
		{"documented Duplicate key", validation(422, "Duplicate key", f("key", "Duplicate key")), true, false, false},
		{"Duplicate key, message only", validation(422, "Duplicate key", nil), true, false, false},
		{"legacy customer form", validation(422, "Duplicate key", f("customer.key", "Duplicate key")), true, false, false},
		{"unique rule", validation(422, "The email has already been taken.", f("email", "The email has already been taken.")), true, false, false},
		{"unique rule, generic message", validation(422, "The given data was invalid.", f("email", "The email has already been taken.")), true, false, false},
		{"unique rule, more errors", validation(422, "The key has already been taken. (and 1 more error)", f("key", "The key has already been taken.", "name", "The name field is required.")), true, false, false},
		{"update of a taken email", validation(422, "The update.email has already been taken.", f("update.email", "The update.email has already been taken.")), true, false, false},
		{"batch transaction key", validation(422, "The transactions.1.key has already been taken.", f("transactions.1.key", "The transactions.1.key has already been taken.")), true, false, false},
		{"already exists", validation(422, "A partner with this email already exists.", nil), true, false, false},
		{"upper case", validation(422, "DUPLICATE KEY", nil), true, false, false},

		{"documented Invalid partner key", validation(400, "Invalid partner key", nil), false, true, false},
		{"lower case", validation(400, "invalid partner key", nil), false, true, false},
		{"Partner not found in a refusal", validation(400, "Partner not found", nil), false, true, false},
		{"exists rule on partner.key", validation(422, "The selected partner.key is invalid.", f("partner.key", "The selected partner.key is invalid.")), false, true, false},
		{"exists rule on partner.email", validation(422, "The selected partner.email is invalid.", f("partner.email", "The selected partner.email is invalid.")), false, true, false},
		{"customer.partner in a transaction", validation(422, "The selected customer.partner.key is invalid.", f("customer.partner.key", "The selected customer.partner.key is invalid.")), false, true, false},
		{"partner required", validation(422, "The partner field is required.", f("partner", "The partner field is required.")), false, true, false},
		{"referring partner", validation(422, "The selected referring partner is invalid.", f("referring_partner", "The selected referring partner is invalid.")), false, false, false},

		{"documented 404", &Error{Kind: ErrNotFound, StatusCode: 404, Message: "Customer not found"}, false, false, true},
		{"Laravel's own 404", &Error{Kind: ErrNotFound, StatusCode: 404, Message: `No query results for model [App\Models\Customer] nobody`}, false, false, true},
		{"404 without a body", &Error{Kind: ErrNotFound, StatusCode: 404}, false, false, true},
		{"Customer not found in a 422", validation(422, "Customer not found", nil), false, false, true},
		{"Customer not found in a 400", validation(400, "Customer not found", nil), false, false, true},
		{"exists rule on customer.key", validation(422, "The selected customer.key is invalid.", f("customer.key", "The selected customer.key is invalid.")), false, false, false},

		{"plain refusal", validation(422, "The email field must be a valid email address.", f("email", "The email field must be a valid email address.")), false, false, false},
		{"Action failed", validation(400, "Action failed", nil), false, false, false},
		// Read by kind: a 409 "already exists" is not a refusal of the
		// content (ErrOther); the sink looks the record up after any
		// failed create, so it still finds the existing one.
		{"409 already exists", &Error{Kind: ErrOther, StatusCode: 409, Message: "Partner already exists"}, false, false, false},
		{"5xx naming a duplicate", &Error{Kind: ErrServer, StatusCode: 500, Message: "Duplicate entry 'a@x.io' for key 'partners_email_unique'"}, false, false, false},
		{"404 Partner not found", &Error{Kind: ErrNotFound, StatusCode: 404, Message: "Partner not found"}, false, false, true},
		{"not an API error", errors.New("duplicate key: invalid partner: customer not found"), false, false, false},
		{"nil", nil, false, false, false},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.err, fmt.Errorf("create: %w", tt.err)} {
			if tt.err == nil {
				err = nil
			}
			if got := IsDuplicate(err); got != tt.duplicate {
				t.Errorf("%s: IsDuplicate(%v) = %v", tt.name, err, got)
			}
			if got := IsUnknownPartner(err); got != tt.unknownPartner {
				t.Errorf("%s: IsUnknownPartner(%v) = %v", tt.name, err, got)
			}
			if got := IsUnknownCustomer(err); got != tt.unknownCustomer {
				t.Errorf("%s: IsUnknownCustomer(%v) = %v", tt.name, err, got)
			}
		}
	}
}

// TestClassifiersByKind: the classifiers that read only the kind, over every
// kind and the errors that are not the API's.
func TestClassifiersByKind(t *testing.T) {
	t.Parallel()
	e := func(k *Kind, status int) error {
		return &Error{Kind: k, Method: "GET", Path: "/partners", StatusCode: status}
	}
	unavailable := &UnavailableError{Waited: time.Minute, Err: e(ErrRateLimited, 429)}
	tests := []struct {
		name                        string
		err                         error
		fatal, retryable, ambiguous bool
		limitRefused                bool
	}{
		{"401", e(ErrUnauthorized, 401), true, false, false, false},
		{"403", e(ErrForbidden, 403), true, false, false, false},
		{"404", e(ErrNotFound, 404), false, false, false, false},
		{"422", e(ErrValidation, 422), false, false, false, false},
		{"400", e(ErrValidation, 400), false, false, false, false},
		{"429", e(ErrRateLimited, 429), false, true, false, false},
		{"500", e(ErrServer, 500), false, true, true, false},
		{"405", e(ErrOther, 405), false, false, false, false},
		{"decode", e(ErrDecode, 200), false, false, false, false},
		{"network", e(ErrNetwork, 0), false, true, true, false},
		{"unavailable", unavailable, true, true, false, false},
		{"cancelled", context.Canceled, true, false, false, false},
		{"cancelled network", fmt.Errorf("%w: %w", context.Canceled, e(ErrNetwork, 0)), true, false, false, false},
		{"deadline", context.DeadlineExceeded, true, false, false, false},
		{"limit refused", &Error{Kind: ErrValidation, StatusCode: 422, Fields: map[string][]string{"limit": {"The limit must be between 10 and 100."}}}, false, false, false, true},
		{"limit in a 400", &Error{Kind: ErrValidation, StatusCode: 400, Fields: map[string][]string{"limit": {"bad"}}}, false, false, false, false},
		{"other field", &Error{Kind: ErrValidation, StatusCode: 422, Fields: map[string][]string{"page": {"bad"}}}, false, false, false, false},
		{"plain", errors.New("x"), false, false, false, false},
		{"nil", nil, false, false, false, false},
	}
	for _, tt := range tests {
		notServed := tt.name == "403" || tt.name == "404"
		if got := IsNotServed(tt.err); got != notServed {
			t.Errorf("%s: IsNotServed = %v", tt.name, got)
		}
		if got := IsFatal(tt.err); got != tt.fatal {
			t.Errorf("%s: IsFatal = %v", tt.name, got)
		}
		if got := IsRetryable(tt.err); got != tt.retryable {
			t.Errorf("%s: IsRetryable = %v", tt.name, got)
		}
		if got := IsAmbiguous(tt.err); got != tt.ambiguous {
			t.Errorf("%s: IsAmbiguous = %v", tt.name, got)
		}
		if got := IsLimitRefused(tt.err); got != tt.limitRefused {
			t.Errorf("%s: IsLimitRefused = %v", tt.name, got)
		}
	}
}

// TestFirstField: the blamed field is the one the message repeats, else the
// first by name, and the same on every call.
func TestFirstField(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		e           *Error
		field, fmsg string
	}{
		{"message repeats a field", &Error{Message: "The name field is required. (and 1 more error)",
			Fields: map[string][]string{"email": {"taken"}, "name": {"The name field is required."}}}, "name", "The name field is required."},
		{"no message", &Error{Fields: map[string][]string{"b": {"B"}, "a": {"A", "A2"}}}, "a", "A"},
		{"message repeats none", &Error{Message: "The given data was invalid.", Fields: map[string][]string{"b": {"B"}, "a": {"A"}}}, "a", "A"},
		{"field without messages", &Error{Fields: map[string][]string{"a": nil}}, "a", ""},
		{"no fields", &Error{Message: "Invalid partner key"}, "", ""},
	}
	for _, tt := range tests {
		for range 32 {
			if f, m := tt.e.FirstField(); f != tt.field || m != tt.fmsg {
				t.Fatalf("%s: FirstField = %q %q, want %q %q", tt.name, f, m, tt.field, tt.fmsg)
			}
		}
	}
}
