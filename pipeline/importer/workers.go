package importer

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/sources"
)

// Worker pool bounds: the pool is sized from rate x latency, which is the
// concurrency that keeps the budget busy; more only queue at the limiter.
const (
	minWorkers     = 2
	maxWorkers     = 64
	unlimitedPool  = 16 // no rate limit known
	workerHeadroom = 3.0
	// MaxWorkersOption bounds Job.Workers: enough for 100 requests/s at
	// 2.5 s a request. Each worker holds a queue and a goroutine; 100,000
	// of them took 19 s and 590 MB to import one row, and could not go
	// faster than the rate limit anyway.
	MaxWorkersOption = 256
)

// coalesceRows is how many transactions an import holds back to gather a
// customer's transactions that are far apart in the input (a file sorted by
// date) into one batch: about 20 MB of rows.
const coalesceRows = 20000

// autoWorkers sizes the worker pool: requests in flight = rate x latency,
// tripled for the time workers spend between requests and for latency that
// grows under load (extra workers only wait at the client's limiter), plus two.
func autoWorkers(limit float64, latency time.Duration) int {
	if limit <= 0 {
		return unlimitedPool
	}
	if latency <= 0 {
		latency = 100 * time.Millisecond
	}
	n := int(math.Ceil(limit*latency.Seconds()*workerHeadroom)) + 2
	return min(max(n, minWorkers), maxWorkers)
}

// pool is the engine's worker settings for a job: a fixed pool of
// Job.Workers, or one sized as the client learns (active), following the
// budget and the latency measured so far up to maxWorkers partitions with
// the queue memory of 16 default ones.
func pool(workers int, client *partnero.Client) (n int, active func() int, queue int) {
	if workers > 0 {
		return workers, nil, 0
	}
	return maxWorkers, func() int { return autoWorkers(client.Limit(), client.Latency()) }, 16 * 1000 / maxWorkers
}

// estimateRows counts the data rows of a plain CSV or JSON lines file (a
// fast scan for newlines), for the progress bar's total and the sink's
// choice between listing and lookups. It returns -1 when it cannot tell
// cheaply (standard input, gzip, Parquet).
func estimateRows(path, format string) int64 {
	if path == "-" || strings.HasSuffix(strings.ToLower(path), ".gz") || format == sources.FormatParquet {
		return -1
	}
	f, err := os.Open(path)
	if err != nil {
		return -1
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	var lines int64
	buf := make([]byte, 1<<20)
	last := byte('\n')
	for {
		n, err := br.Read(buf)
		if n > 0 {
			lines += int64(bytes.Count(buf[:n], []byte{'\n'}))
			last = buf[n-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return -1
		}
	}
	if last != '\n' {
		lines++
	}
	if format == sources.FormatCSV {
		lines-- // the header
	}
	return max(lines, 0)
}

// statsSince is what a client did between two snapshots: the counters'
// differences, and the budget as it is now.
func statsSince(now, before partnero.Stats) partnero.Stats {
	d := now
	d.Requests -= before.Requests
	d.Retries -= before.Retries
	d.RateLimited -= before.RateLimited
	d.ServerErrors -= before.ServerErrors
	d.NetworkErrors -= before.NetworkErrors
	d.ByRoute = make(map[string]int64, len(now.ByRoute))
	for route, n := range now.ByRoute {
		if n -= before.ByRoute[route]; n > 0 {
			d.ByRoute[route] = n
		}
	}
	return d
}
