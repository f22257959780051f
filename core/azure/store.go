package azure

import (
	"bytes"
	"context"
	"crypto/md5"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/blockblob"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/sas"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/service"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// Store is an Azure Blob Storage container.
type Store struct {
	cl                 clients
	timeouts           driver.Timeouts // bound each attempt (the transport) and object bodies
	retry              driver.Policy
	cred               credential
	account            string
	container          string
	disableTagging     bool
	defaultContentType string

	delegation struct { // user delegation key for signing with a token credential
		sync.Mutex
		cred    *service.UserDelegationCredential
		expires time.Time
	}
}

var (
	_ core.Store       = (*Store)(nil)
	_ core.BulkDeleter = (*Store)(nil)
	_ core.Signer      = (*Store)(nil)
)

func newStore(_ context.Context, s settings, c core.Config, o driver.OpenOptions) (*Store, error) {
	cl, cred, err := newClients(s, c, o)
	if err != nil {
		return nil, err
	}
	disableTagging, err := s.flag(keyDisableTagging)
	if err != nil {
		return nil, err
	}
	co, _ := driver.ParseClientOptions(c.ClientOptions) // already validated by newClients
	return &Store{cl: cl, cred: cred, account: s.account, container: s.container, disableTagging: disableTagging, defaultContentType: co.DefaultContentType,
		timeouts: co.Timeouts(), retry: driver.PolicyOf(c.RetryConfig)}, nil
}

// Close closes the client's idle connections.
func (s *Store) Close() error {
	if s.cred.provided != nil {
		s.cred.provided.Close()
	}
	driver.CloseIdle(s.cl.transport)
	return nil
}

func (s *Store) blob(path core.Path) *blob.Client { return s.cl.container.NewBlobClient(string(path)) }

// Get reads an object. Azure has no suffix range ("bytes=-N"): a suffix
// read looks the size up first and then reads the range pinned to the etag
// it saw, so both requests see the same object. A body that breaks or
// stalls resumes where it stopped, pinned to the same etag (and version),
// and a read of the whole blob is checked against the MD5 the service
// keeps for it.
func (s *Store) Get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, error) {
	res, sum, err := s.get(ctx, path, opts)
	if err != nil || opts.Head || res.Len() == 0 {
		return res, err
	}
	driver.ResumeWithGet(ctx, res, s.retry, core.GetOptions{IfMatch: res.Meta.ETag, Version: res.Meta.Version},
		func(ctx context.Context, o core.GetOptions) (*core.GetResult, error) {
			again, _, err := s.get(ctx, path, o)
			return again, err
		})
	if res.Start == 0 && res.End == res.Meta.Size {
		driver.VerifyBody(res, sum)
	}
	return res, nil
}

// get sends one read (after a size lookup for a suffix); the client
// options bound it, and its body, by a driver.ReadAttempt. sum is the MD5 the
// service keeps for the whole blob, when it sent one.
func (s *Store) get(ctx context.Context, path core.Path, opts core.GetOptions) (*core.GetResult, driver.Checksum, error) {
	var sum driver.Checksum
	b := s.blob(path)
	if opts.Version != "" {
		var err error
		if b, err = b.WithVersionID(opts.Version); err != nil {
			return nil, sum, mapError(err, path)
		}
	}
	cond := accessConditions(opts)
	if opts.Head {
		props, err := b.GetProperties(ctx, &blob.GetPropertiesOptions{AccessConditions: cond})
		if err != nil {
			return nil, sum, mapError(err, path)
		}
		if err := checkVersion(path, opts.Version, props.VersionID); err != nil {
			return nil, sum, err
		}
		meta, attrs := propsMeta(path, props)
		return &core.GetResult{Meta: meta, Start: 0, End: 0, Attributes: attrs, Body: io.NopCloser(bytes.NewReader(nil))}, sum, nil
	}
	var rng blob.HTTPRange
	if r := opts.Range; r != nil {
		switch r.Kind {
		case core.RangeSuffix:
			return s.getResolved(ctx, b, path, *r, cond, opts.Version)
		case core.RangeOffset:
			rng = blob.HTTPRange{Offset: int64(r.Start)}
			if r.Start == 0 {
				// "bytes=0-" is the whole object, but must still fail on
				// an empty one; the SDK would send no Range header at all.
				return s.getResolved(ctx, b, path, *r, cond, opts.Version)
			}
		default:
			rng = blob.HTTPRange{Offset: int64(r.Start), Count: int64(r.End - r.Start)}
		}
	}
	return s.download(ctx, b, path, &blob.DownloadStreamOptions{Range: rng, AccessConditions: cond}, opts.Version)
}

// download sends one GET of the blob, bounded as a driver.ReadAttempt.
func (s *Store) download(ctx context.Context, b *blob.Client, path core.Path, o *blob.DownloadStreamOptions, version string) (*core.GetResult, driver.Checksum, error) {
	rctx, attempt := s.timeouts.BeginRead(ctx)
	resp, err := b.DownloadStream(rctx, o)
	if err != nil {
		attempt.Abandon()
		return nil, driver.Checksum{}, mapError(err, path)
	}
	if resp.Body == nil {
		// The SDK reports 304 as a success without a body.
		attempt.Abandon()
		return nil, driver.Checksum{}, &core.Error{Kind: core.NotModified, Store: storeName, Path: string(path), Msg: "GET: 304 " + deref(resp.ErrorCode)}
	}
	resp.Body = attempt.Body(resp.Body)
	return s.downloadResult(path, resp, version)
}

// getResolved resolves r against the size from a HEAD, then reads that
// range with If-Match on the HEAD's etag. If the object is replaced in
// between, the read fails with 412 and the pair is tried again.
func (s *Store) getResolved(ctx context.Context, b *blob.Client, path core.Path, r core.Range, cond *blob.AccessConditions, version string) (*core.GetResult, driver.Checksum, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		props, err := b.GetProperties(ctx, &blob.GetPropertiesOptions{AccessConditions: cond})
		if err != nil {
			return nil, driver.Checksum{}, mapError(err, path)
		}
		if err := checkVersion(path, version, props.VersionID); err != nil {
			return nil, driver.Checksum{}, err
		}
		meta, attrs := propsMeta(path, props)
		start, end, err := r.Resolve(meta.Size)
		if err != nil {
			return nil, driver.Checksum{}, core.Wrap(core.InvalidArgument, storeName, path, err)
		}
		if start == end { // an empty object: nothing to read
			return &core.GetResult{Meta: meta, Attributes: attrs, Body: io.NopCloser(bytes.NewReader(nil))}, driver.Checksum{}, nil
		}
		pinned := &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfMatch: props.ETag}}
		res, sum, err := s.download(ctx, b, path, &blob.DownloadStreamOptions{
			Range:            blob.HTTPRange{Offset: int64(start), Count: int64(end - start)},
			AccessConditions: pinned,
		}, version)
		if err == nil {
			return res, sum, nil
		}
		if !core.IsKind(err, core.Precondition) && !core.IsKind(err, core.NotFound) {
			return nil, driver.Checksum{}, err
		}
		if attempt == attempts {
			return nil, driver.Checksum{}, &core.Error{Kind: core.Generic, Store: storeName, Path: string(path), Msg: "the object kept changing between its size lookup and the ranged read", Err: err}
		}
	}
}

func (s *Store) downloadResult(path core.Path, resp blob.DownloadStreamResponse, version string) (*core.GetResult, driver.Checksum, error) {
	var sum driver.Checksum
	if err := checkVersion(path, version, resp.VersionID); err != nil {
		resp.Body.Close()
		return nil, sum, err
	}
	meta := core.ObjectMeta{Location: path, ETag: etag(resp.ETag), Version: deref(resp.VersionID)}
	if resp.LastModified != nil {
		meta.LastModified = *resp.LastModified
	}
	length := uint64(0)
	if resp.ContentLength != nil {
		length = uint64(*resp.ContentLength)
	}
	res := &core.GetResult{Meta: meta, Start: 0, End: length}
	if cr := deref(resp.ContentRange); cr != "" {
		r, err := driver.ParseContentRange(cr)
		if err != nil {
			resp.Body.Close()
			return nil, sum, core.Wrap(core.Generic, storeName, path, err)
		}
		if r.Start >= r.Size {
			// Azurite answers a range starting at the end of the object
			// with 206 and "bytes 14-13/14" where Azure says 416.
			resp.Body.Close()
			return nil, sum, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path), Msg: "range start " + strconv.FormatUint(r.Start, 10) + " is at or past the end of the object (size " + strconv.FormatUint(r.Size, 10) + ")"}
		}
		res.Start, res.End, res.Meta.Size = r.Start, r.End, r.Size
	} else {
		res.Meta.Size = length
	}
	res.Attributes = attributes(resp.ContentType, resp.ContentDisposition, resp.ContentEncoding, resp.ContentLanguage, resp.CacheControl, resp.Metadata)
	res.Body = resp.Body
	// Content-MD5 of an answer without Range is the blob's stored MD5; a
	// ranged answer carries that as x-ms-blob-content-md5.
	stored := resp.BlobContentMD5
	if len(stored) == 0 && resp.ContentRange == nil {
		stored = resp.ContentMD5
	}
	if len(stored) == md5.Size {
		sum = driver.Checksum{Algorithm: driver.MD5, Sum: stored}
	}
	return res, sum, nil
}

// checkVersion refuses an answer for another version than the one asked
// for: a service without versioning (Azurite, or an account with it off)
// ignores versionid and serves the current blob.
func checkVersion(path core.Path, want string, got *string) error {
	if want != "" && deref(got) != want {
		return &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "the service did not serve version " + want + " (blob versioning is off or unsupported)"}
	}
	return nil
}

func accessConditions(o core.GetOptions) *blob.AccessConditions {
	m := &blob.ModifiedAccessConditions{
		IfModifiedSince:   o.IfModifiedSince,
		IfUnmodifiedSince: o.IfUnmodifiedSince,
	}
	if o.IfMatch != "" {
		m.IfMatch = to.Ptr(azcore.ETag(o.IfMatch))
	}
	if o.IfNoneMatch != "" {
		m.IfNoneMatch = to.Ptr(azcore.ETag(o.IfNoneMatch))
	}
	return &blob.AccessConditions{ModifiedAccessConditions: m}
}

func propsMeta(path core.Path, p blob.GetPropertiesResponse) (core.ObjectMeta, core.Attributes) {
	meta := core.ObjectMeta{Location: path, ETag: etag(p.ETag), Version: deref(p.VersionID)}
	if p.ContentLength != nil {
		meta.Size = uint64(*p.ContentLength)
	}
	if p.LastModified != nil {
		meta.LastModified = *p.LastModified
	}
	return meta, attributes(p.ContentType, p.ContentDisposition, p.ContentEncoding, p.ContentLanguage, p.CacheControl, p.Metadata)
}

// attributes collects the HTTP attributes and user metadata of a blob.
// Metadata names come back lower-cased: Azure compares them ignoring case
// and HTTP headers do not keep it.
func attributes(ctype, disp, enc, lang, cache *string, md map[string]*string) core.Attributes {
	metadata := make(map[string]string, len(md))
	for k, v := range md {
		if v != nil {
			metadata[strings.ToLower(k)] = *v
		}
	}
	return driver.JoinAttributes(driver.HTTPAttributes{
		ContentType: deref(ctype), ContentDisposition: deref(disp), ContentEncoding: deref(enc),
		ContentLanguage: deref(lang), CacheControl: deref(cache),
	}, metadata)
}

// optional is nil for an unset (empty) attribute.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// splitAttributes turns core attributes into Azure's HTTP headers and
// metadata. Azure metadata names must be C# identifiers.
func (s *Store) splitAttributes(path core.Path, attrs core.Attributes) (*blob.HTTPHeaders, map[string]*string, error) {
	std, metadata := driver.SplitAttributes(attrs)
	h := &blob.HTTPHeaders{
		BlobContentType: optional(std.ContentType), BlobContentDisposition: optional(std.ContentDisposition),
		BlobContentEncoding: optional(std.ContentEncoding), BlobContentLanguage: optional(std.ContentLanguage),
		BlobCacheControl: optional(std.CacheControl),
	}
	var md map[string]*string
	for k, v := range metadata {
		if !validMetadataName(k) {
			return nil, nil, &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path), Msg: "Azure metadata name " + strconv.Quote(k) + " is not a valid identifier (letters, digits, underscore; not starting with a digit)"}
		}
		if md == nil {
			md = map[string]*string{}
		}
		md[k] = to.Ptr(v)
	}
	if h.BlobContentType == nil && s.defaultContentType != "" {
		h.BlobContentType = to.Ptr(s.defaultContentType)
	}
	return h, md, nil
}

func validMetadataName(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

func (s *Store) tags(t map[string]string) map[string]string {
	if s.disableTagging || len(t) == 0 {
		return nil
	}
	return t
}

// Head returns an object's metadata.
func (s *Store) Head(ctx context.Context, path core.Path) (core.ObjectMeta, error) {
	props, err := s.blob(path).GetProperties(ctx, nil)
	if err != nil {
		return core.ObjectMeta{}, mapError(err, path)
	}
	meta, _ := propsMeta(path, props)
	return meta, nil
}

// Put writes a block blob in one request, with the Content-MD5 of its bytes
// (the service refuses a body that does not match, and keeps the MD5 as
// the blob's). Create sends If-None-Match: *, update If-Match with the
// expected etag.
func (s *Store) Put(ctx context.Context, path core.Path, data []byte, opts core.PutOptions) (core.PutResult, error) {
	headers, md, err := s.splitAttributes(path, opts.Attributes)
	if err != nil {
		return core.PutResult{}, err
	}
	mod, err := putConditions(path, opts.Mode)
	if err != nil {
		return core.PutResult{}, err
	}
	resp, err := s.cl.container.NewBlockBlobClient(string(path)).Upload(ctx, streaming.NopCloser(bytes.NewReader(data)), &blockblob.UploadOptions{
		HTTPHeaders:             headers,
		Metadata:                md,
		Tags:                    s.tags(opts.Tags),
		AccessConditions:        &blob.AccessConditions{ModifiedAccessConditions: mod},
		TransactionalValidation: contentMD5(data),
	})
	if err != nil {
		return core.PutResult{}, putError(err, path, opts.Mode.Kind)
	}
	return core.PutResult{ETag: etag(resp.ETag), Version: deref(resp.VersionID)}, nil
}

// contentMD5 is the transactional MD5 of a request body: sent as
// Content-MD5 (Put Blob, Put Block), verified by the service, which answers
// 400 Md5Mismatch to bytes changed on the way. Azure takes no CRC32C, and
// its CRC64 has no hardware help in Go either; MD5 is what every Azure
// endpoint and Azurite check.
func contentMD5(data []byte) blob.TransferValidationType {
	sum := md5.Sum(data) //nolint:gosec // the protocol's integrity check, not security
	return blob.TransferValidationTypeMD5(sum[:])
}

func putConditions(path core.Path, mode core.PutMode) (*blob.ModifiedAccessConditions, error) {
	switch mode.Kind {
	case core.PutCreate:
		return &blob.ModifiedAccessConditions{IfNoneMatch: to.Ptr(azcore.ETagAny)}, nil
	case core.PutUpdate:
		if mode.ETag == "" {
			return nil, &core.Error{Kind: core.NotImplemented, Store: storeName, Path: string(path), Msg: "Azure conditional updates need an etag (versions cannot be matched)"}
		}
		return &blob.ModifiedAccessConditions{IfMatch: to.Ptr(azcore.ETag(mode.ETag))}, nil
	}
	return nil, nil
}

// putError maps the outcomes of a conditional write: a create that finds
// the blob (409 BlobAlreadyExists, or 412) is AlreadyExists; an update of a
// missing blob is Precondition, as its etag cannot match.
func putError(err error, path core.Path, mode core.PutModeKind) error {
	mapped := mapError(err, path)
	switch {
	case mode == core.PutCreate && (core.IsKind(mapped, core.Precondition) || core.IsKind(mapped, core.AlreadyExists)):
		return reKind(mapped, core.AlreadyExists)
	case mode == core.PutUpdate && core.IsKind(mapped, core.NotFound):
		return reKind(mapped, core.Precondition)
	}
	return mapped
}

func reKind(err error, kind core.Kind) error {
	if e, ok := err.(*core.Error); ok {
		c := *e
		c.Kind = kind
		return &c
	}
	return err
}

// Delete removes a blob and its snapshots. A missing blob is not an error,
// so a retried delete that already succeeded stays a success.
func (s *Store) Delete(ctx context.Context, path core.Path) error {
	_, err := s.blob(path).Delete(ctx, &blob.DeleteOptions{DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude)})
	if err != nil {
		if mapped := mapError(err, path); !core.IsKind(mapped, core.NotFound) {
			return mapped
		}
	}
	return nil
}

// listPrefix is the service prefix for a whole-segment prefix: "a/b" lists
// "a/b/", never "a/bc".
func listPrefix(prefix core.Path) *string {
	if prefix == "" {
		return nil
	}
	return to.Ptr(string(prefix) + core.Delimiter)
}

// List yields every blob under prefix after opts.Offset. Azure's marker is
// opaque and its listing has no start-after, so the offset is applied here,
// by skipping names <= offset; the service is also asked to start at the
// offset (startFrom), which spares the skipped pages where it is supported
// and is harmless where it is ignored (Azurite ignores it).
func (s *Store) List(ctx context.Context, prefix core.Path, opts core.ListOptions) iter.Seq2[core.ObjectMeta, error] {
	return func(yield func(core.ObjectMeta, error) bool) {
		lo := &container.ListBlobsFlatOptions{Prefix: listPrefix(prefix), Include: container.ListBlobsInclude{Metadata: true}}
		if opts.Offset != "" {
			lo.StartFrom = to.Ptr(string(opts.Offset))
		}
		pager := s.cl.container.NewListBlobsFlatPager(lo)
		for pager.More() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				yield(core.ObjectMeta{}, mapError(err, prefix))
				return
			}
			for _, item := range page.Segment.BlobItems {
				meta, skip, err := itemMeta(item)
				if err != nil {
					yield(core.ObjectMeta{}, err)
					return
				}
				if skip || (opts.Offset != "" && meta.Location <= opts.Offset) {
					continue
				}
				if !yield(meta, nil) {
					return
				}
			}
		}
	}
}

// itemMeta reads one listed blob. Directory markers of accounts with a
// hierarchical namespace (metadata hdi_isfolder=true) are skipped, as
// object_store does.
func itemMeta(item *container.BlobItem) (meta core.ObjectMeta, skip bool, err error) {
	name := deref(item.Name)
	for k, v := range item.Metadata {
		if strings.EqualFold(k, "hdi_isfolder") && v != nil && strings.EqualFold(*v, "true") {
			return meta, true, nil
		}
	}
	p, err := core.ParsePath(name)
	if err != nil || string(p) != name {
		return meta, false, &core.Error{Kind: core.InvalidPath, Store: storeName, Path: name, Msg: "the container holds a blob whose name is not a valid path"}
	}
	meta.Location = p
	meta.Version = deref(item.VersionID)
	if pr := item.Properties; pr != nil {
		if pr.ContentLength != nil {
			meta.Size = uint64(*pr.ContentLength)
		}
		if pr.LastModified != nil {
			meta.LastModified = *pr.LastModified
		}
		meta.ETag = etag(pr.ETag)
	}
	return meta, false, nil
}

// ListWithDelimiter lists one level under prefix.
func (s *Store) ListWithDelimiter(ctx context.Context, prefix core.Path) (core.ListResult, error) {
	var res core.ListResult
	pager := s.cl.container.NewListBlobsHierarchyPager(core.Delimiter, &container.ListBlobsHierarchyOptions{
		Prefix: listPrefix(prefix), Include: container.ListBlobsInclude{Metadata: true},
	})
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return core.ListResult{}, mapError(err, prefix)
		}
		for _, bp := range page.Segment.BlobPrefixes {
			name := strings.TrimSuffix(deref(bp.Name), core.Delimiter)
			p, err := core.ParsePath(name)
			if err != nil {
				return core.ListResult{}, &core.Error{Kind: core.InvalidPath, Store: storeName, Path: name, Msg: "the container holds a blob whose name is not a valid path"}
			}
			res.CommonPrefixes = append(res.CommonPrefixes, p)
		}
		for _, item := range page.Segment.BlobItems {
			meta, skip, err := itemMeta(item)
			if err != nil {
				return core.ListResult{}, err
			}
			if !skip {
				res.Objects = append(res.Objects, meta)
			}
		}
	}
	res.Sort()
	return res, nil
}

// Copy copies server-side (Copy Blob from the source's URL) and waits for
// the copy to finish. With IfNotExists the destination is written only if
// absent (If-None-Match: *).
func (s *Store) Copy(ctx context.Context, from, to core.Path, opts core.CopyOptions) error {
	dst := s.blob(to)
	co := &blob.StartCopyFromURLOptions{}
	if opts.IfNotExists {
		co.AccessConditions = &blob.AccessConditions{ModifiedAccessConditions: &blob.ModifiedAccessConditions{IfNoneMatch: toETag(azcore.ETagAny)}}
	}
	resp, err := dst.StartCopyFromURL(ctx, s.blob(from).URL(), co)
	if err != nil {
		return copyError(err, from, to, opts.IfNotExists)
	}
	status := blob.CopyStatusTypeSuccess
	if resp.CopyStatus != nil {
		status = *resp.CopyStatus
	}
	wait := copyPollMin
	for status == blob.CopyStatusTypePending {
		select {
		case <-ctx.Done():
			return core.Wrap(core.Generic, storeName, to, ctx.Err())
		case <-time.After(wait):
		}
		wait = min(wait*2, copyPollMax)
		props, err := dst.GetProperties(ctx, nil)
		if err != nil {
			return mapError(err, to)
		}
		if props.CopyID != nil && resp.CopyID != nil && *props.CopyID != *resp.CopyID {
			return &core.Error{Kind: core.Generic, Store: storeName, Path: string(to), Msg: "another copy replaced this one before it finished"}
		}
		if props.CopyStatus == nil {
			return &core.Error{Kind: core.Generic, Store: storeName, Path: string(to), Msg: "the destination was overwritten before the copy finished"}
		}
		status = *props.CopyStatus
		if status != blob.CopyStatusTypePending && status != blob.CopyStatusTypeSuccess {
			return &core.Error{Kind: core.Generic, Store: storeName, Path: string(to), Msg: "copy ended " + string(status) + ": " + deref(props.CopyStatusDescription)}
		}
	}
	if status != blob.CopyStatusTypeSuccess {
		return &core.Error{Kind: core.Generic, Store: storeName, Path: string(to), Msg: "copy ended " + string(status)}
	}
	return nil
}

func copyError(err error, from, to core.Path, ifNotExists bool) error {
	mapped := mapError(err, to)
	switch {
	case ifNotExists && (core.IsKind(mapped, core.Precondition) || core.IsKind(mapped, core.AlreadyExists)):
		return reKind(mapped, core.AlreadyExists)
	case core.IsKind(mapped, core.NotFound):
		// The source is missing (the container exists, or nothing works).
		e := reKind(mapped, core.NotFound).(*core.Error)
		e.Path = string(from)
		return e
	}
	return mapped
}

func toETag(e azcore.ETag) *azcore.ETag { return &e }

// batchLimit is the service's maximum of sub-requests per blob batch.
const batchLimit = 256

// DeleteMany deletes with the Blob Batch API, 256 blobs per request. A
// missing blob counts as deleted, as in Delete.
func (s *Store) DeleteMany(ctx context.Context, paths []core.Path) []error {
	errs := make([]error, len(paths))
	for lo := 0; lo < len(paths); lo += batchLimit {
		hi := min(lo+batchLimit, len(paths))
		s.deleteBatch(ctx, paths[lo:hi], errs[lo:hi])
	}
	return errs
}

func (s *Store) deleteBatch(ctx context.Context, paths []core.Path, errs []error) {
	fail := func(err error) {
		for i, p := range paths {
			errs[i] = mapError(err, p)
		}
	}
	bb, err := s.cl.container.NewBatchBuilder()
	if err != nil {
		fail(err)
		return
	}
	for _, p := range paths {
		if err := bb.Delete(string(p), &container.BatchDeleteOptions{DeleteOptions: blob.DeleteOptions{DeleteSnapshots: to.Ptr(blob.DeleteSnapshotsOptionTypeInclude)}}); err != nil {
			fail(err)
			return
		}
	}
	resp, err := s.cl.container.SubmitBatch(ctx, bb, nil)
	if err != nil {
		fail(err)
		return
	}
	answered := make([]bool, len(paths))
	for _, item := range resp.Responses {
		if item.ContentID == nil || *item.ContentID < 0 || *item.ContentID >= len(paths) {
			continue
		}
		i := *item.ContentID
		answered[i] = true
		if item.Error != nil {
			if mapped := mapError(item.Error, paths[i]); !core.IsKind(mapped, core.NotFound) {
				errs[i] = mapped
			}
		}
	}
	for i, ok := range answered {
		if !ok {
			errs[i] = &core.Error{Kind: core.Generic, Store: storeName, Path: string(paths[i]), Msg: "the batch response has no answer for this delete"}
		}
	}
}

// Sign returns a service SAS URL for one blob: signed with the account key,
// or with a user delegation key when the store uses Entra ID tokens. A
// store authorized by a SAS token or anonymously cannot sign.
func (s *Store) Sign(ctx context.Context, method string, path core.Path, expiresIn time.Duration) (string, error) {
	perms := sas.BlobPermissions{}
	switch strings.ToUpper(method) {
	case http.MethodGet, http.MethodHead:
		perms.Read = true
	case http.MethodPut:
		perms.Create, perms.Write = true, true
	case http.MethodDelete:
		perms.Delete = true
	default:
		return "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path), Msg: "cannot sign method " + method + " (GET, HEAD, PUT, DELETE)"}
	}
	if expiresIn <= 0 {
		return "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Path: string(path), Msg: "expires_in must be positive"}
	}
	values := sas.BlobSignatureValues{
		ExpiryTime:    time.Now().UTC().Add(expiresIn),
		Permissions:   perms.String(),
		ContainerName: s.container,
		BlobName:      string(path),
	}
	var qp sas.QueryParameters
	var err error
	kind, sharedKey := s.cred.kind, s.cred.sharedKey
	if kind == credProvided {
		// A provider's account key signs; its tokens and SAS cannot.
		if kind, sharedKey, err = s.cred.providedSigner(ctx, s.account); err != nil {
			return "", core.Wrap(core.Unauthenticated, storeName, path, err)
		}
	}
	switch kind {
	case credSharedKey:
		qp, err = values.SignWithSharedKey(sharedKey)
	case credToken:
		var udc *service.UserDelegationCredential
		if udc, err = s.userDelegation(ctx, values.ExpiryTime); err != nil {
			return "", mapError(err, path)
		}
		qp, err = values.SignWithUserDelegation(udc)
	default:
		return "", &core.Error{Kind: core.NotSupported, Store: storeName, Path: string(path), Msg: "signing needs an account key or an Entra ID credential"}
	}
	if err != nil {
		return "", &core.Error{Kind: core.Generic, Store: storeName, Path: string(path), Msg: "cannot sign", Err: err}
	}
	return s.blobURL(path) + "?" + qp.Encode(), nil
}

// blobURL is the blob's URL without any query, its segments escaped one
// by one so the path keeps its slashes (the SDK escapes them as %2F).
func (s *Store) blobURL(path core.Path) string {
	u := s.cl.container.URL()
	if i := strings.IndexByte(u, '?'); i >= 0 {
		u = u[:i]
	}
	parts := path.Parts()
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.TrimSuffix(u, "/") + "/" + strings.Join(parts, "/")
}

// userDelegation returns a user delegation key valid until at least
// needUntil, fetching a new one (valid 7 days, the maximum) when needed.
func (s *Store) userDelegation(ctx context.Context, needUntil time.Time) (*service.UserDelegationCredential, error) {
	d := &s.delegation
	d.Lock()
	defer d.Unlock()
	if d.cred != nil && d.expires.After(needUntil) {
		return d.cred, nil
	}
	if s.cl.service == nil {
		return nil, core.Errorf(core.NotSupported, "no service client for user delegation keys")
	}
	now := time.Now().UTC()
	expires := now.Add(7 * 24 * time.Hour)
	if needUntil.After(expires) {
		return nil, core.Errorf(core.InvalidArgument, "a URL signed with a user delegation key can be valid for at most 7 days")
	}
	start := now.Add(-5 * time.Minute).Format(sas.TimeFormat)
	exp := expires.Format(sas.TimeFormat)
	udc, err := s.cl.service.GetUserDelegationCredential(ctx, service.KeyInfo{Start: &start, Expiry: &exp}, nil)
	if err != nil {
		return nil, err
	}
	d.cred, d.expires = udc, expires
	return udc, nil
}

func etag(e *azcore.ETag) string {
	if e == nil {
		return ""
	}
	return string(*e)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
