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
// UTF-8 BOM and CRLF line ends) and commissions.csv (","-separated), in the
// shapes of Tools > Import/Export (mapping/presets/postaffiliatepro.md has
// the sources): the commission columns are a subset of the header
// support.qualityunit.com/146800 prints, in its order; statuses A/P/D and
// types S, U, R, H, E as support.qualityunit.com/590767 lists them; dates
// "YYYY-MM-DD HH:MM:SS" with no zone. The main currency is USD: a sale made
// in another currency has !TOTALCOST converted to USD and its own amount in
// !ORIGINALCURRENCYVALUE / !ORIGINALCURRENCYID (support.qualityunit.com/552997).
// The affiliate columns beyond !USERID;!REFID;!DATEINSERTED;!DATEAPPROVED;
// !PARENTUSERID;!MINIMUMPAYOUT;!NOTE;!DATA1 (documented) are the grid's
// field names: the export's exact headers for them are not documented.
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
	g.section("affiliates.csv", "[[AFFILIATES]]")
	g.bomCRLF("affiliates.csv")
	g.reportf("affiliates.csv: read=35 %v", mapped)

	var good []affiliate
	for _, a := range affs {
		if a.ok {
			good = append(good, a)
		}
	}
	// Each customer came through one affiliate: all its sales are that
	// affiliate's (Partnero files a customer under one partner).
	type cust struct{ email, id, aff string }
	var custs []cust
	for i := range 220 {
		_, _, email := g.person(6000 + i)
		custs = append(custs, cust{email: email, id: fmt.Sprintf("C%06d", 100000+i), aff: good[g.rng.IntN(len(good))].id})
	}
	// USD per unit of each currency, with the precision the export writes.
	rates := map[string]string{"EUR": "1.0873", "CZK": "0.0431", "JPY": "0.00652"}
	toUSD := func(value, cur string) string {
		v, _ := strconv.ParseFloat(value, 64)
		r, _ := strconv.ParseFloat(rates[cur], 64)
		return strconv.FormatFloat(v*r, 'f', 2, 64)
	}
	minor := func(value, cur string) int {
		v, _ := strconv.ParseFloat(value, 64)
		if cur == "JPY" {
			return int(v + 0.5)
		}
		return int(v*100 + 0.5)
	}
	rows = nil
	mapped = counts{}
	skips := counts{}
	sums := map[string]int{}
	var transIDs []string
	buyers := map[string]bool{}
	for i := range 1000 {
		c := custs[g.rng.IntN(len(custs))]
		order := fmt.Sprintf("ORD-%06d", 400000+i)
		cur := g.pick([]string{"EUR", "EUR", "USD", "USD", "CZK", "JPY"})
		value := []string{"29.00", "49.90", "99.00", "149.00", "19.99"}[g.rng.IntN(5)]
		switch cur {
		case "CZK":
			value = []string{"690.00", "1290.00", "2490.00"}[g.rng.IntN(3)]
		case "JPY":
			value = []string{"2900", "9800", "14800"}[g.rng.IntN(3)]
		}
		commission := fmt.Sprintf("%d.%02d", 2+g.rng.IntN(30), g.rng.IntN(100))
		rtype := "S"
		switch n := g.rng.IntN(100); {
		case n < 5:
			rtype = "R"
		case n < 6:
			rtype = "H"
		case n < 8:
			rtype = "E"
		case n < 16:
			rtype = "U"
		}
		status := g.pick([]string{"A", "A", "A", "A", "A", "A", "A", "A", "P", "P", "P", "D"})
		payout := "U"
		if status == "A" && g.rng.IntN(2) == 0 {
			payout = "P"
		}
		at := local(epoch.Add(time.Duration(i)*5*time.Hour + time.Duration(g.rng.IntN(3600))*time.Second))
		tier := "1"
		userID := c.aff
		transID := g.hex(8)
		outcome := ""
		switch {
		case i == 0:
			transID, order, value, commission, rtype, status, payout, cur, at, userID = "fixed001", "ORD-FIXED-1", "149.00", "32.40", "S", "A", "P", "EUR", "2024-06-05 14:30:00", "11111111"
			c = cust{email: "Marek.Novak@Example.CZ", id: "C000001", aff: "11111111"}
		case i == 1:
			transID, order, value, commission, rtype, status, payout, cur, at = "fixed002", "", "0.00", "10.00", "S", "A", "U", "USD", "2024-06-05 15:00:00" // a manual commission: no order id
		case i == 2:
			transID, order, value, rtype, status, cur, at, userID = "fixed003", "ORD-FIXED-1", "149.00", "U", "A", "EUR", "2024-07-05 14:30:00", "11111111" // its first renewal
			c = cust{email: "marek.novak@example.cz", id: "C000001", aff: "11111111"}
		case i == 3:
			transID, value, rtype, status, cur = "fixed004", "9800", "S", "P", "JPY"
		case i%17 == 5: // the same sale paid to the parent affiliate
			tier, rtype, status = "2", "S", "A"
			if len(rows) > 0 {
				order = rows[len(rows)-1][9]
			}
		case i == 100:
			value, cur, rtype, status, outcome = "1 299,00", "USD", "S", "A", "rejected invalid_amount"
		case i == 200:
			at, rtype, status, outcome = "0000-00-00 00:00:00", "S", "A", "rejected invalid_time" // MySQL's zero date
		case i == 300:
			transID, rtype, status, outcome = transIDs[40], "S", "A", "rejected duplicate"
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
		case rtype == "E":
			outcome = "skipped"
			skips["extra bonus"]++
		default:
			outcome = "valid"
		}
		// Refunds and chargebacks carry the sale's figures, negative.
		if rtype == "R" || rtype == "H" {
			value, commission = "-"+value, "-"+commission
		}
		if rtype == "E" {
			value, order = "0", ""
		}
		mapped[outcome]++
		if outcome == "valid" {
			transIDs = append(transIDs, transID)
			buyers[c.id] = true
			sums[cur] += minor(value, cur)
		}
		total, origCur, origValue, origRate := value, "", "", ""
		switch {
		case cur == "€":
			total, origCur, origValue, origRate = toUSD(value, "EUR"), cur, value, rates["EUR"]
		case cur != "USD" && rtype != "E":
			total, origCur, origValue, origRate = toUSD(value, cur), cur, value, rates[cur]
		}
		rows = append(rows, []string{transID, userID, "11111111", status, rtype, at, payout, "203.0.113." + strconv.Itoa(1+g.rng.IntN(250)),
			commission, order, "prod_" + strconv.Itoa(1+g.rng.IntN(4)), total, c.email, c.id, "", origCur, origValue, origRate, tier})
	}
	g.writeCSV("commissions.csv", ',', []string{"!TRANSID", "!USERID", "!CAMPAIGNID", "!RSTATUS", "!RTYPE", "!DATEINSERTED",
		"!PAYOUTSTATUS", "!IP", "!COMMISSION", "!ORDERID", "!PRODUCTID", "!TOTALCOST", "!DATA1", "!DATA2", "!DATA3",
		"!ORIGINALCURRENCYID", "!ORIGINALCURRENCYVALUE", "!ORIGINALCURRENCYRATE", "!TIER"}, rows)
	g.section("commissions.csv", "[[COMMISSIONS]]")
	g.reportf("commissions.csv: read=1000 %v", mapped)
	g.reportf("commissions.csv skipped: %v", skips)
	g.reportf("commissions.csv distinct customers of the valid rows: %d", len(buyers))
	g.reportf("commissions.csv valid, minor units by currency (USD with no original currency): %v", counts(sums))
}

// section writes the section line Post Affiliate Pro's export puts above
// each header (support.qualityunit.com article 146800, "Csv file headers
// format"); the CSV reader takes the header from the line after it.
func (g *gen) section(name, line string) {
	g.rewrite(name, func(data string) string { return line + "\n" + data })
}

// bomCRLF rewrites a file with a UTF-8 byte order mark and CRLF line ends,
// as Windows-minded exporters write them.
func (g *gen) bomCRLF(name string) {
	g.rewrite(name, func(data string) string { return "\ufeff" + strings.ReplaceAll(data, "\n", "\r\n") })
}

// rewrite replaces a written sample file's text with edit(text).
func (g *gen) rewrite(name string, edit func(string) string) {
	if g.err != nil {
		return
	}
	path := filepath.Join(g.dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		g.err = err
		return
	}
	g.err = os.WriteFile(path, []byte(edit(string(data))), 0o644)
}
