package export

import (
	"sync/atomic"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/record"
)

// Counter is a Progress for a display: the export's goroutine adds, the
// display's goroutine reads.
type Counter struct {
	rows   atomic.Int64
	entity atomic.Value // record.Entity being read
}

// Add counts n rows of entity.
func (p *Counter) Add(e record.Entity, n int64) {
	p.rows.Add(n)
	if cur, _ := p.entity.Load().(record.Entity); cur != e {
		p.entity.Store(e)
	}
}

// Rows is the number of rows so far, and Entity the table being read.
func (p *Counter) Rows() int64 { return p.rows.Load() }

// Entity is the table being read ("" before the first row).
func (p *Counter) Entity() record.Entity {
	e, _ := p.entity.Load().(record.Entity)
	return e
}

// StatsOf is the manifest's account of the client's requests.
func StatsOf(s partnero.Stats) APIStats {
	return APIStats{Requests: s.Requests, Retries: s.Retries, RateLimited: s.RateLimited,
		ServerErrors: s.ServerErrors, NetworkErrors: s.NetworkErrors, ByRoute: s.ByRoute}
}
