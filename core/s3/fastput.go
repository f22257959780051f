package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
)

// The lean small PUT: as fastGet shortens the SDK's middleware for the
// common GET, fastPut sends a single-request PutObject as one hand-signed
// request on the same transport, to the same URL, with the same
// credentials, headers, conditions and x-amz-checksum-* as the SDK's
// request (putObject). Only a 200 is taken; anything else (an error, a
// refused condition, a redirect, throttling) and every transport failure
// send the request again through the SDK, which keeps error mapping and
// retries as they are. Server-side encryption settings keep the SDK path.

// putRequest is what one PutObject sends.
type putRequest struct {
	key            string
	data           []byte
	h              objectHeaders
	ifNoneMatch    *string
	ifMatch        *string
	checksumHeader string // x-amz-checksum-<algorithm>, "" for none
	sum            writeChecksum
	signPayload    bool // unsigned_payload = false: SigV4 hashes the body
}

// put returns handled=false when the SDK must send the request instead.
func (f *fastGetter) put(ctx context.Context, p putRequest) (etag, version string, handled bool) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, f.base+"/"+escapeKey(p.key), bytes.NewReader(p.data))
	if err != nil {
		return "", "", false
	}
	h := req.Header
	set := func(name string, v *string) {
		if v != nil {
			h[name] = []string{*v}
		}
	}
	set("Content-Type", p.h.contentType)
	set("Content-Disposition", p.h.disposition)
	set("Content-Encoding", p.h.encoding)
	set("Content-Language", p.h.language)
	set("Cache-Control", p.h.cacheControl)
	set("X-Amz-Tagging", p.h.tagging)
	set("If-None-Match", p.ifNoneMatch)
	set("If-Match", p.ifMatch)
	for k, v := range p.h.metadata {
		h["X-Amz-Meta-"+k] = []string{v}
	}
	if p.sum.value != "" {
		h[p.checksumHeader] = []string{p.sum.value}
	}
	if !f.preparePayload(ctx, req, payloadHashOf(p)) {
		return "", "", false
	}
	resp, err := f.http.Do(req)
	if err != nil {
		return "", "", false
	}
	// Read what little the answer carries, so that its connection is reused.
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // the status decides
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", false
	}
	return resp.Header.Get("Etag"), resp.Header.Get("X-Amz-Version-Id"), true
}

// payloadHashOf is the SigV4 payload hash putObject's request is signed
// with: as the SDK path's (signingHash), else the body's SHA-256.
func payloadHashOf(p putRequest) string {
	if hash := p.sum.signingHash(p.signPayload); hash != "" {
		return hash
	}
	d := sha256.Sum256(p.data)
	return hex.EncodeToString(d[:])
}

// putsLean says whether putObject may try the lean PUT.
func (c *client) putsLean() bool {
	return c.fast != nil && c.s.serverSideEncryption == ""
}
