// Package sinktest is the conformance suite every file sink passes: each
// table round-trips hostile values (unicode, newlines, quotes, formula
// cells, NULLs, exact unrounded amounts, far and near timestamps), an empty
// table is still a valid file, a record of the wrong table is refused, and
// Close flushes without closing the caller's writer.
package sinktest

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

// Factory builds the sink under test on w.
type Factory func(w io.Writer, entity record.Entity) (sinks.Sink, error)

// ReadBack decodes what a sink wrote into rows of cells in the order of
// sinks.Columns(entity), each cell the column's text form ("" for NULL), as
// Column.Value would give it. It is the format's independent reader.
type ReadBack func(t *testing.T, data []byte, entity record.Entity) [][]string

// Run runs the suite.
func Run(t *testing.T, newSink Factory, read ReadBack) {
	for _, entity := range sinks.Tables {
		t.Run(string(entity), func(t *testing.T) {
			t.Run("round trip", func(t *testing.T) {
				recs := Records(t, entity)
				data := write(t, newSink, entity, recs)
				got := read(t, data, entity)
				want := Expected(entity, recs)
				if len(got) != len(want) {
					t.Fatalf("read back %d rows, wrote %d", len(got), len(want))
				}
				names := sinks.ColumnNames(entity)
				for i := range want {
					if len(got[i]) != len(names) {
						t.Fatalf("row %d: %d cells, want %d", i, len(got[i]), len(names))
					}
					for j := range names {
						if got[i][j] != want[i][j] {
							t.Errorf("row %d column %s = %q, want %q", i, names[j], got[i][j], want[i][j])
						}
					}
				}
			})
			t.Run("empty table", func(t *testing.T) {
				data := write(t, newSink, entity, nil)
				if got := read(t, data, entity); len(got) != 0 {
					t.Errorf("empty table read back %d rows", len(got))
				}
			})
			t.Run("wrong table refused", func(t *testing.T) {
				var buf bytes.Buffer
				s, err := newSink(&buf, entity)
				if err != nil {
					t.Fatal(err)
				}
				other := record.Partners
				if entity == record.Partners {
					other = record.Customers
				}
				if err := s.Write(t.Context(), Records(t, other)[0]); err == nil {
					t.Errorf("a %s record was accepted by the %s sink", other, entity)
				}
			})
			t.Run("close does not close the writer", func(t *testing.T) {
				w := &closeSpy{}
				s, err := newSink(w, entity)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Close(); err != nil {
					t.Fatal(err)
				}
				if w.closed {
					t.Error("Close closed the underlying writer")
				}
			})
		})
	}
}

type closeSpy struct {
	bytes.Buffer
	closed bool
}

func (c *closeSpy) Close() error { c.closed = true; return nil }

func write(t *testing.T, newSink Factory, entity record.Entity, recs []record.Record) []byte {
	t.Helper()
	var buf bytes.Buffer
	s, err := newSink(&buf, entity)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := s.Write(t.Context(), r); err != nil {
			t.Fatalf("write %s: %v", r.Origin, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Expected returns the cells the read-back of recs must give.
func Expected(entity record.Entity, recs []record.Record) [][]string {
	cols := sinks.Columns(entity)
	out := make([][]string, len(recs))
	for i, r := range recs {
		row := make([]string, len(cols))
		for j, c := range cols {
			v, ok := c.Value(r)
			if ok {
				row[j] = v
			}
		}
		out[i] = row
	}
	return out
}

// Hostile are the strings every text column is tried with.
var Hostile = []string{
	"Zoë Ångström 東京 🚀",
	"=HYPERLINK(\"http://x\",\"click\")",
	"+1 555 0100",
	"-2+3",
	"@SUM(A1:A2)",
	"line one\nline two",
	"comma, \"quoted\"; semi",
	"\ttabbed",
	" leading and trailing ",
}

func ptr[T any](v T) *T { return &v }

func ts(s string) *partnero.Time {
	t, err := partnero.ParseTime(s)
	if err != nil {
		panic(err)
	}
	return &partnero.Time{Time: t}
}

func decimal(s string) *partnero.Decimal { return ptr(partnero.MustDecimal(s)) }

// Records returns the fixture records of a table: one per hostile string, and
// one with every nullable field NULL. Each carries Raw as the API would have
// sent it, with an unknown field the typed value does not hold.
func Records(t testing.TB, entity record.Entity) []record.Record {
	t.Helper()
	if entity == record.Rewards {
		var out []record.Record
		for _, tx := range Records(t, record.Transactions) {
			rs, err := sinks.RewardRecords(tx)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, rs...)
		}
		return out
	}
	var out []record.Record
	times := []*partnero.Time{ts("2025-04-30T16:44:13.123456Z"), ts("1999-12-31T23:59:59Z"), ts("2038-01-19T03:14:08.000001Z")}
	amounts := []string{"99.99", "29.997", "-5", "0", "123456789012345678.123456789", "0.000000001"}
	for i, h := range append(slices.Clone(Hostile), "") {
		at := times[i%len(times)]
		var rec record.Record
		null := h == ""
		switch entity {
		case record.Partners:
			p := &partnero.Partner{ID: partnero.ID("p" + string(rune('a'+i))), Email: "p@example.com", Name: h, Surname: h,
				Status: "active", Approved: ptr(i%2 == 0), TOS: ptr(true), ReferralsCount: ptr(int64(i)),
				Tags: partnero.Tags{h, "vip"}, CustomFields: json.RawMessage(`{"note":` + quote(h) + `}`),
				CreatedAt: at, UpdatedAt: at, Key: "key-" + h, ReferralLink: "https://x.test/?aff=k", ReferralLinks: []string{"https://x.test/?aff=k"}}
			if null {
				p = &partnero.Partner{ID: "pnull"}
			}
			rec = record.Record{Entity: entity, Partner: p}
			rec.Raw = raw(t, p)
		case record.Customers:
			c := &partnero.Customer{Key: "c-" + h, Email: "c@example.com", Name: h, Surname: h, Tags: partnero.Tags{h},
				Partner: &partnero.PartnerRef{ID: "pa"}, Status: "active", Deleted: ptr(false), CreatedAt: at, UpdatedAt: at}
			if null {
				c = &partnero.Customer{Key: "cnull"}
			}
			rec = record.Record{Entity: entity, Customer: c}
			rec.Raw = raw(t, c)
		case record.Transactions:
			tx := &partnero.Transaction{Key: "t-" + h, Action: h, Amount: decimal(amounts[i%len(amounts)]), AmountUnits: "USD",
				Partner: "pa", Customer: partnero.CustomerRef{Key: "c-" + h}, ProductID: h, ProductType: partnero.StringList{h, "plan"},
				Rewarded: ptr(false), Rewardable: ptr(true), Credit: ptr(false), IsCurrency: ptr(true), CreatedAt: at,
				Rewards: []partnero.Reward{
					{Key: "r1-" + h, Action: "sale", Status: "ok", Amount: decimal(amounts[(i+1)%len(amounts)]), AmountUnits: "USD",
						Customer: partnero.CustomerRef{Key: "c-" + h}, Partner: "pa", CreatedAt: at,
						ProductType: json.RawMessage(`{"product_id":` + quote(h) + `}`)},
					{Key: "r2", Status: "review_period", Amount: decimal("29.997"), DeletedAt: at},
				}}
			if null {
				tx = &partnero.Transaction{Key: "tnull", Rewards: []partnero.Reward{{}}}
			}
			rec = record.Record{Entity: entity, Transaction: tx}
			rec.Raw = raw(t, tx)
		}
		rec.Origin = record.Origin{File: "fixture", Line: int64(i + 1)}
		out = append(out, rec)
	}
	return out
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// raw marshals v and adds a field unknown to the typed struct, as a newer
// API version would.
func raw(t testing.TB, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep amounts exact
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	m["x_unknown_field"] = map[string]any{"kept": true}
	if rewards, ok := m["rewards"].([]any); ok {
		for _, r := range rewards {
			r.(map[string]any)["x_unknown_field"] = map[string]any{"kept": true}
		}
	}
	b, err = json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
