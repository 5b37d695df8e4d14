package main

import (
	"testing"
)

// TestMigrateFirstPromoterDocumented migrates FirstPromoter's API objects:
// the v1 reference's promoter as printed, a v2 promoter whose code is on its
// campaign (promoter_campaigns[].ref_token), v2 referrals, and variants of
// the v2 reference's commission: sales in the account's currency and in
// others (sale_amount converted, original_sale_amount the sale itself), a
// refund (a negative commission with its own re_ event id), a commission in
// credits, a self-referral, a denied one, and the commission of a referral
// the referrals file does not hold.
func TestMigrateFirstPromoterDocumented(t *testing.T) {
	sb, base := newMigrateSandbox(t)
	v1 := docObject(t, "firstpromoter", "promoter_v1.json") // 8815216, user@example.com, default_ref_id heubv
	pia := map[string]any{
		"id": 77, "email": "pia@q.io", "name": "Pia Q", "state": "accepted",
		"profile": map[string]any{"id": 9, "first_name": "Pia", "last_name": "Q"},
		"promoter_campaigns": []any{map[string]any{
			"id": 5, "campaign_id": 1, "promoter_id": 77, "state": "accepted",
			"campaign": map[string]any{"id": 1, "name": "Main", "color": "blue"}, "coupon": nil, "ref_token": "pia",
		}},
	}
	denied := map[string]any{"id": 78, "email": "no@q.io", "state": "rejected", "profile": map[string]any{"first_name": "No"}}

	ref := func(id int, email string, uid any, state string, promoterID int, promoterEmail string) map[string]any {
		o := docObject(t, "firstpromoter", "referral_v2.json")
		o["id"], o["email"], o["uid"], o["state"] = id, email, uid, state
		pc := o["promoter_campaign"].(map[string]any)
		pc["promoter_id"] = promoterID
		pc["promoter"] = map[string]any{"id": promoterID, "email": promoterEmail, "name": ""}
		return o
	}
	zoe := ref(501, "zoe@example.com", "cus_Z1", "subscribed", 77, "pia@q.io")
	max := ref(502, "max@example.com (moved)", nil, "active", 8815216, "user@example.com") // moved, no uid
	den := ref(503, "den@example.com", "cus_D3", "denied", 77, "pia@q.io")

	com := func(event string, r map[string]any, cur string, original, sale, amount int, mut func(o map[string]any)) map[string]any {
		o := docObject(t, "firstpromoter", "commission_v2.json")
		o["event_id"], o["is_self_referral"], o["status"], o["unit"], o["is_paid"] = event, false, "approved", "cash", false
		o["original_sale_currency"], o["original_sale_amount"], o["sale_amount"], o["amount"] = cur, original, sale, amount
		o["referral"] = map[string]any{"id": r["id"], "email": r["email"], "uid": r["uid"]}
		o["id"] = len(event) * 1000
		if mut != nil {
			mut(o)
		}
		return o
	}
	ghost := map[string]any{"id": 999, "email": "ghost@example.com", "uid": "cus_GHOST"}
	dir := t.TempDir()
	p := writeFiles(t, dir, map[string]string{
		"promoters.jsonl": jsonLines(t, v1, pia, denied),
		"referrals.jsonl": jsonLines(t, zoe, max, den),
		"commissions.jsonl": jsonLines(t,
			com("in_1", zoe, "USD", 4900, 4900, 1470, nil),
			com("in_2", zoe, "GBP", 4500, 5715, 1143, nil), // £45.00, not 57.15 in any currency
			com("in_3", max, "JPY", 980, 654, 196, nil),    // ¥980: JPY has no minor unit
			com("re_1", zoe, "USD", -4900, -4900, -1470, nil),
			com("in_4", zoe, "USD", 4900, 4900, 1, func(o map[string]any) { o["unit"] = "credits" }),
			com("in_5", zoe, "USD", 4900, 4900, 1470, func(o map[string]any) { o["is_self_referral"] = true }),
			com("in_6", zoe, "USD", 4900, 4900, 1470, func(o map[string]any) { o["status"] = "denied" }),
			com("in_7", ghost, "USD", 1000, 1000, 300, nil),
		),
	})
	migrateTwice(t, sb, base, "firstpromoter", map[string]string{
		"partners": p["promoters.jsonl"], "customers": p["referrals.jsonl"], "transactions": p["commissions.jsonl"],
	}, map[string]stageWant{
		"partners":     {2, 1, 0, nil},
		"customers":    {2, 1, 0, nil},
		"transactions": {3, 4, 1, map[string]int64{"unknown_customer": 1}},
	})
	want := attribution{
		customers: map[string]string{"cus_Z1": "pia@q.io", "502": "user@example.com"},
		sales: map[string]filedSale{
			"in_1": {"cus_Z1", "pia@q.io", "49", "USD"},
			"in_2": {"cus_Z1", "pia@q.io", "45", "GBP"},
			"in_3": {"502", "user@example.com", "980", "JPY"},
		},
		sums: map[string]string{"USD": "49", "GBP": "45", "JPY": "980"},
		keys: map[string]string{"user@example.com": "heubv", "pia@q.io": "pia"},
	}
	// The refund (re_1) and the other skipped commissions must not be in
	// the program: checkAttribution fails on any sale not listed.
	checkAttribution(t, base, want)
}
