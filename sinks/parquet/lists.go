package parquet

import (
	"fmt"
	"io"
	"time"

	pq "github.com/parquet-go/parquet-go"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// The schemas of the other list endpoints' tables, with the conventions of
// schema.go (every column OPTIONAL, TIMESTAMP(MICROS, UTC), DECIMAL(38,9),
// LIST<STRING>, JSON as STRING), in the column order of sinks.Columns.

type leadRow struct {
	ID               *string    `parquet:"id,optional"`
	Status           *string    `parquet:"status,optional"`
	Name             *string    `parquet:"name,optional"`
	Email            *string    `parquet:"email,optional"`
	SubmitterID      *string    `parquet:"submitter_id,optional"`
	SubmitterName    *string    `parquet:"submitter_name,optional"`
	SubmitterEmail   *string    `parquet:"submitter_email,optional"`
	ConvertedToKey   *string    `parquet:"converted_to_key,optional"`
	ConvertedToName  *string    `parquet:"converted_to_name,optional"`
	ConvertedToEmail *string    `parquet:"converted_to_email,optional"`
	SubmissionForm   *string    `parquet:"submission_form,optional"`
	CanBeConverted   *bool      `parquet:"can_be_converted,optional"`
	CanBeRejected    *bool      `parquet:"can_be_rejected,optional"`
	CreatedAt        *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
}

type couponRow struct {
	UUID           *string    `parquet:"uuid,optional"`
	Name           *string    `parquet:"name,optional"`
	UUIDCode       *string    `parquet:"uuid_code,optional"`
	DiscountType   *string    `parquet:"coupon_discount_type,optional"`
	DiscountAmount *[16]byte  `parquet:"coupon_discount_amount,optional,decimal(9:38)"`
	DurationType   *string    `parquet:"coupon_duration_type,optional"`
	DurationValue  *int64     `parquet:"coupon_duration_value,optional"`
	Redemption     *string    `parquet:"redemption,optional"`
	PromotionCodes *string    `parquet:"promotion_codes,optional"`
	Metadata       *string    `parquet:"metadata,optional"`
	CreatedAt      *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	UpdatedAt      *time.Time `parquet:"updated_at,optional,timestamp(microsecond)"`
}

type promotionCodeRow struct {
	ID            *string    `parquet:"id,optional"`
	Code          *string    `parquet:"code,optional"`
	CouponUUID    *string    `parquet:"coupon_uuid,optional"`
	Partner       *string    `parquet:"partner,optional"`
	Customer      *string    `parquet:"customer,optional"`
	MinimumAmount *[16]byte  `parquet:"minimum_amount,optional,decimal(9:38)"`
	ExpiresAt     *time.Time `parquet:"expires_at,optional,timestamp(microsecond)"`
	Redemption    *string    `parquet:"redemption,optional"`
	TimesRedeemed *int64     `parquet:"times_redeemed,optional"`
	IsActive      *bool      `parquet:"is_active,optional"`
	Metadata      *string    `parquet:"metadata,optional"`
	CreatedAt     *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	UpdatedAt     *time.Time `parquet:"updated_at,optional,timestamp(microsecond)"`
}

type payoutRequestRow struct {
	ID           *string    `parquet:"id,optional"`
	PartnerID    *string    `parquet:"partner_id,optional"`
	PartnerKey   *string    `parquet:"partner_key,optional"`
	PartnerEmail *string    `parquet:"partner_email,optional"`
	Amount       *[16]byte  `parquet:"amount,optional,decimal(9:38)"`
	AmountUnits  *string    `parquet:"amount_units,optional"`
	Gateway      *string    `parquet:"gateway,optional"`
	Status       *string    `parquet:"status,optional"`
	RewardIDs    []string   `parquet:"reward_ids,optional,list"`
	CreatedAt    *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	UpdatedAt    *time.Time `parquet:"updated_at,optional,timestamp(microsecond)"`
}

type webhookRow struct {
	Key       *string    `parquet:"key,optional"`
	Name      *string    `parquet:"name,optional"`
	URL       *string    `parquet:"url,optional"`
	IsActive  *bool      `parquet:"is_active,optional"`
	Events    []string   `parquet:"events,optional,list"`
	CreatedAt *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	UpdatedAt *time.Time `parquet:"updated_at,optional,timestamp(microsecond)"`
}

type referralLinkRow struct {
	PartnerID      *string    `parquet:"partner_id,optional"`
	ID             *string    `parquet:"id,optional"`
	Key            *string    `parquet:"key,optional"`
	URL            *string    `parquet:"url,optional"`
	Default        *bool      `parquet:"default,optional"`
	IsAdditional   *bool      `parquet:"is_additional,optional"`
	DirectTracking *string    `parquet:"direct_tracking,optional"`
	CreatedAt      *time.Time `parquet:"created_at,optional,timestamp(microsecond)"`
	UpdatedAt      *time.Time `parquet:"updated_at,optional,timestamp(microsecond)"`
}

// listTable returns the writer of a list endpoint's table, or nil.
func listTable(w io.Writer, e record.Entity, wo []pq.WriterOption) table {
	switch e {
	case record.Leads:
		return newTable(w, leadToRow, wo)
	case record.Coupons:
		return newTable(w, couponToRow, wo)
	case record.PromotionCodes:
		return newTable(w, promotionCodeToRow, wo)
	case record.PayoutRequests:
		return newTable(w, payoutRequestToRow, wo)
	case record.Webhooks:
		return newTable(w, webhookToRow, wo)
	case record.ReferralLinks:
		return newTable(w, referralLinkToRow, wo)
	}
	return nil
}

func listSchema(e record.Entity) *pq.Schema {
	switch e {
	case record.Leads:
		return pq.SchemaOf(leadRow{})
	case record.Coupons:
		return pq.SchemaOf(couponRow{})
	case record.PromotionCodes:
		return pq.SchemaOf(promotionCodeRow{})
	case record.PayoutRequests:
		return pq.SchemaOf(payoutRequestRow{})
	case record.Webhooks:
		return pq.SchemaOf(webhookRow{})
	case record.ReferralLinks:
		return pq.SchemaOf(referralLinkRow{})
	}
	return nil
}

// amount encodes an amount that may be zero (a zero discount is a fact).
func amount(d *partnero.Decimal) (*[16]byte, error) {
	if d == nil {
		return nil, nil
	}
	if d.IsZero() {
		return new([16]byte), nil
	}
	return EncodeDecimal(d)
}

func leadToRow(rec record.Record) (leadRow, error) {
	l := rec.Lead
	conv := partnero.Person{}
	if l.ConvertedTo != nil {
		conv = *l.ConvertedTo
	}
	return leadRow{
		ID: optString(string(l.ID)), Status: optString(l.Status),
		Name: optString(l.LeadInfo.Name), Email: optString(l.LeadInfo.Email),
		SubmitterID: optString(string(l.Submitter.ID)), SubmitterName: optString(l.Submitter.Name), SubmitterEmail: optString(l.Submitter.Email),
		ConvertedToKey: optString(conv.Key), ConvertedToName: optString(conv.Name), ConvertedToEmail: optString(conv.Email),
		SubmissionForm: optJSON(l.SubmissionForm), CanBeConverted: l.CanBeConverted, CanBeRejected: l.CanBeRejected,
		CreatedAt: optTime(l.CreatedAt),
	}, nil
}

func couponToRow(rec record.Record) (couponRow, error) {
	c := rec.Coupon
	a, err := amount(c.DiscountAmount)
	if err != nil {
		return couponRow{}, fmt.Errorf("coupon %s: %w", c.UUID, err)
	}
	return couponRow{
		UUID: optString(c.UUID), Name: optString(c.Name), UUIDCode: optString(c.UUIDCode),
		DiscountType: optString(c.DiscountType), DiscountAmount: a,
		DurationType: optString(c.DurationType), DurationValue: c.DurationValue,
		Redemption: optJSON(c.Redemption), PromotionCodes: optJSON(c.PromotionCodes), Metadata: optJSON(c.Metadata),
		CreatedAt: optTime(c.CreatedAt), UpdatedAt: optTime(c.UpdatedAt),
	}, nil
}

func promotionCodeToRow(rec record.Record) (promotionCodeRow, error) {
	p := rec.PromotionCode
	a, err := amount(p.MinimumAmount)
	if err != nil {
		return promotionCodeRow{}, fmt.Errorf("promotion code %s: %w", p.Code, err)
	}
	return promotionCodeRow{
		ID: optString(string(p.ID)), Code: optString(p.Code), CouponUUID: optString(p.CouponUUID),
		Partner: optJSON(p.Partner), Customer: optJSON(p.Customer), MinimumAmount: a,
		ExpiresAt: optTime(p.ExpiresAt), Redemption: optJSON(p.Redemption), TimesRedeemed: p.TimesRedeemed,
		IsActive: p.IsActive, Metadata: optJSON(p.Metadata),
		CreatedAt: optTime(p.CreatedAt), UpdatedAt: optTime(p.UpdatedAt),
	}, nil
}

func payoutRequestToRow(rec record.Record) (payoutRequestRow, error) {
	p := rec.PayoutRequest
	a, err := amount(p.Amount)
	if err != nil {
		return payoutRequestRow{}, fmt.Errorf("payout request %s: %w", p.ID, err)
	}
	return payoutRequestRow{
		ID: optString(string(p.ID)), PartnerID: optString(string(p.Partner.ID)), PartnerKey: optString(p.Partner.Key),
		PartnerEmail: optString(p.Partner.Email), Amount: a, AmountUnits: optString(p.AmountUnits),
		Gateway: optString(p.Gateway), Status: optString(p.Status), RewardIDs: p.RewardIDs,
		CreatedAt: optTime(p.CreatedAt), UpdatedAt: optTime(p.UpdatedAt),
	}, nil
}

func webhookToRow(rec record.Record) (webhookRow, error) {
	h := rec.Webhook
	return webhookRow{
		Key: optString(h.Key), Name: optString(h.Name), URL: optString(h.URL), IsActive: h.IsActive,
		Events: h.Events, CreatedAt: optTime(h.CreatedAt), UpdatedAt: optTime(h.UpdatedAt),
	}, nil
}

func referralLinkToRow(rec record.Record) (referralLinkRow, error) {
	l := rec.ReferralLink
	return referralLinkRow{
		PartnerID: optString(string(l.Partner)), ID: optString(string(l.ID)), Key: optString(l.Key), URL: optString(l.URL),
		Default: l.Default, IsAdditional: l.IsAdditional, DirectTracking: optJSON(l.DirectTracking),
		CreatedAt: optTime(l.CreatedAt), UpdatedAt: optTime(l.UpdatedAt),
	}, nil
}
