package partnero

import (
	"net/http"
	"testing"
	"time"
)

// FuzzDecodeResponse feeds arbitrary statuses, headers and bodies through the
// one decoder every answer goes through: it must never panic, and every
// failure must be one of the typed errors.
func FuzzDecodeResponse(f *testing.F) {
	seeds := []struct {
		status int
		ra     string
		body   string
	}{
		{200, "", `{"data":{"id":"p1","email":"a@x.com","tags":[{"value":"vip"}]},"status":1}`},
		{201, "", `{"data":{"key":"t1","amount":"99.90","customer":"c1","rewards":[{"amount":29.997}]}}`},
		{200, "", `{"data":[{"id":1},{"id":"2"}],"links":{"next":null},"meta":{"current_page":1,"per_page":15}}`},
		{200, "", `{"data":[],"meta":{"current_page":"x","last_page":{}},"links":[]}`},
		{422, "", `{"message":"bad","errors":{"email":["required"],"x":"y","z":[1,{"a":2}]},"status":0}`},
		{400, "", `{"message":"Invalid partner key","status":0}`},
		{429, "3", `{"message":"Too Many Attempts."}`},
		{429, "Wed, 21 Oct 2015 07:28:00 GMT", ``},
		{502, "", `<html><body><h1>502 Bad Gateway</h1></body></html>`},
		{200, "", `{"status":"0","message":123}`},
		{204, "", ``},
		{200, "", `{"data":{"amount":"1e999999"}}`},
		{200, "", "\xff\xfe{"},
	}
	for _, s := range seeds {
		f.Add(s.status, s.ra, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, status int, ra string, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", ra)
		h.Set("X-RateLimit-Reset", ra)
		a := answer{method: "GET", path: "/partners", status: status, header: h, body: body, now: time.Unix(1e9, 0), scrub: func(s string) string { return s }}
		env, err := checkResponse(a)
		if err != nil {
			if StatusCode(err) != status {
				t.Fatalf("StatusCode(%v) = %d, want %d", err, StatusCode(err), status)
			}
			_ = err.Error()
			return
		}
		var p Partner
		if err := decodeInto(a, env, &p); err != nil {
			_ = err.Error()
		}
		var tx Transaction
		_ = decodeInto(a, env, &tx)
		if pg, err := decodePage[Transaction](a, env, 1, 15); err == nil && len(pg.Items) != len(pg.Raw) {
			t.Fatalf("%d items, %d raw", len(pg.Items), len(pg.Raw))
		}
	})
}
