package mapping

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/partnero-etl/partnero-etl/record"
)

// jsonLine decodes one JSON object into a structured row, as the JSON lines
// source does (numbers as json.Number).
func jsonLine(t *testing.T, line string) record.Row {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil {
		t.Fatal(err)
	}
	var kv []any
	for k, v := range obj {
		kv = append(kv, k, v)
	}
	return jsonRow(kv...)
}

// TestPresetForms maps each platform's other forms than the samples use:
// the other header spelling, the import templates, and API objects with
// their nesting. want lists Partnero field = value, as the record holds it.
func TestPresetForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		preset string
		entity record.Entity
		header string // CSV header ("|"-separated); empty for JSON
		row    string // the CSV row, or one JSON object
		want   map[string]string
	}{
		{"rewardful", record.Partners, "", `{"id":"aff-1","first_name":"Sam","last_name":"Lee","email":"Sam@X.io","state":"active",
			"campaign":{"id":"c1","name":"Launch"},"links":[{"id":"l1","url":"https://x.io/?via=sam7","token":"sam7"}],"paypal_email":null}`,
			map[string]string{"email": "sam@x.io", "key": "sam7", "name": "Sam", "tags": "Launch", "source_id": "aff-1"}},
		{"rewardful", record.Partners, "", `{"id":"aff-3","email":"c@d.io","campaign":{"id":"c1","name":null},"links":[]}`,
			map[string]string{"email": "c@d.io", "key": "", "tags": ""}},
		{"rewardful", record.Partners, "stripe_customer_id|first_name|last_name|email|paypal_email|wise_email|token", "cus_1|Ann|Bo|a@b.io|p@b.io|w@b.io|ann",
			map[string]string{"email": "a@b.io", "key": "ann", "name": "Ann"}},
		{"rewardful", record.Transactions, "", `{"id":"com_1","amount":1250,"currency":"USD","state":"paid","created_at":"2024-03-01T10:00:00.000Z",
			"sale":{"id":"sale_1","currency":"USD","charged_at":"2024-03-01T09:59:00.000Z","sale_amount_cents":4999,
			"referral":{"id":"r1","stripe_customer_id":"cus_9","customer":{"email":"C@D.io"}},"affiliate":{"id":"aff-1"}}}`,
			map[string]string{"key": "sale_1", "amount": "49.99", "reward": "12.5", "currency": "USD", "created_at": "2024-03-01T09:59:00Z",
				"customer.key": "cus_9", "customer.email": "c@d.io", "customer.source_id": "r1", "customer.partner.source_id": "aff-1", "rewarded": "true", "action": "sale"}},
		// A referral without a Stripe customer, and a commission in the
		// account's currency (USD) on a JPY sale: the commission is left out.
		{"rewardful", record.Customers, "", `{"id":"r2","conversion_state":"conversion","stripe_customer_id":null,"customer":{"id":"pad_7","email":"e@f.io","name":"E F"},"affiliate":{"id":"aff-1","email":"a@b.io"}}`,
			map[string]string{"key": "pad_7", "email": "e@f.io", "source_id": "r2", "partner.source_id": "aff-1"}},
		{"rewardful", record.Transactions, "", `{"id":"com_2","amount":720,"currency":"USD","state":"due","sale":{"id":"sale_2","currency":"JPY","charged_at":"2024-03-01T09:59:00.000Z","sale_amount_cents":980,
			"referral":{"id":"r2","stripe_customer_id":null,"customer":{"id":"pad_7","email":"e@f.io"}},"affiliate":{"id":"aff-1"}}}`,
			map[string]string{"key": "sale_2", "amount": "980", "currency": "JPY", "reward": "", "customer.source_id": "r2", "customer.key": "pad_7"}},

		{"firstpromoter", record.Partners, "ID|Email|First Name|Last Name|Ref ID|Status|Parent Promoter ID", "77|p@q.io|Pia|Q|pia|active|70",
			map[string]string{"email": "p@q.io", "key": "pia", "source_id": "77", "referring_partner.source_id": "70"}},
		{"firstpromoter", record.Customers, "", `{"id":123,"email":"Zed@Y.io (moved)","uid":"cus_z","first_name":"Zed","promoter_campaign":{"promoter":{"id":77,"email":"p@q.io"}}}`,
			map[string]string{"key": "cus_z", "email": "zed@y.io", "partner.source_id": "77", "partner.email": "p@q.io", "source_id": "123"}},
		// v2: sale_amount and amount are in the account's currency (USD);
		// the sale is original_sale_amount in original_sale_currency.
		{"firstpromoter", record.Transactions, "", `{"id":9,"status":"approved","sale_amount":6534,"original_sale_amount":9800,"amount":1960,"is_paid":true,"commission_type":"sale",
			"unit":"cash","original_sale_currency":"JPY","event_id":"ev1","is_self_referral":false,"created_at":"2024-03-01T10:00:00+09:00","referral":{"id":123,"email":"z@y.io","uid":"cus_z"}}`,
			map[string]string{"key": "ev1", "amount": "9800", "reward": "", "currency": "JPY", "created_at": "2024-03-01T01:00:00Z", "customer.key": "cus_z", "customer.source_id": "123", "rewarded": "true"}},
		{"firstpromoter", record.Transactions, "Event ID|Status|Unit|Sale Amount|Amount|Original Sale Currency|Referral Email|Created At", "ev2|pending|cash|4900|1470|USD|z@y.io|2024-03-01",
			map[string]string{"key": "ev2", "amount": "49", "reward": "14.7", "currency": "USD", "customer.email": "z@y.io"}},

		{"tapfiliate", record.Partners, "First Name|Last Name|Email|Referral Code|ID|Parent ID", "Al|Bo|al@b.io|albo|al-b|root",
			map[string]string{"email": "al@b.io", "key": "albo", "source_id": "al-b", "referring_partner.source_id": "root"}},
		{"tapfiliate", record.Customers, "", `{"id":"cu_1","customer_id":"user_1","status":"trial","created_at":"2024-03-01T10:00:00+02:00","affiliate":{"id":"al-b","email":"al@b.io"}}`,
			map[string]string{"key": "user_1", "partner.source_id": "al-b", "partner.email": "al@b.io", "tags": "trial"}},
		{"tapfiliate", record.Transactions, "", `{"id":"cv_1","external_id":"ord-1","amount":99.5,"currency":"EUR","created_at":"2024-03-01T10:00:00+02:00",
			"customer":{"customer_id":"user_1"},"affiliate":{"id":"al-b","email":"al@b.io"},"commissions":[{"amount":19.9,"approved":true}]}`,
			map[string]string{"key": "ord-1", "amount": "99.5", "reward": "19.9", "currency": "EUR", "customer.key": "user_1", "customer.partner.source_id": "al-b", "action": "sale"}},

		{"partnerstack", record.Partners, "", `{"key":"pship_1","partner_key":"jo-k","email":"jo@k.io","first_name":"Jo","last_name":"K","group":{"slug":"vip"},"joined_at":1712059200000}`,
			map[string]string{"key": "jo-k", "source_id": "pship_1", "tags": "vip", "email": "jo@k.io"}},
		{"partnerstack", record.Transactions, "", `{"key":"txn_1","amount":14900,"amount_usd":10900,"currency":"gbp","created_at":1712059200123,"customer_key":"cus_ps1","partnership_key":"pship_1","product_key":"p1","category_key":"addon"}`,
			map[string]string{"key": "txn_1", "amount": "149", "currency": "GBP", "created_at": "2024-04-02T12:00:00.123Z", "customer.key": "", "product_type": "addon", "action": "sale"}},
		{"partnerstack", record.Transactions, "key|amount|currency|customer_key|created_at", "txn_2|4900|EUR|cus_ps1|1712059200123",
			map[string]string{"key": "txn_2", "amount": "49", "currency": "EUR", "customer.partner.source_id": ""}},

		{"tolt", record.Partners, "", `{"id":"p1","email":"t@o.io","first_name":"To","last_name":"Lt","status":"active","links":[{"id":"lnk_1","param":"ref","value":"tolt1"}]}`,
			map[string]string{"key": "tolt1", "source_id": "p1", "email": "t@o.io"}},
		{"tolt", record.Customers, "", `{"id":"cust_1","customer_id":"cus_1","email":"c@d.io","name":"Cy D","status":"active","partner_id":"p1"}`,
			map[string]string{"key": "cus_1", "partner.source_id": "p1", "name": "Cy D", "source_id": "cust_1"}},
		{"tolt", record.Customers, "", `{"id":"cust_2","customer_id":null,"partner":{"id":"p1","email":"t@o.io"}}`,
			map[string]string{"key": "cust_2", "partner.source_id": "p1"}},
		{"tolt", record.Transactions, "id|amount|currency|customer_id|partner_id|billing_type|status|created_at", "txn_1|4900|eur|cust_1|p1|one_time|paid|2024-05-07T08:15:00Z",
			map[string]string{"key": "txn_1", "amount": "49", "currency": "EUR", "product_type": "one_time", "customer.partner.source_id": "p1", "action": "sale"}},

		{"postaffiliatepro", record.Partners, "!USERID|!REFID|!USERNAME|!FIRSTNAME|!LASTNAME|!RSTATUS", "u1|r1|u@p.io|U|P|A",
			map[string]string{"key": "r1", "source_id": "u1", "email": "u@p.io"}},
		{"postaffiliatepro", record.Transactions, "!TRANSID|!USERID|!RSTATUS|!RTYPE|!DATEINSERTED|!COMMISSION|!ORDERID|!TOTALCOST|!ORIGINALCURRENCYID|!ORIGINALCURRENCYVALUE|!DATA1|!DATA2",
			"t1|u1|P|S|2024-06-05 14:30:00|5.5|o1|55|CZK|1250|c@d.io|C1",
			map[string]string{"key": "t1", "amount": "1250", "reward": "", "currency": "CZK", "created_at": "2024-06-05T14:30:00Z", "customer.key": "C1", "rewarded": "false"}},
	}
	for i, tt := range tests {
		spec, err := Preset(tt.preset, tt.entity)
		if err != nil {
			t.Fatal(err)
		}
		m := mustMapper(t, tt.entity, spec)
		var row record.Row
		if tt.header == "" {
			row = jsonLine(t, tt.row)
		} else {
			row = csvRow(tt.header, tt.row)
		}
		res := m.Map(row)
		if res.Err != nil || res.Skipped {
			t.Errorf("%d %s %s: %+v", i, tt.preset, tt.entity, res)
			continue
		}
		got := recordFields(res.Record)
		for k, v := range tt.want {
			if got[k] != v {
				t.Errorf("%d %s %s: %s = %q, want %q", i, tt.preset, tt.entity, k, got[k], v)
			}
		}
	}
}

// recordFields renders a record as Partnero field = text, for comparisons.
func recordFields(r record.Record) map[string]string {
	f := map[string]string{"source_id": r.SourceID}
	switch {
	case r.Partner != nil:
		p := r.Partner
		f["email"], f["name"], f["surname"], f["key"], f["tags"] = p.Email, p.Name, p.Surname, p.Key, strings.Join(p.Tags, ",")
		f["referring_partner.source_id"] = r.ParentSourceID
	case r.Customer != nil:
		c := r.Customer
		f["key"], f["email"], f["name"], f["tags"] = c.Key, c.Email, c.Name, strings.Join(c.Tags, ",")
		f["partner.source_id"] = r.ParentSourceID
		if c.Partner != nil {
			f["partner.email"], f["partner.key"] = c.Partner.Email, c.Partner.Key
		}
	case r.Transaction != nil:
		tx := r.Transaction
		f["key"], f["currency"], f["action"], f["product_type"] = tx.Key, tx.AmountUnits, tx.Action, strings.Join(tx.ProductType, ",")
		f["customer.key"], f["customer.email"], f["customer.partner.source_id"] = tx.Customer.Key, tx.Customer.Email, r.ParentSourceID
		f["customer.source_id"] = r.CustomerSourceID
		if tx.Amount != nil {
			f["amount"] = tx.Amount.String()
		}
		if tx.Reward != nil {
			f["reward"] = tx.Reward.String()
		}
		if tx.CreatedAt != nil {
			f["created_at"] = tx.CreatedAt.UTC().Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		if tx.Rewarded != nil {
			f["rewarded"] = map[bool]string{true: "true", false: "false"}[*tx.Rewarded]
		}
	}
	return f
}
