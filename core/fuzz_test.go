package core

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for the parsers that take untrusted input. `make fuzz` runs
// each for a while; the seeds (and any crasher found, kept in
// testdata/fuzz/) run in every `go test`.

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"", "/", "a", "a/b", "/a/b/", "a//b", "a/./b", "a/../b", "..", "a\x00b", "a\tb",
		"🇦🇺/$shenanigans@@~.txt", "%48%45%4C%4C%4F", "%Q.parquet", "a b/c d", "\x7f", "//", "a/", "a/\xff/b", "\xc3", "caf\xc3\xa9/\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			if KindOf(err) != InvalidPath {
				t.Fatalf("ParsePath(%q): error of kind %v, want InvalidPath", s, KindOf(err))
			}
			return
		}
		if !utf8.ValidString(string(p)) {
			t.Fatalf("ParsePath(%q) = %q is not valid UTF-8", s, p)
		}
		again, err := ParsePath(string(p))
		if err != nil || again != p {
			t.Fatalf("ParsePath not idempotent: %q -> %q -> %q, %v", s, p, again, err)
		}
		if strings.HasPrefix(string(p), "/") || strings.HasSuffix(string(p), "/") || strings.Contains(string(p), "//") {
			t.Fatalf("ParsePath(%q) = %q keeps a stray delimiter", s, p)
		}
		for _, seg := range p.Parts() {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("ParsePath(%q) = %q has segment %q", s, p, seg)
			}
			for _, c := range []byte(seg) {
				if c < 0x20 || c == 0x7f {
					t.Fatalf("ParsePath(%q) = %q has a control character", s, p)
				}
			}
		}
		if !p.HasPrefix("") || !p.HasPrefix(p) {
			t.Fatalf("%q is not prefixed by the root and itself", p)
		}
		if rest, ok := p.Join("x").StripPrefix(p); !ok || rest != "x" {
			t.Fatalf("StripPrefix(Join(%q, x)) = %q, %v", p, rest, ok)
		}
	})
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{"kind":"memory"}`,
		`{"kind":"local","prefix":"/tmp/x","config":{"mkdir":true}}`,
		`{"kind":"s3","bucket":"b","config":{"region":"eu-west-1","aws_region":"x"}}`,
		`{"kind":"s3","kind":"gcs"}`,
		`{"kind":"s3","retry_config":{"max_retries":3,"retry_timeout":"10s","backoff":{"base":2.5,"init_backoff":0.1}}}`,
		`{"kind":"http","url":"http://127.0.0.1/","client_options":{"timeout":30,"allow_http":"true"}}`,
		`{"kind":"s3","config":{"a":{"b":1}}}`, `{}`,
		`{"kind":"cache","config":{"memory_bytes":"64MiB"},"inner":{"kind":"limit","inner":{"kind":"memory"}}}`,
		`{"kind":"prefix","inner":{"kind":"memory","inner":{"kind":"x","kind":"y"}}}`, `{"kind":"cache","inner":{"nope":1}}`, `[]`, `{"kind":1}`, `{"kind":"x"} trailing`, `{"unknown":1,"kind":"memory"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			if k := KindOf(err); k != InvalidArgument && k != UnknownConfigKey {
				t.Fatalf("ParseConfig(%q): error of kind %v", data, k)
			}
			return
		}
		again, err := ParseConfig(c.JSON())
		if err != nil {
			t.Fatalf("canonical JSON %s does not parse: %v", c.JSON(), err)
		}
		if !reflect.DeepEqual(normalizeEmpty(again), normalizeEmpty(c)) {
			t.Fatalf("config does not round-trip:\n%#v\n%#v", c, again)
		}
		_ = c.RetryConfig.Complete()
	})
}

// normalizeEmpty treats an empty map like an absent one (omitempty drops it).
func normalizeEmpty(c Config) Config {
	if len(c.Config) == 0 {
		c.Config = nil
	}
	if len(c.ClientOptions) == 0 {
		c.ClientOptions = nil
	}
	if c.Inner != nil {
		inner := normalizeEmpty(*c.Inner)
		c.Inner = &inner
	}
	return c
}

func FuzzRangeResolve(f *testing.F) {
	f.Add(uint8(0), uint64(3), uint64(7), uint64(0), uint64(10))
	f.Add(uint8(0), uint64(2), uint64(5), uint64(0), uint64(3))
	f.Add(uint8(1), uint64(3), uint64(0), uint64(0), uint64(10))
	f.Add(uint8(2), uint64(0), uint64(0), uint64(100), uint64(10))
	f.Add(uint8(0), uint64(5), uint64(5), uint64(0), uint64(10))
	f.Add(uint8(1), uint64(0), uint64(0), uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, kind uint8, start, end, length, size uint64) {
		r := Range{Kind: RangeKind(kind % 3), Start: start, End: end, Length: length}
		s, e, err := r.Resolve(size)
		if err != nil {
			if KindOf(err) != InvalidArgument {
				t.Fatalf("%+v.Resolve(%d): error of kind %v", r, size, KindOf(err))
			}
			return
		}
		if s > e || e > size {
			t.Fatalf("%+v.Resolve(%d) = [%d, %d): outside the object", r, size, s, e)
		}
		switch r.Kind {
		case RangeBounded:
			if s != start || e != min(end, size) {
				t.Fatalf("%+v.Resolve(%d) = [%d, %d)", r, size, s, e)
			}
		case RangeOffset:
			if s != start || e != size {
				t.Fatalf("%+v.Resolve(%d) = [%d, %d)", r, size, s, e)
			}
		case RangeSuffix:
			if e != size || e-s != min(length, size) {
				t.Fatalf("%+v.Resolve(%d) = [%d, %d)", r, size, s, e)
			}
		}
	})
}
