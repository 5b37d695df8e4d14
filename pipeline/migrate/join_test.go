package migrate

import (
	"context"
	"io"
	"strings"
	"testing"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline"
	"github.com/partnero-etl/partnero-etl/record"
)

// rowsSource yields rows whose single column "id" holds the given values;
// "!" makes a row undecodable.
type rowsSource struct {
	ids []string
	i   int
}

func (s *rowsSource) Next(ctx context.Context) (record.Row, error) {
	if s.i >= len(s.ids) {
		return record.Row{}, io.EOF
	}
	s.i++
	row := record.Row{Origin: record.Origin{File: "partners.csv", Line: int64(s.i + 1)}, Header: record.NewHeader([]string{"id"}), Text: []string{s.ids[s.i-1]}}
	if s.ids[s.i-1] == "!" {
		return row, &record.RowError{Origin: row.Origin, Code: record.CodeMalformedRow, Message: "bad quote"}
	}
	return row, nil
}

// scanned builds a join from partners p1 (email+key), p2 (email only),
// p3 (rejected by mapping), p4 (a duplicate of p1's email), p5 (skipped),
// p6 (referred by p1) and an undecodable row.
func scanned(t *testing.T, dryRun bool) *Join {
	t.Helper()
	j := NewJoin(dryRun)
	src := &rowsSource{ids: []string{"p1", "p2", "p3", "p4", "p5", "!", "p6"}}
	partners := map[string]*api.Partner{
		"p1": {Email: "ann@example.com", Key: "ann"},
		"p2": {Email: "bob@example.com"},
		"p4": {Email: "ann@example.com", Key: "ann2"},
		"p6": {Email: "cy@example.com", ID: "cy-1"},
	}
	seen := map[string]int64{}
	err := j.ScanPartners(t.Context(), src, record.MapperFunc(func(row record.Row) record.Mapped {
		id := row.Text[0]
		switch id {
		case "p3":
			return record.Mapped{Err: &record.RowError{Origin: row.Origin, Field: "email", Code: record.CodeInvalidEmail, Message: "not an email"}}
		case "p5":
			return record.Mapped{Skipped: true, Reason: "declined"}
		}
		rec := record.Record{Entity: record.Partners, Origin: row.Origin, Partner: partners[id], SourceID: id}
		if id == "p6" {
			rec.ParentSourceID = "p1"
		}
		return record.Mapped{Record: rec}
	}), func(row record.Row) string { return row.Text[0] }, func(rec record.Record) *record.RowError {
		if first, ok := seen[rec.Partner.Email]; ok {
			return &record.RowError{Origin: rec.Origin, Field: "email", Code: record.CodeDuplicate, Message: "duplicate of line " + string(rune('0'+first))}
		}
		seen[rec.Partner.Email] = rec.Origin.Line
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func TestScanPartners(t *testing.T) {
	j := scanned(t, false)
	known, rejected := j.Partners()
	if known != 5 || rejected != 2 {
		t.Errorf("known %d rejected %d, want 5 (p1 p2 p3 p4 p6) and 2 (p3 p4)", known, rejected)
	}
	// A sink reject of a partner the scan accepted reaches its children.
	j.PartnerRejected("p2", &record.RowError{Origin: record.Origin{File: "partners.csv", Line: 3}, Code: record.CodeAPIValidation, Message: "the API refused the row"})
	// A duplicate of the same source id leaves the first row's entry alone.
	j.PartnerRejected("p1", &record.RowError{Code: record.CodeDuplicate, Field: "source_id"})
	if _, rejected := j.Partners(); rejected != 3 {
		t.Errorf("rejected %d, want 3", rejected)
	}
}

func customerRec(key, email, parent string, partner *api.PartnerRef) *record.Record {
	return &record.Record{Entity: record.Customers, Origin: record.Origin{File: "customers.csv", Line: 9},
		Customer: &api.Customer{Key: key, Email: email, Partner: partner}, ParentSourceID: parent}
}

func TestJoinMapCustomer(t *testing.T) {
	tests := []struct {
		name      string
		dryRun    bool
		rec       *record.Record
		wantCode  string
		wantMsg   []string
		wantRef   *api.PartnerRef
		wrotePart string // the dry run of the partners stage said created
	}{
		{name: "joined by email", rec: customerRec("c1", "", "p1", nil), wantRef: &api.PartnerRef{Email: "ann@example.com"}},
		{name: "the table wins over the row", rec: customerRec("c1", "", "p1", &api.PartnerRef{Email: "old@example.com"}), wantRef: &api.PartnerRef{Email: "ann@example.com"}},
		{name: "no source id", rec: customerRec("c1", "", "", &api.PartnerRef{Key: "k"}), wantRef: &api.PartnerRef{Key: "k"}},
		{name: "rejected by mapping", rec: customerRec("c1", "", "p3", nil), wantCode: record.CodeParentRejected,
			wantMsg: []string{"partner p3 was rejected", "partners.csv:4", "not an email", "invalid_email"}},
		{name: "rejected as a duplicate", rec: customerRec("c1", "", "p4", nil), wantCode: record.CodeParentRejected, wantMsg: []string{"partner p4", "duplicate"}},
		{name: "unknown", rec: customerRec("c1", "", "p9", nil), wantCode: record.CodeUnknownPartner, wantMsg: []string{"partner p9 is not in the partners input"}},
		{name: "unknown, named by email too", rec: customerRec("c1", "", "p9", &api.PartnerRef{Email: "x@example.com"}), wantRef: &api.PartnerRef{Email: "x@example.com"}},
		{name: "dry run, partner exists", dryRun: true, rec: customerRec("c1", "", "p1", nil), wantRef: &api.PartnerRef{Email: "ann@example.com"}},
		{name: "dry run, partner would be created", dryRun: true, wrotePart: "p1", rec: customerRec("c1", "", "p1", nil), wantRef: &api.PartnerRef{ID: "dry-run:p1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := scanned(t, tt.dryRun)
			if tt.wrotePart != "" {
				j.PartnerWritten(record.Record{SourceID: tt.wrotePart, Partner: &api.Partner{}}, record.Created)
			}
			rerr := j.MapCustomer(tt.rec)
			if tt.wantCode != "" {
				if rerr == nil || rerr.Code != tt.wantCode {
					t.Fatalf("got %v, want code %s", rerr, tt.wantCode)
				}
				if rerr.Origin != tt.rec.Origin {
					t.Errorf("origin %v, want the customer's %v", rerr.Origin, tt.rec.Origin)
				}
				for _, m := range tt.wantMsg {
					if !strings.Contains(rerr.Message, m) {
						t.Errorf("message %q lacks %q", rerr.Message, m)
					}
				}
				return
			}
			if rerr != nil {
				t.Fatalf("rejected: %v", rerr)
			}
			if got := tt.rec.Customer.Partner; got == nil || *got != *tt.wantRef {
				t.Errorf("partner %+v, want %+v", got, tt.wantRef)
			}
		})
	}
}

func TestJoinMapPartner(t *testing.T) {
	j := scanned(t, false)
	child := &record.Record{Partner: &api.Partner{Email: "cy@example.com"}, ParentSourceID: "p1"}
	if err := j.MapPartner(child); err != nil {
		t.Fatal(err)
	}
	// The referrer is named as the sink identifies partners (id, else
	// email), so that the child is written after it.
	if r := child.Partner.ReferringPartner; r == nil || r.Email != "ann@example.com" || r.Key != "" {
		t.Errorf("referring partner %+v, want ann's email", r)
	}
	orphan := &record.Record{Partner: &api.Partner{Email: "d@example.com"}, ParentSourceID: "p9"}
	if err := j.MapPartner(orphan); err != nil || orphan.Partner.ReferringPartner != nil {
		t.Errorf("orphan: %v, %+v; want imported without a referrer", err, orphan.Partner.ReferringPartner)
	}
	if n := j.DanglingReferrers(); n != 1 {
		t.Errorf("dangling referrers %d, want 1", n)
	}
	if ofRejected := j.MapPartner(&record.Record{Partner: &api.Partner{Email: "e@example.com"}, ParentSourceID: "p3"}); ofRejected == nil || ofRejected.Code != record.CodeParentRejected {
		t.Errorf("partner referred by a rejected partner: %v, want parent_rejected", ofRejected)
	}
}

func txRec(key, customerKey, email, parent string) *record.Record {
	return &record.Record{Entity: record.Transactions, Origin: record.Origin{File: "tx.csv", Line: 5},
		Transaction: &api.Transaction{Key: key, Customer: api.CustomerRef{Key: customerKey, Email: email}}, ParentSourceID: parent}
}

// txBySource is a transaction naming its customer by the old platform's id
// (and, when key is set, by a key too).
func txBySource(sourceID, key string) *record.Record {
	rec := txRec("t", key, "", "")
	rec.CustomerSourceID = sourceID
	return rec
}

// joinedCustomers is a join after the customers stage of a migration with
// a customers input:
//
//	c1 (source s1, one@, partner p1) accepted; s4 is a second row of key c1
//	c2 (source s2, two@, partner p2) accepted
//	c3 (source s3) refused by mapping (invalid_email)
//	c5 (five@) rejected for its partner p3
//	six@ refused by mapping, its key unreadable
//	c7 (source s7) accepted by mapping, refused by the API
func joinedCustomers(t *testing.T, dryRun bool) *Join {
	t.Helper()
	j := scanned(t, dryRun)
	j.ExpectCustomers()
	withSource := func(rec *record.Record, sid string) *record.Record { rec.SourceID = sid; return rec }
	for _, c := range []*record.Record{
		withSource(customerRec("c1", "one@example.com", "p1", nil), "s1"),
		withSource(customerRec("c2", "two@example.com", "p2", nil), "s2"),
		withSource(customerRec("c7", "seven@example.com", "p1", nil), "s7"),
	} {
		if err := j.MapCustomer(c); err != nil {
			t.Fatal(err)
		}
	}
	dup := withSource(customerRec("c1", "one.again@example.com", "p1", nil), "s4")
	if err := j.MapCustomer(dup); err != nil {
		t.Fatal(err)
	}
	j.CustomerRejected("", "c1", "", true, &record.RowError{Code: record.CodeDuplicate, Field: "key", Message: "duplicate of line 2"})
	j.CustomerRejected("s3", "c3", "", false, &record.RowError{Origin: record.Origin{File: "customers.csv", Line: 7}, Code: record.CodeInvalidEmail, Message: "has more than one @"})
	c5 := customerRec("c5", "five@example.com", "p3", nil)
	rerr := j.MapCustomer(c5)
	if rerr == nil {
		t.Fatal("c5 of a rejected partner accepted")
	}
	j.CustomerRejected("", "c5", "", true, rerr)
	j.CustomerRejected("", "", "six@example.com", false, &record.RowError{Code: record.CodeTooLong, Message: "too long"})
	j.CustomerRejected("", "c7", "", true, &record.RowError{Code: record.CodeAPIValidation, Message: "the API refused the row: bad name"})
	return j
}

func TestJoinMapTransaction(t *testing.T) {
	j := joinedCustomers(t, false)
	if n := j.RejectedCustomers(); n != 4 {
		t.Errorf("%d rejected customers, want 4 (c3, c5, six@, c7)", n)
	}
	ann := &api.PartnerRef{Email: "ann@example.com"}
	bob := &api.PartnerRef{Email: "bob@example.com"}
	tests := []struct {
		name      string
		rec       *record.Record
		wantCode  string
		wantMsg   string
		wantKey   string
		wantEmail string
		wantRef   *api.PartnerRef
		wantRule  string
	}{
		// The old platform's customer id wins over a key that names
		// another id of the customer (a referral id beside a Stripe id).
		{name: "by source id", rec: txBySource("s1", "ref_1"), wantKey: "c1", wantEmail: "one@example.com", wantRef: ann, wantRule: "source_id"},
		{name: "by source id of a second row of the key", rec: txBySource("s4", ""), wantKey: "c1", wantEmail: "one@example.com", wantRef: ann, wantRule: "source_id"},
		{name: "by key", rec: txRec("t", "c2", "", ""), wantKey: "c2", wantEmail: "two@example.com", wantRef: bob, wantRule: "key"},
		{name: "by key, the customer's partner over the row's", rec: txRec("t", "c2", "", "p1"), wantKey: "c2", wantEmail: "two@example.com", wantRef: bob, wantRule: "key"},
		{name: "by email", rec: txRec("t", "", "Two@Example.com", ""), wantKey: "c2", wantEmail: "two@example.com", wantRef: bob, wantRule: "email"},
		{name: "source id unknown, then key", rec: txBySource("s9", "c2"), wantKey: "c2", wantEmail: "two@example.com", wantRef: bob, wantRule: "key"},
		{name: "source id unknown, nothing else", rec: txBySource("s9", ""), wantCode: record.CodeUnknownCustomer, wantMsg: "customer s9 (customer.source_id) is not in the customers input"},
		{name: "customer refused by mapping, by source id", rec: txBySource("s3", ""), wantCode: record.CodeParentRejected, wantMsg: "customer c3 was rejected (customers.csv:7: has more than one @ [invalid_email])"},
		{name: "customer refused by mapping, by key", rec: txRec("t", "c3", "", "p1"), wantCode: record.CodeParentRejected, wantMsg: "customer c3 was rejected"},
		{name: "customer rejected for its partner", rec: txRec("t", "c5", "", ""), wantCode: record.CodeParentRejected, wantMsg: "partner p3 was rejected"},
		{name: "rejected customer, by email", rec: txRec("t", "", "five@example.com", ""), wantCode: record.CodeParentRejected, wantMsg: "customer c5 was rejected"},
		{name: "rejected customer known by email only", rec: txRec("t", "", "Six@example.com", ""), wantCode: record.CodeParentRejected, wantMsg: "customer Six@example.com was rejected"},
		{name: "customer refused by the API", rec: txBySource("s7", ""), wantCode: record.CodeParentRejected, wantMsg: "customer c7 was rejected (the API refused the row: bad name [api_validation])"},
		// Not in the input: left to the sink, which finds it in Partnero
		// or rejects it; the partner is named for create_customers.
		{name: "key not in the input", rec: txRec("t", "c9", "", "p1"), wantKey: "c9", wantRef: ann, wantRule: "partnero_key"},
		{name: "key not in the input, partner rejected", rec: txRec("t", "c9", "", "p4"), wantCode: record.CodeParentRejected, wantMsg: "partner p4 was rejected"},
		{name: "key not in the input, partner unknown", rec: txRec("t", "c9", "", "p9"), wantKey: "c9", wantRule: "partnero_key"},
		{name: "email not in the input", rec: txRec("t", "", "nine@example.com", ""), wantEmail: "nine@example.com", wantRule: "partnero_email"},
	}
	want := map[string]int64{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rerr := j.MapTransaction(tt.rec)
			if tt.wantCode != "" {
				if rerr == nil || rerr.Code != tt.wantCode || !strings.Contains(rerr.Message, tt.wantMsg) {
					t.Fatalf("got %v, want %s with %q", rerr, tt.wantCode, tt.wantMsg)
				}
				if rerr.Origin != tt.rec.Origin {
					t.Errorf("origin %v, want the transaction's", rerr.Origin)
				}
				return
			}
			if rerr != nil {
				t.Fatalf("rejected: %v", rerr)
			}
			want[tt.wantRule]++
			c := tt.rec.Transaction.Customer
			if c.Key != tt.wantKey || c.Email != tt.wantEmail {
				t.Errorf("customer %q %q, want %q %q", c.Key, c.Email, tt.wantKey, tt.wantEmail)
			}
			if (c.Partner == nil) != (tt.wantRef == nil) || (c.Partner != nil && *c.Partner != *tt.wantRef) {
				t.Errorf("partner %+v, want %+v", c.Partner, tt.wantRef)
			}
		})
	}
	got := j.Joined()
	for _, rule := range pipeline.CustomerJoinRules {
		if got[rule] != want[rule] {
			t.Errorf("joined by %s: %d, want %d", rule, got[rule], want[rule])
		}
	}
	for key, want := range map[string]bool{"c1": true, "c2": true, "c3": false, "c5": false, "c7": false, "c9": false, "": false} {
		if got := j.MayCreateCustomer(key); got != want {
			t.Errorf("MayCreateCustomer(%q) = %v, want %v", key, got, want)
		}
	}
}

func TestJoinSourceIDWithoutCustomersInput(t *testing.T) {
	j := scanned(t, false)
	rerr := j.MapTransaction(txBySource("s1", ""))
	if rerr == nil || rerr.Code != record.CodeUnknownCustomer || !strings.Contains(rerr.Message, "no customers input") {
		t.Errorf("got %v, want unknown_customer saying there is no customers input", rerr)
	}
}

// TestJoinRejectedParentOfRefusedRow: a transaction row mapping refused
// for its own copy of the customer's fields (an invalid email) is
// parent_rejected when its customer was rejected; on the old code it kept
// mapping's code (invalid_email).
func TestJoinRejectedParentOfRefusedRow(t *testing.T) {
	j := joinedCustomers(t, false)
	own := &record.RowError{Origin: record.Origin{File: "tx.csv", Line: 9}, Field: "customer.email", Code: record.CodeInvalidEmail, Message: "not an email"}
	tests := []struct {
		name, sourceID, key string
		wantCode, wantMsg   string
	}{
		{"customer rejected, by source id", "s3", "", record.CodeParentRejected, "customer c3 was rejected"},
		{"customer rejected, by key", "", "c5", record.CodeParentRejected, "partner p3 was rejected"},
		{"customer accepted", "s1", "", record.CodeInvalidEmail, "not an email"},
		{"customer unknown", "s9", "c9", record.CodeInvalidEmail, "not an email"},
		{"nothing readable", "", "", record.CodeInvalidEmail, "not an email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := j.RejectedParent(own, tt.sourceID, tt.key)
			if got.Code != tt.wantCode || !strings.Contains(got.Message, tt.wantMsg) || got.Origin != own.Origin {
				t.Errorf("got %v, want %s with %q at %v", got, tt.wantCode, tt.wantMsg, own.Origin)
			}
		})
	}
}

func TestJoinEmailSharedByTwoCustomers(t *testing.T) {
	j := scanned(t, false)
	for _, key := range []string{"a", "b"} {
		if err := j.MapCustomer(customerRec(key, "same@example.com", "p1", nil)); err != nil {
			t.Fatal(err)
		}
	}
	rec := txRec("t1", "", "same@example.com", "")
	if err := j.MapTransaction(rec); err != nil {
		t.Fatal(err)
	}
	if rec.Transaction.Customer.Key != "" {
		t.Errorf("an email two customers share resolved to %q; want it left to the target", rec.Transaction.Customer.Key)
	}
}

func TestJoinDryRunNewCustomer(t *testing.T) {
	// In a dry run, a transaction of a customer the customers stage would
	// create gets that customer's partner as the dry run names it (a
	// stand-in id for a partner that would be created too), so that the
	// sink sees a customer it may create.
	j := scanned(t, true)
	j.PartnerWritten(record.Record{SourceID: "p2", Partner: &api.Partner{}}, record.Created)
	c := customerRec("c1", "", "p2", nil)
	if err := j.MapCustomer(c); err != nil {
		t.Fatal(err)
	}
	rec := txRec("t1", "c1", "", "")
	if err := j.MapTransaction(rec); err != nil {
		t.Fatal(err)
	}
	if p := rec.Transaction.Customer.Partner; p == nil || p.ID != "dry-run:p2" {
		t.Errorf("partner %+v, want the dry run's stand-in for p2", p)
	}
	if !j.MayCreateCustomer("c1") {
		t.Error("the dry run may not create c1")
	}
}

// TestJoinDefersCustomersWithTransactions: a customer the transactions
// input names, whose partner is one of the partners input, is left to its
// first transaction batch; the others are created by the customers stage.
// One that no batch created or saw is returned by Unconfirmed.
func TestJoinDefersCustomersWithTransactions(t *testing.T) {
	j := scanned(t, false)
	j.ExpectCustomers()
	// The transactions name c1 by the old id, c2 by key, c3 by email, c6
	// (not in the customers input) by key.
	for _, rec := range []*record.Record{txBySource("s1", ""), txRec("t", "c2", "", ""), txRec("t", "", "Three@Example.com", ""), txRec("t", "c6", "", "")} {
		j.NoteTransactionCustomer(rec)
	}
	withSource := func(rec *record.Record, sid string) *record.Record { rec.SourceID = sid; return rec }
	for _, c := range []*record.Record{
		withSource(customerRec("c1", "one@example.com", "p1", nil), "s1"),
		customerRec("c2", "two@example.com", "p2", nil),
		customerRec("c3", "three@example.com", "p1", nil),
		customerRec("c4", "four@example.com", "p1", nil),                                   // no transactions
		customerRec("c5", "five@example.com", "", &api.PartnerRef{Email: "x@example.com"}), // partner not from the input
	} {
		if err := j.MapCustomer(c); err != nil {
			t.Fatal(err)
		}
	}
	if rerr := j.MapCustomer(customerRec("c7", "", "p3", nil)); rerr == nil {
		t.Fatal("c7 of a rejected partner accepted")
	}
	want := map[string]bool{"c1": true, "c2": true, "c3": true, "c4": false, "c5": false, "c6": false, "c7": false}
	for key, w := range want {
		if got := j.DeferCreate(key); got != w {
			t.Errorf("DeferCreate(%q) = %v, want %v", key, got, w)
		}
	}
	// c1 is created by its batch, c2 was found to exist; c3's transactions
	// were all rejected: it is left over.
	j.TransactionCustomer("c1", true)
	j.TransactionCustomer("c2", false)
	if d, c := j.Deferred(); d != 3 || c != 1 {
		t.Errorf("deferred %d, created by a batch %d; want 3 and 1", d, c)
	}
	left := j.Unconfirmed()
	if len(left) != 1 || left[0].Customer.Key != "c3" || !left[0].Deferred || left[0].Customer.Email != "three@example.com" ||
		left[0].Customer.Partner == nil || left[0].Customer.Partner.Email != "ann@example.com" || left[0].Origin.Line != 9 {
		t.Errorf("unconfirmed %+v, want c3 with its own fields", left)
	}
	// A customer the customers stage found in Partnero is confirmed.
	j.CustomerWritten(*customerRec("c3", "", "", nil), record.Unchanged)
	if left := j.Unconfirmed(); len(left) != 0 {
		t.Errorf("unconfirmed %+v after c3 was seen", left)
	}
}
