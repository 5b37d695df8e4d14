package sandbox

import (
	"net/url"
	"testing"
)

func pathEscape(s string) string { return url.PathEscape(s) }

func TestTransactions(t *testing.T) {
	e := newEnv(t, Config{})
	e.seedPartner("p1", "alice", "alice@example.com")
	e.seedPartner("p2", "bob", "bob@example.com")
	e.seedCustomer("c1", "alice")
	e.seedCustomer("c2", "bob")
	runSteps(t, e, []step{
		{"create one", "POST", "/v1/transactions", obj{"key": "t1", "amount": 99.99, "amount_units": "eur", "action": "sale", "product_id": "pro", "product_type": "plan", "customer": obj{"key": "c1"}}, 201, map[string]string{
			"status": "1", "data.key": "t1", "data.amount": "99.99", "data.amount_units": "EUR", "data.action": "sale",
			"data.partner": "p1", "data.customer": "c1", "data.credit": "false", "data.is_currency": "true", "data.deleted_at": "<nil>",
			"#data.rewards": "1", "data.rewards.0.amount": "29.997", "data.rewards.0.amount_units": "EUR", "data.rewards.0.status": "ok",
			"data.rewards.0.customer": "c1", "data.rewards.0.partner": "p1", "data.rewards.0.action": "sale",
			"data.rewards.0.product_type_data.product_id": "pro", "data.rewards.0.product_type_data.product_type": "plan",
		}},
		{"reward only", "POST", "/v1/transactions", obj{"key": "t2", "reward": "5", "customer": obj{"key": "c1"}}, 201, map[string]string{"data.rewards.0.amount": "5", "data.amount": "0", "data.amount_units": "USD", "data.rewards.0.product_type_data": "{}"}},
		{"amount as string, exact", "POST", "/v1/transactions", obj{"key": "t3", "amount": "0.10", "customer_key": "c1"}, 201, map[string]string{"data.amount": "0.1", "data.rewards.0.amount": "0.03"}},
		{"amount or reward required", "POST", "/v1/transactions", obj{"key": "x", "customer": obj{"key": "c1"}}, 422, map[string]string{"errors.amount.0": "The amount field is required when reward is not present."}},
		{"amount not a number", "POST", "/v1/transactions", obj{"amount": "12,5", "customer": obj{"key": "c1"}}, 422, map[string]string{"errors.amount.0": "The amount field must be a number."}},
		{"amount of wrong type", "POST", "/v1/transactions", obj{"amount": true, "customer": obj{"key": "c1"}}, 422, map[string]string{"errors.amount.0": "The amount field must be a number."}},
		{"bad currency", "POST", "/v1/transactions", obj{"amount": 1, "amount_units": "dollars", "customer": obj{"key": "c1"}}, 422, map[string]string{"errors.amount_units.0": "The amount units field must be a 3-letter currency code."}},
		{"created_at unix seconds", "POST", "/v1/transactions", obj{"key": "t4", "amount": 1, "created_at": 1700000000, "customer": obj{"key": "c1"}}, 201, map[string]string{"data.created_at": "2023-11-14T22:13:20.000000Z"}},
		{"created_at ISO", "POST", "/v1/transactions", obj{"key": "t5", "amount": 1, "created_at": "2024-01-02T03:04:05+02:00", "customer": obj{"key": "c1"}}, 201, map[string]string{"data.created_at": "2024-01-02T01:04:05.000000Z"}},
		{"created_at invalid", "POST", "/v1/transactions", obj{"amount": 1, "created_at": "yesterday", "customer": obj{"key": "c1"}}, 422, map[string]string{"errors.created_at.0": "The created at field must be a valid date."}},
		{"product_type list", "POST", "/v1/transactions", obj{"key": "t6", "amount": 10, "product_type": []string{"a", "b"}, "customer": obj{"key": "c2"}}, 201, map[string]string{"data.rewards.0.product_type_data.product_type": `["a","b"]`, "data.partner": "p2"}},
		{"not rewardable", "POST", "/v1/transactions", obj{"key": "t7", "amount": 10, "rewardable": false, "customer": obj{"key": "c2"}}, 201, map[string]string{"#data.rewards": "0"}},
		{"rewarded not boolean", "POST", "/v1/transactions", obj{"amount": 10, "rewarded": "yes", "customer": obj{"key": "c2"}}, 422, map[string]string{"errors.rewarded.0": "The rewarded field must be true or false."}},
		{"key too long", "POST", "/v1/transactions", obj{"key": "k2345678901234567890123456789012345678901234567890123456789012345", "amount": 1, "customer": obj{"key": "c1"}}, 422, map[string]string{"errors.key.0": "The key field must not be greater than 64 characters."}},
		{"customer by email", "POST", "/v1/transactions", obj{"key": "te", "amount": 1, "customer": obj{"email": "C2@example.com"}}, 201, map[string]string{"data.customer": "c2", "data.partner": "p2"}},
		{"delete it", "DELETE", "/v1/transactions/te", nil, 200, nil},
		{"unknown customer email", "POST", "/v1/transactions", obj{"amount": 1, "customer": obj{"email": "nobody@example.com"}}, 422, map[string]string{"message": "The selected customer.email is invalid."}},
		{"unknown customer", "POST", "/v1/transactions", obj{"amount": 1, "customer": obj{"key": "nope"}}, 422, map[string]string{"message": "The selected customer.key is invalid."}},
		{"missing customer", "POST", "/v1/transactions", obj{"amount": 1}, 422, map[string]string{"message": "The customer.key field is required when customer.email is not present."}},
		{"customer as bare key", "POST", "/v1/transactions", obj{"amount": 1, "customer": "c1"}, 422, map[string]string{"message": "The customer field must be an array."}},

		{"create customer in the same call", "POST", "/v1/transactions", obj{"key": "t8", "amount": 10, "customer": obj{"key": "c9", "email": "c9@example.com", "name": "Nine", "partner": obj{"key": "alice"}}, "options": obj{"create_customer": true}}, 201, map[string]string{"data.customer": "c9", "data.partner": "p1"}},
		{"created customer exists", "GET", "/v1/customers/c9", nil, 200, map[string]string{"data.partner": "p1", "data.name": "Nine", "data.email": "c9@example.com"}},
		{"create_customer reuses an existing customer", "POST", "/v1/transactions", obj{"key": "t9", "amount": 1, "customer": obj{"key": "c9", "partner": obj{"key": "bob"}}, "options": obj{"create_customer": "1"}}, 201, map[string]string{"data.partner": "p1"}},
		{"create_customer unknown partner", "POST", "/v1/transactions", obj{"amount": 1, "customer": obj{"key": "c10", "partner": obj{"key": "nobody"}}, "options": obj{"create_customer": true}}, 400, map[string]string{"message": "Invalid partner key"}},
		{"not created", "GET", "/v1/customers/c10", nil, 404, nil},
		{"create_customer needs partner", "POST", "/v1/transactions", obj{"amount": 1, "customer": obj{"key": "c10"}, "options": obj{"create_customer": true}}, 422, map[string]string{"message": "The customer.partner field is required when options.create customer is true."}},

		{"duplicate key accepted by default", "POST", "/v1/transactions", obj{"key": "t1", "amount": 1, "customer": obj{"key": "c1"}}, 201, map[string]string{"data.key": "t1"}},
		{"both recorded", "GET", "/v1/transactions?key=t1", nil, 200, map[string]string{"#data": "2"}},

		{"batch", "POST", "/v1/transactions", obj{"customer": obj{"key": "c1"}, "transactions": []any{obj{"key": "b1", "amount": 1}, obj{"key": "b2", "amount": "2.5", "amount_units": "gbp"}}}, 201, map[string]string{
			"#data": "2", "data.0.key": "b1", "data.1.key": "b2", "data.1.amount_units": "GBP", "data.1.rewards.0.amount": "0.75", "data.0.customer": "c1",
		}},
		{"batch all or nothing", "POST", "/v1/transactions", obj{"customer": obj{"key": "c1"}, "transactions": []any{obj{"key": "b3", "amount": 1}, obj{"key": "b4"}, obj{"key": "b5", "amount": "x"}}}, 422, map[string]string{
			"message": "The transactions.1.amount field is required when transactions.1.reward is not present. (and 1 more error)",
		}},
		{"nothing of a failed batch", "GET", "/v1/transactions/b3", nil, 404, map[string]string{"message": "Transaction not found"}},
		{"empty batch", "POST", "/v1/transactions", obj{"customer": obj{"key": "c1"}, "transactions": []any{}}, 422, map[string]string{"message": "The transactions field is required."}},
		{"batch not a list", "POST", "/v1/transactions", obj{"customer": obj{"key": "c1"}, "transactions": "b1"}, 422, map[string]string{"message": "The transactions field must be an array."}},
		{"batch creating its customer", "POST", "/v1/transactions", obj{"customer": obj{"key": "c11", "partner": obj{"id": "p2"}}, "options": obj{"create_customer": true}, "transactions": []any{obj{"key": "b6", "amount": 3}, obj{"key": "b7", "reward": 1}}}, 201, map[string]string{"#data": "2", "data.0.partner": "p2", "data.1.customer": "c11"}},

		{"get with rewards", "GET", "/v1/transactions/t1", nil, 200, map[string]string{"data.amount": "99.99", "data.rewards.0.amount": "29.997"}},
		{"get unknown", "GET", "/v1/transactions/nope", nil, 404, map[string]string{"message": "Transaction not found", "status": "0"}},
		{"filter customer.key", "GET", "/v1/transactions?customer.key=c9", nil, 200, map[string]string{"#data": "2", "data.0.key": "t9", "data.1.key": "t8"}},
		{"filter partner.key", "GET", "/v1/transactions?partner.key=bob&sort=asc", nil, 200, map[string]string{"#data": "4", "data.0.key": "t6", "data.1.key": "t7", "data.2.key": "b6"}},
		{"filter unknown partner", "GET", "/v1/transactions?partner.key=nobody", nil, 200, map[string]string{"#data": "0"}},
		{"backdated ones sort first", "GET", "/v1/transactions?customer.key=c1&sort=asc&limit=2", nil, 200, map[string]string{"data.0.key": "t4", "data.1.key": "t5", "links.next": "<non-nil>"}},
		{"customer transactions", "GET", "/v1/customers/c1/transactions?limit=2&sort=asc", nil, 200, map[string]string{"#data": "2", "data.0.key": "t4", "meta.per_page": "2"}},

		{"archive", "POST", "/v1/transactions/t2/archive", nil, 200, map[string]string{"status": "1"}},
		{"archive again", "POST", "/v1/transactions/t2/archive", nil, 400, map[string]string{"message": "Action failed"}},
		{"archived", "GET", "/v1/transactions/t2", nil, 200, map[string]string{"data.deleted_at": "<non-nil>", "data.rewards.0.deleted_at": "<non-nil>"}},
		{"revoke archive", "POST", "/v1/transactions/t2/revoke-archive", nil, 200, nil},
		{"revoke again", "POST", "/v1/transactions/t2/revoke-archive", nil, 400, map[string]string{"message": "Action failed"}},
		{"archive unknown", "POST", "/v1/transactions/nope/archive", nil, 404, nil},
		{"delete", "DELETE", "/v1/transactions/t2", nil, 200, map[string]string{"status": "1"}},
		{"deleted", "GET", "/v1/transactions/t2", nil, 404, nil},
		{"delete unknown", "DELETE", "/v1/transactions/t2", nil, 404, map[string]string{"message": "Transaction not found"}},
		{"delete customer", "DELETE", "/v1/customers/c1", nil, 200, nil},
		{"its transactions went too", "GET", "/v1/transactions/b1", nil, 404, nil},
		{"none left for it", "GET", "/v1/transactions?customer.key=c1", nil, 200, map[string]string{"#data": "0"}},
	})
	// The partner's own figures add up its customers' transactions.
	r := e.must(200, e.do("GET", "/v1/partners/p2", nil))
	if got := r.field("data.referrals.revenue"); got != `[{"amount":23,"currency":"USD"}]` {
		t.Errorf("revenue = %s", got)
	}
}

func TestStrictTransactionKeys(t *testing.T) {
	e := newEnv(t, Config{StrictTransactionKeys: true})
	e.seedPartner("p1", "alice", "alice@example.com")
	e.seedCustomer("c1", "alice")
	runSteps(t, e, []step{
		{"first", "POST", "/v1/transactions", obj{"key": "t1", "amount": 1, "customer": obj{"key": "c1"}}, 201, nil},
		{"repeat refused", "POST", "/v1/transactions", obj{"key": "t1", "amount": 1, "customer": obj{"key": "c1"}}, 422, map[string]string{"errors.key.0": "The key has already been taken."}},
		{"repeat in a batch", "POST", "/v1/transactions", obj{"customer": obj{"key": "c1"}, "transactions": []any{obj{"key": "t2", "amount": 1}, obj{"key": "t2", "amount": 1}}}, 422, map[string]string{"message": "The transactions.1.key has already been taken."}},
		{"existing in a batch", "POST", "/v1/transactions", obj{"customer": obj{"key": "c1"}, "transactions": []any{obj{"key": "t1", "amount": 1}}}, 422, map[string]string{"message": "The transactions.0.key has already been taken."}},
		{"one recorded", "GET", "/v1/transactions?key=t1", nil, 200, map[string]string{"#data": "1"}},
		{"none of the batch", "GET", "/v1/transactions?key=t2", nil, 200, map[string]string{"#data": "0"}},
	})
}
