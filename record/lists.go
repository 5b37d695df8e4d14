package record

import "strings"

// The entities of the other list endpoints: exported, never imported.
const (
	Leads          Entity = "leads"
	Coupons        Entity = "coupons"
	PromotionCodes Entity = "promotion_codes"
	PayoutRequests Entity = "payout_requests"
	Webhooks       Entity = "webhooks"
	// ReferralLinks are fetched one request per partner and written with
	// the partners (export --with-referral-links).
	ReferralLinks Entity = "referral_links"
)

// ListEntities are the export-only entities a listing reads directly, in
// export order (referral links, which ride on partners, are not among them).
var ListEntities = []Entity{Leads, Coupons, PromotionCodes, PayoutRequests, Webhooks}

// ParseListEntity accepts the name of an export-only entity: plural or
// singular, with "_", "-" or nothing between words ("promotion-codes",
// "payout_request", "referrallinks").
func ParseListEntity(s string) (Entity, bool) {
	n := strings.NewReplacer("_", "", "-", "", " ", "").Replace(strings.ToLower(strings.TrimSpace(s)))
	n = strings.TrimSuffix(n, "s")
	switch n {
	case "lead":
		return Leads, true
	case "coupon":
		return Coupons, true
	case "promotioncode", "promocode":
		return PromotionCodes, true
	case "payoutrequest", "payout":
		return PayoutRequests, true
	case "webhook":
		return Webhooks, true
	case "referrallink":
		return ReferralLinks, true
	}
	return "", false
}
