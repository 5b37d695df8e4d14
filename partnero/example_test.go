package partnero_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/partnero-etl/partnero-etl/partnero"
)

// One client per key: every request made with it shares its pacing.
func ExampleNewClient() {
	rate, err := partnero.ParseRate("600/min")
	if err != nil {
		log.Fatal(err)
	}
	c, err := partnero.NewClient(
		partnero.WithAPIKey("your-key"),
		partnero.WithRate(rate),
		partnero.WithUserAgent("example/1.0"),
	)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c)
	// Output: partnero.Client{base: https://api.partnero.com/v1/, key: [redacted], rate: 10/s}
}

func ExamplePartnersService_All() {
	ctx := context.Background()
	c, err := partnero.NewClient(partnero.WithAPIKey("your-key"))
	if err != nil {
		log.Fatal(err)
	}
	// Oldest first, 250 per request, until links.next is null.
	for p, err := range c.Partners.All(ctx, partnero.ListOptions{Sort: "asc"}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(p.ID, p.Email)
	}
}

// An error is matched by its kind with errors.Is; the classifiers say what
// an answer means for the row.
func ExampleError() {
	ctx := context.Background()
	c, err := partnero.NewClient(partnero.WithAPIKey("your-key"))
	if err != nil {
		log.Fatal(err)
	}
	_, err = c.Customers.Create(ctx, &partnero.Customer{Key: "cus_1", Partner: &partnero.PartnerRef{Key: "ann"}})
	switch {
	case partnero.IsUnknownPartner(err):
		// 400 "Invalid partner key": create the partner first.
		fmt.Println("no such partner:", err)
	case errors.Is(err, partnero.ErrValidation):
		// A 422 or 400: the row is rejected, retrying cannot help.
		fmt.Println("rejected:", err)
	case partnero.IsRetryable(err):
		// Still failing after the client's own retries: try again later.
		fmt.Println("later:", err)
	case err != nil:
		log.Fatal(err)
	}
}
