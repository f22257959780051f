package driver

import (
	"strconv"
	"strings"

	"github.com/libobjstore/objstore/core"
)

// ContentRange is what a Content-Range header says: the answer holds bytes
// [Start, End) of an object of Size bytes.
type ContentRange struct {
	Start, End, Size uint64
}

// ParseContentRange reads "bytes FIRST-LAST/SIZE" (RFC 9110 §14.4) into
// [FIRST, LAST+1) of SIZE. One irregular form is taken too: Azurite answers
// a range that starts at the end of the object with 206 and
// "bytes N-(N-1)/SIZE" (N >= SIZE) where a service answers 416; it reads as
// the empty range [N, N), which callers refuse as a start past the end.
// And MinIO answers a suffix range of an empty object with "bytes 0--1/0":
// the empty read of the empty object.
// Anything else — another unit, an unknown size ("*"), LAST before FIRST
// or past the end — is a Generic error: the service's answer cannot be
// trusted to hold the bytes it claims.
func ParseContentRange(v string) (ContentRange, error) {
	bad := core.Errorf(core.Generic, "unreadable Content-Range %q (want \"bytes FIRST-LAST/SIZE\")", v)
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), "bytes ")
	if !ok {
		return ContentRange{}, bad
	}
	span, size, ok := strings.Cut(rest, "/")
	if !ok {
		return ContentRange{}, bad
	}
	if span == "0--1" && size == "0" { // MinIO: a suffix of an empty object
		return ContentRange{}, nil
	}
	first, last, ok := strings.Cut(span, "-")
	if !ok {
		return ContentRange{}, bad
	}
	s, err1 := strconv.ParseUint(first, 10, 64)
	l, err2 := strconv.ParseUint(last, 10, 64)
	n, err3 := strconv.ParseUint(size, 10, 64)
	switch {
	case err1 != nil || err2 != nil || err3 != nil:
		return ContentRange{}, bad
	case l+1 == s && s >= n: // Azurite's empty range at the end
		return ContentRange{Start: s, End: s, Size: n}, nil
	case l < s || l >= n:
		return ContentRange{}, bad
	}
	return ContentRange{Start: s, End: l + 1, Size: n}, nil
}
