package e2e

// Exports to object storage: the real binary writes to S3 (versitygw), GCS
// (fake-gcs-server) and Azure Blob (Azurite) servers that the tests start on
// loopback, and a reader that does not share the exporter's code (boto3
// for S3, the plain JSON API for GCS, the Azure SDK for Azure) checks what
// a manifest-following reader gets. The servers are installed by .ci/run;
// without one a test skips, unless CI is set, when it fails.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	api "github.com/partnero-etl/partnero-etl/partnero"
	"github.com/partnero-etl/partnero-etl/partnero/sandbox"
	"github.com/partnero-etl/partnero-etl/partnero/sandboxtest"
	"github.com/partnero-etl/partnero-etl/pipeline/export"
	"github.com/partnero-etl/partnero-etl/record"
	"github.com/partnero-etl/partnero-etl/sinks"
	sinkparquet "github.com/partnero-etl/partnero-etl/sinks/parquet"
)

const (
	s3Access, s3Secret = "e2e-access", "e2e-secret-key"
	// The Azurite account the test declares (AZURITE_ACCOUNTS): its key is
	// any base64 text.
	azuriteAccount = "e2eaccount"
	azuriteKey     = "ZTJlLWF6dXJpdGUta2V5LWZvci10ZXN0cy1vbmx5"
	testBucket     = "nightly"
)

// findTool finds a server the tests start: on PATH, or where go install
// puts it. Missing, the test skips, unless CI is set: then it fails.
func findTool(t *testing.T, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join(build.Default.GOPATH, "bin", name); fileExists(p) {
		return p
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed and CI is set: .ci/run installs it (%s)", name, install)
	}
	t.Skipf("%s is not installed (%s; .ci/run does it): skipping; with CI set this fails", name, install)
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// The ports freePort handed out in this process.
var (
	portsMu    sync.Mutex
	portsGiven = map[int]bool{}
)

// freePort returns a loopback port for a server a test starts by number:
// free when asked, never handed out before in this process, and below the
// kernel's ephemeral range (32768 and up on Linux), which listeners on port
// 0 and outgoing connections take theirs from. So nothing else takes it
// before the server binds it, and the bucket tests can run in parallel.
func freePort(t *testing.T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 500 {
		p := 20000 + rand.IntN(12000)
		if portsGiven[p] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // in use
		}
		ln.Close()
		portsGiven[p] = true
		return p
	}
	t.Fatal("no free loopback port between 20000 and 32000")
	return 0
}

// startServer runs a server until the test ends and waits for its port.
func startServer(t *testing.T, port int, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	var logs bytes.Buffer
	var mu sync.Mutex
	w := writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return logs.Write(p) })
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			mu.Lock()
			t.Logf("%s output:\n%s", filepath.Base(name), logs.String())
			mu.Unlock()
		}
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for range 1200 { // up to 60 s: Azurite starts slowly on a loaded machine
		select {
		case <-done:
			mu.Lock()
			defer mu.Unlock()
			t.Fatalf("%s exited at start:\n%s", name, logs.String())
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 50*time.Millisecond); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not listen on %s", name, addr)
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// store is one object store started for a test, with an independent reader.
type store struct {
	name string
	// base is the bucket URL without prefix; out(prefix) the --out value.
	base  string
	query string
	env   []string
	// read lists every key under prefix and fetches the objects the
	// manifest at prefix names, without the exporter's code.
	read func(t *testing.T, prefix string) bucketView
	// pending lists the pending multipart uploads under prefix (S3 only).
	pending func(t *testing.T, prefix string) []string
	// endpoint is the S3 server's address, for slowOut.
	endpoint string
	// put writes an object as another program would.
	put func(t *testing.T, key string, body []byte)
	// list lists the keys under prefix, relative to it (GCS and Azure).
	list func(t *testing.T, prefix string) []string
}

// slowOut is out(prefix) through a loopback proxy that forwards uploads at
// rate bytes per second (S3 only).
func (s *store) slowOut(t *testing.T, prefix string, rate int) string {
	t.Helper()
	proxy := throttleProxy(t, strings.TrimPrefix(s.endpoint, "http://"), rate)
	return s.base + "/" + prefix + "?endpoint=" + url.QueryEscape("http://"+proxy) + "&use_path_style=true&region=us-east-1"
}

// throttleProxy forwards TCP connections to target, client-to-server bytes
// at most rate per second.
func throttleProxy(t *testing.T, target string, rate int) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer u.Close()
				go func() { _, _ = io.Copy(c, u); c.Close() }()
				buf := make([]byte, 32<<10)
				for {
					n, err := c.Read(buf)
					if n > 0 {
						if _, werr := u.Write(buf[:n]); werr != nil {
							return
						}
						time.Sleep(time.Duration(n) * time.Second / time.Duration(rate))
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

func (s *store) out(prefix string) string { return s.base + "/" + prefix + s.query }

// bucketView is what a reader sees under a prefix.
type bucketView struct {
	keys     []string // every object, relative to the prefix
	manifest []byte   // nil when there is none
	files    map[string][]byte
}

func startS3(t *testing.T) *store {
	bin := findTool(t, "versitygw", "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0")
	python := findBoto3(t)
	port := freePort(t)
	root, meta := t.TempDir(), t.TempDir()
	startServer(t, port, nil, bin, "--port", fmt.Sprintf("127.0.0.1:%d", port), "--access", s3Access, "--secret", s3Secret,
		"--quiet", "posix", "--sidecar", meta, root)
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", port)
	client := s3.New(s3.Options{BaseEndpoint: aws.String(endpoint), Region: "us-east-1", UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s3Access, s3Secret, "")})
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(testBucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	env := []string{"AWS_ACCESS_KEY_ID=" + s3Access, "AWS_SECRET_ACCESS_KEY=" + s3Secret, "AWS_REGION=us-east-1",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null"}
	return &store{
		name: "s3", base: "s3://" + testBucket, env: env, endpoint: endpoint,
		query: "?endpoint=" + url.QueryEscape(endpoint) + "&use_path_style=true&region=us-east-1",
		read: func(t *testing.T, prefix string) bucketView {
			return boto3Read(t, python, endpoint, env, prefix)
		},
		put: func(t *testing.T, key string, body []byte) {
			if _, err := client.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
				t.Fatal(err)
			}
		},
		pending: func(t *testing.T, prefix string) []string {
			out, err := client.ListMultipartUploads(context.Background(), &s3.ListMultipartUploadsInput{Bucket: aws.String(testBucket), Prefix: aws.String(prefix)})
			if err != nil {
				t.Fatalf("list multipart uploads: %v", err)
			}
			var keys []string
			for _, u := range out.Uploads {
				keys = append(keys, aws.ToString(u.Key))
			}
			return keys
		},
	}
}

// findBoto3 finds a python3 that imports boto3 (Debian's python3-boto3).
func findBoto3(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(p, "-c", "import boto3").Run() == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("python3 with boto3 is not installed and CI is set: .ci/run installs python3-boto3")
	}
	t.Skip("python3 with boto3 is not installed (apt-get install python3-boto3): skipping; with CI set this fails")
	return ""
}

// boto3Script lists the prefix, reads its manifest and downloads every file
// the manifest names, with boto3: another S3 implementation than the
// exporter's.
const boto3Script = `
import boto3, botocore.config, json, os, sys
endpoint, bucket, prefix, outdir = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, config=botocore.config.Config(s3={"addressing_style": "path"}))
keys = []
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
    keys += [o["Key"][len(prefix):] for o in page.get("Contents", [])]
if "manifest.json" in keys:
    s3.download_file(bucket, prefix + "manifest.json", os.path.join(outdir, "manifest.json"))
    for f in json.load(open(os.path.join(outdir, "manifest.json")))["files"]:
        dst = os.path.join(outdir, "files", f["path"])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        s3.download_file(bucket, prefix + f["path"], dst)
print(json.dumps(keys))
`

func boto3Read(t *testing.T, python, endpoint string, env []string, prefix string) bucketView {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(python, "-c", boto3Script, endpoint, testBucket, prefix+"/", dir)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("boto3 reader: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("boto3 reader: %v", err)
	}
	var v bucketView
	if err := json.Unmarshal(out, &v.keys); err != nil {
		t.Fatalf("boto3 reader output %q: %v", out, err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "manifest.json")); err == nil {
		v.manifest = b
		v.files = readTree(t, filepath.Join(dir, "files"))
	}
	return v
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	return files
}

func startGCS(t *testing.T) *store {
	bin := findTool(t, "fake-gcs-server", "go install github.com/fsouza/fake-gcs-server@v1.56.1")
	port := freePort(t)
	data := t.TempDir()
	if err := os.Mkdir(filepath.Join(data, testBucket), 0o755); err != nil { // a folder is a bucket
		t.Fatal(err)
	}
	host := fmt.Sprintf("127.0.0.1:%d", port)
	startServer(t, port, nil, bin, "-scheme", "http", "-host", "127.0.0.1", "-port", strconv.Itoa(port),
		"-backend", "memory", "-data", data, "-public-host", host, "-log-level", "error")
	base := "http://" + host
	get := func(t *testing.T, u string) []byte {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v\n%s", u, resp.StatusCode, err, b)
		}
		return b
	}
	st := &store{
		name: "gs", base: "gs://" + testBucket,
		env: []string{"STORAGE_EMULATOR_HOST=" + host},
		put: func(t *testing.T, key string, body []byte) {
			resp, err := http.Post(base+"/upload/storage/v1/b/"+testBucket+"/o?uploadType=media&name="+url.QueryEscape(key), "application/json", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("upload %s: %s", key, resp.Status)
			}
		},
		list: func(t *testing.T, prefix string) []string {
			// The JSON API with net/http: not the exporter's client.
			var list struct {
				Items []struct {
					Name string `json:"name"`
				} `json:"items"`
			}
			if err := json.Unmarshal(get(t, base+"/storage/v1/b/"+testBucket+"/o?prefix="+url.QueryEscape(prefix+"/")), &list); err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, it := range list.Items {
				keys = append(keys, strings.TrimPrefix(it.Name, prefix+"/"))
			}
			return keys
		},
	}
	st.read = func(t *testing.T, prefix string) bucketView {
		v := bucketView{keys: st.list(t, prefix)}
		fetch := func(rel string) []byte {
			return get(t, base+"/download/storage/v1/b/"+testBucket+"/o/"+url.PathEscape(prefix+"/"+rel)+"?alt=media")
		}
		if slices.Contains(v.keys, export.ManifestName) {
			v.manifest = fetch(export.ManifestName)
			v.files = fetchNamed(t, v.manifest, fetch)
		}
		return v
	}
	return st
}

func startAzure(t *testing.T) *store {
	bin := findTool(t, "azurite-blob", "npm install azurite@3.35.0")
	port := freePort(t)
	startServer(t, port, []string{"AZURITE_ACCOUNTS=" + azuriteAccount + ":" + azuriteKey}, bin, "--blobHost", "127.0.0.1", "--blobPort", strconv.Itoa(port), "--location", t.TempDir(),
		"--disableTelemetry", "--skipApiVersionCheck", "--loose", "--silent")
	endpoint := fmt.Sprintf("http://127.0.0.1:%d/%s", port, azuriteAccount)
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	// The Azure SDK's own client, not gocloud's wrapper, reads back.
	client, err := azblob.NewClientWithSharedKeyCredential(endpoint, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateContainer(t.Context(), testBucket, nil); err != nil {
		t.Fatalf("create container: %v", err)
	}
	st := &store{
		name: "azblob", base: "azblob://" + testBucket,
		query: fmt.Sprintf("?protocol=http&domain=127.0.0.1:%d&localemu=true", port),
		env:   []string{"AZURE_STORAGE_ACCOUNT=" + azuriteAccount, "AZURE_STORAGE_KEY=" + azuriteKey},
		put: func(t *testing.T, key string, body []byte) {
			if _, err := client.UploadBuffer(t.Context(), testBucket, key, body, nil); err != nil {
				t.Fatal(err)
			}
		},
		list: func(t *testing.T, prefix string) []string {
			var keys []string
			pager := client.NewListBlobsFlatPager(testBucket, &azblob.ListBlobsFlatOptions{Prefix: aws.String(prefix + "/")})
			for pager.More() {
				page, err := pager.NextPage(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for _, b := range page.Segment.BlobItems {
					keys = append(keys, strings.TrimPrefix(*b.Name, prefix+"/"))
				}
			}
			return keys
		},
	}
	st.read = func(t *testing.T, prefix string) bucketView {
		v := bucketView{keys: st.list(t, prefix)}
		fetch := func(rel string) []byte {
			resp, err := client.DownloadStream(t.Context(), testBucket, prefix+"/"+rel, nil)
			if err != nil {
				t.Fatalf("download %s: %v", rel, err)
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		if slices.Contains(v.keys, export.ManifestName) {
			v.manifest = fetch(export.ManifestName)
			v.files = fetchNamed(t, v.manifest, fetch)
		}
		return v
	}
	return st
}

func fetchNamed(t *testing.T, manifest []byte, fetch func(string) []byte) map[string][]byte {
	t.Helper()
	var m export.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range m.Files {
		files[f.Path] = fetch(f.Path)
	}
	return files
}

// tables reads a snapshot as a manifest-following reader does: only the
// files the manifest names, each checked against its size and sha256 (a
// partial object would fail), cells per table in manifest order.
func tables(t *testing.T, manifest []byte, files map[string][]byte) map[record.Entity][][]string {
	t.Helper()
	var m export.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	out := map[record.Entity][][]string{}
	for _, f := range m.Files {
		b, ok := files[f.Path]
		if !ok {
			t.Fatalf("the manifest names %s, which the reader could not get", f.Path)
		}
		sum := sha256.Sum256(b)
		if int64(len(b)) != f.Bytes || hex.EncodeToString(sum[:]) != f.SHA256 {
			t.Fatalf("%s: %d bytes sha256 %x, the manifest says %d bytes %s", f.Path, len(b), sum, f.Bytes, f.SHA256)
		}
		if !slices.Contains(sinks.Tables, f.Entity) {
			// The other list endpoints' tables (leads, coupons, ...):
			// the sandbox here holds none of their objects, and their
			// read-back is DuckDB's in pipeline/export. Bytes and
			// checksum were checked above.
			continue
		}
		var rows [][]string
		switch f.Format {
		case "parquet":
			r, err := sinkparquet.Cells(bytes.NewReader(b), int64(len(b)), f.Entity)
			if err != nil {
				t.Fatalf("read %s: %v", f.Path, err)
			}
			rows = r
		case "csv":
			r, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			if err != nil {
				t.Fatalf("read %s: %v", f.Path, err)
			}
			rows = r[1:]
		default:
			for line := range strings.SplitSeq(strings.TrimSuffix(string(b), "\n"), "\n") {
				if line != "" {
					rows = append(rows, []string{line})
				}
			}
		}
		if int64(len(rows)) != f.Rows {
			t.Errorf("%s: %d rows, the manifest says %d", f.Path, len(rows), f.Rows)
		}
		out[f.Entity] = append(out[f.Entity], rows...)
	}
	for e := range out {
		slices.SortFunc(out[e], func(a, b []string) int { return slices.Compare(a, b) })
	}
	return out
}

// localTables reads a local snapshot folder the same way.
func localTables(t *testing.T, dir string) map[record.Entity][][]string {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(dir, export.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	return tables(t, m, readTree(t, dir))
}

// summary is what the comparison reports: rows per table and the sum of
// the amount column where there is one (exact, as text decimals).
func summary(tb map[record.Entity][][]string) string {
	var parts []string
	for _, e := range []record.Entity{record.Partners, record.Customers, record.Transactions, record.Rewards} {
		parts = append(parts, fmt.Sprintf("%s=%d", e, len(tb[e])))
	}
	return strings.Join(parts, " ")
}

// duckdbScript counts the rows and sums the amounts of each table's
// Parquet files with DuckDB (the npm package @duckdb/node-api bundles the
// engine): a Parquet reader other than the one the exporter writes with.
const duckdbScript = `
const { DuckDBInstance } = require("@duckdb/node-api");
(async () => {
  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const out = {};
  for (const t of JSON.parse(process.argv[1])) {
    const files = t.files.map(f => "'" + f.replace(/'/g, "''") + "'").join(",");
    const sum = t.amount ? "coalesce(sum(amount), 0)::VARCHAR" : "''";
    const r = await c.runAndReadAll("SELECT count(*)::BIGINT AS n, " + sum + " AS s FROM read_parquet([" + files + "])");
    const row = r.getRowObjectsJson()[0];
    out[t.table] = "rows=" + row.n + (t.amount ? " sum(amount)=" + row.s : "");
  }
  console.log(JSON.stringify(out));
})().catch(e => { console.error(e); process.exit(1); });
`

// duckdbModules finds the node_modules folder holding @duckdb/node-api
// (.ci/run installs it beside Azurite).
func duckdbModules(t *testing.T) string {
	t.Helper()
	tools := os.Getenv("PARTNERO_ETL_TOOLS")
	if tools == "" {
		home, _ := os.UserHomeDir()
		tools = filepath.Join(home, ".cache", "partnero-etl-ci")
	}
	mods := filepath.Join(tools, "node_modules")
	if _, err := os.Stat(filepath.Join(mods, "@duckdb", "node-api")); err == nil {
		if _, err := exec.LookPath("node"); err == nil {
			return mods
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("@duckdb/node-api is not in %s and CI is set: .ci/run installs it", mods)
	}
	t.Skipf("@duckdb/node-api is not in %s (npm install --prefix %s @duckdb/node-api): skipping; with CI set this fails", mods, tools)
	return ""
}

// duckdbSummary reads the Parquet files a manifest names with DuckDB:
// rows per table, and the exact sum of amounts where there is one.
func duckdbSummary(t *testing.T, mods string, manifest []byte, files map[string][]byte) map[string]string {
	t.Helper()
	var m export.Manifest
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type table struct {
		Table  string   `json:"table"`
		Files  []string `json:"files"`
		Amount bool     `json:"amount"`
	}
	var tables []*table
	byName := map[record.Entity]*table{}
	for _, f := range m.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, files[f.Path], 0o644); err != nil {
			t.Fatal(err)
		}
		tb := byName[f.Entity]
		if tb == nil {
			tb = &table{Table: string(f.Entity), Amount: f.Entity == record.Transactions || f.Entity == record.Rewards}
			byName[f.Entity] = tb
			tables = append(tables, tb)
		}
		tb.Files = append(tb.Files, p)
	}
	arg, _ := json.Marshal(tables)
	cmd := exec.Command("node", "-e", duckdbScript, string(arg))
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("duckdb: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("duckdb: %v", err)
	}
	res := map[string]string{}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("duckdb output %q: %v", out, err)
	}
	return res
}

// exportCmd prepares `partnero-etl export` against the sandbox.
func exportCmd(ctx context.Context, sb *sandboxProc, env []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, binary, append([]string{"export", "--rate", "2000/s", "--quiet"}, args...)...)
	cmd.Env = append(append(os.Environ(), "PARTNERO_API_KEY="+testKey, "PARTNERO_BASE_URL="+sb.baseURL()), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
}

func runExport(t *testing.T, sb *sandboxProc, env []string, args ...string) {
	t.Helper()
	cmd, out := exportCmd(t.Context(), sb, env, args...)
	if err := cmd.Run(); err != nil {
		t.Fatalf("export %v: %v\n%s", args, err, out)
	}
}

// seedProgram creates partners, customers and transactions (padded with
// product types when pad > 0, to make large files).
func seedProgram(t *testing.T, sb *sandboxProc, customers, txPerCustomer, pad int, day time.Time) {
	t.Helper()
	c, err := api.NewClient(api.WithBaseURL(sb.baseURL()), api.WithAPIKey(testKey), api.WithRate(api.Rate{PerSecond: 10000}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	p, err := c.Partners.Create(ctx, &api.Partner{Email: fmt.Sprintf("p%d@example.com", day.Unix()), Name: "Zoë"})
	if err != nil {
		t.Fatal(err)
	}
	var types api.StringList
	for i := range pad {
		types = append(types, fmt.Sprintf("product-type-%03d-%s", i, strings.Repeat("x", 80)))
	}
	for i := range customers {
		key := fmt.Sprintf("cust-%d-%d", day.Unix(), i)
		if _, err := c.Customers.Create(ctx, &api.Customer{Key: key, Partner: &api.PartnerRef{ID: p.ID}}); err != nil {
			t.Fatal(err)
		}
		var txs []api.Transaction
		for j := range txPerCustomer {
			amount := api.MustDecimal(fmt.Sprintf("%d.%02d", 10+j, (i+j)%100))
			txs = append(txs, api.Transaction{Key: fmt.Sprintf("%s-tx-%d", key, j), Amount: &amount, Action: "sale", ProductType: types})
		}
		// The sandbox takes at most MaxBatchTransactions a request.
		for len(txs) > 0 {
			n := min(len(txs), sandbox.MaxBatchTransactions)
			if _, err := c.Transactions.CreateBatch(ctx, api.CustomerRef{Key: key}, txs[:n], nil); err != nil {
				t.Fatal(err)
			}
			txs = txs[n:]
		}
	}
}

// checkOnlyManifestFiles fails when the bucket holds an object under runs/
// that the manifest does not name (a leftover a lister could mistake).
func checkOnlyManifestFiles(t *testing.T, v bucketView) {
	t.Helper()
	for _, k := range v.keys {
		if k == export.ManifestName {
			continue
		}
		if _, ok := v.files[k]; !ok {
			t.Errorf("object %s is in the bucket but not in the manifest", k)
		}
	}
}

// TestBucketExportMatchesFolder exports the same program to a folder and to
// each of S3, GCS and Azure, and reads each bucket back independently: the
// same rows, every table.
func TestBucketExportMatchesFolder(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{})
	seedProgram(t, sb, 6, 25, 0, time.Now())
	dir := filepath.Join(t.TempDir(), "snapshot")
	runExport(t, sb, nil, "--out", dir)
	want := localTables(t, dir)
	if len(want[record.Transactions]) != 150 || len(want[record.Rewards]) == 0 {
		t.Fatalf("local export: %s", summary(want))
	}
	mods := duckdbModules(t)
	localManifest, err := os.ReadFile(filepath.Join(dir, export.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	wantDuck := duckdbSummary(t, mods, localManifest, readTree(t, dir))
	t.Logf("folder, read by DuckDB: %v", wantDuck)
	for name, start := range map[string]func(*testing.T) *store{"s3": startS3, "gs": startGCS, "azblob": startAzure} {
		t.Run(name, func(t *testing.T) {
			st := start(t)
			t.Logf("%s: %s", st.name, st.out("nightly/partnero"))
			runExport(t, sb, st.env, "--out", st.out("nightly/partnero"))
			v := st.read(t, "nightly/partnero")
			if v.manifest == nil {
				t.Fatalf("no manifest.json under the prefix; keys %v", v.keys)
			}
			got := tables(t, v.manifest, v.files)
			if summary(got) != summary(want) {
				t.Fatalf("%s: %s, the folder export has %s", st.name, summary(got), summary(want))
			}
			for e, rows := range want {
				if !slices.EqualFunc(got[e], rows, slices.Equal) {
					t.Errorf("%s: table %s differs from the folder export", st.name, e)
				}
			}
			checkOnlyManifestFiles(t, v)
			gotDuck := duckdbSummary(t, mods, v.manifest, v.files)
			if !maps.Equal(gotDuck, wantDuck) {
				t.Errorf("%s read by DuckDB: %v, the folder export %v", st.name, gotDuck, wantDuck)
			}
			t.Logf("%s: %s, same rows as the folder export; DuckDB: %v", st.name, summary(got), gotDuck)
		})
	}
}

// startExportUntilUpload starts an export and waits until it has a
// multipart upload of its own pending under prefix (it is then
// mid-upload), bounded. Uploads pending before it started are not its own.
func startExportUntilUpload(t *testing.T, sb *sandboxProc, st *store, prefix string, args ...string) (*exec.Cmd, chan error, *bytes.Buffer) {
	t.Helper()
	before := st.pending(t, prefix)
	cmd, out := exportCmd(t.Context(), sb, st.env, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for range 3000 { // up to 60 s
		select {
		case err := <-done:
			t.Fatalf("the export ended (%v) before an upload was seen pending:\n%s", err, out)
		default:
		}
		for _, key := range st.pending(t, prefix) {
			if !slices.Contains(before, key) {
				return cmd, done, out
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	_ = cmd.Process.Kill()
	t.Fatal("no multipart upload seen pending in 60 s")
	return nil, nil, nil
}

// TestBucketExportKilledMidUpload kills the export (SIGKILL) while a
// multipart upload is in flight, then interrupts one (SIGINT): the previous
// manifest stands and a manifest-following reader gets the previous
// snapshot whole; the interrupted run aborts its own uploads on the way
// out, and the next run aborts the killed one's and removes its objects.
func TestBucketExportKilledMidUpload(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{})
	st := startS3(t)
	// About 9 MB of JSON lines in transactions: more than one 5 MiB part.
	seedProgram(t, sb, 20, 200, 20, time.Now())
	const prefix = "exports/partnero"
	runExport(t, sb, st.env, "--format", "jsonl", "--out", st.out(prefix))
	first := st.read(t, prefix)
	want := tables(t, first.manifest, first.files)
	if n := len(want[record.Transactions]); n != 4000 {
		t.Fatalf("first export: %d transactions", n)
	}
	// The next runs upload through a link of 2 MB/s: each stays
	// mid-upload for seconds, long enough to be seen and stopped there.
	args := []string{"--format", "jsonl", "--out", st.slowOut(t, prefix, 2<<20)}

	checkPrevious := func(when string) bucketView {
		t.Helper()
		v := st.read(t, prefix)
		if !bytes.Equal(v.manifest, first.manifest) {
			t.Fatalf("%s: manifest.json changed", when)
		}
		got := tables(t, v.manifest, v.files) // every named file whole (size, sha256)
		for e, rows := range want {
			if !slices.EqualFunc(got[e], rows, slices.Equal) {
				t.Errorf("%s: table %s is not the previous snapshot's", when, e)
			}
		}
		return v
	}

	cmd, done, _ := startExportUntilUpload(t, sb, st, prefix+"/", args...)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	if p := st.pending(t, prefix+"/"); len(p) == 0 {
		t.Fatal("no pending upload after the kill: the test did not kill mid-upload")
	} else {
		t.Logf("after SIGKILL: pending uploads %v", p)
	}
	checkPrevious("after SIGKILL")

	cmd, done, out := startExportUntilUpload(t, sb, st, prefix+"/", args...)
	_ = cmd.Process.Signal(syscall.SIGINT)
	err := <-done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("interrupted export: %v, want exit 130\n%s", err, out)
	}
	// The killed run's upload is aborted by this run's start, this run's
	// own by its end, with a fresh context.
	if p := st.pending(t, prefix+"/"); len(p) != 0 {
		t.Errorf("after SIGINT: pending uploads %v, want none", p)
	}
	checkPrevious("after SIGINT")

	runExport(t, sb, st.env, "--format", "jsonl", "--out", st.out(prefix))
	if p := st.pending(t, prefix+"/"); len(p) != 0 {
		t.Errorf("after a complete run: pending uploads %v, want none", p)
	}
	v := st.read(t, prefix)
	if bytes.Equal(v.manifest, first.manifest) {
		t.Fatal("the complete run did not replace the manifest")
	}
	got := tables(t, v.manifest, v.files)
	for e, rows := range want {
		if !slices.EqualFunc(got[e], rows, slices.Equal) {
			t.Errorf("complete run: table %s differs", e)
		}
	}
	checkOnlyManifestFiles(t, v) // the killed runs' objects are gone too
}

// TestBucketSinceLastAndDailyPartitions runs the same daily-partitioned
// export and --since-last increment into a folder and into S3: the bucket
// holds the same rows; a full export afterwards leaves no object of the
// earlier runs behind.
func TestBucketSinceLastAndDailyPartitions(t *testing.T) {
	t.Parallel()
	sb := startSandbox(t, sandbox.Config{})
	st := startS3(t)
	seedProgram(t, sb, 3, 10, 0, time.Now())
	dir := filepath.Join(t.TempDir(), "snapshot")
	const prefix = "warehouse/partnero"
	for _, out := range []string{dir, st.out(prefix)} {
		runExport(t, sb, st.env, "--partition", "daily", "--out", out)
	}
	seedProgram(t, sb, 2, 5, 0, time.Now().Add(time.Second))
	for _, out := range []string{dir, st.out(prefix)} {
		runExport(t, sb, st.env, "--since-last", "--out", out)
	}
	want := localTables(t, dir)
	v := st.read(t, prefix)
	got := tables(t, v.manifest, v.files)
	if summary(got) != summary(want) || len(want[record.Transactions]) != 40 {
		t.Fatalf("bucket %s, folder %s (want 40 transactions)", summary(got), summary(want))
	}
	for e, rows := range want {
		if !slices.EqualFunc(got[e], rows, slices.Equal) {
			t.Errorf("table %s differs from the folder export", e)
		}
	}
	var m export.Manifest
	if err := json.Unmarshal(v.manifest, &m); err != nil {
		t.Fatal(err)
	}
	runs := map[string]bool{}
	incremental := 0
	for _, f := range m.Files {
		if !strings.Contains(f.Path, "/dt=") || f.Partition == "" {
			t.Errorf("%s: not in a dt= partition", f.Path)
		}
		run, _, _ := strings.Cut(strings.TrimPrefix(f.Path, export.RunsFolder+"/"), "/")
		runs[run] = true
		if f.Incremental {
			incremental++
		}
	}
	if len(runs) != 2 || incremental == 0 {
		t.Errorf("the manifest names files of %d runs (%d incremental), want the full run's and the increment's", len(runs), incremental)
	}
	checkOnlyManifestFiles(t, v)

	runExport(t, sb, st.env, "--partition", "daily", "--out", st.out(prefix))
	v = st.read(t, prefix)
	checkOnlyManifestFiles(t, v)
	if got := tables(t, v.manifest, v.files); summary(got) != summary(want) {
		t.Errorf("full re-export: %s, want %s", summary(got), summary(want))
	}
}

// TestBucketManifestReplacedOnlyIfUnchanged changes manifest.json while an
// export runs (as a second export would): the run refuses to replace it
// (S3 If-Match on the ETag read at its start, GCS generation match, Azure
// If-Match) and says why.
func TestBucketManifestReplacedOnlyIfUnchanged(t *testing.T) {
	t.Parallel()
	for name, start := range map[string]func(*testing.T) *store{"s3": startS3, "gs": startGCS, "azblob": startAzure} {
		t.Run(name, func(t *testing.T) {
			// The manifest is read before the first page; once the second
			// export has listed its first page of partners, the sandbox holds
			// its next requests until the manifest was changed, so the
			// change lands mid-run however slow the machine is.
			var armed, listedOne atomic.Bool
			changed := make(chan struct{})
			var release sync.Once
			t.Cleanup(func() { release.Do(func() { close(changed) }) })
			env := sandboxtest.Start(t, sandbox.Config{Keys: []string{testKey}, Latency: 300 * time.Millisecond},
				sandboxtest.Wrap(func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if armed.Load() && r.Method == http.MethodGet {
							if listedOne.Load() {
								select {
								case <-changed:
								case <-r.Context().Done():
								}
							} else if strings.HasPrefix(r.URL.Path, "/v1/partners") {
								defer listedOne.Store(true)
							}
						}
						h.ServeHTTP(w, r)
					})
				}))
			sb := envProc(t, env)
			st := start(t)
			seedProgram(t, sb, 3, 10, 0, time.Now())
			const prefix = "exports/partnero"
			runExport(t, sb, st.env, "--out", st.out(prefix))
			listed := func() int64 {
				var n int64
				for route, rs := range sb.stats().Routes {
					if strings.HasPrefix(route, "GET /partners") {
						n += rs.Total
					}
				}
				return n
			}
			before := listed()
			armed.Store(true)
			cmd, out := exportCmd(t.Context(), sb, st.env, "--out", st.out(prefix))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			for deadline := time.Now().Add(30 * time.Second); listed() == before && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			}
			other := append(st.read(t, prefix).manifest, ' ') // another version, same meaning
			st.put(t, prefix+"/"+export.ManifestName, other)
			release.Do(func() { close(changed) })
			err := cmd.Wait()
			if err == nil || !strings.Contains(out.String(), "another export changed it") {
				t.Fatalf("export over a changed manifest: %v\n%s", err, out)
			}
			if v := st.read(t, prefix); !bytes.Equal(v.manifest, other) {
				t.Error("the changed manifest was replaced")
			}
		})
	}
}

// TestBucketExportKilledMidRunGCSAzure kills the export (SIGKILL) while it
// streams a table larger than one upload chunk to GCS or Azure, after one
// part file of the run is complete: the previous manifest and its files
// stand whole (the complete part is an object no manifest names), and the
// next run commits and deletes the killed run's object. (Unfinished GCS
// resumable uploads and Azure uncommitted blocks are not listable objects;
// the stores expire them.)
func TestBucketExportKilledMidRunGCSAzure(t *testing.T) {
	t.Parallel()
	for name, start := range map[string]func(*testing.T) *store{"gs": startGCS, "azblob": startAzure} {
		t.Run(name, func(t *testing.T) {
			sb := startSandbox(t, sandbox.Config{Latency: 100 * time.Millisecond})
			st := start(t)
			seedProgram(t, sb, 20, 200, 20, time.Now()) // about 9 MB of transactions
			const prefix = "exports/partnero"
			// Files of 2,500 rows: the first part of a table is complete
			// (an object, unnamed) when the kill comes.
			args := []string{"--format", "jsonl", "--max-rows-per-file", "2500", "--out", st.out(prefix)}
			runExport(t, sb, st.env, args...)
			first := st.read(t, prefix)
			want := tables(t, first.manifest, first.files)

			named := len(first.keys)
			cmd, out := exportCmd(t.Context(), sb, st.env, args...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			// Kill once the run's first part file is complete: an object
			// under the prefix that no manifest names.
			killed := false
			for deadline := time.Now().Add(60 * time.Second); !killed && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				select {
				case err := <-done:
					t.Fatalf("the export ended (%v) before a part file was complete:\n%s", err, out)
				default:
				}
				if len(st.list(t, prefix)) > named {
					_ = cmd.Process.Signal(syscall.SIGKILL)
					killed = true
				}
			}
			if err := <-done; !killed || err == nil {
				t.Fatalf("the export was not killed mid-run (%v):\n%s", err, out)
			}
			v := st.read(t, prefix)
			if !bytes.Equal(v.manifest, first.manifest) {
				t.Fatal("manifest.json changed after the kill")
			}
			got := tables(t, v.manifest, v.files)
			for e, rows := range want {
				if !slices.EqualFunc(got[e], rows, slices.Equal) {
					t.Errorf("after the kill: table %s is not the previous snapshot's", e)
				}
			}
			t.Logf("after SIGKILL: %d objects under the prefix, %d named by the manifest", len(v.keys), len(v.files)+1)
			if len(v.keys) <= len(v.files)+1 {
				t.Error("no object of the killed run is visible: the test did not kill after a part was complete")
			}

			runExport(t, sb, st.env, args...)
			v = st.read(t, prefix)
			if bytes.Equal(v.manifest, first.manifest) {
				t.Fatal("the next run did not commit")
			}
			checkOnlyManifestFiles(t, v)
			got = tables(t, v.manifest, v.files)
			for e, rows := range want {
				if !slices.EqualFunc(got[e], rows, slices.Equal) {
					t.Errorf("next run: table %s differs", e)
				}
			}
		})
	}
}
