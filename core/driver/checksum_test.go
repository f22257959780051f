package driver

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"io"
	"testing"
	"testing/iotest"

	"github.com/libobjstore/objstore/core"
)

// The catalogued check values: each algorithm's digest of "123456789".
var checkValues = map[ChecksumAlgorithm]string{
	CRC32:     "cbf43926",
	CRC32C:    "e3069283",
	CRC64NVME: "ae8b14860a799888",
	SHA1:      "f7c3bc1d808e04732adf679965ccc34ca7ae3441",
	SHA256:    "15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225",
	MD5:       "25f9e794323b453885f5181f1b624d0b",
}

func b64(hexSum string) string {
	raw, _ := hex.DecodeString(hexSum)
	return base64.StdEncoding.EncodeToString(raw)
}

func verified(data []byte, sum Checksum) *core.GetResult {
	res := &core.GetResult{Start: 0, End: uint64(len(data)), Body: io.NopCloser(bytes.NewReader(data))}
	VerifyBody(res, sum)
	return res
}

func TestChecksumAlgorithmsMatchTheirCheckValues(t *testing.T) {
	data := []byte("123456789")
	for alg, want := range checkValues {
		sum, ok := ParseChecksum(alg, b64(want))
		if !ok {
			t.Fatalf("%s: check value not accepted", alg)
		}
		if got, err := core.ReadAll(verified(data, sum), nil); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: %q, %v", alg, got, err)
		}
	}
	if CRC32CChecksum(0xe3069283).String() != "CRC32C "+b64(checkValues[CRC32C]) {
		t.Fatalf("CRC32CChecksum is not big-endian: %s", CRC32CChecksum(0xe3069283))
	}
}

func TestParseChecksumRefusesWhatCannotBeChecked(t *testing.T) {
	for _, v := range []string{
		b64(checkValues[CRC32C]) + "-3", // S3's composite checksum of a multipart object
		"not base64!",
		b64(checkValues[MD5]), // the wrong length for CRC32C
		"",
	} {
		if _, ok := ParseChecksum(CRC32C, v); ok {
			t.Errorf("%q accepted as a CRC32C", v)
		}
	}
}

func TestVerifyBodyNeverEndsACorruptReadInSuccess(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	sum := Checksum{Algorithm: MD5, Sum: MD5.newHash().Sum(nil)} // of nothing: wrong for data
	// Whole reads: core.ReadAll and io.ReadFull (which drops an error that
	// comes with a full buffer).
	if _, err := core.ReadAll(verified(data, sum), nil); !core.IsKind(err, core.Integrity) {
		t.Fatalf("ReadAll: %v, want Integrity", err)
	}
	buf := make([]byte, len(data))
	if _, err := io.ReadFull(verified(data, sum).Body, buf); !core.IsKind(err, core.Integrity) {
		t.Fatalf("io.ReadFull: %v, want Integrity", err)
	}
	// A stream in small pieces, and one byte at a time.
	for name, wrap := range map[string]func(io.Reader) io.Reader{"1 KiB pieces": func(r io.Reader) io.Reader { return r }, "one byte": iotest.OneByteReader} {
		res := verified(data, sum)
		r := wrap(res.Body)
		var got []byte
		piece := make([]byte, 1024)
		var err error
		for err == nil {
			var n int
			n, err = r.Read(piece)
			got = append(got, piece[:n]...)
		}
		if !core.IsKind(err, core.Integrity) || len(got) >= len(data) {
			t.Fatalf("%s: %d of %d bytes then %v; want Integrity before the last bytes", name, len(got), len(data), err)
		}
		if _, again := r.Read(piece); !core.IsKind(again, core.Integrity) {
			t.Fatalf("%s: read after the mismatch: %v", name, again)
		}
	}
	// An empty body is checked too.
	if _, err := core.ReadAll(verified(nil, sum), nil); err != nil {
		t.Fatalf("empty body with its checksum: %v", err)
	}
	wrong := Checksum{Algorithm: MD5, Sum: bytes.Clone(sum.Sum)}
	wrong.Sum[0] ^= 1
	if _, err := core.ReadAll(verified(nil, wrong), nil); !core.IsKind(err, core.Integrity) {
		t.Fatalf("empty body with a wrong checksum: %v, want Integrity", err)
	}
}

func TestVerifyBodySpansResumedAttempts(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 6000)
	h := CRC64NVME.newHash()
	h.Write(data)
	sum := Checksum{Algorithm: CRC64NVME, Sum: h.Sum(nil)}
	for name, corrupt := range map[string]bool{"intact": false, "corrupted after a resume": true} {
		res := &core.GetResult{Start: 0, End: uint64(len(data)), Body: &flaky{data: data, end: uint64(len(data)), budget: 20000}}
		ResumeBody(t.Context(), res, resumePolicy(10), func(_ context.Context, start, end uint64) (io.ReadCloser, error) {
			src := data
			if corrupt {
				src = bytes.Clone(data)
				src[len(src)-1] ^= 1
			}
			return &flaky{data: src, pos: start, end: end, budget: 20000}, nil
		})
		VerifyBody(res, sum)
		got, err := core.ReadAll(res, nil)
		switch {
		case corrupt && !core.IsKind(err, core.Integrity):
			t.Fatalf("%s: %d bytes, %v; want Integrity", name, len(got), err)
		case !corrupt && (err != nil || !bytes.Equal(got, data)):
			t.Fatalf("%s: %d bytes, %v", name, len(got), err)
		}
	}
}
