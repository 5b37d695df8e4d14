package e2e

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// dataset is a generated migration: partners, customers and transactions
// files in canonical columns, and what the target must hold afterwards.
type dataset struct {
	dir                                 string
	partnersFile, customersFile, txFile string

	wantPartners     []string // emails
	wantCustomers    []string // keys (those of the customers file and those the transactions create)
	wantTransactions []string // keys
	// Rows deliberately invalid, per file.
	badPartners, badCustomers, badTransactions int
}

// genOptions size a dataset.
type genOptions struct {
	Partners, Customers, PerCustomer int
	// NewCustomers is how many further customers appear only in the
	// transactions file (created there with options.create_customer).
	NewCustomers int
	// Bad adds a few invalid rows to every file.
	Bad bool
	// Interleave writes the transactions round-robin over the customers,
	// as an export sorted by date has them, instead of grouped.
	Interleave bool
}

// generate writes a dataset into dir. Transactions are grouped by customer,
// as billing exports sorted by customer are; amounts vary so a re-run can
// only be unchanged if every field matches.
func generate(t testing.TB, dir string, o genOptions) *dataset {
	t.Helper()
	d := &dataset{dir: dir,
		partnersFile:  filepath.Join(dir, "partners.csv"),
		customersFile: filepath.Join(dir, "customers.csv"),
		txFile:        filepath.Join(dir, "transactions.csv"),
	}
	write := func(path string, fill func(w *bufio.Writer)) {
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<16)
		fill(w)
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	write(d.partnersFile, func(w *bufio.Writer) {
		fmt.Fprintln(w, "id,email,name,surname,key")
		for i := range o.Partners {
			email := fmt.Sprintf("partner%05d@example.com", i)
			fmt.Fprintf(w, "p%05d,%s,Name%d,Surname%d,ref%05d\n", i, email, i, i, i)
			d.wantPartners = append(d.wantPartners, email)
		}
		if o.Bad {
			fmt.Fprintln(w, "pbad1,not-an-email,Bad,Row,refbad1")
			fmt.Fprintln(w, "p00000,partner00000@example.com,Dup,Row,ref00000")
			d.badPartners = 2
		}
	})
	write(d.customersFile, func(w *bufio.Writer) {
		fmt.Fprintln(w, "key,email,name,surname,partner.id")
		for i := range o.Customers {
			key := fmt.Sprintf("c%06d", i)
			fmt.Fprintf(w, "%s,%s@example.org,Cust%d,Omer%d,p%05d\n", key, key, i, i, i%o.Partners)
			d.wantCustomers = append(d.wantCustomers, key)
		}
		if o.Bad {
			fmt.Fprintln(w, "cbad1,cbad1@example.org,No,Partner,pnobody")
			fmt.Fprintln(w, ",nokey@example.org,No,Key,p00000")
			d.badCustomers = 2
		}
	})
	write(d.txFile, func(w *bufio.Writer) {
		fmt.Fprintln(w, "key,amount,currency,action,customer.key,customer.partner.id")
		type cust struct{ key, partner string }
		var custs []cust
		for i := range o.Customers {
			custs = append(custs, cust{fmt.Sprintf("c%06d", i), fmt.Sprintf("p%05d", i%o.Partners)})
		}
		for i := range o.NewCustomers {
			key := fmt.Sprintf("n%06d", i)
			custs = append(custs, cust{key, fmt.Sprintf("p%05d", i%o.Partners)})
			d.wantCustomers = append(d.wantCustomers, key)
		}
		n := 0
		row := func(c cust, j int) {
			key := fmt.Sprintf("tx%07d", n)
			p := ""
			if j == 0 {
				p = c.partner // the first row of a customer names its partner
			}
			fmt.Fprintf(w, "%s,%d.%02d,USD,sale,%s,%s\n", key, 10+n%90, n%100, c.key, p)
			d.wantTransactions = append(d.wantTransactions, key)
			n++
		}
		if o.Interleave {
			for j := range o.PerCustomer {
				for _, c := range custs {
					row(c, j)
				}
			}
		} else {
			for _, c := range custs {
				for j := range o.PerCustomer {
					row(c, j)
				}
			}
		}
		if o.Bad {
			fmt.Fprintln(w, "txbad1,abc,USD,sale,c000000,")
			fmt.Fprintln(w, "txbad2,5,USD,sale,cnobody,")
			fmt.Fprintln(w, "tx0000000,10.00,USD,sale,c000000,")
			d.badTransactions = 3
		}
	})
	return d
}
