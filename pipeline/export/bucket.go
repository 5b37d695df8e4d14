package export

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/url"
	"path"
	"strings"
	"time"

	"cloud.google.com/go/storage"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	azblobblob "github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // azblob:// URLs
	_ "gocloud.dev/blob/gcsblob"   // gs:// URLs
	_ "gocloud.dev/blob/s3blob"    // s3:// URLs
	"gocloud.dev/gcerrors"

	"github.com/partnero-etl/partnero-etl/record"
)

// bucketSchemes are the URL schemes --out takes besides a folder.
var bucketSchemes = []string{"s3", "gs", "azblob"}

// RunsFolder is the folder under a bucket prefix that holds each run's data
// files, under the run's own id: <prefix>/runs/<run-id>/<table>/part-00000.parquet.
// Objects cannot be renamed, so a run writes its files where no reader
// looks (no manifest names them yet) and the manifest, written last at
// <prefix>/manifest.json, is what makes them the snapshot.
const RunsFolder = "runs"

// bucketPartSize is the multipart upload's part size: S3's minimum. Each
// open file holds (concurrency+1) parts in memory while it uploads, so
// memory stays bounded however large a table is.
const (
	bucketPartSize    = 5 << 20
	bucketConcurrency = 2
)

// bucketTimeout bounds the clean-up calls made with a context of their own
// (after the run's context was cancelled).
const bucketTimeout = 2 * time.Minute

// bucketStore is a snapshot under a prefix of an S3, GCS or Azure bucket,
// opened by gocloud.dev/blob from the URL, with credentials from each
// cloud's standard chain (environment, profile, workload identity).
type bucketStore struct {
	url    string // as given, for messages
	scheme string
	b      *blob.Bucket
	prefix string // "" or ending in "/"
	runID  string
	// What readManifest saw, for the conditional write of the new one.
	manifestSeen bool
	manifestETag string
	manifestGen  int64
	// s3 is the S3 client under an s3:// bucket, for listing and aborting
	// pending multipart uploads (gocloud has no call for them).
	s3 *s3.Client
}

func openBucketStore(ctx context.Context, out string) (*bucketStore, error) {
	u, err := url.Parse(out)
	if err != nil {
		return nil, fmt.Errorf("--out %s: %w", out, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("--out %s: no bucket name", out)
	}
	prefix := strings.Trim(u.Path, "/")
	for seg := range strings.SplitSeq(prefix, "/") {
		if seg == "." || seg == ".." || (seg == "" && prefix != "") {
			return nil, fmt.Errorf("--out %s: the prefix %q has an empty, . or .. segment", out, prefix)
		}
	}
	if prefix != "" {
		prefix += "/"
	}
	if u.User != nil {
		return nil, fmt.Errorf("--out %s: credentials do not go in the URL: use the cloud's environment variables or profile", redactURL(u))
	}
	u.Path, u.RawPath = "", ""
	b, err := blob.OpenBucket(ctx, u.String())
	if err != nil {
		return nil, fmt.Errorf("open bucket %s: %w", redactURL(u), err)
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	st := &bucketStore{url: out, scheme: u.Scheme, b: b, prefix: prefix,
		// Fixed-width milliseconds: run ids sort in start order (retire
		// compares them).
		runID: time.Now().UTC().Format("20060102T150405.000Z") + "-" + hex.EncodeToString(rnd[:])}
	var c *s3.Client
	if b.As(&c) {
		st.s3 = c
	}
	return st, nil
}

func redactURL(u *url.URL) string {
	c := *u
	c.User = nil
	c.RawQuery = ""
	return c.String()
}

func (s *bucketStore) manifestKey() string { return s.prefix + ManifestName }
func (s *bucketStore) runsPrefix() string  { return s.prefix + RunsFolder + "/" }
func (s *bucketStore) runPrefix() string   { return s.runsPrefix() + s.runID + "/" }

// freshContext is for clean-up that must happen although ctx may be
// cancelled (an interrupted run still aborts its uploads).
func freshContext(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), bucketTimeout)
}

// prepare aborts the multipart uploads a killed run left pending under the
// runs folder: a pending upload is invisible to readers but S3 bills its
// parts until it is aborted. GCS resumable uploads and Azure uncommitted
// blocks are neither listed nor kept: the stores expire them (a week).
func (s *bucketStore) prepare(ctx context.Context) error {
	_, err := s.abortUploads(ctx, s.runsPrefix())
	return err
}

// abortUploads aborts every pending S3 multipart upload under prefix (a
// prefix this tool owns) and returns how many it aborted.
func (s *bucketStore) abortUploads(ctx context.Context, prefix string) (int, error) {
	if s.s3 == nil {
		return 0, nil
	}
	ctx, cancel := freshContext(ctx)
	defer cancel()
	bucket := s.bucketName()
	in := &s3.ListMultipartUploadsInput{Bucket: aws.String(bucket), Prefix: aws.String(prefix)}
	n := 0
	for range 10_000 { // pages of up to 1000 uploads
		out, err := s.s3.ListMultipartUploads(ctx, in)
		if err != nil {
			return n, fmt.Errorf("list pending uploads in %s: %w", s.url, err)
		}
		for _, up := range out.Uploads {
			if !strings.HasPrefix(aws.ToString(up.Key), prefix) {
				continue
			}
			_, err := s.s3.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: aws.String(bucket), Key: up.Key, UploadId: up.UploadId})
			if err != nil {
				return n, fmt.Errorf("abort pending upload of %s: %w", aws.ToString(up.Key), err)
			}
			n++
		}
		if !aws.ToBool(out.IsTruncated) {
			return n, nil
		}
		in.KeyMarker, in.UploadIdMarker = out.NextKeyMarker, out.NextUploadIdMarker
	}
	return n, fmt.Errorf("list pending uploads in %s: too many pages", s.url)
}

func (s *bucketStore) bucketName() string {
	u, _ := url.Parse(s.url)
	return u.Host
}

func (s *bucketStore) readManifest(ctx context.Context) (*Manifest, error) {
	key := s.manifestKey()
	// Attributes first, then the body: if another run commits in between,
	// the version remembered is the older one and this run's conditional
	// write fails, never the reverse.
	attrs, err := s.b.Attributes(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", s.where(ManifestName), err)
	}
	s.manifestSeen, s.manifestETag = true, attrs.ETag
	var oa storage.ObjectAttrs
	if attrs.As(&oa) {
		s.manifestGen = oa.Generation
	}
	b, err := s.b.ReadAll(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", s.where(ManifestName), err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read manifest %s: %w", s.where(ManifestName), err)
	}
	return &m, nil
}

// where names an object for messages (without the URL's options).
func (s *bucketStore) where(rel string) string {
	base, _, _ := strings.Cut(s.url, "?")
	return strings.TrimSuffix(base, "/") + "/" + rel
}

func (s *bucketStore) create(ctx context.Context, entity record.Entity, dt string, index int, ext string) (storeFile, error) {
	rel := RunsFolder + "/" + s.runID + "/" + string(entity)
	if dt != "" {
		rel += "/dt=" + dt
	}
	rel += fmt.Sprintf("/part-%05d.%s", index, ext)
	wctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	f := &bucketFile{s: s, rel: rel, w: pw, cancel: cancel, hash: sha256.New(), uploaded: make(chan error, 1)}
	f.buf = bufio.NewWriterSize(bucketHasher{f}, 256<<10)
	// Bucket.Upload reads the pipe (the driver's Upload path): gocloud
	// v0.47's azureblob writer dereferences a nil pipe in Close when a
	// streamed upload fails (a refused condition, a network error), which
	// its Write path would hit.
	go func() {
		err := s.b.Upload(wctx, s.prefix+rel, pr, &blob.WriterOptions{
			ContentType:    contentTypes[ext],
			BufferSize:     bucketPartSize,
			MaxConcurrency: bucketConcurrency,
			// A run's key is its own (the run id): a second writer there
			// is a bug, not something to overwrite.
			IfNotExist:  true,
			BeforeWrite: s.tuneS3Upload,
		})
		pr.CloseWithError(cmp.Or(err, io.ErrClosedPipe))
		f.uploaded <- err
	}()
	return f, nil
}

var contentTypes = map[string]string{
	"parquet": "application/vnd.apache.parquet",
	"csv":     "text/csv; charset=utf-8",
	"jsonl":   "application/jsonl",
}

// bucketFile streams one object: gocloud's writer uploads it in parts as
// it is written (a multipart upload on S3, a resumable one on GCS, staged
// blocks on Azure); only Close makes it an object, and under the run's own
// prefix no manifest names it until the run commits.
type bucketFile struct {
	s        *bucketStore
	rel      string
	w        *io.PipeWriter // into the upload
	uploaded chan error     // the upload's result
	cancel   context.CancelFunc
	buf      *bufio.Writer
	hash     hash.Hash
	bytes    int64
	closed   bool // the writer was closed (completed or aborted)
	done     bool // the object exists
}

type bucketHasher struct{ f *bucketFile }

func (h bucketHasher) Write(p []byte) (int, error) {
	n, err := h.f.w.Write(p)
	h.f.hash.Write(p[:n])
	h.f.bytes += int64(n)
	return n, err
}

func (f *bucketFile) Write(p []byte) (int, error) { return f.buf.Write(p) }

func (f *bucketFile) finish() error {
	if f.closed {
		return nil
	}
	if err := f.buf.Flush(); err != nil {
		f.abort()
		return fmt.Errorf("upload %s: %w", f.s.where(f.rel), err)
	}
	f.closed = true
	f.w.Close()
	err := <-f.uploaded
	f.cancel()
	if err != nil {
		return fmt.Errorf("upload %s: %w", f.s.where(f.rel), err)
	}
	f.done = true
	return nil
}

// commit is a no-op: the object already sits at the key the manifest will
// name; the store cannot rename.
func (f *bucketFile) commit(string) (string, error) { return f.rel, nil }

// abort cancels an upload in progress (gocloud aborts the multipart upload
// when its context is cancelled, and close aborts any the library could
// not) or deletes the completed object.
func (f *bucketFile) abort() {
	if !f.closed {
		f.closed = true
		f.cancel()
		f.w.CloseWithError(context.Canceled)
		<-f.uploaded
		return
	}
	if f.done {
		f.done = false
		ctx, cancel := freshContext(context.Background())
		defer cancel()
		_ = f.s.b.Delete(ctx, f.s.prefix+f.rel)
	}
}

func (f *bucketFile) size() int64 { return f.bytes }
func (f *bucketFile) sum() string { return hex.EncodeToString(f.hash.Sum(nil)) }

// tuneS3Upload replaces the S3 transfer manager gocloud made for a writer
// by one configured for an unattended export (gocloud exposes the manager
// but not these options):
//   - multipart from the first full part (the default threshold buffers 16
//     MiB per file before the upload starts);
//   - FailTimeout set: without it the manager's abort after a failure runs
//     with the failed, often cancelled, context and leaves the upload
//     pending (close and the next run's prepare still sweep them).
func (s *bucketStore) tuneS3Upload(as func(any) bool) error {
	var tm *transfermanager.Client
	if s.s3 == nil || !as(&tm) {
		return nil
	}
	checksums := s.s3.Options().RequestChecksumCalculation
	*tm = *transfermanager.New(s.s3, func(o *transfermanager.Options) {
		o.PartSizeBytes = bucketPartSize
		o.MultipartUploadThreshold = bucketPartSize
		o.Concurrency = bucketConcurrency
		o.FailTimeout = bucketTimeout
		o.RequestChecksumCalculation = checksums
	})
	return nil
}

// writeManifest writes <prefix>/manifest.json in one request (a PUT is
// atomic: a reader gets the old manifest or the new one), conditionally:
// if-none-match when the run started without a manifest, else if it still
// is the version read at the start (S3 If-Match on the ETag, GCS
// generation match, Azure If-Match). An export that committed meanwhile is
// not silently replaced.
func (s *bucketStore) writeManifest(ctx context.Context, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	// The data is complete: finish the commit even if ctx was cancelled
	// meanwhile (as the folder's renames do).
	ctx, cancel := freshContext(ctx)
	defer cancel()
	opts := &blob.WriterOptions{ContentType: "application/json", IfNotExist: !s.manifestSeen}
	if s.manifestSeen {
		opts.BeforeWrite = s.ifUnchanged
	}
	if err := s.b.Upload(ctx, s.manifestKey(), bytes.NewReader(append(b, '\n')), opts); err != nil {
		if gcerrors.Code(err) == gcerrors.FailedPrecondition {
			return fmt.Errorf("write manifest %s: another export changed it while this one ran; this run's files stay unreferenced under %s and the next export removes them: %w",
				s.where(ManifestName), s.where(RunsFolder+"/"+s.runID+"/"), err)
		}
		return fmt.Errorf("write manifest %s: %w", s.where(ManifestName), err)
	}
	return nil
}

// ifUnchanged makes the manifest's write conditional on the version read.
func (s *bucketStore) ifUnchanged(as func(any) bool) error {
	var s3in *transfermanager.UploadObjectInput
	if as(&s3in) {
		s3in.IfMatch = aws.String(s.manifestETag)
		return nil
	}
	var obj **storage.ObjectHandle // gcsblob hands out its handle's address
	if as(&obj) {
		if s.manifestGen != 0 {
			*obj = (*obj).If(storage.Conditions{GenerationMatch: s.manifestGen})
		}
		return nil
	}
	var az *azblob.UploadStreamOptions
	if as(&az) {
		etag := azcore.ETag(s.manifestETag)
		if az.AccessConditions == nil {
			az.AccessConditions = &azblob.AccessConditions{}
		}
		if az.AccessConditions.ModifiedAccessConditions == nil {
			az.AccessConditions.ModifiedAccessConditions = &azblobblob.ModifiedAccessConditions{}
		}
		az.AccessConditions.ModifiedAccessConditions.IfMatch = &etag
	}
	return nil
}

// retire deletes, once the new manifest stands, the objects it no longer
// names: the previous snapshot's replaced files, and files of earlier
// runs that never committed (killed before their manifest). Only keys
// under the runs folder of runs older than this one are touched: this tool
// writes nothing else there, and a later-started run's files are its own.
func (s *bucketStore) retire(ctx context.Context, m *Manifest, stale []string) error {
	named := make(map[string]bool, len(m.Files))
	for _, f := range m.Files {
		named[f.Path] = true
	}
	it := s.b.List(&blob.ListOptions{Prefix: s.runsPrefix()})
	var remove []string
	for range 10_000_000 {
		obj, err := it.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("list %s: %w", s.where(RunsFolder+"/"), err)
		}
		rel := strings.TrimPrefix(obj.Key, s.prefix)
		run, _, _ := strings.Cut(strings.TrimPrefix(rel, RunsFolder+"/"), "/")
		if named[rel] || run >= s.runID || path.Clean(rel) != rel {
			continue
		}
		remove = append(remove, rel)
	}
	_ = stale // every stale file is under the runs folder and unnamed: found above
	for _, rel := range remove {
		if err := s.b.Delete(ctx, s.prefix+rel); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
			return fmt.Errorf("remove replaced file %s: %w", s.where(rel), err)
		}
	}
	return nil
}

// close aborts what a failed run left pending under its own prefix (with a
// fresh context: the library's own abort of a multipart upload reuses the
// cancelled one and fails) and closes the bucket.
func (s *bucketStore) close(ctx context.Context, failed bool) error {
	var err error
	if failed {
		_, err = s.abortUploads(ctx, s.runPrefix())
	}
	if cerr := s.b.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("close %s: %w", s.url, cerr)
	}
	return err
}
