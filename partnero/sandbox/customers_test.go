package sandbox

import (
	"strings"
	"testing"
)

func TestCustomers(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "alice", "alice@example.com")
	e.seedPartner("p2", "bob", "bob@example.com")
	runSteps(t, e, []step{
		{"create", "POST", "/v1/customers", obj{"key": "c1", "email": "c1@example.com", "name": "C", "partner": obj{"key": "alice"}, "tags": []string{"t"}}, 201, map[string]string{
			"status": "1", "data.key": "c1", "data.partner": "p1", "data.email": "c1@example.com", "data.name": "C", "data.surname": "<nil>",
			"data.tags.0.value": "t", "data.deleted": "false", "data.deleted_at": "<nil>", "data.status": "active",
		}},
		{"legacy nested form", "POST", "/v1/customers", obj{"partner": obj{"id": "p2"}, "customer": obj{"key": "c2", "email": "c2@example.com"}}, 201, map[string]string{"data.key": "c2", "data.partner": "p2", "data.email": "c2@example.com"}},
		{"partner_key spelling", "POST", "/v1/customers", obj{"key": "c3", "partner_key": "alice"}, 201, map[string]string{"data.partner": "p1"}},
		{"flat dotted spelling", "POST", "/v1/customers", obj{"key": "c4", "partner.email": "BOB@example.com"}, 201, map[string]string{"data.partner": "p2"}},
		{"query bracket spelling", "POST", "/v1/customers?key=c5&partner[key]=alice", nil, 201, map[string]string{"data.partner": "p1", "data.key": "c5"}},
		{"missing key", "POST", "/v1/customers", obj{"partner": obj{"key": "alice"}}, 422, map[string]string{"errors.key.0": "The key field is required.", "status": "0"}},
		{"legacy form missing key", "POST", "/v1/customers", obj{"partner": obj{"key": "alice"}, "customer": obj{"email": "x@example.com"}}, 422, map[string]string{"message": "The customer.key field is required."}},
		{"missing partner", "POST", "/v1/customers", obj{"key": "c9"}, 422, map[string]string{"errors.partner.0": "The partner field is required."}},
		{"partner not an object", "POST", "/v1/customers", obj{"key": "c9", "partner": "alice"}, 422, map[string]string{"errors.partner.0": "The partner field must be an array."}},
		{"unknown partner", "POST", "/v1/customers", obj{"key": "c9", "partner": obj{"key": "nobody"}}, 400, map[string]string{"message": "Invalid partner key", "status": "0"}},
		{"duplicate key", "POST", "/v1/customers", obj{"key": "c1", "partner": obj{"key": "alice"}}, 422, map[string]string{"message": "Duplicate key", "errors.key.0": "Duplicate key"}},
		{"key too long", "POST", "/v1/customers", obj{"key": strings.Repeat("k", 65), "partner": obj{"key": "alice"}}, 422, map[string]string{"errors.key.0": "The key field must not be greater than 64 characters."}},
		{"invalid email", "POST", "/v1/customers", obj{"key": "c9", "email": "x", "partner": obj{"key": "alice"}}, 422, map[string]string{"errors.email.0": "The email field must be a valid email address."}},

		{"get", "GET", "/v1/customers/c1", nil, 200, map[string]string{"data.key": "c1", "data.partner": "p1"}},
		{"get unknown", "GET", "/v1/customers/nope", nil, 404, map[string]string{"message": "Customer not found", "status": "0"}},
		{"list by partner key", "GET", "/v1/customers?partner.key=bob", nil, 200, map[string]string{"#data": "2", "data.0.key": "c4", "data.1.key": "c2"}},
		{"list by partner[email]", "GET", "/v1/customers?partner[email]=alice@example.com&sort=asc", nil, 200, map[string]string{"#data": "3", "data.0.key": "c1", "data.1.key": "c3", "data.2.key": "c5"}},
		{"list by partner_id in body", "GET", "/v1/customers", obj{"partner_id": "p2"}, 200, map[string]string{"#data": "2"}},
		{"list by unknown partner", "GET", "/v1/customers?partner.key=nobody", nil, 200, map[string]string{"#data": "0", "links.next": "<nil>"}},
		{"search by email", "GET", "/v1/customers:search?email=C1@example.com", nil, 200, map[string]string{"#data": "1", "data.0.key": "c1"}},
		{"search by key", "GET", "/v1/customers:search?key=c2", nil, 200, map[string]string{"#data": "1", "data.0.key": "c2"}},
		{"search needs a field", "GET", "/v1/customers:search", nil, 422, map[string]string{"errors.email.0": "The email field is required when key is not present."}},

		{"update wrapper renames", "PUT", "/v1/customers/c1", obj{"update": obj{"name": "New", "key": "c1b"}}, 200, map[string]string{"data.key": "c1b", "data.name": "New", "data.email": "c1@example.com"}},
		{"old key gone", "GET", "/v1/customers/c1", nil, 404, nil},
		{"body identity", "PUT", "/v1/customers", obj{"key": "c1b", "update": obj{"surname": "S"}}, 200, map[string]string{"data.surname": "S", "data.key": "c1b"}},
		{"body identity fallback", "PUT", "/v1/customers", obj{"key": "c1b", "name": "Flat"}, 200, map[string]string{"data.name": "Flat", "data.key": "c1b"}},
		{"top-level fallback", "PUT", "/v1/customers/c1b", obj{"email": "x@example.com"}, 200, map[string]string{"data.email": "x@example.com"}},
		{"search by the new email", "GET", "/v1/customers:search?email=X@example.com", nil, 200, map[string]string{"#data": "1", "data.0.key": "c1b"}},
		{"old email no longer found", "GET", "/v1/customers:search?email=c1@example.com", nil, 200, map[string]string{"#data": "0"}},
		{"partner cannot change", "PUT", "/v1/customers/c1b", obj{"update": obj{"partner": obj{"key": "bob"}}}, 422, map[string]string{"message": "The partner of a customer cannot be changed."}},
		{"same partner is harmless", "PUT", "/v1/customers/c1b", obj{"update": obj{"partner": obj{"key": "alice"}, "tags": []string{}}}, 200, map[string]string{"data.partner": "p1", "#data.tags": "0"}},
		{"rename onto taken key", "PUT", "/v1/customers/c1b", obj{"update": obj{"key": "c2"}}, 422, map[string]string{"message": "Duplicate key"}},
		{"update unknown", "PUT", "/v1/customers/nope", obj{"update": obj{"name": "X"}}, 404, map[string]string{"message": "Customer not found"}},
		{"update body identity missing", "PUT", "/v1/customers", obj{"update": obj{"name": "X"}}, 422, map[string]string{"errors.key.0": "The key field is required."}},

		{"suspend", "POST", "/v1/customers/c1b/suspend", nil, 200, map[string]string{"status": "1"}},
		{"suspended", "GET", "/v1/customers/c1b", nil, 200, map[string]string{"data.status": "suspended"}},
		{"approve", "POST", "/v1/customers/c1b/approve", nil, 200, nil},
		{"approved", "GET", "/v1/customers/c1b", nil, 200, map[string]string{"data.status": "active"}},
		{"archive", "POST", "/v1/customers/c1b/archive", nil, 200, nil},
		{"archived", "GET", "/v1/customers/c1b", nil, 200, map[string]string{"data.status": "archived", "data.deleted": "true"}},
		{"archive again", "POST", "/v1/customers/c1b/archive", nil, 400, map[string]string{"message": "Action failed"}},
		{"revoke archive", "POST", "/v1/customers/c1b/revoke-archive", nil, 200, nil},
		{"restored", "GET", "/v1/customers/c1b", nil, 200, map[string]string{"data.status": "active", "data.deleted": "false", "data.deleted_at": "<nil>"}},
		{"revoke again", "POST", "/v1/customers/c1b/revoke-archive", nil, 400, map[string]string{"message": "Action failed"}},
		{"suspend unknown", "POST", "/v1/customers/nope/suspend", nil, 404, map[string]string{"message": "Customer not found"}},
		{"transactions of unknown", "GET", "/v1/customers/nope/transactions", nil, 404, map[string]string{"message": "Customer not found"}},
		{"delete", "DELETE", "/v1/customers/c1b", nil, 200, map[string]string{"status": "1"}},
		{"deleted", "GET", "/v1/customers/c1b", nil, 404, nil},
		{"delete again", "DELETE", "/v1/customers/c1b", nil, 404, nil},
	})
	r := e.must(200, e.do("GET", "/v1/customers/c2", nil))
	for _, f := range []string{"created_at", "updated_at"} {
		if s := r.field("data." + f); !apiTime.MatchString(s) {
			t.Errorf("%s = %q, want the API's layout", f, s)
		}
	}
}

func TestCustomerKeysWithReservedCharacters(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "alice", "alice@example.com")
	for _, key := range []string{"cus/1", "a b", "ü?&#", "x%2Fy"} {
		e.must(201, e.do("POST", "/v1/customers", obj{"key": key, "partner": obj{"key": "alice"}}))
		r := e.must(200, e.do("GET", "/v1/customers/"+pathEscape(key), nil))
		if got := r.field("data.key"); got != key {
			t.Errorf("GET customer %q: key = %q", key, got)
		}
	}
}
