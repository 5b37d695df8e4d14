package main

import (
	"path/filepath"
	"testing"
)

// BenchmarkMigrateSamples migrates each platform's sample into an empty
// sandbox and sets the requests it spent beside the floor of what the API
// allows for what the program then holds (requestFloor: the key check, a
// listing per stage, a create per partner, per customer without
// transactions, and per 100 transactions of each customer, a customer with
// transactions being created inside its first batch). The Rewardful line is
// the "migrate, first run" row:
//
//	go test -run '^$' -bench MigrateSamples -benchtime 1x ./cmd/partnero-etl
func BenchmarkMigrateSamples(b *testing.B) {
	for _, m := range sampleMigrations {
		b.Run(m.platform, func(b *testing.B) {
			var requests, floor int64
			for b.Loop() {
				_, base := newMigrateSandbox(b)
				dir, files := copySamples(b, m)
				report := filepath.Join(dir, "report.json")
				args := append([]string{"--from", m.platform, "--report", report}, files...)
				if code, out, errOut := runMigrateArgs(b, base, args...); code != exitRejects && code != exitOK {
					b.Fatalf("exit %d\n%s\n%s", code, out, errOut)
				}
				requests = readMigrationReport(b, report).Requests
				floor = requestFloor(readProgram(b, base))
			}
			b.ReportMetric(float64(requests), "requests")
			b.ReportMetric(float64(floor), "floor")
			b.ReportMetric(float64(requests)/float64(floor), "x-floor")
			b.Logf("row: migrate %s sample, first run: %d requests beside the floor of %d = %.3f× (goal ≤ 1.1×)",
				m.platform, requests, floor, float64(requests)/float64(floor))
		})
	}
}
