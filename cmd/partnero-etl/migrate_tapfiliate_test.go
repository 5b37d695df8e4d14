package main

import (
	"testing"
)

// tapfiliateFiles writes a program's affiliates (with their referral_link)
// and customer objects: the reference's customer as printed, the customer
// its conversion example names, and one of a EUR program.
func tapfiliateFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	jane := map[string]any{"id": "janejameson", "firstname": "Jane", "lastname": "Jameson", "email": "jane@tapper.inc",
		"meta_data": map[string]any{}, "company": map[string]any{"name": nil}, "referral_link": "https://tapper.inc/?ref=jane1"}
	aurelie := map[string]any{"id": "aurelie-b", "firstname": "Aurélie", "lastname": "Bernard", "email": "aurelie@bernard-conseil.fr",
		"meta_data": map[string]any{}, "company": map[string]any{"name": "Bernard Conseil"}, "parent": nil,
		"referral_link": "https://shop.example/pricing?utm_source=ig&ref=aurelie"}
	user123 := docObject(t, "tapfiliate", "customer.json") // cu_eXampl3, USER123, of janejameson
	user999 := docObject(t, "tapfiliate", "customer.json")
	user999["id"], user999["customer_id"], user999["status"] = "cu_eXampl30th3r", "USER999", "paying"
	eur1 := docObject(t, "tapfiliate", "customer.json")
	eur1["id"], eur1["customer_id"] = "cu_eur1", "EUR-1"
	eur1["affiliate"] = map[string]any{"id": "aurelie-b", "firstname": "Aurélie", "lastname": "Bernard"}
	eur1["program"] = map[string]any{"id": "shop-eu", "title": "Shop EU", "currency": "EUR"}
	return writeFiles(t, dir, map[string]string{
		"affiliates.jsonl": jsonLines(t, jane, aurelie),
		"customers.jsonl":  jsonLines(t, user123, user999, eur1),
	})
}

var tapfiliateCustomers = map[string]string{"USER123": "jane@tapper.inc", "USER999": "jane@tapper.inc", "EUR-1": "aurelie@bernard-conseil.fr"}

// TestMigrateTapfiliateDocumented migrates Tapfiliate's API objects: the
// reference's conversion and customer as printed and variants of the
// conversion for other programs (EUR, JPY: the currency is the program's),
// a disapproved commission, a negative conversion (a refund) and a
// conversion of a customer the customers file does not hold.
func TestMigrateTapfiliateDocumented(t *testing.T) {
	sb, base := newMigrateSandbox(t)
	dir := t.TempDir()
	p := tapfiliateFiles(t, dir)
	conv := func(ext string, amount any, cur, custID, custKey string, approved any) map[string]any {
		o := docObject(t, "tapfiliate", "conversion.json")
		o["external_id"], o["amount"], o["created_at"] = ext, amount, "2023-01-13T22:39:36+0000"
		o["program"] = map[string]any{"id": "p-" + cur, "title": "Program " + cur, "currency": cur}
		c := o["commissions"].([]any)[0].(map[string]any)
		c["currency"], c["approved"], c["amount"] = cur, approved, 10
		o["customer"] = map[string]any{"id": custID, "customer_id": custKey, "status": "paying"}
		return o
	}
	eur := conv("ORD-EUR", 49.99, "EUR", "cu_eur1", "EUR-1", true)
	eur["affiliate"] = map[string]any{"id": "aurelie-b"}
	p["conversions.jsonl"] = writeFiles(t, dir, map[string]string{"conversions.jsonl": jsonLines(t,
		docObject(t, "tapfiliate", "conversion.json"), // ORD123: 550 in the USD program, of USER999
		eur,
		conv("ORD-JPY", 1200, "JPY", "cu_eXampl3", "USER123", nil), // pending: a sale
		conv("ORD-DIS", 99, "USD", "cu_eXampl3", "USER123", false), // disapproved
		conv("ORD-REF", -550, "USD", "cu_eXampl30th3r", "USER999", true),
		conv("ORD-GHOST", 10, "USD", "cu_ghost", "GHOST", true),
	)})["conversions.jsonl"]
	migrateTwice(t, sb, base, "tapfiliate", map[string]string{
		"partners": p["affiliates.jsonl"], "customers": p["customers.jsonl"], "transactions": p["conversions.jsonl"],
	}, map[string]stageWant{
		"partners":     {2, 0, 0, nil},
		"customers":    {3, 0, 0, nil},
		"transactions": {3, 2, 1, map[string]int64{"unknown_customer": 1}},
	})
	checkAttribution(t, base, attribution{
		customers: tapfiliateCustomers,
		sales: map[string]filedSale{
			"ORD123":  {"USER999", "jane@tapper.inc", "550", "USD"},
			"ORD-EUR": {"EUR-1", "aurelie@bernard-conseil.fr", "49.99", "EUR"},
			"ORD-JPY": {"USER123", "jane@tapper.inc", "1200", "JPY"},
		},
		sums: map[string]string{"USD": "550", "EUR": "49.99", "JPY": "1200"},
		keys: map[string]string{"jane@tapper.inc": "jane1", "aurelie@bernard-conseil.fr": "aurelie"},
	})
}

// TestMigrateTapfiliateImportTemplate migrates conversions in Tapfiliate's
// documented CSV shape, its conversion import template (required
// external_id, amount, created_at, affiliate_email, program; optional
// currency, customer_id, commission_*, click and device columns:
// support.tapfiliate.com/en/articles/2446220).
func TestMigrateTapfiliateImportTemplate(t *testing.T) {
	sb, base := newMigrateSandbox(t)
	dir := t.TempDir()
	p := tapfiliateFiles(t, dir)
	p["conversions.csv"] = writeFiles(t, dir, map[string]string{"conversions.csv": "" +
		"external_id,amount,created_at,affiliate_email,program,currency,customer_id,meta_data,referrer,landing_page,commission_status,commission_type,commission_amount,user_agent,ip\n" +
		"T-1,49.99,2024-03-05T09:30:00+0000,aurelie@bernard-conseil.fr,shop-eu,EUR,EUR-1,{},https://blog.example/,https://shop.example/,approved,standard,9.99,Mozilla/5.0,192.0.2.1\n" +
		"T-2,1200,2024-03-05T08:00:00+0000,jane@tapper.inc,shop-jp,JPY,USER123,{},,,pending,standard,240,,\n" +
		"T-3,99.00,2024-03-06T08:00:00+0000,jane@tapper.inc,shop-us,USD,USER999,{},,,disapproved,standard,19.80,,\n" +
		"T-4,19.00,2024-03-07T08:00:00+0000,jane@tapper.inc,shop-us,USD,USER999,{},,,approved,standard,3.80,,\n",
	})["conversions.csv"]
	migrateTwice(t, sb, base, "tapfiliate", map[string]string{
		"partners": p["affiliates.jsonl"], "customers": p["customers.jsonl"], "transactions": p["conversions.csv"],
	}, map[string]stageWant{
		"partners":     {2, 0, 0, nil},
		"customers":    {3, 0, 0, nil},
		"transactions": {3, 1, 0, nil},
	})
	checkAttribution(t, base, attribution{
		customers: tapfiliateCustomers,
		sales: map[string]filedSale{
			"T-1": {"EUR-1", "aurelie@bernard-conseil.fr", "49.99", "EUR"},
			"T-2": {"USER123", "jane@tapper.inc", "1200", "JPY"},
			"T-4": {"USER999", "jane@tapper.inc", "19", "USD"},
		},
		sums: map[string]string{"USD": "19", "EUR": "49.99", "JPY": "1200"},
	})
}
