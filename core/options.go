package core

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// RangeKind selects how a Range is read.
type RangeKind int

const (
	RangeBounded RangeKind = iota // [Start, End)
	RangeOffset                   // [Start, size)
	RangeSuffix                   // the last Length bytes
)

// Range is a byte range request, with object_store's semantics.
type Range struct {
	Kind   RangeKind
	Start  uint64
	End    uint64 // exclusive; RangeBounded only
	Length uint64 // RangeSuffix only
}

// Bounded returns the range [start, end).
func Bounded(start, end uint64) Range { return Range{Kind: RangeBounded, Start: start, End: end} }

// Offset returns the range from start to the end of the object.
func Offset(start uint64) Range { return Range{Kind: RangeOffset, Start: start} }

// Suffix returns the range of the last n bytes (the whole object if shorter).
func Suffix(n uint64) Range { return Range{Kind: RangeSuffix, Length: n} }

func (r Range) String() string {
	switch r.Kind {
	case RangeOffset:
		return fmt.Sprintf("bytes=%d-", r.Start)
	case RangeSuffix:
		return fmt.Sprintf("bytes=-%d", r.Length)
	}
	return fmt.Sprintf("bytes=%d-%d", r.Start, r.End-1)
}

// Validate rejects ranges that are wrong whatever the object's size.
func (r Range) Validate() error {
	if r.Kind == RangeBounded && r.Start >= r.End {
		return Errorf(InvalidArgument, "Invalid range requested: start %d, end %d (empty or inverted)", r.Start, r.End)
	}
	return nil
}

// Resolve turns r into [start, end) for an object of the given size: a start
// at or past the end of the object is an error, an end past it is clamped.
func (r Range) Resolve(size uint64) (start, end uint64, err error) {
	if err := r.Validate(); err != nil {
		return 0, 0, err
	}
	switch r.Kind {
	case RangeSuffix:
		if r.Length >= size {
			return 0, size, nil
		}
		return size - r.Length, size, nil
	case RangeOffset:
		if r.Start >= size {
			return 0, 0, Errorf(InvalidArgument, "Invalid range: start %d is at or past the end of the object (%d bytes long)", r.Start, size)
		}
		return r.Start, size, nil
	}
	if r.Start >= size {
		return 0, 0, Errorf(InvalidArgument, "Invalid range: start %d is at or past the end of the object (%d bytes long)", r.Start, size)
	}
	return r.Start, min(r.End, size), nil
}

// GetOptions are the conditions and range of a get. A zero value gets the
// whole current object.
type GetOptions struct {
	IfMatch           string     // Precondition unless the etag matches ("*" matches any)
	IfNoneMatch       string     // NotModified if the etag matches ("*" matches any)
	IfModifiedSince   *time.Time // NotModified unless modified after this time
	IfUnmodifiedSince *time.Time // Precondition if modified after this time
	Range             *Range
	Version           string // a specific object version, where the store keeps them
	Head              bool   // metadata only: Body is empty
}

// CheckPreconditions applies the conditional options to an object's
// metadata, for stores that evaluate them locally. Order follows RFC 9110
// §13.2.2: If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since.
func (o *GetOptions) CheckPreconditions(meta ObjectMeta) error {
	if o.IfMatch != "" && !etagListMatches(o.IfMatch, meta.ETag) {
		return &Error{Kind: Precondition, Path: string(meta.Location), Msg: fmt.Sprintf("etag %s does not match %s", meta.ETag, o.IfMatch)}
	}
	if o.IfMatch == "" && o.IfUnmodifiedSince != nil && meta.LastModified.Truncate(time.Second).After(o.IfUnmodifiedSince.Truncate(time.Second)) {
		return &Error{Kind: Precondition, Path: string(meta.Location), Msg: "object was modified after if_unmodified_since"}
	}
	if o.IfNoneMatch != "" && etagListMatches(o.IfNoneMatch, meta.ETag) {
		return &Error{Kind: NotModified, Path: string(meta.Location), Msg: "etag matches if_none_match"}
	}
	if o.IfNoneMatch == "" && o.IfModifiedSince != nil && !meta.LastModified.Truncate(time.Second).After(o.IfModifiedSince.Truncate(time.Second)) {
		return &Error{Kind: NotModified, Path: string(meta.Location), Msg: "object was not modified after if_modified_since"}
	}
	return nil
}

func etagListMatches(list, etag string) bool {
	for _, candidate := range strings.Split(list, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || candidate == etag {
			return true
		}
	}
	return false
}

// ObjectMeta describes one stored object.
type ObjectMeta struct {
	Location     Path
	LastModified time.Time
	Size         uint64
	ETag         string // may be empty where the store has none
	Version      string // may be empty
}

// Attributes are the HTTP-style attributes and user metadata of an object.
// The well-known keys below are attributes; any other key is user metadata.
type Attributes map[string]string

const (
	AttrContentType        = "Content-Type"
	AttrContentDisposition = "Content-Disposition"
	AttrContentEncoding    = "Content-Encoding"
	AttrContentLanguage    = "Content-Language"
	AttrCacheControl       = "Cache-Control"
)

// WellKnownAttributes lists the non-metadata attribute keys.
var WellKnownAttributes = []string{AttrContentType, AttrContentDisposition, AttrContentEncoding, AttrContentLanguage, AttrCacheControl}

// IsMetadataKey reports whether key is user metadata rather than a
// well-known attribute (compared case-insensitively).
func IsMetadataKey(key string) bool {
	for _, k := range WellKnownAttributes {
		if strings.EqualFold(k, key) {
			return false
		}
	}
	return true
}

// GetResult is an open read. The caller must Close Body (also for Head).
type GetResult struct {
	Meta       ObjectMeta
	Start, End uint64 // the byte range [Start, End) that Body yields
	Attributes Attributes
	Body       io.ReadCloser
}

// Len is the number of bytes Body yields.
func (r *GetResult) Len() uint64 { return r.End - r.Start }

// PutModeKind selects what a put may replace.
type PutModeKind int

const (
	PutOverwrite PutModeKind = iota // replace whatever is there
	PutCreate                       // AlreadyExists if the object exists
	PutUpdate                       // Precondition unless the current etag/version match
)

// PutMode is the conditional mode of a put.
type PutMode struct {
	Kind    PutModeKind
	ETag    string // PutUpdate: the etag the current object must have
	Version string // PutUpdate: the version the current object must have, where versioned
}

// PutOptions configure a put.
type PutOptions struct {
	Mode       PutMode
	Attributes Attributes
	Tags       map[string]string
}

// PutResult is what a successful put reports.
type PutResult struct {
	ETag    string
	Version string
}

// MultipartOptions configure a multipart upload.
type MultipartOptions struct {
	Attributes Attributes
	Tags       map[string]string
}

// ListResult is one level of a hierarchical listing.
type ListResult struct {
	CommonPrefixes []Path
	Objects        []ObjectMeta
}

// Sort orders both lists, as ListWithDelimiter promises.
func (r *ListResult) Sort() {
	slices.Sort(r.CommonPrefixes)
	slices.SortFunc(r.Objects, func(a, b ObjectMeta) int { return strings.Compare(string(a.Location), string(b.Location)) })
}

// CopyOptions configure copy and rename.
type CopyOptions struct {
	// IfNotExists makes the operation fail with AlreadyExists when the
	// destination exists, instead of overwriting it.
	IfNotExists bool
}
