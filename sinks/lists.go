package sinks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// The tables of the other list endpoints (leads, coupons, promotion codes,
// payout requests, webhooks) and of the partners' referral links. Column
// names follow the API's field names; embedded objects are flattened into
// prefixed columns when their members are documented (submitter_email),
// and kept as JSON text when they are not (a promotion code's partner).
//
// New columns only ever go at the end of a table: the golden list in
// testdata/columns.golden enforces it (see SchemaVersion).

// ListTables are the tables of the other list endpoints, in export order:
// referral links (written with partners), then the export-only entities.
var ListTables = []record.Entity{record.ReferralLinks, record.Leads, record.Coupons, record.PromotionCodes, record.PayoutRequests, record.Webhooks}

// AllTables returns every table an export may write, in order: Tables,
// then ListTables.
func AllTables() []record.Entity {
	return append(append([]record.Entity{}, Tables...), ListTables...)
}

// SchemaVersion is the version of the tables' column lists, recorded in
// every manifest. It grows when a table gains columns (always at its end)
// or a table is added; a warehouse that read version n reads n+1 with the
// same column positions.
const SchemaVersion = 2

func intText(n *int64) (string, bool) {
	if n == nil {
		return "", false
	}
	return strconv.FormatInt(*n, 10), true
}

// amountText is NULL only for an absent amount: a zero coupon discount or
// payout is a fact, unlike a transaction's unset amount.
func amountText(d *partnero.Decimal) (string, bool) {
	if d == nil {
		return "", false
	}
	return d.String(), true
}

func listColumns(e record.Entity) []Column {
	switch e {
	case record.Leads:
		return leadColumns
	case record.Coupons:
		return couponColumns
	case record.PromotionCodes:
		return promotionCodeColumns
	case record.PayoutRequests:
		return payoutRequestColumns
	case record.Webhooks:
		return webhookColumns
	case record.ReferralLinks:
		return referralLinkColumns
	}
	return nil
}

func converted(r record.Record) *partnero.Person {
	if r.Lead.ConvertedTo == nil {
		return &partnero.Person{}
	}
	return r.Lead.ConvertedTo
}

var leadColumns = []Column{
	{"id", KindString, func(r record.Record) (string, bool) { return str(string(r.Lead.ID)) }},
	{"status", KindString, func(r record.Record) (string, bool) { return str(r.Lead.Status) }},
	{"name", KindString, func(r record.Record) (string, bool) { return str(r.Lead.LeadInfo.Name) }},
	{"email", KindString, func(r record.Record) (string, bool) { return str(r.Lead.LeadInfo.Email) }},
	{"submitter_id", KindString, func(r record.Record) (string, bool) { return str(string(r.Lead.Submitter.ID)) }},
	{"submitter_name", KindString, func(r record.Record) (string, bool) { return str(r.Lead.Submitter.Name) }},
	{"submitter_email", KindString, func(r record.Record) (string, bool) { return str(r.Lead.Submitter.Email) }},
	{"converted_to_key", KindString, func(r record.Record) (string, bool) { return str(converted(r).Key) }},
	{"converted_to_name", KindString, func(r record.Record) (string, bool) { return str(converted(r).Name) }},
	{"converted_to_email", KindString, func(r record.Record) (string, bool) { return str(converted(r).Email) }},
	{"submission_form", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.Lead.SubmissionForm) }},
	{"can_be_converted", KindBool, func(r record.Record) (string, bool) { return boolText(r.Lead.CanBeConverted) }},
	{"can_be_rejected", KindBool, func(r record.Record) (string, bool) { return boolText(r.Lead.CanBeRejected) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Lead.CreatedAt) }},
}

var couponColumns = []Column{
	{"uuid", KindString, func(r record.Record) (string, bool) { return str(r.Coupon.UUID) }},
	{"name", KindString, func(r record.Record) (string, bool) { return str(r.Coupon.Name) }},
	{"uuid_code", KindString, func(r record.Record) (string, bool) { return str(r.Coupon.UUIDCode) }},
	{"coupon_discount_type", KindString, func(r record.Record) (string, bool) { return str(r.Coupon.DiscountType) }},
	{"coupon_discount_amount", KindDecimal, func(r record.Record) (string, bool) { return amountText(r.Coupon.DiscountAmount) }},
	{"coupon_duration_type", KindString, func(r record.Record) (string, bool) { return str(r.Coupon.DurationType) }},
	{"coupon_duration_value", KindInt, func(r record.Record) (string, bool) { return intText(r.Coupon.DurationValue) }},
	{"redemption", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.Coupon.Redemption) }},
	{"promotion_codes", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.Coupon.PromotionCodes) }},
	{"metadata", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.Coupon.Metadata) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Coupon.CreatedAt) }},
	{"updated_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Coupon.UpdatedAt) }},
}

var promotionCodeColumns = []Column{
	{"id", KindString, func(r record.Record) (string, bool) { return str(string(r.PromotionCode.ID)) }},
	{"code", KindString, func(r record.Record) (string, bool) { return str(r.PromotionCode.Code) }},
	{"coupon_uuid", KindString, func(r record.Record) (string, bool) { return str(r.PromotionCode.CouponUUID) }},
	{"partner", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.PromotionCode.Partner) }},
	{"customer", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.PromotionCode.Customer) }},
	{"minimum_amount", KindDecimal, func(r record.Record) (string, bool) { return amountText(r.PromotionCode.MinimumAmount) }},
	{"expires_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.PromotionCode.ExpiresAt) }},
	{"redemption", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.PromotionCode.Redemption) }},
	{"times_redeemed", KindInt, func(r record.Record) (string, bool) { return intText(r.PromotionCode.TimesRedeemed) }},
	{"is_active", KindBool, func(r record.Record) (string, bool) { return boolText(r.PromotionCode.IsActive) }},
	{"metadata", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.PromotionCode.Metadata) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.PromotionCode.CreatedAt) }},
	{"updated_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.PromotionCode.UpdatedAt) }},
}

var payoutRequestColumns = []Column{
	{"id", KindString, func(r record.Record) (string, bool) { return str(string(r.PayoutRequest.ID)) }},
	{"partner_id", KindString, func(r record.Record) (string, bool) { return str(string(r.PayoutRequest.Partner.ID)) }},
	{"partner_key", KindString, func(r record.Record) (string, bool) { return str(r.PayoutRequest.Partner.Key) }},
	{"partner_email", KindString, func(r record.Record) (string, bool) { return str(r.PayoutRequest.Partner.Email) }},
	{"amount", KindDecimal, func(r record.Record) (string, bool) { return amountText(r.PayoutRequest.Amount) }},
	{"amount_units", KindString, func(r record.Record) (string, bool) { return str(r.PayoutRequest.AmountUnits) }},
	{"gateway", KindString, func(r record.Record) (string, bool) { return str(r.PayoutRequest.Gateway) }},
	{"status", KindString, func(r record.Record) (string, bool) { return str(r.PayoutRequest.Status) }},
	{"reward_ids", KindList, func(r record.Record) (string, bool) { return listText(r.PayoutRequest.RewardIDs) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.PayoutRequest.CreatedAt) }},
	{"updated_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.PayoutRequest.UpdatedAt) }},
}

// webhookColumns have no signature: the signing secret never leaves the API.
var webhookColumns = []Column{
	{"key", KindString, func(r record.Record) (string, bool) { return str(r.Webhook.Key) }},
	{"name", KindString, func(r record.Record) (string, bool) { return str(r.Webhook.Name) }},
	{"url", KindString, func(r record.Record) (string, bool) { return str(r.Webhook.URL) }},
	{"is_active", KindBool, func(r record.Record) (string, bool) { return boolText(r.Webhook.IsActive) }},
	{"events", KindList, func(r record.Record) (string, bool) { return listText(r.Webhook.Events) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Webhook.CreatedAt) }},
	{"updated_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.Webhook.UpdatedAt) }},
}

var referralLinkColumns = []Column{
	{"partner_id", KindString, func(r record.Record) (string, bool) { return str(string(r.ReferralLink.Partner)) }},
	{"id", KindString, func(r record.Record) (string, bool) { return str(string(r.ReferralLink.ID)) }},
	{"key", KindString, func(r record.Record) (string, bool) { return str(r.ReferralLink.Key) }},
	{"url", KindString, func(r record.Record) (string, bool) { return str(r.ReferralLink.URL) }},
	{"default", KindBool, func(r record.Record) (string, bool) { return boolText(r.ReferralLink.Default) }},
	{"is_additional", KindBool, func(r record.Record) (string, bool) { return boolText(r.ReferralLink.IsAdditional) }},
	{"direct_tracking", KindJSON, func(r record.Record) (string, bool) { return jsonText(r.ReferralLink.DirectTracking) }},
	{"created_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.ReferralLink.CreatedAt) }},
	{"updated_at", KindTime, func(r record.Record) (string, bool) { return timeText(r.ReferralLink.UpdatedAt) }},
}

// listEntityOK reports whether rec carries the value its list table needs.
func listEntityOK(rec record.Record, want record.Entity) (known, ok bool) {
	switch want {
	case record.Leads:
		return true, rec.Lead != nil
	case record.Coupons:
		return true, rec.Coupon != nil
	case record.PromotionCodes:
		return true, rec.PromotionCode != nil
	case record.PayoutRequests:
		return true, rec.PayoutRequest != nil
	case record.Webhooks:
		return true, rec.Webhook != nil
	case record.ReferralLinks:
		return true, rec.ReferralLink != nil
	}
	return false, false
}

// ListValue returns the typed value a list-table record carries (for
// writers that marshal it when Raw is empty), or nil.
func ListValue(rec record.Record) any {
	switch {
	case rec.Lead != nil:
		return rec.Lead
	case rec.Coupon != nil:
		return rec.Coupon
	case rec.PromotionCode != nil:
		return rec.PromotionCode
	case rec.PayoutRequest != nil:
		return rec.PayoutRequest
	case rec.Webhook != nil:
		return rec.Webhook
	case rec.ReferralLink != nil:
		return rec.ReferralLink
	}
	return nil
}

// ReferralLinkRecords splits the referral links a partner record carries
// (an export with --with-referral-links fetched them) into records of the
// referral_links table, each with the partner's id and, in Raw, the link
// object as sent with "partner_id" added in front.
func ReferralLinkRecords(rec record.Record) []record.Record {
	p := rec.Partner
	if p == nil || len(p.Links) == 0 {
		return nil
	}
	out := make([]record.Record, 0, len(p.Links))
	for i := range p.Links {
		l := p.Links[i]
		if l.Partner == "" {
			l.Partner = p.ID
		}
		raw := l.Raw
		if len(raw) == 0 {
			if b, err := json.Marshal(l); err == nil {
				raw = b
			}
		}
		out = append(out, record.Record{
			Entity:       record.ReferralLinks,
			Origin:       record.Origin{File: fmt.Sprintf("GET /partners/%s/referral_links", p.ID), Line: int64(i + 1)},
			ReferralLink: &l,
			Raw:          withField(raw, "partner_id", string(p.ID)),
		})
	}
	return out
}

// withField puts name first into a JSON object.
func withField(raw json.RawMessage, name, value string) json.RawMessage {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) < 2 || trimmed[0] != '{' {
		return raw
	}
	var b bytes.Buffer
	nb, _ := json.Marshal(name) // strings always marshal
	vb, _ := json.Marshal(value)
	b.WriteByte('{')
	b.Write(nb)
	b.WriteByte(':')
	b.Write(vb)
	rest := bytes.TrimSpace(trimmed[1:])
	if len(rest) > 0 && rest[0] != '}' {
		b.WriteByte(',')
	}
	b.Write(rest)
	return b.Bytes()
}
