package sandbox

import "testing"

func TestSmoke(t *testing.T) {
	e := newEnv(t, Config{})
	e.must(401, e.doKey("", "GET", "/v1/test", nil))
	r := e.must(200, e.do("GET", "/v1/test", nil))
	t.Log(r.raw)
	e.seedPartner("p1", "alice", "alice@example.com")
	r = e.must(200, e.do("GET", "/v1/partners/p1", nil))
	t.Log(r.raw)
	e.seedCustomer("c1", "alice")
	r = e.must(201, e.do("POST", "/v1/transactions", map[string]any{"key": "t1", "amount": 99.99, "customer": map[string]any{"key": "c1"}}))
	t.Log(r.raw)
	r = e.must(200, e.do("GET", "/v1/transactions?limit=1", nil))
	t.Log(r.raw)
	t.Log(e.srv.Stats())
}
