package sinks

import (
	"encoding/json"
	"testing"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

func TestRewardRecords(t *testing.T) {
	amt := partnero.MustDecimal("29.997")
	tx := &partnero.Transaction{Key: "t1", Rewards: []partnero.Reward{{Key: "r1", Amount: &amt}, {Key: "r2"}}}
	tests := []struct {
		name    string
		raw     string
		wantRaw []string
	}{
		{"raw kept", `{"key":"t1","rewards":[{"key":"r1","amount":29.997,"new":1},{ }]}`,
			[]string{`{"transaction_key":"t1","key":"r1","amount":29.997,"new":1}`, `{"transaction_key":"t1"}`}},
		{"no raw", ``, []string{`{"transaction_key":"t1","key":"r1","amount":29.997,"customer":{}}`, `{"transaction_key":"t1","key":"r2","customer":{}}`}},
		{"raw without rewards", `{"key":"t1"}`, []string{`{"transaction_key":"t1","key":"r1","amount":29.997,"customer":{}}`, `{"transaction_key":"t1","key":"r2","customer":{}}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := RewardRecords(record.Record{Entity: record.Transactions, Transaction: tx, Raw: json.RawMessage(tt.raw)})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 {
				t.Fatalf("%d rewards, want 2", len(got))
			}
			for i, r := range got {
				if err := Entity(r, record.Rewards); err != nil {
					t.Error(err)
				}
				if r.Transaction.Key != "t1" || r.Transaction.Rewards[0].Key != tx.Rewards[i].Key {
					t.Errorf("reward %d: %+v", i, r.Transaction)
				}
				if string(r.Raw) != tt.wantRaw[i] {
					t.Errorf("raw %d = %s, want %s", i, r.Raw, tt.wantRaw[i])
				}
				if !json.Valid(r.Raw) {
					t.Errorf("raw %d is not JSON: %s", i, r.Raw)
				}
			}
		})
	}
	if rs, err := RewardRecords(record.Record{Transaction: &partnero.Transaction{Key: "x"}}); err != nil || rs != nil {
		t.Errorf("no rewards gave %v, %v", rs, err)
	}
}

func TestParseCompression(t *testing.T) {
	for in, want := range map[string]string{"": "zstd", "ZSTD": "zstd", "snappy": "snappy", "none": "none"} {
		if got, err := ParseCompression(in); err != nil || got != want {
			t.Errorf("ParseCompression(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseCompression("gzip"); err == nil {
		t.Error("gzip accepted")
	}
}

func TestEntityChecks(t *testing.T) {
	if err := Entity(record.Record{Entity: record.Partners}, record.Partners); err == nil {
		t.Error("a partners record without a partner passed")
	}
	if err := Entity(record.Record{Entity: record.Customers, Customer: &partnero.Customer{}}, record.Partners); err == nil {
		t.Error("a customer passed as a partner")
	}
}

// FuzzWithTransactionKey: splicing the key into any JSON object gives a
// valid object holding the key and every original field.
func FuzzWithTransactionKey(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, ` { "a" : [1,{"b":null}] } `, `[]`, `"x"`, `{ }`} {
		f.Add(s, "k")
	}
	f.Fuzz(func(t *testing.T, raw, key string) {
		var orig map[string]any
		if json.Unmarshal([]byte(raw), &orig) != nil || orig == nil {
			return
		}
		if _, dup := orig["transaction_key"]; dup {
			return
		}
		out := withTransactionKey(json.RawMessage(raw), key)
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%s -> invalid JSON %s: %v", raw, out, err)
		}
		kb, _ := json.Marshal(key)
		var want string
		json.Unmarshal(kb, &want) // the key as JSON carries it (invalid UTF-8 replaced)
		if got["transaction_key"] != want || len(got) != len(orig)+1 {
			t.Fatalf("%s -> %s", raw, out)
		}
	})
}

// TestListColumnsNullWhenNotSent: a list the API did not send is NULL, one
// it sent empty is an empty list (CSV writes both as an empty cell).
func TestListColumnsNullWhenNotSent(t *testing.T) {
	col := func(e record.Entity, name string) Column {
		for _, c := range Columns(e) {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no column %s.%s", e, name)
		return Column{}
	}
	tests := []struct {
		name   string
		rec    record.Record
		column string
		want   string
		ok     bool
	}{
		{"tags not sent", record.Record{Partner: &partnero.Partner{}}, "tags", "", false},
		{"tags empty", record.Record{Partner: &partnero.Partner{Tags: partnero.Tags{}}}, "tags", "", true},
		{"tags", record.Record{Partner: &partnero.Partner{Tags: partnero.Tags{"a", "b"}}}, "tags", "a;b", true},
		{"links not sent", record.Record{Partner: &partnero.Partner{}}, "referral_links", "", false},
		{"links empty", record.Record{Partner: &partnero.Partner{ReferralLinks: []string{}}}, "referral_links", "", true},
	}
	for _, tt := range tests {
		got, ok := col(record.Partners, tt.column).Value(tt.rec)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: (%q, %v), want (%q, %v)", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	// The API's own JSON: absent and null are not sent, [] is empty.
	for raw, ok := range map[string]bool{`{}`: false, `{"tags":null}`: false, `{"tags":[]}`: true, `{"tags":[{"value":"vip"}]}`: true} {
		var p partnero.Partner
		if err := json.Unmarshal([]byte(raw), &p); err != nil {
			t.Fatal(err)
		}
		if _, got := col(record.Partners, "tags").Value(record.Record{Partner: &p}); got != ok {
			t.Errorf("%s: tags present = %v, want %v", raw, got, ok)
		}
	}
}
