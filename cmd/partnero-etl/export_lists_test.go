package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExportReferralLinksCostUpFront: --with-referral-links says what it
// costs before the export (with the previous snapshot's partner count when
// there is one) and writes the referral_links table beside partners.
func TestExportReferralLinksCostUpFront(t *testing.T) {
	base := exportSandbox(t)
	dir := t.TempDir()
	args := []string{"--api-key", exportKey, "--base-url", base, "--rate", "none", "export", "partners", "--with-referral-links", "--format", "csv", "--out", dir}
	streams, _, errOut := testStreams()
	if code := run(context.Background(), streams, args); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "1 request per partner (number of partners unknown until listed)") {
		t.Errorf("first run, stderr: %s", errOut)
	}
	b, err := os.ReadFile(filepath.Join(dir, "referral_links.csv"))
	if err != nil || !strings.HasPrefix(string(b), "partner_id,id,key,url,default") || !strings.Contains(string(b), "p1,") || !strings.Contains(string(b), ",zoe,") {
		t.Errorf("referral_links.csv (%v):\n%s", err, b)
	}
	streams, _, errOut = testStreams()
	if code := run(context.Background(), streams, args); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut.String(), "1 partners in the last snapshot x 1 request = 1 requests") {
		t.Errorf("second run, stderr: %s", errOut)
	}
}

func TestReferralLinksCost(t *testing.T) {
	for _, tt := range []struct {
		partners int64
		rate     float64
		want     string
	}{
		{10000, 10, "10000 partners in the last snapshot x 1 request = 10000 requests; at 10 requests/s, about 16m40s more"},
		{-1, 10, "1,000 partners take about 1m40s more"},
		{50, 0, "no known request budget, as fast as the API answers"},
	} {
		if got := referralLinksCost(tt.partners, tt.rate); !strings.Contains(got, tt.want) {
			t.Errorf("%d partners at %v/s: %q lacks %q", tt.partners, tt.rate, got, tt.want)
		}
	}
}
