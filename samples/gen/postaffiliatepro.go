package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// postaffiliatepro writes affiliates.csv (";"-separated, "!" headers, a
// UTF-8 BOM and CRLF line ends, as its PHP export writes them) and
// commissions.csv (","-separated).
func postaffiliatepro(g *gen) {
	epoch := time.Date(2024, 6, 3, 8, 0, 0, 0, time.UTC)
	local := func(t time.Time) string { return t.Format("2006-01-02 15:04:05") }

	type affiliate struct {
		id, parent string
		ok         bool
	}
	var affs []affiliate
	var rows [][]string
	var users []string
	mapped := counts{}
	for i := range 35 {
		first, last, email := g.person(i)
		id := g.hex(8)
		refid := g.hex(8)
		status := g.pick([]string{"A", "A", "A", "A", "P"})
		parent := ""
		if i > 3 && i%5 == 0 {
			parent = affs[i%4].id
		}
		outcome := "valid"
		switch i {
		case 0: // checked value by value
			id, refid, first, last, email, status = "11111111", "testaff", "Peter", "Horváth", "peter.horvath@example.sk", "A"
		case 6, 27:
			status, outcome = "D", "skipped"
		case 11:
			email, outcome = "", "rejected missing_field"
		case 15:
			email, outcome = users[3], "rejected duplicate"
		case 22:
			refid, outcome = strings.Repeat("9", 65), "rejected too_long"
		case 30:
			email, outcome = "peter horvath@example.sk", "rejected invalid_email"
		}
		mapped[outcome]++
		users = append(users, email)
		affs = append(affs, affiliate{id: id, parent: parent, ok: outcome == "valid"})
		inserted := epoch.Add(time.Duration(i) * 43 * time.Hour)
		approved := ""
		if status == "A" {
			approved = local(inserted.Add(20 * time.Hour))
		}
		rows = append(rows, []string{id, refid, email, first, last, status, local(inserted), approved, parent, "50", "", ""})
	}
	g.writeCSV("affiliates.csv", ';', []string{"!USERID", "!REFID", "!USERNAME", "!FIRSTNAME", "!LASTNAME", "!RSTATUS",
		"!DATEINSERTED", "!DATEAPPROVED", "!PARENTUSERID", "!MINIMUMPAYOUT", "!NOTE", "!DATA1"}, rows)
	g.bomCRLF("affiliates.csv")
	g.reportf("affiliates.csv: read=35 %v", mapped)

	var good []affiliate
	for _, a := range affs {
		if a.ok {
			good = append(good, a)
		}
	}
	type cust struct{ email, id string }
	var custs []cust
	for i := range 220 {
		_, _, email := g.person(6000 + i)
		custs = append(custs, cust{email: email, id: fmt.Sprintf("C%06d", 100000+i)})
	}
	rows = nil
	mapped = counts{}
	skips := counts{}
	var orders []string
	buyers := map[string]bool{}
	for i := range 1000 {
		a := good[g.rng.IntN(len(good))]
		c := custs[g.rng.IntN(len(custs))]
		order := fmt.Sprintf("ORD-%06d", 400000+i)
		total := []string{"29.00", "49.90", "99.00", "149.00", "19.99"}[g.rng.IntN(5)]
		commission := fmt.Sprintf("%d.%02d", 2+g.rng.IntN(30), g.rng.IntN(100))
		rtype := "S"
		switch n := g.rng.IntN(100); {
		case n < 5:
			rtype = "R"
		case n < 6:
			rtype = "H"
		}
		status := g.pick([]string{"A", "A", "A", "A", "A", "A", "A", "A", "P", "P", "P", "D"})
		payout := "U"
		if status == "A" && g.rng.IntN(2) == 0 {
			payout = "P"
		}
		cur := g.pick([]string{"EUR", "EUR", "EUR", "USD", "CZK"})
		at := local(epoch.Add(time.Duration(i)*5*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second))
		tier := "1"
		userID := a.id
		outcome := ""
		switch {
		case i == 0:
			order, total, commission, rtype, status, payout, cur, at, userID = "ORD-FIXED-1", "149.00", "29.80", "S", "A", "P", "EUR", "2024-06-05 14:30:00", "11111111"
			c = cust{email: "Marek.Novak@Example.CZ", id: "C000001"}
		case i == 1:
			order, total, commission, rtype, status, payout, cur, at = "", "0.00", "10.00", "S", "A", "U", "", "2024-06-05 15:00:00" // a manual commission: no order id, no currency
		case i%17 == 5: // the same sale paid to the parent affiliate
			tier, rtype, status = "2", "S", "A"
			if len(rows) > 0 {
				order = rows[len(rows)-1][7]
			}
		case i == 100:
			total, rtype, status, outcome = "1 299,00", "S", "A", "rejected invalid_amount"
		case i == 200:
			at, rtype, status, outcome = "0000-00-00 00:00:00", "S", "A", "rejected invalid_time" // MySQL's zero date
		case i == 300:
			order, rtype, status, outcome = orders[40], "S", "A", "rejected duplicate"
		case i == 400:
			c, rtype, status, outcome = cust{}, "S", "A", "rejected missing_field"
		case i == 500:
			cur, rtype, status, outcome = "€", "S", "A", "rejected invalid_currency"
		}
		switch {
		case outcome != "":
		case tier != "1":
			outcome = "skipped"
			skips["tier 2"]++
		case status == "D":
			outcome = "skipped"
			skips["declined"]++
		case rtype == "R":
			outcome = "skipped"
			skips["refund"]++
		case rtype == "H":
			outcome = "skipped"
			skips["chargeback"]++
		default:
			outcome = "valid"
		}
		mapped[outcome]++
		if outcome == "valid" && order != "" {
			orders = append(orders, order)
		}
		if outcome == "valid" {
			buyers[c.id] = true
		}
		transID := g.hex(8)
		if i == 1 {
			transID = "fixed002"
		}
		rows = append(rows, []string{transID, userID, "11111111", status, rtype, at, commission, order, "prod_" + strconv.Itoa(1+g.rng.IntN(4)),
			total, cur, payout, tier, c.email, c.id, "", "203.0.113." + strconv.Itoa(1+g.rng.IntN(250))})
	}
	g.writeCSV("commissions.csv", ',', []string{"!TRANSID", "!USERID", "!CAMPAIGNID", "!RSTATUS", "!RTYPE", "!DATEINSERTED",
		"!COMMISSION", "!ORDERID", "!PRODUCTID", "!TOTALCOST", "!ORIGINALCURRENCYID", "!PAYOUTSTATUS", "!TIER", "!DATA1", "!DATA2", "!DATA3", "!IP"}, rows)
	g.reportf("commissions.csv: read=1000 %v", mapped)
	g.reportf("commissions.csv skipped: %v", skips)
	g.reportf("commissions.csv distinct customers of the valid rows: %d", len(buyers))
}

// bomCRLF rewrites a file with a UTF-8 byte order mark and CRLF line ends,
// as Windows-minded exporters write them.
func (g *gen) bomCRLF(name string) {
	if g.err != nil {
		return
	}
	path := filepath.Join(g.dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		g.err = err
		return
	}
	out := "\ufeff" + strings.ReplaceAll(string(data), "\n", "\r\n")
	g.err = os.WriteFile(path, []byte(out), 0o644)
}
