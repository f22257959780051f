package gcs

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"

	"cloud.google.com/go/storage"

	"github.com/libobjstore/objstore/core"
)

// A media download answers with the object's metadata in its headers
// (x-goog-generation, x-goog-hash, x-goog-stored-content-length, the HTTP
// attributes, Last-Modified, x-goog-meta-*), the generation the bytes
// belong to included. Get reads them there instead of asking for the
// metadata of that generation in a second request, as obstore's single GET
// does. The SDK's reader keeps no response headers, so the transport hands
// them over (mediaHeadersTransport): Get puts a mediaHeaders in the
// context of the read and the transport stores each media response's
// headers in it (the last attempt's win: the SDK may retry).

type mediaHeadersKey struct{}

// mediaHeaders receives the headers of a read's media response.
type mediaHeaders struct{ h atomic.Pointer[http.Header] }

func withMediaHeaders(ctx context.Context, m *mediaHeaders) context.Context {
	return context.WithValue(ctx, mediaHeadersKey{}, m)
}

func (m *mediaHeaders) load() http.Header {
	if p := m.h.Load(); p != nil {
		return *p
	}
	return nil
}

// captureMedia stores a successful media response's headers where the
// request's context asks for them.
func captureMedia(r *http.Request, resp *http.Response) {
	if resp == nil || (resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusPartialContent) {
		return
	}
	if m, ok := r.Context().Value(mediaHeadersKey{}).(*mediaHeaders); ok {
		h := resp.Header
		m.h.Store(&h)
	}
}

const metaHeaderPrefix = "X-Goog-Meta-"

// attrsFromMedia is the metadata of the generation a media response
// served, from its headers; ok is false where they do not say all of it:
// a header missing or malformed, bytes transcoded on the way, or custom
// metadata (HTTP headers do not keep the case of its keys, so it is read
// from the metadata API instead).
func attrsFromMedia(path core.Path, h http.Header) (attrs *storage.ObjectAttrs, ok bool) {
	if h == nil {
		return nil, false
	}
	for name := range h {
		if strings.HasPrefix(name, metaHeaderPrefix) {
			return nil, false
		}
	}
	gen, ok := parseGeneration(h.Get("X-Goog-Generation"))
	if !ok {
		return nil, false
	}
	size, err := strconv.ParseInt(h.Get("X-Goog-Stored-Content-Length"), 10, 64)
	if err != nil || size < 0 {
		return nil, false
	}
	updated, err := http.ParseTime(h.Get("Last-Modified"))
	if err != nil {
		return nil, false
	}
	encoding := h.Get("Content-Encoding")
	if stored := h.Get("X-Goog-Stored-Content-Encoding"); stored != encoding && !(stored == "identity" && encoding == "") {
		return nil, false // transcoded: the headers describe other bytes than those stored
	}
	a := &storage.ObjectAttrs{
		Name: string(path), Generation: gen, Size: size, Updated: updated,
		ContentType: h.Get("Content-Type"), ContentEncoding: encoding, CacheControl: h.Get("Cache-Control"),
		ContentDisposition: h.Get("Content-Disposition"), ContentLanguage: h.Get("Content-Language"),
	}
	for _, v := range h.Values("X-Goog-Hash") {
		for _, part := range strings.Split(v, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			sum, err := base64.StdEncoding.DecodeString(value)
			switch {
			case err != nil:
				return nil, false
			case name == "crc32c" && len(sum) == 4:
				a.CRC32C = binary.BigEndian.Uint32(sum)
			case name == "md5":
				a.MD5 = sum
			}
		}
	}
	return a, true
}
