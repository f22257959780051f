// Package storetest is the conformance suite every backend runs;
// docs/conformance.md says what each item checks and how a backend
// declares what it cannot do. A backend's test calls
//
//	storetest.Run(t, func(t *testing.T) core.Store { return freshEmptyStore(t) }, caps)
//
// where the function returns a new, EMPTY store for every call (a unique
// bucket, container or prefix), and caps declares what the backend cannot
// do. A declared limit is itself tested: the suite then expects a typed
// NotImplemented or NotSupported error for that operation, never silence
// and never a wrong result.
package storetest

import (
	"net/http"
)

// Capabilities declares what a backend cannot do. The zero value claims
// everything: full object_store semantics. Field names are stable: backends
// in other packages set them.
type Capabilities struct {
	// NoAttributes: the store cannot keep attributes (Content-Type & co.
	// and user metadata). Put and multipart uploads with Attributes must
	// fail with NotImplemented or NotSupported.
	NoAttributes bool

	// NoSuffixRange: the store cannot read the last N bytes; a suffix
	// range must fail with NotSupported or NotImplemented.
	NoSuffixRange bool

	// NoConditionalPut: neither PutCreate nor PutUpdate works; both must
	// fail with NotImplemented or NotSupported. Implies NoUpdateMode.
	NoConditionalPut bool

	// NoUpdateMode: PutCreate works but PutUpdate (compare-and-swap on
	// etag/version) does not and must fail with NotImplemented or
	// NotSupported. The counter race test is then not run.
	NoUpdateMode bool

	// NoVersions: the store keeps no object versions (or the test bucket
	// has versioning off). A Get with GetOptions.Version must then fail
	// (any error kind; NotImplemented preferred) rather than return the
	// current object. Without it, PutResult.Version must be set and a Get
	// of an old version must return the old content.
	NoVersions bool

	// NoCopyIfNotExists: Copy and Rename with IfNotExists must fail with
	// NotImplemented or NotSupported.
	NoCopyIfNotExists bool

	// NoMultipart: PutMultipart (or its first PutPart) must fail with
	// NotImplemented or NotSupported. Writer tests then only write objects
	// smaller than one chunk.
	NoMultipart bool

	// NoSign: the store cannot presign URLs; core.Sign must fail with
	// NotSupported or NotImplemented. Without it the suite signs GET and
	// PUT URLs and fetches them with net/http.
	NoSign bool

	// NoUploadCleanup: the store keeps no multipart uploads between
	// requests (memory, HTTP), so core.CleanupUploads must fail with
	// NotSupported or NotImplemented.
	NoUploadCleanup bool

	// AbortedUploadsMayComplete: an upload that CleanupUploads aborted may
	// still be completed by its (by then usually dead) owner, because the
	// server keeps its parts (Azurite keeps the blocks of a deleted,
	// never-committed blob). The suite then checks only that the upload is
	// no longer listed.
	AbortedUploadsMayComplete bool

	// SignPutHeaders are headers a client must send with a presigned PUT
	// (e.g. Azure's "x-ms-blob-type: BlockBlob").
	SignPutHeaders http.Header

	// SignHTTPClient fetches presigned URLs; nil means http.DefaultClient.
	SignHTTPClient *http.Client

	// ListUnordered: List does not return keys in lexicographic order
	// (the suite sorts before comparing). Offset must still be exclusive.
	ListUnordered bool

	// KeysRejected reports keys (paths as the suite passes them to the
	// store) that the server is documented to refuse (docs/architecture.md,
	// "Test servers"). For those, the tricky-key tests expect Put to fail
	// with an error instead of round-tripping. nil rejects none.
	KeysRejected func(key string) bool

	// ObjectAndPrefixConflict: an object "a" and an object "a/b" cannot
	// both exist (file-backed stores: MinIO, versitygw, local). The suite
	// then never creates such a pair; without it, it checks both coexist.
	ObjectAndPrefixConflict bool
}

func (c Capabilities) rejects(key string) bool {
	return c.KeysRejected != nil && c.KeysRejected(key)
}
