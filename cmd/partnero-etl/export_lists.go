package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/pipeline/export"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sources/program"
)

// checkExportProgram refuses a refer-a-friend program before anything is
// written: its customers and transactions have other fields, and reading
// them as an affiliate program's would write wrong tables. Two requests of
// one record each; only when customers or transactions are exported.
func checkExportProgram(ctx context.Context, c *partnero.Client, entities []record.Entity) error {
	if !slices.Contains(entities, record.Customers) && !slices.Contains(entities, record.Transactions) {
		return nil
	}
	return program.CheckProgramKind(ctx, c)
}

// printReferralLinksCost says what --with-referral-links costs: one request
// per partner, at the client's current budget. The paginator gives no total,
// so the count is the previous snapshot's when there is one.
func printReferralLinksCost(w io.Writer, out string, perSecond float64) {
	var partners int64 = -1
	if out != "-" {
		if m, err := export.ReadManifest(out); err == nil && m != nil && m.Entities[record.Partners] != nil {
			partners = m.Entities[record.Partners].Rows
		}
	}
	fmt.Fprint(w, referralLinksCost(partners, perSecond))
}

func referralLinksCost(partners int64, perSecond float64) string {
	budget := "no known request budget"
	if perSecond > 0 && !math.IsInf(perSecond, 0) {
		budget = fmt.Sprintf("%.3g requests/s", perSecond)
	}
	est := func(n int64) string {
		if perSecond <= 0 || math.IsInf(perSecond, 0) {
			return "as fast as the API answers"
		}
		return "about " + (time.Duration(float64(n) / perSecond * float64(time.Second))).Round(time.Second).String()
	}
	if partners < 0 {
		return fmt.Sprintf("--with-referral-links: 1 request per partner (number of partners unknown until listed); at %s, 1,000 partners take %s more\n", budget, est(1000))
	}
	return fmt.Sprintf("--with-referral-links: %d partners in the last snapshot x 1 request = %d requests; at %s, %s more\n", partners, partners, budget, est(partners))
}
