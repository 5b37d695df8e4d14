package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	"github.com/partnero-etl/partnero-etl/sources/program"
)

// Seeded counts of the other list endpoints: more than one page at the
// export's page size, except webhooks (whose minimum page is 10).
var listSeeds = map[record.Entity]int{
	record.Leads: 7, record.Coupons: 5, record.PromotionCodes: 12, record.PayoutRequests: 6, record.Webhooks: 3,
}

// seedLists puts objects into the sandbox's other list endpoints through
// its seeding route, as the API would answer them.
func (e *sandboxEnv) seedLists(t *testing.T) {
	t.Helper()
	body := map[string][]map[string]any{}
	for i := range listSeeds[record.Leads] {
		body["leads"] = append(body["leads"], map[string]any{"created_at": fmt.Sprintf("2025-04-%02d", i+1),
			"lead_info":       map[string]any{"name": fmt.Sprintf("Lead %d", i), "email": fmt.Sprintf("lead%d@example.com", i)},
			"submitter":       map[string]any{"id": "p1", "name": "Zoë", "email": "a@example.com"},
			"submission_form": []any{map[string]any{"question": "Company", "answer": "Acme"}}})
	}
	for i := range listSeeds[record.Coupons] {
		body["coupons"] = append(body["coupons"], map[string]any{"uuid": fmt.Sprintf("cpn_%d", i), "name": "Spring",
			"coupon_discount_amount": "15.50", "coupon_duration_value": 3, "redemption_times_value": 100})
	}
	for i := range listSeeds[record.PromotionCodes] {
		body["promotion_codes"] = append(body["promotion_codes"], map[string]any{"code": fmt.Sprintf("CODE%d", i),
			"coupon_id": "cpn_0", "minimum_amount": 20, "is_active": 1, "times_redeemed": "4"})
	}
	for i := range listSeeds[record.PayoutRequests] {
		body["payout_requests"] = append(body["payout_requests"], map[string]any{"amount": fmt.Sprintf("%d.25", 10+i),
			"amount_units": "USD", "gateway": "paypal", "partner": map[string]any{"id": "p1", "key": "zoe", "email": "a@example.com"},
			"reward_ids": []any{i, fmt.Sprint(i + 100)}})
	}
	for i := range listSeeds[record.Webhooks] {
		body["webhooks"] = append(body["webhooks"], map[string]any{"name": fmt.Sprintf("hook %d", i),
			"url": "https://example.com/hook", "events": []any{"partner.created"}})
	}
	e.env.Seed(t, body)
}

// exportEverything exports every table of a seeded sandbox, referral links
// included, in one format.
func exportEverything(t *testing.T, format string) (string, *Manifest, *sandboxEnv) {
	t.Helper()
	e := newSandboxEnv(t)
	e.seed(t)
	e.seedLists(t)
	dir := t.TempDir()
	src := program.New(e.client, program.Options{Limit: 5, WithReferralLinks: true})
	entities := append([]record.Entity{record.Partners, record.Customers, record.Transactions}, record.ListEntities...)
	m, err := Run(t.Context(), Options{Dir: dir, Format: format, Entities: entities, ReferralLinks: true, ToolVersion: "test"}, src)
	if err != nil {
		t.Fatal(err)
	}
	return dir, m, e
}

// TestExportListTables: every table is in the snapshot with its seeded
// count, the manifest has the schema version, the promotion codes survived
// the sandbox's refusal of a large page, and no file holds a webhook's
// signing secret.
func TestExportListTables(t *testing.T) {
	for _, format := range sinks.Formats {
		t.Run(format, func(t *testing.T) {
			dir, m, e := exportEverything(t, format)
			if m.SchemaVersion != sinks.SchemaVersion || m.SchemaVersion < 2 {
				t.Errorf("schema_version %d", m.SchemaVersion)
			}
			for ent, n := range listSeeds {
				if got := m.Entities[ent]; got == nil || got.Rows != int64(n) {
					t.Errorf("%s: %+v, seeded %d", ent, got, n)
				}
			}
			partners := m.Entities[record.Partners].Rows
			if got := m.Entities[record.ReferralLinks]; got == nil || got.Rows != partners {
				t.Errorf("referral_links: %+v, want one per partner (%d)", got, partners)
			}
			// limit=5 is below the minimum of promotion codes (10) and webhooks:
			// one refused request each, then the larger size.
			stats := e.srv.Stats()
			b, _ := json.Marshal(stats)
			if !strings.Contains(string(b), `"GET /promotion-codes"`) {
				t.Errorf("stats: %s", b)
			}
			if format == "csv" {
				// One row of each kind of column, as text.
				for file, want := range map[string]string{
					"payout_requests.csv": ",p1,zoe,a@example.com,10.25,usd,paypal,requested,0;100,",
					"coupons.csv":         "\n" + `cpn_0,Spring,,percent,15.5,once,3,"{""redemption_times_value"":100}",[],,`,
					"promotion_codes.csv": ",CODE0,cpn_0,,,20,,,4,true,,",
					"leads.csv":           `,submitted,Lead 0,lead0@example.com,p1,Zoë,a@example.com,,,,"[{""answer"":""Acme"",""question"":""Company""}]",true,true,2025-04-01T00:00:00.000000Z`,
				} {
					b, err := os.ReadFile(filepath.Join(dir, file))
					if err != nil || !strings.Contains(string(b), want) {
						t.Errorf("%s lacks %s (%v):\n%s", file, want, err, b)
					}
				}
			}
			for _, f := range m.Files {
				data, err := os.ReadFile(filepath.Join(dir, f.Path))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Contains(data, []byte("whsec_")) || (format != "parquet" && bytes.Contains(data, []byte("signature"))) {
					t.Errorf("%s holds a webhook signing secret", f.Path)
				}
			}
		})
	}
}

// duckDBTypes are the types DuckDB reads each documented column kind as.
var duckDBTypes = map[sinks.Kind]string{
	sinks.KindString:  "VARCHAR",
	sinks.KindDecimal: "DECIMAL(38,9)",
	sinks.KindTime:    "TIMESTAMP WITH TIME ZONE",
	sinks.KindBool:    "BOOLEAN",
	sinks.KindInt:     "BIGINT",
	sinks.KindList:    "VARCHAR[]",
	sinks.KindJSON:    "VARCHAR",
}

// duckDBDir finds DuckDB for Node, installed by `make duckdb` (or
// DUCKDB_NODE_DIR). Without it the test skips, unless CI is set.
func duckDBDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("DUCKDB_NODE_DIR")
	if dir == "" {
		dir, _ = filepath.Abs(filepath.Join("..", "..", ".cache", "duckdb-node"))
	}
	_, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json"))
	_, nodeErr := exec.LookPath("node")
	if err != nil || nodeErr != nil {
		msg := "DuckDB for Node is not installed (run `make duckdb`, or set DUCKDB_NODE_DIR): the read-back by DuckDB is not checked"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

const duckDBScript = `
const { DuckDBInstance } = require(process.env.DUCKDB_NODE_DIR + '/node_modules/@duckdb/node-api');
(async () => {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  const out = {};
  for (const [table, path] of JSON.parse(process.argv[2])) {
    const src = "read_parquet('" + path.replaceAll("'", "''") + "')";
    const d = await con.runAndReadAll('DESCRIBE SELECT * FROM ' + src);
    const n = await con.runAndReadAll('SELECT count(*)::VARCHAR AS n FROM ' + src);
    out[table] = { columns: d.getRowObjectsJson().map(r => [r.column_name, r.column_type]), rows: n.getRowObjectsJson()[0].n };
  }
  const p = JSON.parse(process.argv[2]).find(([t]) => t === 'payout_requests')[1];
  const s = await con.runAndReadAll("SELECT sum(amount)::VARCHAR AS s, min(created_at) IS NOT NULL AS t, max(len(reward_ids))::VARCHAR AS l FROM read_parquet('" + p + "')");
  out._payouts = s.getRowObjectsJson()[0];
  console.log(JSON.stringify(out));
})().catch(e => { console.error(String(e)); process.exit(1); });
`

// TestExportListTablesReadByDuckDB: DuckDB, an independent reader, loads
// every table of a snapshot of a seeded sandbox with the documented types
// (DECIMAL(38,9), TIMESTAMP WITH TIME ZONE, VARCHAR[], BIGINT, BOOLEAN),
// the column order of sinks.Columns, the counts, and the payout sum.
func TestExportListTablesReadByDuckDB(t *testing.T) {
	duck := duckDBDir(t)
	dir, m, _ := exportEverything(t, "parquet")
	var files [][2]string
	for _, f := range m.Files {
		files = append(files, [2]string{string(f.Entity), filepath.Join(dir, f.Path)})
	}
	arg, _ := json.Marshal(files)
	script := filepath.Join(t.TempDir(), "read.cjs")
	if err := os.WriteFile(script, []byte(duckDBScript), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), "node", script, string(arg))
	cmd.Env = append(os.Environ(), "DUCKDB_NODE_DIR="+duck)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("duckdb: %v: %s", err, stderr.String())
	}
	var got map[string]json.RawMessage
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	tables := sinks.AllTables()
	for _, e := range tables {
		raw, ok := got[string(e)]
		if !ok {
			t.Errorf("%s: not in the snapshot", e)
			continue
		}
		var tab struct {
			Columns [][2]string
			Rows    string
		}
		if err := json.Unmarshal(raw, &tab); err != nil {
			t.Fatal(err)
		}
		var want [][2]string
		for _, c := range sinks.Columns(e) {
			want = append(want, [2]string{c.Name, duckDBTypes[c.Kind]})
		}
		if !slices.Equal(tab.Columns, want) {
			t.Errorf("%s: DuckDB reads\n %v\nwant\n %v", e, tab.Columns, want)
		}
		if tab.Rows != fmt.Sprint(m.Entities[e].Rows) {
			t.Errorf("%s: DuckDB counts %s rows, the manifest %d", e, tab.Rows, m.Entities[e].Rows)
		}
	}
	// 10.25 + 11.25 + ... + 15.25
	var p struct{ S, L string }
	if err := json.Unmarshal(got["_payouts"], &p); err != nil {
		t.Fatal(err)
	}
	if p.S != "76.500000000" || p.L != "2" {
		t.Errorf("payouts: sum %s, longest reward_ids %s", p.S, p.L)
	}
}

// TestOptionalTableMissingEndpoint: a program whose API has no
// /payout_requests (404) still gets its snapshot when the table was
// optional, with the reason in the manifest and no file; named explicitly,
// the export fails and names the endpoint.
func TestOptionalTableMissingEndpoint(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t)
	e.seedLists(t)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/payout_requests") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"The route v1/payout_requests could not be found."}`)
			return
		}
		e.srv.ServeHTTP(w, r)
	}))
	defer ts.Close()
	client, err := api.NewClient(api.WithBaseURL(ts.URL+"/v1/"), api.WithAPIKey(sandboxKey), api.WithRate(api.Rate{}))
	if err != nil {
		t.Fatal(err)
	}
	entities := append([]record.Entity{record.Partners}, record.ListEntities...)
	dir := t.TempDir()
	m, err := Run(t.Context(), Options{Dir: dir, Format: "csv", Entities: entities, Optional: record.ListEntities, ToolVersion: "test"}, program.New(client, program.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if s := m.Entities[record.PayoutRequests]; s == nil || !strings.Contains(s.Unavailable, "not found") {
		t.Errorf("payout_requests: %+v", s)
	}
	if _, err := os.Stat(filepath.Join(dir, "payout_requests.csv")); err == nil {
		t.Error("an unavailable table has a file")
	}
	if m.Entities[record.Leads].Rows != int64(listSeeds[record.Leads]) {
		t.Errorf("leads: %+v", m.Entities[record.Leads])
	}
	_, err = Run(t.Context(), Options{Dir: t.TempDir(), Format: "csv", Entities: []record.Entity{record.PayoutRequests}, ToolVersion: "test"}, program.New(client, program.Options{}))
	if err == nil || !strings.Contains(err.Error(), "export payout_requests") || !strings.Contains(err.Error(), "GET /payout_requests") {
		t.Errorf("named explicitly: %v", err)
	}
}
