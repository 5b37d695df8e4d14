package export

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	sinkparquet "github.com/partnero-etl/partnero-etl/sinks/parquet"
	"github.com/partnero-etl/partnero-etl/sinks/sinktest"
	"github.com/partnero-etl/partnero-etl/sources/program"
)

const sandboxKey = "export-test-key"

// sandboxEnv is a sandbox behind a real HTTP server and a client for it.
type sandboxEnv struct {
	env    *sandboxtest.Env
	srv    *sandbox.Server
	ts     *httptest.Server
	client *api.Client
	// onList, when set, runs before the sandbox serves a list request.
	onList atomic.Pointer[func(r *http.Request)]
}

func newSandboxEnv(t *testing.T) *sandboxEnv {
	t.Helper()
	e := &sandboxEnv{}
	e.env = sandboxtest.Start(t, sandbox.Config{Keys: []string{sandboxKey}}, sandboxtest.Wrap(func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if f := e.onList.Load(); f != nil && r.Method == http.MethodGet {
				(*f)(r)
			}
			h.ServeHTTP(w, r)
		})
	}))
	e.srv, e.ts = e.env.Server, e.env.HTTP
	e.client = e.env.Client(t)
	return e
}

func ptr[T any](v T) *T { return &v }

// seed creates records with unicode, hostile text and absent values.
func (e *sandboxEnv) seed(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	var partnerIDs []string
	for i, name := range []string{"Zoë Ångström", "=cmd|' /C calc'!A0", "東京 🚀", ""} {
		p := &api.Partner{Email: strings.ToLower(strings.ReplaceAll(string(rune('a'+i)), " ", "")) + "@example.com", Name: name}
		if i == 1 {
			p.Surname = "line one\nline two, \"quoted\""
			p.Tags = api.Tags{"vip", "+tag"}
		}
		got, err := e.client.Partners.Create(ctx, p)
		if err != nil {
			t.Fatalf("create partner: %v", err)
		}
		partnerIDs = append(partnerIDs, string(got.ID))
	}
	for i, key := range []string{"cust-ü-1", "cust-2", "cust-3"} {
		c := &api.Customer{Key: key, Partner: &api.PartnerRef{ID: api.ID(partnerIDs[i])}}
		if i == 0 {
			c.Email, c.Name, c.Tags = "cu@example.com", "Çağrı", api.Tags{"@home"}
		}
		if _, err := e.client.Customers.Create(ctx, c); err != nil {
			t.Fatalf("create customer: %v", err)
		}
	}
	for i, amount := range []string{"99.99", "0.01", "1234567.891", "10"} {
		tx := &api.Transaction{Key: "tx-" + string(rune('a'+i)), Amount: ptr(api.MustDecimal(amount)), Action: "sale",
			Customer: api.CustomerRef{Key: []string{"cust-ü-1", "cust-2"}[i%2]}}
		if i == 3 {
			tx.ProductType = api.StringList{"plan", "-addon"}
		}
		if _, err := e.client.Transactions.Create(ctx, tx, nil); err != nil {
			t.Fatalf("create transaction: %v", err)
		}
	}
}

// listed returns what the API lists for an entity, as records.
func (e *sandboxEnv) listed(t *testing.T, entity record.Entity) []record.Record {
	t.Helper()
	src := program.New(e.client, program.Options{Window: 1})
	read := entity
	if entity == record.Rewards {
		read = record.Transactions
	}
	var out []record.Record
	_, err := src.Each(t.Context(), read, nil, func(r record.Record) error {
		if entity == record.Rewards {
			rs, err := sinks.RewardRecords(r)
			out = append(out, rs...)
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// readBack reads a table file of any format as text cells; for jsonl it also
// checks each line is the API's object byte for byte.
func readBack(t *testing.T, path, format string, entity record.Entity, want []record.Record) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	switch format {
	case "parquet":
		rows, err := sinkparquet.Cells(bytes.NewReader(data), int64(len(data)), entity)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	case "csv":
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rows[0], sinks.ColumnNames(entity)) {
			t.Fatalf("header %v", rows[0])
		}
		return rows[1:]
	case "jsonl":
		sc := bufio.NewScanner(bytes.NewReader(data))
		i := 0
		for sc.Scan() {
			var compact bytes.Buffer
			json.Compact(&compact, want[min(i, len(want)-1)].Raw)
			if i >= len(want) || sc.Text() != compact.String() {
				t.Errorf("%s line %d = %s, want the API object %s", path, i+1, sc.Text(), compact.String())
			}
			i++
		}
		if i != len(want) {
			t.Errorf("%s: %d lines, want %d", path, i, len(want))
		}
		return sinktest.Expected(entity, want)
	}
	t.Fatalf("format %s", format)
	return nil
}

// TestSandboxRoundTrip exports a seeded program in every format and reads
// every table back: the values are the API's, exactly, NULLs included; an
// entity with no records is an empty table.
func TestSandboxRoundTrip(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t)
	prog, err := e.client.Test(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range sinks.Formats {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			src := program.New(e.client, program.Options{Limit: 2}) // several pages
			opts := Options{Dir: dir, Format: format, Entities: []record.Entity{record.Partners, record.Customers, record.Transactions},
				Program: prog.Raw, ToolVersion: "test"}
			m, err := Run(t.Context(), opts, src)
			if err != nil {
				t.Fatal(err)
			}
			for _, entity := range sinks.Tables {
				want := e.listed(t, entity)
				got := readBack(t, filepath.Join(dir, string(entity)+"."+format), format, entity, want)
				exp := sinktest.Expected(entity, want)
				if len(got) != len(exp) || len(exp) == 0 {
					t.Fatalf("%s: read %d rows, the API lists %d", entity, len(got), len(exp))
				}
				for i := range exp {
					if !slices.Equal(got[i], exp[i]) {
						t.Errorf("%s row %d:\n got %q\nwant %q", entity, i, got[i], exp[i])
					}
				}
				if m.Entities[entity].Rows != int64(len(exp)) {
					t.Errorf("%s: manifest rows %d, want %d", entity, m.Entities[entity].Rows, len(exp))
				}
			}
			// Exact commission: 30% of 99.99.
			if rows := readBack(t, filepath.Join(dir, "rewards."+format), format, record.Rewards, e.listed(t, record.Rewards)); !slices.ContainsFunc(rows, func(r []string) bool { return slices.Contains(r, "29.997") }) {
				t.Errorf("no reward of exactly 29.997 in %v", rows)
			}
		})
	}
}

func TestSandboxEmptyProgram(t *testing.T) {
	e := newSandboxEnv(t)
	dir := t.TempDir()
	m, err := Run(t.Context(), Options{Dir: dir, Format: "parquet", Entities: []record.Entity{record.Partners, record.Customers, record.Transactions}},
		program.New(e.client, program.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 4 {
		t.Fatalf("%d files, want an empty one per table", len(m.Files))
	}
	for _, f := range m.Files {
		rows := readBack(t, filepath.Join(dir, f.Path), "parquet", f.Entity, nil)
		if len(rows) != 0 || f.Rows != 0 {
			t.Errorf("%s: %d rows", f.Path, len(rows))
		}
	}
}

// TestSandboxRecordCreatedDuringExport: a transaction created while the
// listing is read lands on a later page (oldest first), so no record is
// shifted, lost or written twice; it is in this export or the next.
func TestSandboxRecordCreatedDuringExport(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t)
	var created atomic.Bool
	hook := func(r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/transactions") && r.URL.Query().Get("page") == "2" && created.CompareAndSwap(false, true) {
			tx := &api.Transaction{Key: "during", Amount: ptr(api.MustDecimal("5")), Customer: api.CustomerRef{Key: "cust-2"}}
			if _, err := e.client.Transactions.Create(context.WithoutCancel(r.Context()), tx, nil); err != nil {
				t.Errorf("create during export: %v", err)
			}
		}
	}
	e.onList.Store(&hook)
	dir := t.TempDir()
	m, err := Run(t.Context(), Options{Dir: dir, Format: "csv", Entities: []record.Entity{record.Transactions}},
		program.New(e.client, program.Options{Limit: 2, Window: 1}))
	if err != nil {
		t.Fatal(err)
	}
	e.onList.Store(nil)
	rows := readBack(t, filepath.Join(dir, "transactions.csv"), "csv", record.Transactions, nil)
	seen := map[string]int{}
	for _, r := range rows {
		seen[r[0]]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("transaction %s written %d times", k, n)
		}
	}
	for _, k := range []string{"tx-a", "tx-b", "tx-c", "tx-d"} {
		if seen[k] != 1 {
			t.Errorf("transaction %s missing", k)
		}
	}
	if !created.Load() {
		t.Fatal("the hook never ran")
	}
	if m.Entities[record.Transactions].Rows != int64(len(rows)) {
		t.Errorf("manifest %d rows, file %d", m.Entities[record.Transactions].Rows, len(rows))
	}
	// The next incremental export picks it up if this one did not.
	m2, err := Run(t.Context(), Options{Dir: dir, Format: "csv", Entities: []record.Entity{record.Transactions}, SinceLast: true},
		program.New(e.client, program.Options{Limit: 2}))
	if err != nil {
		t.Fatal(err)
	}
	got := int64(seen["during"]) + m2.Entities[record.Transactions].RowsAdded
	if got != 1 {
		t.Errorf("the transaction created during the export was exported %d times over two runs", got)
	}
}

// TestSandboxReferralLinks: one extra request per partner fills its
// referral key, and the JSON object gains referral_keys.
func TestSandboxReferralLinks(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t)
	before := e.client.Stats().ByRoute
	dir := t.TempDir()
	_, err := Run(t.Context(), Options{Dir: dir, Format: "jsonl", Entities: []record.Entity{record.Partners}},
		program.New(e.client, program.Options{WithReferralLinks: true}))
	if err != nil {
		t.Fatal(err)
	}
	var links int64
	for route, n := range e.client.Stats().ByRoute {
		if strings.Contains(route, "referral_links") {
			links += n - before[route]
		}
	}
	if links != 4 {
		t.Errorf("%d referral link requests, want one per partner (4)", links)
	}
	data, err := os.ReadFile(filepath.Join(dir, "partners.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var p struct {
			ReferralKeys []string `json:"referral_keys"`
		}
		if err := json.Unmarshal([]byte(line), &p); err != nil || len(p.ReferralKeys) == 0 || p.ReferralKeys[0] == "" {
			t.Errorf("no referral keys in %s (%v)", line, err)
		}
	}
}

// TestSandboxFailingPageFailsTheExport: a page the API still refuses after
// the client's retries ends the export with an error naming the page, and no
// file is left behind.
func TestSandboxFailingPageFailsTheExport(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t)
	broken := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/transactions") && r.URL.Query().Get("page") == "2" {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			w.Write([]byte("<html>502 Bad Gateway</html>"))
			return
		}
		e.ts.Config.Handler.ServeHTTP(w, r)
	}))
	defer broken.Close()
	client, err := api.NewClient(api.WithBaseURL(broken.URL+"/v1/"), api.WithAPIKey(sandboxKey), api.WithRate(api.Rate{}), api.WithMaxAttempts(1))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_, err = Run(t.Context(), Options{Dir: dir, Format: "parquet", Entities: []record.Entity{record.Partners, record.Transactions}},
		program.New(client, program.Options{Limit: 2}))
	if err == nil || !strings.Contains(err.Error(), "page 2") || api.StatusCode(err) != http.StatusBadGateway {
		t.Fatalf("err = %v, want the 502 of page 2", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("files left behind: %v", entries)
	}
}

// TestSandboxDuplicateKeysAllExported: the API records a second POST with
// the same key as a second transaction (the sandbox's default), with the
// same amount, customer and second. Each is a real transaction a warehouse
// must see (a commission paid twice): all are written, with their rewards,
// and none counts as shifted.
func TestSandboxDuplicateKeysAllExported(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t)
	ctx := t.Context()
	const keys, copies = 300, 2
	for range copies {
		txs := make([]api.Transaction, keys)
		for i := range txs {
			txs[i] = api.Transaction{Key: fmt.Sprintf("dup-%03d", i), Amount: ptr(api.MustDecimal("10")), Action: "sale"}
		}
		for chunk := range slices.Chunk(txs, sandbox.MaxBatchTransactions) {
			if _, err := e.client.Transactions.CreateBatch(ctx, api.CustomerRef{Key: "cust-2"}, chunk, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	const total = keys*copies + 4 // and the seed's four
	for _, format := range []string{"csv", "parquet"} {
		t.Run(format, func(t *testing.T) {
			dir := t.TempDir()
			m, err := Run(ctx, Options{Dir: dir, Format: format, Entities: []record.Entity{record.Transactions}},
				program.New(e.client, program.Options{Limit: 50}))
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []record.Entity{record.Transactions, record.Rewards} {
				sum := m.Entities[table]
				rows := readBack(t, filepath.Join(dir, string(table)+"."+format), format, table, nil)
				if len(rows) != total || sum.Rows != total {
					t.Errorf("%s: %d rows in the file, %d in the manifest, want %d", table, len(rows), sum.Rows, total)
				}
				if sum.Shifted != 0 {
					t.Errorf("%s: %d shifted, want 0 (nothing moved while reading)", table, sum.Shifted)
				}
			}
		})
	}
}

// TestSandboxSinceLastMissesBackfills pins the documented limit of
// --since-last: it sees transactions whose created_at is past the previous
// export's mark, so one inserted afterwards with an older created_at (a
// backfill) is not in the increment; a full export has it.
func TestSandboxSinceLastMissesBackfills(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t)
	ctx := t.Context()
	dir := t.TempDir()
	src := program.New(e.client, program.Options{Limit: 2})
	m1, err := Run(ctx, Options{Dir: dir, Format: "csv", Entities: []record.Entity{record.Transactions}}, src)
	if err != nil {
		t.Fatal(err)
	}
	mark := m1.Entities[record.Transactions].HighWaterMark.CreatedAt
	for key, at := range map[string]time.Time{"backfill": mark.Add(-24 * time.Hour), "new": mark.Add(time.Hour)} {
		tx := &api.Transaction{Key: key, Amount: ptr(api.MustDecimal("5")), Customer: api.CustomerRef{Key: "cust-2"}, CreatedAt: &api.Time{Time: at}}
		if _, err := e.client.Transactions.Create(ctx, tx, nil); err != nil {
			t.Fatal(err)
		}
	}
	m2, err := Run(ctx, Options{Dir: dir, Format: "csv", Entities: []record.Entity{record.Transactions}, SinceLast: true}, src)
	if err != nil {
		t.Fatal(err)
	}
	var inc []string
	for _, f := range m2.Files {
		if f.Incremental && f.Entity == record.Transactions {
			for _, row := range readBack(t, filepath.Join(dir, f.Path), "csv", record.Transactions, nil) {
				inc = append(inc, row[0])
			}
		}
	}
	if !slices.Equal(inc, []string{"new"}) {
		t.Errorf("the increment holds %v, want only the transaction created after the mark", inc)
	}
	full := t.TempDir()
	if _, err := Run(ctx, Options{Dir: full, Format: "csv", Entities: []record.Entity{record.Transactions}}, src); err != nil {
		t.Fatal(err)
	}
	rows := readBack(t, filepath.Join(full, "transactions.csv"), "csv", record.Transactions, nil)
	if !slices.ContainsFunc(rows, func(r []string) bool { return r[0] == "backfill" }) {
		t.Error("a full export lacks the backfilled transaction")
	}
}

// TestSandboxPartnerListsNullWhenNotListed: the partner listing carries no
// tags and no referral links, so the Parquet snapshot has NULL there, not an
// empty list claiming "no tags"; --with-referral-links fills the links it
// fetched (a list, even when empty), and tags stay NULL.
func TestSandboxPartnerListsNullWhenNotListed(t *testing.T) {
	e := newSandboxEnv(t)
	e.seed(t) // partner b has tags
	type row struct {
		ID            *string  `parquet:"id,optional"`
		ReferralLinks []string `parquet:"referral_links,optional,list"`
		Tags          []string `parquet:"tags,optional,list"`
	}
	read := func(t *testing.T, links bool) []row {
		dir := t.TempDir()
		if _, err := Run(t.Context(), Options{Dir: dir, Format: "parquet", Entities: []record.Entity{record.Partners}},
			program.New(e.client, program.Options{WithReferralLinks: links})); err != nil {
			t.Fatal(err)
		}
		rows, err := parquet.ReadFile[row](filepath.Join(dir, "partners.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Fatalf("%d partners", len(rows))
		}
		return rows
	}
	for _, r := range read(t, false) {
		if r.Tags != nil || r.ReferralLinks != nil {
			t.Errorf("partner %s: tags %q, referral_links %q; want NULL (not in the listing)", *r.ID, r.Tags, r.ReferralLinks)
		}
	}
	for _, r := range read(t, true) {
		if r.Tags != nil || len(r.ReferralLinks) == 0 {
			t.Errorf("partner %s with links fetched: tags %q (want NULL), referral_links %q (want the links)", *r.ID, r.Tags, r.ReferralLinks)
		}
	}
}
