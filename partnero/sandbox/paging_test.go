package sandbox

import (
	"fmt"
	"strings"
	"testing"
)

func TestPagination(t *testing.T) {
	e := newEnv(t, Config{})
	for i := 1; i <= 7; i++ {
		e.seedPartner(fmt.Sprintf("p%d", i), fmt.Sprintf("k%d", i), fmt.Sprintf("p%d@example.com", i))
	}
	base := e.ts.URL + "/v1/partners"
	runSteps(t, e, []step{
		{"first page", "GET", "/v1/partners?limit=3&sort=asc", nil, 200, map[string]string{
			"#data": "3", "data.0.id": "p1", "data.2.id": "p3",
			"links.first": base + "?page=1", "links.last": "<nil>", "links.prev": "<nil>", "links.next": base + "?page=2",
			"meta.current_page": "1", "meta.from": "1", "meta.to": "3", "meta.per_page": "3", "meta.path": base,
			"meta.total": "<absent>", "meta.last_page": "<absent>", "status": "1",
		}},
		{"middle page", "GET", "/v1/partners?limit=3&page=2&sort=asc", nil, 200, map[string]string{
			"data.0.id": "p4", "links.prev": base + "?page=1", "links.next": base + "?page=3", "meta.from": "4", "meta.to": "6",
		}},
		{"last partial page", "GET", "/v1/partners?limit=3&page=3&sort=asc", nil, 200, map[string]string{
			"#data": "1", "data.0.id": "p7", "links.next": "<nil>", "meta.from": "7", "meta.to": "7",
		}},
		{"past the end", "GET", "/v1/partners?limit=3&page=4", nil, 200, map[string]string{
			"#data": "0", "links.next": "<nil>", "links.prev": base + "?page=3", "meta.from": "<nil>", "meta.to": "<nil>", "meta.current_page": "4",
		}},
		{"far past the end", "GET", "/v1/partners?limit=250&page=9223372036854775807", nil, 200, map[string]string{"#data": "0", "links.next": "<nil>"}},
		{"exact fit has no next", "GET", "/v1/partners?limit=7", nil, 200, map[string]string{"#data": "7", "links.next": "<nil>"}},
		{"default limit 15, newest first", "GET", "/v1/partners", nil, 200, map[string]string{"#data": "7", "meta.per_page": "15", "data.0.id": "p7", "data.6.id": "p1"}},
		{"desc explicitly", "GET", "/v1/partners?sort=desc&limit=2&page=2", nil, 200, map[string]string{"data.0.id": "p5", "data.1.id": "p4"}},
		{"limit in the JSON body of a GET", "GET", "/v1/partners", obj{"limit": 2, "page": 2, "sort": "asc"}, 200, map[string]string{"#data": "2", "data.0.id": "p3", "meta.per_page": "2"}},
		{"body wins over query", "GET", "/v1/partners?limit=5", obj{"limit": 1}, 200, map[string]string{"#data": "1"}},
		{"limit 250 allowed", "GET", "/v1/partners?limit=250", nil, 200, map[string]string{"meta.per_page": "250"}},
		{"limit 0", "GET", "/v1/partners?limit=0", nil, 422, map[string]string{"errors.limit.0": "The limit field must be between 1 and 250.", "status": "0"}},
		{"limit 251", "GET", "/v1/partners?limit=251", nil, 422, map[string]string{"errors.limit.0": "The limit field must be between 1 and 250."}},
		{"limit not numeric", "GET", "/v1/partners?limit=ten", nil, 422, map[string]string{"errors.limit.0": "The limit field must be an integer."}},
		{"limit fraction", "GET", "/v1/partners?limit=1.5", nil, 422, map[string]string{"errors.limit.0": "The limit field must be an integer."}},
		{"limit of wrong JSON type", "GET", "/v1/partners", obj{"limit": []int{1}}, 422, map[string]string{"errors.limit.0": "The limit field must be an integer."}},
		{"page 0", "GET", "/v1/partners?page=0", nil, 422, map[string]string{"errors.page.0": "The page field must be at least 1."}},
		{"bad sort", "GET", "/v1/partners?sort=newest", nil, 422, map[string]string{"errors.sort.0": "The selected sort is invalid."}},
		{"customers paginate too", "GET", "/v1/customers?limit=251", nil, 422, nil},
		{"transactions paginate too", "GET", "/v1/transactions?page=-1", nil, 422, nil},
	})
}

// Records created in the same second keep their insertion order, both ways.
func TestSortTiesByInsertionOrder(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "alice", "alice@example.com")
	e.seedCustomer("c1", "alice")
	var keys []string
	for i := range 20 {
		k := fmt.Sprintf("t%02d", i)
		keys = append(keys, k)
		e.must(201, e.do("POST", "/v1/transactions", obj{"key": k, "amount": 1, "created_at": 1700000000, "customer": obj{"key": "c1"}}))
	}
	collect := func(sort string) []string {
		var out []string
		for page := 1; ; page++ {
			r := e.must(200, e.do("GET", fmt.Sprintf("/v1/transactions?limit=3&page=%d&sort=%s", page, sort), nil))
			for _, it := range r.list("data") {
				out = append(out, str(get(it, "key")))
			}
			if r.field("links.next") == "<nil>" {
				return out
			}
		}
	}
	if got := strings.Join(collect("asc"), ","); got != strings.Join(keys, ",") {
		t.Errorf("asc = %s", got)
	}
	desc := collect("desc")
	for i, k := range desc {
		if k != keys[len(keys)-1-i] {
			t.Fatalf("desc = %v", desc)
		}
	}
}

// Every spelling of a nested name means the same, on every verb.
func TestNestedNameSpellings(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "alice", "alice@example.com")
	e.seedPartner("p2", "bob", "bob@example.com")
	e.seedCustomer("c1", "alice")
	e.seedCustomer("c2", "bob")
	e.must(201, e.do("POST", "/v1/transactions", obj{"key": "t1", "amount": 1, "customer": obj{"key": "c1"}}))
	e.must(201, e.do("POST", "/v1/transactions", obj{"key": "t2", "amount": 1, "customer": obj{"key": "c2"}}))
	tests := []struct {
		name string
		path string
		body any
	}{
		{"query dotted", "/v1/transactions?customer.key=c2", nil},
		{"query underscored", "/v1/transactions?customer_key=c2", nil},
		{"query brackets", "/v1/transactions?customer%5Bkey%5D=c2", nil},
		{"body nested", "/v1/transactions", obj{"customer": obj{"key": "c2"}}},
		{"body dotted", "/v1/transactions", obj{"customer.key": "c2"}},
		{"body underscored", "/v1/transactions", obj{"customer_key": "c2"}},
		{"partner dotted", "/v1/transactions?partner.key=bob", nil},
		{"partner brackets", "/v1/transactions?partner[key]=bob", nil},
		{"partner underscored", "/v1/transactions?partner_key=bob", nil},
		{"partner nested body", "/v1/transactions", obj{"partner": obj{"key": "bob"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.t = t
			r := e.must(200, e.do("GET", tt.path, tt.body))
			if n := len(r.list("data")); n != 1 || r.field("data.0.key") != "t2" {
				t.Errorf("got %d items: %s", n, r.raw)
			}
		})
	}
}
