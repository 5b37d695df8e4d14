package sandbox

import (
	"regexp"
	"strings"
	"testing"
)

var apiTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$`)

type obj = map[string]any

func TestPartners(t *testing.T) {
	e := newEnv(t, Config{Seed: 1})
	long := func(n int) string { return strings.Repeat("x", n) }
	runSteps(t, e, []step{
		{"create", "POST", "/v1/partners", obj{"id": "p1", "key": "alice", "email": "Alice@Example.com", "name": "Alice", "surname": "A", "tags": []string{"vip", "eu"}, "password": "secret"}, 201, map[string]string{
			"status": "1", "data.id": "p1", "data.email": "Alice@Example.com", "data.name": "Alice", "data.surname": "A",
			"data.tags.0.value": "vip", "data.tags.1.value": "eu", "data.tos": "true", "data.referrals_count": "0",
			"data.status": "active", "data.approved": "true", "data.custom_fields": "[]",
			"data.referral_links.0": e.srv.programs[testKey].Website + "?aff=alice",
			"data.referral_link":    e.srv.programs[testKey].Website + "?aff=alice",
			"data.password":         "<absent>", "data.key": "<absent>",
		}},
		{"create bob with referrer, generated id", "POST", "/v1/partners", obj{"key": "bob", "email": "bob@example.com", "referring_partner": obj{"key": "alice"}}, 201, map[string]string{"data.name": "<nil>"}},
		{"missing email", "POST", "/v1/partners", obj{"name": "X"}, 422, map[string]string{
			"message": "The email field is required.", "errors.email.0": "The email field is required.", "status": "0",
		}},
		{"invalid email", "POST", "/v1/partners", obj{"email": "not an email"}, 422, map[string]string{"errors.email.0": "The email field must be a valid email address."}},
		{"duplicate email any case", "POST", "/v1/partners", obj{"email": "alice@example.COM"}, 422, map[string]string{"errors.email.0": "The email has already been taken."}},
		{"duplicate id", "POST", "/v1/partners", obj{"id": "p1", "email": "x1@example.com"}, 422, map[string]string{"errors.id.0": "The id has already been taken."}},
		{"duplicate key", "POST", "/v1/partners", obj{"key": "alice", "email": "x2@example.com"}, 422, map[string]string{"errors.key.0": "The key has already been taken."}},
		{"key too long", "POST", "/v1/partners", obj{"key": long(65), "email": "x3@example.com"}, 422, map[string]string{"errors.key.0": "The key field must not be greater than 64 characters."}},
		{"key of 64 is fine", "POST", "/v1/partners", obj{"key": long(64), "email": "x4@example.com", "name": long(100), "surname": long(100)}, 201, nil},
		{"name too long", "POST", "/v1/partners", obj{"email": "x5@example.com", "name": long(101)}, 422, map[string]string{"errors.name.0": "The name field must not be greater than 100 characters."}},
		{"email too long", "POST", "/v1/partners", obj{"email": long(250) + "@example.com"}, 422, map[string]string{"errors.email.0": "The email field must not be greater than 255 characters."}},
		{"wrong type", "POST", "/v1/partners", obj{"email": "x6@example.com", "name": 12}, 422, map[string]string{"errors.name.0": "The name field must be a string."}},
		{"tags not a list", "POST", "/v1/partners", obj{"email": "x7@example.com", "tags": "vip"}, 422, map[string]string{"errors.tags.0": "The tags field must be an array."}},
		{"two errors", "POST", "/v1/partners", obj{"name": 1}, 422, map[string]string{"message": "The email field is required. (and 1 more error)"}},
		{"unknown referrer", "POST", "/v1/partners", obj{"email": "x8@example.com", "referring_partner": obj{"email": "nobody@example.com"}}, 422, map[string]string{"errors.referring_partner.0": "The selected referring partner is invalid."}},

		{"get", "GET", "/v1/partners/p1", nil, 200, map[string]string{
			"data.id": "p1", "data.referrals.signups": "0", "data.referrals.revenue": "[]", "data.commissions.paid": "[]", "data.tags.0.value": "vip",
		}},
		{"get by key is not found", "GET", "/v1/partners/alice", nil, 404, map[string]string{"message": "Partner not found", "status": "0"}},
		{"search by key", "GET", "/v1/partners:search?key=alice", nil, 200, map[string]string{"#data": "1", "data.0.id": "p1", "links.next": "<nil>"}},
		{"search by email any case", "GET", "/v1/partners:search?email=ALICE@example.com", nil, 200, map[string]string{"data.0.id": "p1"}},
		{"search escaped colon", "GET", "/v1/partners%3Asearch?id=p1", nil, 200, map[string]string{"data.0.id": "p1"}},
		{"search no match", "GET", "/v1/partners:search?id=nope", nil, 200, map[string]string{"#data": "0", "meta.from": "<nil>"}},
		{"search needs a field", "GET", "/v1/partners:search", nil, 422, map[string]string{"errors.email.0": "The email field is required when none of id / key are present."}},
		{"legacy lookup", "GET", "/v1/partner?email=alice@example.com", nil, 200, map[string]string{"data.id": "p1", "data.referrals.clicks": "0"}},
		{"legacy lookup by key in body", "GET", "/v1/partner", obj{"key": "bob"}, 200, map[string]string{"data.email": "bob@example.com"}},
		{"legacy lookup not found", "GET", "/v1/partner?key=nope", nil, 404, map[string]string{"message": "Partner not found"}},

		{"update wrapper", "PUT", "/v1/partners/p1", obj{"update": obj{"name": "Alicia", "tags": []string{"x"}}}, 200, map[string]string{"data.name": "Alicia", "data.surname": "A", "data.tags.0.value": "x", "#data.tags": "1"}},
		{"tags null leaves", "PUT", "/v1/partners/p1", obj{"update": obj{"tags": nil, "surname": "B"}}, 200, map[string]string{"data.tags.0.value": "x", "data.surname": "B"}},
		{"tags empty clears", "PUT", "/v1/partners/p1", obj{"update": obj{"tags": []string{}}}, 200, map[string]string{"#data.tags": "0"}},
		{"top-level fallback", "PUT", "/v1/partners/p1", obj{"surname": "Top"}, 200, map[string]string{"data.surname": "Top", "data.name": "Alicia"}},
		{"identity by email in body", "PUT", "/v1/partners", obj{"email": "alice@example.com", "update": obj{"name": "Al"}}, 200, map[string]string{"data.id": "p1", "data.name": "Al"}},
		{"identity by key, fallback fields", "PUT", "/v1/partners", obj{"key": "alice", "name": "Ally"}, 200, map[string]string{"data.id": "p1", "data.name": "Ally", "data.referral_link": e.srv.programs[testKey].Website + "?aff=alice"}},
		{"update not an object", "PUT", "/v1/partners/p1", obj{"update": []string{"name"}}, 422, map[string]string{"errors.update.0": "The update field must be an array."}},
		{"identity missing", "PUT", "/v1/partners", obj{"update": obj{"name": "X"}}, 422, map[string]string{"errors.id.0": "The id field is required when none of key / email are present."}},
		{"identity unknown", "PUT", "/v1/partners", obj{"id": "nope", "update": obj{"name": "X"}}, 404, map[string]string{"message": "Partner not found"}},
		{"update taken email", "PUT", "/v1/partners/p1", obj{"update": obj{"email": "BOB@example.com"}}, 422, map[string]string{"message": "The update.email has already been taken."}},
		{"update bad email", "PUT", "/v1/partners/p1", obj{"update": obj{"email": "nope"}}, 422, map[string]string{"message": "The update.email field must be a valid email address."}},
		{"update taken key", "PUT", "/v1/partners/p1", obj{"update": obj{"key": "bob"}}, 422, map[string]string{"message": "The update.key has already been taken."}},
		{"update key", "PUT", "/v1/partners/p1", obj{"update": obj{"key": "alice2"}}, 200, map[string]string{"data.referral_link": e.srv.programs[testKey].Website + "?aff=alice2"}},
		{"referral links", "GET", "/v1/partners/p1/referral_links", nil, 200, map[string]string{"#data": "1", "data.0.key": "alice2", "data.0.url": e.srv.programs[testKey].Website + "?aff=alice2", "links.next": "<nil>"}},
		{"referral links unknown partner", "GET", "/v1/partners/nope/referral_links", nil, 404, map[string]string{"message": "Partner not found"}},
		{"update unknown", "PUT", "/v1/partners/nope", obj{"update": obj{"name": "X"}}, 404, map[string]string{"message": "Partner not found"}},

		{"archive", "POST", "/v1/partners/p1/archive", nil, 200, map[string]string{"status": "1", "data": "<absent>"}},
		{"archive again", "POST", "/v1/partners/p1/archive", nil, 400, map[string]string{"message": "Action failed", "status": "0"}},
		{"archived status", "GET", "/v1/partners/p1", nil, 200, map[string]string{"data.status": "archived"}},
		{"revoke archive", "POST", "/v1/partners/p1/revoke-archive", nil, 200, map[string]string{"status": "1"}},
		{"revoke again", "POST", "/v1/partners/p1/revoke-archive", nil, 400, map[string]string{"message": "Action failed"}},
		{"archive unknown", "POST", "/v1/partners/nope/archive", nil, 404, map[string]string{"message": "Partner not found"}},

		{"list items carry no key or tags", "GET", "/v1/partners?sort=asc", nil, 200, map[string]string{
			"#data": "3", "data.0.id": "p1", "data.0.key": "<absent>", "data.0.tags": "<absent>", "data.0.referral_link": "<absent>",
			"data.0.status": "active", "data.0.approved": "true", "data.0.custom_fields": "[]",
		}},
		{"delete by email in body", "DELETE", "/v1/partners", obj{"email": "bob@example.com"}, 200, map[string]string{"status": "1"}},
		{"deleted is gone", "GET", "/v1/partner?email=bob@example.com", nil, 404, nil},
		{"delete by id", "DELETE", "/v1/partners/p1", nil, 200, nil},
		{"delete again", "DELETE", "/v1/partners/p1", nil, 404, map[string]string{"message": "Partner not found"}},
		{"delete needs identity", "DELETE", "/v1/partners", nil, 422, map[string]string{"errors.id.0": "The id field is required when none of key / email are present."}},
	})
	r := e.must(200, e.do("GET", "/v1/partners?limit=250", nil))
	for _, it := range r.list("data") {
		for _, f := range []string{"created_at", "updated_at"} {
			if s := str(get(it, f)); !apiTime.MatchString(s) {
				t.Errorf("%s = %q, want the API's layout", f, s)
			}
		}
	}
}

// The errors object keys nested names with dots; checked apart because the
// step paths split on dots.
func TestValidationErrorFieldNames(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "alice", "alice@example.com")
	e.seedPartner("p2", "bob", "bob@example.com")
	tests := []struct {
		method, path string
		body         any
		field        string
	}{
		{"PUT", "/v1/partners/p1", obj{"update": obj{"email": "bob@example.com"}}, "update.email"},
		{"PUT", "/v1/partners/p1", obj{"email": "bob@example.com"}, "email"},
		{"PUT", "/v1/partners/p1", obj{"update_email": "nope"}, "update.email"},
		{"POST", "/v1/customers", obj{"partner": obj{"key": "alice"}, "customer": obj{"email": "c@example.com"}}, "customer.key"},
		{"POST", "/v1/transactions", obj{"customer": obj{"key": "c1"}, "transactions": []any{obj{"amount": 1}, obj{"key": "k"}}}, "transactions.1.amount"},
		{"POST", "/v1/transactions", obj{"amount": 1}, "customer.key"},
		{"POST", "/v1/partners", obj{"email": "z@example.com", "tags": []any{"ok", 5}}, "tags.1"},
	}
	for _, tt := range tests {
		r := e.must(422, e.do(tt.method, tt.path, tt.body))
		errs, _ := r.body["errors"].(map[string]any)
		if _, ok := errs[tt.field]; !ok {
			t.Errorf("%s %s %v: errors = %v, want a key %q", tt.method, tt.path, tt.body, errs, tt.field)
		}
	}
}
