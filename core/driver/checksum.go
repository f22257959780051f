package driver

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"io"
	"strings"

	"github.com/libobjstore/objstore/core"
)

// ChecksumAlgorithm names a checksum a service stores for an object.
type ChecksumAlgorithm int

const (
	CRC32     ChecksumAlgorithm = iota + 1 // IEEE, big-endian (S3)
	CRC32C                                 // Castagnoli, big-endian (S3, GCS)
	CRC64NVME                              // big-endian (S3)
	SHA1                                   // (S3)
	SHA256                                 // (S3)
	MD5                                    // (Azure, GCS)
)

var checksumNames = [...]string{CRC32: "CRC32", CRC32C: "CRC32C", CRC64NVME: "CRC64NVME", SHA1: "SHA1", SHA256: "SHA256", MD5: "MD5"}

func (a ChecksumAlgorithm) String() string {
	if a > 0 && int(a) < len(checksumNames) {
		return checksumNames[a]
	}
	return fmt.Sprintf("ChecksumAlgorithm(%d)", int(a))
}

var (
	castagnoliTable = crc32.MakeTable(crc32.Castagnoli)
	nvmeTable       = crc64.MakeTable(0x9a6c9329ac4bc9b5) // the NVMe polynomial, bit-reversed as crc64 wants it
)

func (a ChecksumAlgorithm) newHash() hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(castagnoliTable)
	case CRC64NVME:
		return crc64.New(nvmeTable)
	case SHA1:
		return sha1.New() //nolint:gosec
	case SHA256:
		return sha256.New()
	case MD5:
		return md5.New() //nolint:gosec
	}
	return nil
}

// Checksum is a digest a service gave for the bytes it sends, in the
// byte order hash.Hash.Sum writes (big-endian for the CRCs).
type Checksum struct {
	Algorithm ChecksumAlgorithm
	Sum       []byte
}

// ParseChecksum reads a base64 digest as services send them (S3's
// x-amz-checksum-*, GCS's x-goog-hash, Azure's Content-MD5). ok is false
// for a value that is not one whole digest of the algorithm, such as S3's
// composite checksums of multipart objects ("…-3"), which cannot be checked
// against the bytes alone.
func ParseChecksum(a ChecksumAlgorithm, b64 string) (Checksum, bool) {
	h := a.newHash()
	if h == nil {
		return Checksum{}, false
	}
	sum, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(sum) != h.Size() {
		return Checksum{}, false
	}
	return Checksum{Algorithm: a, Sum: sum}, true
}

// CRC32CChecksum is the checksum of a CRC32C value.
func CRC32CChecksum(v uint32) Checksum {
	return Checksum{Algorithm: CRC32C, Sum: binary.BigEndian.AppendUint32(nil, v)}
}

func (c Checksum) String() string {
	return c.Algorithm.String() + " " + base64.StdEncoding.EncodeToString(c.Sum)
}

// VerifyBody checks the bytes res.Body yields against sum, the service's
// checksum of exactly those bytes: the caller passes only a checksum that
// covers [res.Start, res.End). The digest is computed as the bytes arrive,
// in the reader's own buffer; the read that completes the body returns an
// core.Integrity error instead of its bytes if they do not match, so a
// corrupted body never ends in success. A zero Checksum changes nothing.
func VerifyBody(res *core.GetResult, sum Checksum) {
	h := sum.Algorithm.newHash()
	if h == nil || res.Body == nil {
		return
	}
	res.Body = &verifyingBody{r: res.Body, h: h, want: sum, left: res.Len(), path: res.Meta.Location}
}

type verifyingBody struct {
	r    io.ReadCloser
	h    hash.Hash
	want Checksum
	left uint64 // bytes not yet read
	path core.Path
	err  error // the mismatch, once found
}

func (b *verifyingBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left == 0 {
		if err := b.check(); err != nil {
			return 0, err
		}
		return b.r.Read(p)
	}
	n, err := b.r.Read(p)
	if uint64(n) > b.left {
		n = int(b.left) // a longer body is the reader's own error to report
	}
	b.h.Write(p[:n])
	b.left -= uint64(n)
	if b.left == 0 {
		if cerr := b.check(); cerr != nil {
			// Withhold the last bytes: io.ReadFull and friends drop an
			// error that comes with a full buffer.
			return 0, cerr
		}
	}
	return n, err
}

func (b *verifyingBody) check() error {
	if b.err == nil && b.h != nil {
		if got := b.h.Sum(nil); !bytes.Equal(got, b.want.Sum) {
			b.err = &core.Error{Kind: core.Integrity, Path: string(b.path),
				Msg: fmt.Sprintf("the bytes read do not match the service's %s checksum (got %s, want %s)",
					b.want.Algorithm, hex.EncodeToString(got), hex.EncodeToString(b.want.Sum))}
		}
		b.h = nil // checked once
	}
	return b.err
}

func (b *verifyingBody) ReadWhole() { core.ReadWhole(b.r) }

func (b *verifyingBody) Close() error { return b.r.Close() }
