package s3

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"hash/crc64"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/libobjstore/objstore/core/driver"
)

// Write checksums. Every PutObject and UploadPart carries the checksum of
// its body (checksum_algorithm, CRC32C by default) in its
// x-amz-checksum-* header, computed here in one pass over the bytes; S3
// stores it and refuses a body that does not match (BadDigest), which
// mapError reports as Integrity. The header goes with the request, not in
// an aws-chunked trailer, which MinIO and versitygw do not all take from
// aws-sdk-go-v2.
//
// The header is signed, so the body itself need not be hashed for SigV4:
// such requests are signed with UNSIGNED-PAYLOAD, sparing a SHA-256 pass
// over every byte written (the most expensive step of a large upload), on
// plain http too. An explicit unsigned_payload = false keeps the SHA-256
// payload hash; with checksum_algorithm SHA256 that hash is the checksum's
// own digest, computed once.

var (
	castagnoli = crc32.MakeTable(crc32.Castagnoli)
	nvme       = crc64.MakeTable(0x9a6c9329ac4bc9b5) // CRC64NVME, reflected
)

// writeChecksum is the checksum of one request body.
type writeChecksum struct {
	value      string // base64 of the digest: the x-amz-checksum-* value; "" for none
	payloadHex string // the body's SHA-256 in hex, when the digest is one
}

// checksumOf computes the configured checksum of data.
func (c *client) checksumOf(data []byte) writeChecksum {
	var sum []byte
	switch c.s.checksumAlgorithm {
	case "CRC32C":
		sum = binary.BigEndian.AppendUint32(nil, crc32.Checksum(data, castagnoli))
	case "CRC32":
		sum = binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(data))
	case "CRC64NVME":
		sum = binary.BigEndian.AppendUint64(nil, crc64.Checksum(data, nvme))
	case "SHA1":
		d := sha1.Sum(data) //nolint:gosec
		sum = d[:]
	case "SHA256":
		d := sha256.Sum256(data)
		return writeChecksum{value: base64.StdEncoding.EncodeToString(d[:]), payloadHex: hex.EncodeToString(d[:])}
	default:
		return writeChecksum{}
	}
	return writeChecksum{value: base64.StdEncoding.EncodeToString(sum)}
}

// set stores the checksum in the input field of the configured algorithm.
func (w writeChecksum) set(algorithm string, crc32, crc32c, crc64nvme, sha1, sha256 **string) {
	if w.value == "" {
		return
	}
	v := w.value
	switch algorithm {
	case "CRC32":
		*crc32 = &v
	case "CRC32C":
		*crc32c = &v
	case "CRC64NVME":
		*crc64nvme = &v
	case "SHA1":
		*sha1 = &v
	case "SHA256":
		*sha256 = &v
	}
}

// signingHash is the SigV4 payload hash of a body with this checksum, found
// without hashing the body again: the checksum's own SHA-256, or
// UNSIGNED-PAYLOAD when a checksum header covers the body (unless
// unsigned_payload is false); "" when the body itself must be hashed.
func (w writeChecksum) signingHash(signPayload bool) string {
	switch {
	case w.payloadHex != "":
		return w.payloadHex
	case w.value != "" && !signPayload:
		return "UNSIGNED-PAYLOAD"
	}
	return ""
}

// checksumHeader is the x-amz-checksum-* header of a checksum algorithm.
func checksumHeader(algorithm string) string {
	switch algorithm {
	case "CRC32":
		return "X-Amz-Checksum-Crc32"
	case "CRC32C":
		return "X-Amz-Checksum-Crc32c"
	case "CRC64NVME":
		return "X-Amz-Checksum-Crc64nvme"
	case "SHA1":
		return "X-Amz-Checksum-Sha1"
	case "SHA256":
		return "X-Amz-Checksum-Sha256"
	}
	return ""
}

// payloadHash is the call option that gives the SDK's SigV4 signer the
// payload hash (see signingHash) instead of letting it hash the body.
func (c *client) payloadHash(w writeChecksum) func(*s3.Options) {
	hash := w.signingHash(c.s.signPayload)
	if hash == "" {
		return func(*s3.Options) {}
	}
	return func(o *s3.Options) {
		o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
			return st.Finalize.Insert(middleware.FinalizeMiddlewareFunc("objstorePayloadHash",
				func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
					return next.HandleFinalize(v4.SetPayloadHash(ctx, hash), in)
				}), "ComputePayloadHash", middleware.Before)
		})
	}
}

// checksumModeHeader asks S3 for the checksum it stored with the object
// (x-amz-checksum-*), which it sends only for reads of the whole object.
const checksumModeHeader = "X-Amz-Checksum-Mode"

// checksumModeEnabled is its value, shared by every request (read only).
var checksumModeEnabled = []string{"ENABLED"}

// checksumOf picks the whole-object checksum of an answer. Composite
// checksums of multipart uploads ("…-N", type COMPOSITE) are checksums of
// the parts' checksums and cannot be checked against the bytes alone.
func checksumOf(out *s3.GetObjectOutput) driver.Checksum {
	if out.ChecksumType == types.ChecksumTypeComposite {
		return driver.Checksum{}
	}
	for _, c := range []struct {
		alg   driver.ChecksumAlgorithm
		value *string
	}{
		{driver.CRC64NVME, out.ChecksumCRC64NVME}, {driver.CRC32C, out.ChecksumCRC32C}, {driver.CRC32, out.ChecksumCRC32},
		{driver.SHA256, out.ChecksumSHA256}, {driver.SHA1, out.ChecksumSHA1},
	} {
		if c.value != nil {
			if sum, ok := driver.ParseChecksum(c.alg, *c.value); ok {
				return sum
			}
		}
	}
	return driver.Checksum{}
}
