package sandbox

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// route is one API endpoint; pattern segments in braces are parameters.
type route struct {
	method string
	name   string // "GET /partners/{id}": the key of request statistics
	segs   []string
	write  bool // drop-after-commit applies
	h      func(*call) response
}

func buildRoutes() []*route {
	def := []struct {
		method, pattern string
		h               func(*call) response
	}{
		{"GET", "/test", handleTest},

		{"GET", "/partners", listPartners},
		{"POST", "/partners", createPartner},
		{"PUT", "/partners", updatePartner},
		{"DELETE", "/partners", deletePartner},
		{"GET", "/partners:search", searchPartners},
		{"GET", "/partner", getPartnerLegacy},
		{"GET", "/partners/{id}", getPartner},
		{"PUT", "/partners/{id}", updatePartner},
		{"DELETE", "/partners/{id}", deletePartner},
		{"POST", "/partners/{id}/archive", archivePartner},
		{"POST", "/partners/{id}/revoke-archive", restorePartner},
		{"GET", "/partners/{id}/referral_links", partnerReferralLinks},

		{"GET", "/customers", listCustomers},
		{"POST", "/customers", createCustomer},
		{"PUT", "/customers", updateCustomer},
		{"GET", "/customers:search", searchCustomers},
		{"GET", "/customers/{key}", getCustomer},
		{"PUT", "/customers/{key}", updateCustomer},
		{"DELETE", "/customers/{key}", deleteCustomer},
		{"GET", "/customers/{key}/transactions", customerTransactions},
		{"POST", "/customers/{key}/suspend", customerStatus("suspend")},
		{"POST", "/customers/{key}/approve", customerStatus("approve")},
		{"POST", "/customers/{key}/archive", customerStatus("archive")},
		{"POST", "/customers/{key}/revoke-archive", customerStatus("revoke-archive")},

		{"GET", "/transactions", listTransactions},
		{"POST", "/transactions", createTransactions},
		{"GET", "/transactions/{key}", getTransaction},
		{"DELETE", "/transactions/{key}", deleteTransaction},
		{"POST", "/transactions/{key}/archive", archiveTransaction(true)},
		{"POST", "/transactions/{key}/revoke-archive", archiveTransaction(false)},
	}
	def = append(def, listRoutes()...)
	out := make([]*route, 0, len(def))
	for _, d := range def {
		out = append(out, &route{
			method: d.method,
			name:   d.method + " " + d.pattern,
			segs:   strings.Split(strings.TrimPrefix(d.pattern, "/"), "/"),
			write:  d.method != "GET",
			h:      d.h,
		})
	}
	return out
}

// match finds the route of a request path (relative to /v1/, still escaped).
// An unknown path is Laravel's 404, a known path with another verb its 405.
func (s *Server) match(method, path string) (*route, []string, *response) {
	if method == http.MethodHead {
		method = http.MethodGet
	}
	path = strings.TrimSuffix(path, "/")
	raw := strings.Split(path, "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil || u == "" {
			return nil, nil, notFoundRoute(path)
		}
		segs[i] = u
	}
	var allowed []string
	for _, rt := range s.routes {
		params, ok := matchSegs(rt.segs, segs)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, params, nil
		}
		allowed = append(allowed, rt.method)
	}
	if len(allowed) == 0 {
		return nil, nil, notFoundRoute(path)
	}
	if slices.Contains(allowed, "GET") {
		allowed = append(allowed, "HEAD")
	}
	return nil, nil, &response{
		status: http.StatusMethodNotAllowed,
		body:   messageBody{Message: "The " + safeMethod(method) + " method is not supported for route v1/" + path + ". Supported methods: " + strings.Join(allowed, ", ") + "."},
		header: http.Header{"Allow": {strings.Join(allowed, ", ")}},
	}
}

func notFoundRoute(path string) *response {
	return &response{status: http.StatusNotFound, body: messageBody{Message: "The route v1/" + path + " could not be found."}}
}

func safeMethod(m string) string {
	if len(m) > 16 {
		return m[:16]
	}
	return m
}

func matchSegs(pattern, segs []string) ([]string, bool) {
	if len(pattern) != len(segs) {
		return nil, false
	}
	var params []string
	for i, p := range pattern {
		if strings.HasPrefix(p, "{") {
			params = append(params, segs[i])
			continue
		}
		if p != segs[i] {
			return nil, false
		}
	}
	return params, true
}

func jsonEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

func decodeRune(b []byte) (rune, int) { return utf8.DecodeRune(b) }

// appendUnicodeEscape writes r as \uXXXX, as a surrogate pair beyond the BMP.
func appendUnicodeEscape(out []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	put := func(v rune) {
		out = append(out, '\\', 'u', hex[v>>12&0xf], hex[v>>8&0xf], hex[v>>4&0xf], hex[v&0xf])
	}
	if r > 0xffff {
		hi, lo := utf16.EncodeRune(r)
		put(hi)
		put(lo)
		return out
	}
	put(r)
	return out
}
