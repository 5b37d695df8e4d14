package program

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Options configure a Source.
type Options struct {
	// Limit is the page size; 0 means MaxLimit (250).
	Limit int
	// Window is the number of pages in flight; 0 sizes it from the client's
	// current rate and latency (rate x latency, plus headroom), between 2
	// and 32.
	Window int
	// WithReferralLinks fetches each partner's referral links (one more
	// request per partner) and fills Partner.Key with the first link's key;
	// the JSON object gains "referral_keys".
	WithReferralLinks bool
}

// Since is the high-water mark of an incremental export of transactions:
// records created before CreatedAt, or at CreatedAt with one of the keys,
// were exported already. The mark is a created_at, not an insertion point:
// a transaction inserted after the last export with an older created_at (a
// backfill) counts as exported and appears only in a full export. The
// contract orders the listing "newest first" without saying by which
// clock; the stop condition takes it to be created_at, as the sandbox does.
type Since struct {
	CreatedAt time.Time
	keys      map[string]struct{}
}

// NewSince builds a mark from a time and the keys created at that time.
func NewSince(createdAt time.Time, keys []string) *Since {
	s := &Since{CreatedAt: createdAt, keys: make(map[string]struct{}, len(keys))}
	for _, k := range keys {
		s.keys[k] = struct{}{}
	}
	return s
}

// Keys returns the keys at the mark, sorted.
func (s *Since) Keys() []string {
	keys := make([]string, 0, len(s.keys))
	for k := range s.keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Stats is what reading one entity took.
type Stats struct {
	Pages   int64
	Shifted int64
	// Skipped counts records an incremental listing read but left out as
	// already exported (the overlap).
	Skipped int64
}

// lister is what the source needs of the API: one page of each list
// endpoint and a partner's referral links. *partnero.Client provides it
// through clientLister; tests may fake it.
type lister interface {
	partners(ctx context.Context, page, limit int, sort string) (batch[partnero.Partner], error)
	customers(ctx context.Context, page, limit int, sort string) (batch[partnero.Customer], error)
	transactions(ctx context.Context, page, limit int, sort string) (batch[partnero.Transaction], error)
	referralLinks(ctx context.Context, partnerID string) ([]partnero.ReferralLink, error)
	// pace returns the current request budget (per second) and latency, to
	// size the lookahead window.
	pace() (perSecond float64, latency time.Duration)
}

// Source reads entities from a program's list endpoints.
type Source struct {
	api  lister
	opts Options
}

func newSource(api lister, opts Options) *Source {
	if opts.Limit <= 0 || opts.Limit > MaxLimit {
		opts.Limit = MaxLimit
	}
	return &Source{api: api, opts: opts}
}

// window is how many requests go at once beside the listing (referral
// links): the pager's window at the client's current pace.
func (s *Source) window() int {
	if s.opts.Window > 0 {
		return s.opts.Window
	}
	return partnero.PageWindow(s.api.pace())
}

// newPager returns the client's pager over one of the lister's endpoints,
// its window sized from the client's pace unless Options.Window fixes it.
func newPager[T any](s *Source, limit int, identity func(T, json.RawMessage) string, fetch func(ctx context.Context, page int) (batch[T], error)) *partnero.Pager[T] {
	p := &partnero.Pager[T]{Limit: limit, Window: s.opts.Window, Identity: identity}
	if s.opts.Window <= 0 {
		p.Pace = s.api.pace
	}
	p.Fetch = func(ctx context.Context, page int) (*partnero.Page[T], error) {
		b, err := fetch(ctx, page)
		if err != nil {
			return nil, err
		}
		return &partnero.Page[T]{Items: b.Items, Raw: b.Raw, HasNext: b.HasNext, Page: page, PerPage: limit}, nil
	}
	return p
}

// each yields every record of p in order through yield, or the first error.
func each[T any](ctx context.Context, p *partnero.Pager[T], yield func(partnero.Item[T]) error) error {
	for it, err := range p.Items(ctx) {
		if err != nil {
			return err
		}
		if err := yield(it); err != nil {
			return err
		}
	}
	return nil
}

func origin[T any](entity record.Entity, limit int, it partnero.Item[T]) record.Origin {
	return record.Origin{File: "GET /" + string(entity), Line: int64((it.Page-1)*limit + it.Index + 1)}
}

// Each reads every record of an entity in listing order (oldest first) and
// calls yield for each; since, for transactions only, makes it an
// incremental read (newest first, stopping once past the mark). A page that
// fails after the client's retries, or a yield error, ends it.
func (s *Source) Each(ctx context.Context, entity record.Entity, since *Since, yield func(record.Record) error) (Stats, error) {
	switch entity {
	case record.Partners:
		p := newPager(s, s.opts.Limit, partnerIdentity, func(ctx context.Context, page int) (batch[partnero.Partner], error) {
			b, err := s.api.partners(ctx, page, s.opts.Limit, "asc")
			if err != nil || !s.opts.WithReferralLinks {
				return b, err
			}
			return b, s.addReferralLinks(ctx, &b)
		})
		err := each(ctx, p, func(it partnero.Item[partnero.Partner]) error {
			v := it.Value
			return yield(record.Record{Entity: entity, Origin: origin(entity, s.opts.Limit, it), Partner: &v, Raw: it.Raw})
		})
		return Stats{Pages: p.Pages(), Shifted: p.Shifted()}, err
	case record.Customers:
		p := newPager(s, s.opts.Limit, customerIdentity, func(ctx context.Context, page int) (batch[partnero.Customer], error) {
			return s.api.customers(ctx, page, s.opts.Limit, "asc")
		})
		err := each(ctx, p, func(it partnero.Item[partnero.Customer]) error {
			v := it.Value
			return yield(record.Record{Entity: entity, Origin: origin(entity, s.opts.Limit, it), Customer: &v, Raw: it.Raw})
		})
		return Stats{Pages: p.Pages(), Shifted: p.Shifted()}, err
	case record.Transactions:
		sort := "asc"
		if since != nil {
			sort = "desc"
		}
		p := newPager(s, s.opts.Limit, transactionIdentity, func(ctx context.Context, page int) (batch[partnero.Transaction], error) {
			return s.api.transactions(ctx, page, s.opts.Limit, sort)
		})
		var skipped int64
		if since != nil {
			p.Stop = func(pg *partnero.Page[partnero.Transaction]) bool {
				last := pg.Items[len(pg.Items)-1]
				// Newest first: once a page ends before the mark, every later
				// page is older still. The page itself is the overlap.
				return last.CreatedAt != nil && last.CreatedAt.Before(since.CreatedAt)
			}
		}
		err := each(ctx, p, func(it partnero.Item[partnero.Transaction]) error {
			v := it.Value
			if since != nil && !since.newer(&v) {
				skipped++
				return nil
			}
			return yield(record.Record{Entity: entity, Origin: origin(entity, s.opts.Limit, it), Transaction: &v, Raw: it.Raw})
		})
		return Stats{Pages: p.Pages(), Shifted: p.Shifted(), Skipped: skipped}, err
	}
	if IsListEntity(entity) {
		return s.eachList(ctx, entity, yield)
	}
	return Stats{}, fmt.Errorf("cannot export %q: want partners, customers or transactions", entity)
}

// newer reports whether a transaction is past the mark. One without a
// creation time is kept: better twice than never.
func (s *Since) newer(t *partnero.Transaction) bool {
	if t.CreatedAt == nil {
		return true
	}
	at := t.CreatedAt.Time
	switch {
	case at.After(s.CreatedAt):
		return true
	case at.Equal(s.CreatedAt):
		_, done := s.keys[t.Key]
		return !done
	}
	return false
}

func customerIdentity(c partnero.Customer, _ json.RawMessage) string { return c.Key }

func partnerIdentity(p partnero.Partner, _ json.RawMessage) string {
	if p.ID != "" {
		return "id:" + string(p.ID)
	}
	if p.Email != "" {
		return "email:" + p.Email
	}
	return ""
}

// transactionIdentity names a transaction for deduplication. Keys are not
// unique server-side (a second POST with the same key is a second
// transaction, often with the same amount, customer and second), so the key
// alone, or with those fields, would drop real records. A record a shifted
// page shows again is the very same object, byte for byte, while two real
// transactions differ at least in their rewards' own keys: the key goes
// with a hash of the whole object. Only without the raw object (a fake
// lister) do the fields stand in for it.
func transactionIdentity(t partnero.Transaction, raw json.RawMessage) string {
	if len(raw) > 0 {
		sum := sha256.Sum256(raw)
		return strconv.Quote(t.Key) + "|" + hex.EncodeToString(sum[:16])
	}
	var at string
	if t.CreatedAt != nil {
		at = t.CreatedAt.UTC().Format(time.RFC3339Nano)
	}
	var amount string
	if t.Amount != nil {
		amount = t.Amount.String()
	}
	return strconv.Quote(t.Key) + "|" + at + "|" + strconv.Quote(t.Customer.Key) + "|" + amount
}

// addReferralLinks fetches the referral links of every partner of a page
// concurrently (the client paces them), sets Key to the first link's key and
// adds "referral_keys" to the raw objects.
func (s *Source) addReferralLinks(ctx context.Context, b *batch[partnero.Partner]) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.window())
	for i := range b.Items {
		if gctx.Err() != nil {
			break // errgroup.Go blocks at the limit even after cancellation
		}
		g.Go(func() error {
			p := &b.Items[i]
			if p.ID == "" {
				return nil
			}
			links, err := s.api.referralLinks(gctx, string(p.ID))
			if err != nil {
				return fmt.Errorf("referral links of partner %s: %w", p.ID, err)
			}
			keys := make([]string, 0, len(links))
			urls := make([]string, 0, len(links))
			for _, l := range links {
				if l.Key != "" {
					keys = append(keys, l.Key)
				}
				if l.URL != "" {
					urls = append(urls, l.URL)
				}
			}
			p.Links = links // the referral_links table
			if p.Key == "" && len(keys) > 0 {
				p.Key = keys[0]
			}
			if len(p.ReferralLinks) == 0 {
				p.ReferralLinks = urls
			}
			if i < len(b.Raw) {
				b.Raw[i] = withField(b.Raw[i], "referral_keys", keys)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// withField adds a field at the end of a JSON object.
func withField(raw json.RawMessage, name string, v any) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) < 2 || t[len(t)-1] != '}' {
		return raw
	}
	vb, err := json.Marshal(v)
	if err != nil {
		return raw
	}
	nb, _ := json.Marshal(name)
	var out bytes.Buffer
	body := bytes.TrimSpace(t[:len(t)-1])
	out.Write(body)
	if len(body) > 1 {
		out.WriteByte(',')
	}
	out.Write(nb)
	out.WriteByte(':')
	out.Write(vb)
	out.WriteByte('}')
	return out.Bytes()
}
