package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/partnero-etl/partnero-etl/record"
)

// store is where a snapshot goes: a local folder (localStore) or a bucket
// prefix (bucketStore). Both keep one contract: data files are written
// where no reader following the manifest looks, completed, then committed;
// the manifest is written last and is the commit point; a failed run
// aborts its files and leaves the previous manifest, and the files it
// names, as they were.
type store interface {
	// prepare removes what a killed run left behind (temp files, pending
	// multipart uploads) before this run writes anything.
	prepare(ctx context.Context) error
	// readManifest reads the current manifest; none gives (nil, nil).
	readManifest(ctx context.Context) (*Manifest, error)
	// create starts data file number index of a table (dt is its daily
	// partition, "" when unpartitioned; ext the format's extension).
	create(ctx context.Context, entity record.Entity, dt string, index int, ext string) (storeFile, error)
	// writeManifest commits the snapshot. A store with conditional writes
	// makes it conditional on the manifest readManifest saw, so that one
	// another run committed meanwhile is not silently replaced.
	writeManifest(ctx context.Context, m *Manifest) error
	// retire removes the files of the previous snapshot the committed
	// manifest m no longer names (stale, relative paths), and anything
	// else of earlier runs the store can tell is unreferenced.
	retire(ctx context.Context, m *Manifest, stale []string) error
	// close releases the store; after a failed run it aborts what is still
	// pending (with a context of its own: ctx may be the cancelled one).
	close(ctx context.Context, failed bool) error
}

// storeFile is one data file being written. Write streams into it; finish
// completes it (durable, but not yet named by any manifest); commit gives
// it its final place and returns the path the manifest records, relative to
// the snapshot's root; abort discards it at any point.
type storeFile interface {
	io.Writer
	finish() error
	commit(final string) (string, error)
	abort()
	size() int64
	sum() string
}

// isBucketURL tells a bucket URL (s3://, gs://, azblob://) from a folder.
func isBucketURL(out string) bool {
	for _, scheme := range bucketSchemes {
		if strings.HasPrefix(out, scheme+"://") {
			return true
		}
	}
	return false
}

// openStore opens the store of --out: a bucket URL or a local folder.
func openStore(ctx context.Context, out string) (store, error) {
	if isBucketURL(out) {
		return openBucketStore(ctx, out)
	}
	return &localStore{dir: out}, nil
}

// localStore is a snapshot folder on disk: files are written under hidden
// temp names in their final folder and renamed into place on commit.
type localStore struct {
	dir    string
	unlock func() // the folder's lock, taken by prepare, released by close
}

func (l *localStore) prepare(ctx context.Context) error {
	if err := os.MkdirAll(l.dir, 0o755); err != nil {
		return fmt.Errorf("create output folder: %w", err)
	}
	// One export at a time per folder: before the stale temporary files
	// are removed (another run's would be) and the manifest read.
	unlock, err := lockFolder(l.dir)
	if err != nil {
		return err
	}
	l.unlock = unlock
	return removeStaleTemps(l.dir)
}

func (l *localStore) readManifest(ctx context.Context) (*Manifest, error) {
	return ReadManifest(l.dir)
}

func (l *localStore) create(ctx context.Context, entity record.Entity, dt string, index int, ext string) (storeFile, error) {
	dir := l.dir
	if dt != "" {
		dir = filepath.Join(l.dir, string(entity), "dt="+dt)
	}
	f, err := createAtomic(dir, string(entity))
	if err != nil {
		return nil, err
	}
	return &localFile{atomicFile: f, root: l.dir}, nil
}

func (l *localStore) writeManifest(ctx context.Context, m *Manifest) error {
	return writeManifest(l.dir, m)
}

// retire removes the replaced files of the previous snapshot (a table that
// rolled over before and fits one file now, a day that no longer has rows)
// and the folders they leave empty.
func (l *localStore) retire(ctx context.Context, m *Manifest, stale []string) error {
	for _, rel := range stale {
		if !filepath.IsLocal(filepath.FromSlash(rel)) {
			continue // never follow a manifest out of its folder
		}
		path := filepath.Join(l.dir, filepath.FromSlash(rel))
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove replaced file: %w", err)
		}
		removeEmptyDirs(filepath.Dir(path), filepath.Clean(l.dir))
	}
	return nil
}

func (l *localStore) close(ctx context.Context, failed bool) error {
	if l.unlock != nil {
		l.unlock()
		l.unlock = nil
	}
	return nil
}

// localFile is an atomicFile renamed, on commit, to its final name relative
// to the snapshot folder.
type localFile struct {
	*atomicFile
	root string
}

func (f *localFile) commit(final string) (string, error) {
	return final, f.atomicFile.commit(filepath.Join(f.root, filepath.FromSlash(final)))
}

func (f *localFile) size() int64 { return f.bytes }

// ManifestLocation is where the manifest of --out is, for messages: a path
// in the folder, or the object's URL (without the query's options).
func ManifestLocation(out string) string {
	if !isBucketURL(out) {
		return filepath.Join(out, ManifestName)
	}
	base, _, _ := strings.Cut(out, "?")
	return strings.TrimSuffix(base, "/") + "/" + ManifestName
}
