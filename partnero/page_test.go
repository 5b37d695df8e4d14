package partnero

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// pagesServer serves n items as pages in the shape the test asks for.
func pagesServer(t *testing.T, n int, shape func(page, limit int, items []string, last bool) string) (*Client, *[]string) {
	t.Helper()
	c, mux := setup(t)
	var queries []string
	mux.HandleFunc("/v1/partners", func(w http.ResponseWriter, r *http.Request) {
		queries = append(queries, r.URL.RawQuery)
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		var items []string
		for i := (page - 1) * limit; i < min(n, page*limit); i++ {
			items = append(items, fmt.Sprintf(`{"id":"p%d","email":"p%d@x.com","extra":%d}`, i, i, i))
		}
		reply(w, 200, shape(page, limit, items, page*limit >= n))
	})
	return c, &queries
}

func laravel(page, limit int, items []string, last bool) string {
	next := fmt.Sprintf(`"https://api.partnero.com/v1/partners?page=%d"`, page+1)
	if last {
		next = "null"
	}
	return fmt.Sprintf(`{"data":[%s],"links":{"first":"x?page=1","last":null,"prev":null,"next":%s},
		"meta":{"current_page":%d,"from":1,"path":"x","per_page":%d,"to":2},"status":1}`, strings.Join(items, ","), next, page, limit)
}

func TestAllPages(t *testing.T) {
	tests := []struct {
		name      string
		n, limit  int
		shape     func(page, limit int, items []string, last bool) string
		wantCalls int
	}{
		{"stops on next null", 5, 2, laravel, 3},
		{"exact multiple: stops on next null", 4, 2, laravel, 2},
		{"stops on an empty page despite next", 4, 2, func(page, limit int, items []string, last bool) string {
			return laravel(page, limit, items, false) // a server that always says next
		}, 3},
		{"stops on a short page despite next", 5, 2, func(page, limit int, items []string, last bool) string {
			return laravel(page, limit, items, false)
		}, 3},
		{"no paginator: full pages continue", 4, 2, func(page, limit int, items []string, last bool) string {
			return `{"data":[` + strings.Join(items, ",") + `]}`
		}, 3},
		{"length-aware paginator", 5, 2, func(page, limit int, items []string, last bool) string {
			return fmt.Sprintf(`{"data":[%s],"meta":{"current_page":"%d","per_page":"%d","last_page":3}}`, strings.Join(items, ","), page, limit)
		}, 3},
		{"default limit 250", 300, 0, laravel, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, queries := pagesServer(t, tt.n, tt.shape)
			var got []string
			for p, err := range c.Partners.All(t.Context(), ListOptions{Limit: tt.limit, Sort: "asc", Filters: map[string]string{"email": "x"}}) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, string(p.ID))
			}
			if len(got) != tt.n || got[0] != "p0" || got[tt.n-1] != fmt.Sprintf("p%d", tt.n-1) {
				t.Errorf("got %d items: %v", len(got), got)
			}
			if len(*queries) != tt.wantCalls {
				t.Errorf("%d requests, want %d: %v", len(*queries), tt.wantCalls, *queries)
			}
			limit := tt.limit
			if limit == 0 {
				limit = MaxPageSize
			}
			if want := fmt.Sprintf("email=x&limit=%d&page=2&sort=asc", limit); len(*queries) > 1 && (*queries)[1] != want {
				t.Errorf("second query = %q, want %q (built from page+1, not links.next)", (*queries)[1], want)
			}
		})
	}
}

func TestAllStopsEarlyAndOnErrors(t *testing.T) {
	c, queries := pagesServer(t, 10, laravel)
	n := 0
	for range c.Partners.All(t.Context(), ListOptions{Limit: 2}) {
		n++
		if n == 3 {
			break
		}
	}
	if len(*queries) != 2 {
		t.Errorf("%d requests after breaking on item 3", len(*queries))
	}

	// A server that ignores page= would loop forever.
	c, _ = pagesServer(t, 10, func(page, limit int, items []string, last bool) string {
		return laravel(1, limit, items, false)
	})
	var errs int
	for _, err := range c.Partners.All(t.Context(), ListOptions{Limit: 2}) {
		if err != nil {
			errs++
		}
	}
	if errs != 1 {
		t.Errorf("%d errors, want 1", errs)
	}
}

func TestListKeepsRaw(t *testing.T) {
	c, _ := pagesServer(t, 3, laravel)
	p, err := c.Partners.List(t.Context(), ListOptions{Limit: 2, Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != 2 || len(p.Raw) != 2 || !p.HasNext || p.Page != 1 || p.PerPage != 2 {
		t.Fatalf("page = %+v", p)
	}
	var m map[string]any
	if err := json.Unmarshal(p.Raw[1], &m); err != nil || m["extra"] != 1.0 || p.Items[1].Email != "p1@x.com" {
		t.Errorf("raw[1] = %s", p.Raw[1])
	}
	if _, err := c.Partners.List(t.Context(), ListOptions{Limit: 251}); err == nil {
		t.Error("limit 251 accepted")
	}
}

func TestPageDecodeTolerance(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		items    int
		hasNext  bool
		page     int
		decodeOK bool
	}{
		{"empty past the end", `{"data":[],"links":{"next":null},"meta":{"current_page":9,"from":null,"to":null,"per_page":15},"status":1}`, 0, false, 9, true},
		{"null data", `{"data":null,"links":{"next":null}}`, 0, false, 1, true},
		{"next empty string", `{"data":[{"id":1}],"links":{"next":""}}`, 1, false, 1, true},
		{"data not a list", `{"data":{"id":1}}`, 0, false, 1, false},
		{"html", `<html>ok</html>`, 0, false, 1, false},
		{"bad item", `{"data":[{"id":{"x":1}}]}`, 0, false, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := answer{method: "GET", path: "/partners", status: 200, body: []byte(tt.body)}
			env, err := checkResponse(a)
			if err != nil {
				t.Fatal(err)
			}
			p, err := decodePage[Partner](a, env, 1, 15)
			if (err == nil) != tt.decodeOK {
				t.Fatalf("err = %v", err)
			}
			if err != nil {
				if !strings.Contains(err.Error(), "GET /partners") {
					t.Errorf("error %q does not name the request", err)
				}
				return
			}
			if len(p.Items) != tt.items || p.HasNext != tt.hasNext || p.Page != tt.page {
				t.Errorf("page = %+v", p)
			}
		})
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 11, 23, 20, 0, 0, 0, time.UTC)
	tests := []struct {
		retryAfter, reset string
		want              time.Duration
	}{
		{"3", "", 3 * time.Second},
		{"1.5", "", 1500 * time.Millisecond},
		{now.Add(90 * time.Second).Format(http.TimeFormat), "", 90 * time.Second},
		{now.Add(-time.Minute).Format(http.TimeFormat), "", 0},
		{"", strconv.FormatInt(now.Unix()+42, 10), 42 * time.Second},
		{"soon", "", 0},
		{"-5", "", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.retryAfter != "" {
			h.Set("Retry-After", tt.retryAfter)
		}
		if tt.reset != "" {
			h.Set("X-RateLimit-Reset", tt.reset)
		}
		if got := retryAfter(h, now); got != tt.want {
			t.Errorf("Retry-After %q, Reset %q: %v, want %v", tt.retryAfter, tt.reset, got, tt.want)
		}
	}
}

func TestPagesKeepRaw(t *testing.T) {
	c, queries := pagesServer(t, 5, laravel)
	var sizes []int
	for p, err := range c.Partners.Pages(t.Context(), ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Raw) != len(p.Items) {
			t.Fatalf("page %d: %d raw for %d items", p.Page, len(p.Raw), len(p.Items))
		}
		sizes = append(sizes, len(p.Items))
	}
	if fmt.Sprint(sizes) != "[2 2 1]" || len(*queries) != 3 {
		t.Errorf("pages %v after %d requests", sizes, len(*queries))
	}
}
