// Package core is the Go API of libobjstore: one Store interface for S3,
// Google Cloud Storage, Azure Blob, HTTP/WebDAV, the local filesystem and
// memory, with the semantics of Rust's object_store crate.
//
// Open a store from its config document or URL with core/stores (the one
// package that knows every backend):
//
//	c, _ := stores.FromURL("s3://bucket/prefix", core.Config{Config: core.Options{"region": "eu-west-1"}})
//	h, err := stores.Open(ctx, c, env)
//	defer h.Close()
//	_, err = h.Store.Put(ctx, core.MustPath("a/b.txt"), []byte("hi"), core.PutOptions{})
//
// Besides Store's methods, the package holds what works on any store:
// Rename, Sign, DeleteMany and DeletePrefix, GetRanges (coalesced range
// reads into one allocation) and GetMany (many objects and ranges at
// once), ReadAll and BodyReader (bodies read whole or in checked parts),
// Writer and PutMultipartReader (streaming uploads), Pager (a listing a
// page at a time), CleanupUploads, and Prefixed (a store seen under a
// prefix). Paths are validated once, by ParsePath: a Store never sees an
// invalid one.
//
// What only backend authors need — key tables, document normalizing,
// client options and the HTTP client that bounds every request, the retry
// policy, resumed and verified reads, throttling — is in core/driver.
//
// # Errors
//
// Every error the library returns is an *Error, or wraps one, with a Kind
// that says what went wrong; KindOf and IsKind read it from any error
// (context cancellation and deadlines read as Cancelled and Timeout):
//
//	if core.IsKind(err, core.NotFound) { ... }
//	errors.Is(err, &core.Error{Kind: core.Precondition}) // the same test
//
// The kinds, and when a store returns them:
//
//   - Generic: any failure no other kind describes (a connection that
//     broke after the retries ran out, an unreadable answer, a body
//     shorter than announced); the message says what.
//   - NotFound: the object, bucket or copy source does not exist.
//   - AlreadyExists: a create-only put, or a copy or rename with
//     IfNotExists, found the destination; nothing was written.
//   - Precondition: IfMatch, IfUnmodifiedSince or an update-mode put's
//     etag or version did not hold, or the object changed while a read
//     resumed.
//   - NotModified: IfNoneMatch or IfModifiedSince matched.
//   - NotImplemented: the library does not implement this for the store.
//   - NotSupported: the store or service cannot do it at all.
//   - PermissionDenied: authenticated, but not allowed.
//   - Unauthenticated: missing, wrong or expired credentials.
//   - InvalidPath: a path breaks the path rules; nothing was sent.
//   - InvalidArgument: a bad value (range, option, config, URL), or a
//     range the object cannot satisfy.
//   - UnknownConfigKey: a config document names a key its store does not
//     know.
//   - Timeout: a deadline passed (the caller's, or an attempt's after the
//     retries).
//   - Cancelled: the caller's context was cancelled.
//   - Integrity: bytes read or written do not match their checksum.
//
// The list is part of the stable contract (the C ABI's codes and the
// Python exceptions follow it): kinds are only ever appended. Messages
// never contain secrets.
package core
