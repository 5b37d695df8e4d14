package export

import (
	"context"
	"errors"

	"github.com/partnero-etl/partnero-etl/partnero"

	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
)

var errReferralLinksEntity = errors.New("referral links are written with partners when the partners carry them: export partners with --with-referral-links")

// dropUnavailable leaves an optional table out of the snapshot when its
// endpoint is missing (403 or 404) and nothing of it was written; it
// reports whether it did.
func (s *snapshot) dropUnavailable(e record.Entity, err error) bool {
	if !partnero.IsNotServed(err) {
		return false
	}
	t := s.table(e)
	if t.rows > 0 || len(t.open) > 0 || len(t.closed) > 0 {
		return false
	}
	t.declared = false
	return true
}

// writeReferralLinks writes the referral links a partner record carries
// into the referral_links table.
func writeReferralLinks(ctx context.Context, snap *snapshot, rec record.Record) error {
	for _, r := range sinks.ReferralLinkRecords(rec) {
		if err := snap.write(ctx, r); err != nil {
			return err
		}
	}
	return nil
}

// listPartitionOf is the dt of a record of the other tables: the UTC day
// it was created, the default partition when it has no creation time.
func listPartitionOf(rec record.Record) string {
	switch {
	case rec.Lead != nil && rec.Lead.CreatedAt != nil:
		return rec.Lead.CreatedAt.UTC().Format("2006-01-02")
	case rec.Coupon != nil && rec.Coupon.CreatedAt != nil:
		return rec.Coupon.CreatedAt.UTC().Format("2006-01-02")
	case rec.PromotionCode != nil && rec.PromotionCode.CreatedAt != nil:
		return rec.PromotionCode.CreatedAt.UTC().Format("2006-01-02")
	case rec.PayoutRequest != nil && rec.PayoutRequest.CreatedAt != nil:
		return rec.PayoutRequest.CreatedAt.UTC().Format("2006-01-02")
	case rec.Webhook != nil && rec.Webhook.CreatedAt != nil:
		return rec.Webhook.CreatedAt.UTC().Format("2006-01-02")
	case rec.ReferralLink != nil && rec.ReferralLink.CreatedAt != nil:
		return rec.ReferralLink.CreatedAt.UTC().Format("2006-01-02")
	}
	return defaultPartition
}
