// Command s3bench-server is a minimal in-memory object-store responder for
// benchmarks and for what no real server does on purpose. On -addr it
// answers S3: GET/HEAD (with ranges), PUT, DELETE, DeleteObjects, multipart
// uploads and ListObjectsV2, on path-style URLs and on virtual-hosted ones
// (the bucket in the Host, as BUCKET.s3.REGION.amazonaws.com), ignoring
// authentication and keeping nothing on disk. Third-party fakes serve only a
// few thousand small GETs per second on two shared cores, so every client
// ties at the server's limit; this one does as little per request as it can
// so that the clients are measured.
//
// The same objects can be read through other services' wire protocols, each
// on its own listener: -gcs-addr answers Google Cloud Storage reads (the JSON
// API's media and metadata GETs, and the XML API's GET /BUCKET/OBJECT),
// -azure-addr Azure Blob reads (GET/HEAD /ACCOUNT/CONTAINER/BLOB). A GCS
// bucket or Azure container is the S3 bucket of the same name, so objects
// written through S3 are read through all three.
//
// With -tls-ca-out FILE the S3 listener is also a forward proxy for HTTPS:
// a CONNECT to any host is answered by the server itself, which terminates
// TLS with a certificate for that host issued by a test CA made at start
// (its PEM is written to FILE, for the clients' root_certificate option) and
// serves S3 inside the tunnel. Clients configured exactly as for AWS (no
// endpoint, virtual-hosted addressing) but with proxy_url pointing here thus
// reach this server without any change to the system's files.
//
// With -throttle-rate it also behaves like an overloaded S3 partition:
// requests beyond that rate (a token bucket of -throttle-burst requests)
// are refused with 503 SlowDown (or -throttle-status 429), with a
// Retry-After header when -retry-after is set.
//
// GET /?stats reports, as JSON, how many S3 requests came virtual-hosted,
// path-style and over TLS (so a benchmark can check how its clients
// addressed the server) and, when throttling, how many were served and
// refused.
//
//	s3bench-server -addr 127.0.0.1:PORT [-gcs-addr ADDR] [-azure-addr ADDR] [-tls-ca-out FILE]
//	               [-throttle-rate N [-throttle-burst B] [-throttle-status 503|429] [-retry-after]]
package main

import (
	"crypto/md5" //nolint:gosec // an ETag, not security
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"math"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type object struct {
	data         []byte
	etag         string // quoted
	lastModified string // HTTP date
	lastISO      string // for listings
	generation   int64  // GCS's generation: unique per stored version

	sumsOnce    sync.Once
	md5, crc32c string // base64, as GCS and Azure send them; see checksums
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksums are the object's MD5 and CRC32C (big-endian), base64, computed
// on the first read that sends them: S3 clients never pay for them.
func (o *object) checksums() (md5sum, crc string) {
	o.sumsOnce.Do(func() {
		m := md5.Sum(o.data) //nolint:gosec // a stored checksum, not security
		o.md5 = base64.StdEncoding.EncodeToString(m[:])
		var c [4]byte
		binary.BigEndian.PutUint32(c[:], crc32.Checksum(o.data, castagnoli))
		o.crc32c = base64.StdEncoding.EncodeToString(c[:])
	})
	return o.md5, o.crc32c
}

type upload struct {
	key   string
	mu    sync.Mutex
	parts map[int][]byte
}

type bucket struct {
	mu      sync.RWMutex
	objects map[string]*object
	sorted  []string // keys in order; nil when stale
}

type server struct {
	mu       sync.RWMutex
	buckets  map[string]*bucket
	uploads  sync.Map // upload id -> *upload
	uploadID atomic.Uint64
	lastGen  atomic.Int64
	counts   addressing
	throttle *throttle // nil: never refuses
	tunnels  *tunnels  // nil: CONNECT refused (no -tls-ca-out)
}

// throttle is a token bucket of requests: rate per second, at most burst
// saved up.
type throttle struct {
	rate, burst float64
	status      int
	retryAfter  bool

	mu     sync.Mutex
	tokens float64
	last   time.Time

	served, refused atomic.Int64
}

// admit takes a token, or says how long until one is there.
func (t *throttle) admit() (ok bool, wait time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.tokens = math.Min(t.burst, t.tokens+now.Sub(t.last).Seconds()*t.rate)
	t.last = now
	if t.tokens >= 1 {
		t.tokens--
		t.served.Add(1)
		return true, 0
	}
	t.refused.Add(1)
	return false, time.Duration((1 - t.tokens) / t.rate * float64(time.Second))
}

func (t *throttle) refuse(w http.ResponseWriter, wait time.Duration) {
	if t.retryAfter {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	}
	if t.status == http.StatusTooManyRequests {
		fail(w, t.status, "TooManyRequests")
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(t.status)
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`) //nolint:errcheck
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	rate := flag.Float64("throttle-rate", 0, "requests per second served; more are refused (0: no limit)")
	burst := flag.Float64("throttle-burst", 0, "requests that may arrive at once (default: a tenth of a second's rate, at least 1)")
	status := flag.Int("throttle-status", http.StatusServiceUnavailable, "status of a refused request: 503 (SlowDown) or 429")
	retryAfter := flag.Bool("retry-after", false, "send Retry-After (whole seconds until a token is there) with refusals")
	gcsAddr := flag.String("gcs-addr", "", "also answer GCS reads (JSON and XML API) on this address")
	azureAddr := flag.String("azure-addr", "", "also answer Azure Blob reads on this address")
	caOut := flag.String("tls-ca-out", "", "accept CONNECT and serve S3 over TLS inside it, writing the test CA's PEM to this file")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	s := &server{buckets: map[string]*bucket{}}
	if *caOut != "" {
		if s.tunnels, err = newTunnels(s, *caOut); err != nil {
			log.Fatal(err)
		}
	}
	for _, l := range []struct {
		addr    string
		handler http.Handler
	}{{*gcsAddr, gcsHandler{s}}, {*azureAddr, azureHandler{s}}} {
		if l.addr == "" {
			continue
		}
		other, err := net.Listen("tcp", l.addr)
		if err != nil {
			log.Fatal(err)
		}
		go func() { log.Fatal(serve(other, l.handler)) }()
	}
	if *rate > 0 {
		if *status != http.StatusServiceUnavailable && *status != http.StatusTooManyRequests {
			log.Fatal("-throttle-status must be 503 or 429")
		}
		b := *burst
		if b < 1 {
			b = math.Max(1, *rate/10)
		}
		s.throttle = &throttle{rate: *rate, burst: b, status: *status, retryAfter: *retryAfter, tokens: b, last: time.Now()}
	}
	log.Fatal(serve(ln, s))
}

func serve(ln net.Listener, h http.Handler) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute, ErrorLog: log.New(io.Discard, "", 0)}
	return srv.Serve(ln)
}

func (s *server) bucket(name string, create bool) *bucket {
	s.mu.RLock()
	b := s.buckets[name]
	s.mu.RUnlock()
	if b != nil || !create {
		return b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if b = s.buckets[name]; b == nil {
		b = &bucket{objects: map[string]*object{}}
		s.buckets[name] = b
	}
	return b
}

// virtualHostedBucket is the bucket named by a virtual-hosted Host
// (BUCKET.s3.REGION.amazonaws.com, BUCKET.s3-REGION..., BUCKET.s3.example):
// the first label, when the second starts with "s3". "" for path-style.
func virtualHostedBucket(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	bucket, rest, ok := strings.Cut(host, ".")
	if !ok || bucket == "" || !strings.HasPrefix(rest, "s3") || net.ParseIP(host) != nil {
		return ""
	}
	return bucket
}

// addressing counts S3 requests by how they reached the server.
type addressing struct {
	virtualHosted, pathStyle, tls atomic.Int64
}

func (s *server) stats(w http.ResponseWriter) {
	st := map[string]int64{
		"virtual_hosted": s.counts.virtualHosted.Load(), "path_style": s.counts.pathStyle.Load(), "tls": s.counts.tls.Load(),
	}
	if s.throttle != nil {
		st["served"], st["refused"] = s.throttle.served.Load(), s.throttle.refused.Load()
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(st) //nolint:errcheck
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		s.tunnels.accept(w, r)
		return
	}
	vhost := virtualHostedBucket(r.Host)
	if vhost == "" && (r.URL.Path == "/" || r.URL.Path == "") {
		if _, ok := r.URL.Query()["stats"]; ok {
			s.stats(w)
			return
		}
		w.WriteHeader(http.StatusOK) // readiness probe, never throttled
		return
	}
	if s.throttle != nil {
		if ok, wait := s.throttle.admit(); !ok {
			io.Copy(io.Discard, r.Body) //nolint:errcheck // keep the connection usable
			s.throttle.refuse(w, wait)
			return
		}
	}
	if vhost != "" {
		s.counts.virtualHosted.Add(1)
	} else {
		s.counts.pathStyle.Add(1)
	}
	if r.TLS != nil {
		s.counts.tls.Add(1)
	}
	name, key := vhost, strings.TrimPrefix(r.URL.Path, "/")
	if vhost == "" {
		name, key, _ = strings.Cut(key, "/")
	}
	if key == "" {
		s.serveBucket(w, r, name)
		return
	}
	q := r.URL.RawQuery
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.get(w, r, name, key)
	case http.MethodPut:
		if q != "" {
			if id := r.URL.Query().Get("uploadId"); id != "" {
				s.putPart(w, r, id)
				return
			}
		}
		data, err := readBody(r)
		if err != nil {
			fail(w, http.StatusBadRequest, "IncompleteBody")
			return
		}
		s.store(name, key, data, w)
	case http.MethodPost:
		vals := r.URL.Query()
		if _, ok := vals["uploads"]; ok {
			id := strconv.FormatUint(s.uploadID.Add(1), 10)
			s.uploads.Store(id, &upload{key: key, parts: map[int][]byte{}})
			w.Header().Set("Content-Type", "application/xml")
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId></InitiateMultipartUploadResult>`, esc(name), esc(key), id)
			return
		}
		if id := vals.Get("uploadId"); id != "" {
			s.complete(w, r, name, key, id)
			return
		}
		fail(w, http.StatusNotImplemented, "NotImplemented")
	case http.MethodDelete:
		if id := r.URL.Query().Get("uploadId"); id != "" {
			s.uploads.Delete(id)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if b := s.bucket(name, false); b != nil {
			b.mu.Lock()
			if _, ok := b.objects[key]; ok {
				delete(b.objects, key)
				b.sorted = nil
			}
			b.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		fail(w, http.StatusNotImplemented, "NotImplemented")
	}
}

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength >= 0 {
		data := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, data)
		return data, err
	}
	return io.ReadAll(r.Body)
}

func (s *server) store(name, key string, data []byte, w http.ResponseWriter) {
	sum := md5.Sum(data) //nolint:gosec
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	s.storeWithETag(name, key, data, etag)
	w.Header().Set("ETag", etag)
	w.WriteHeader(http.StatusOK)
}

func (s *server) storeWithETag(name, key string, data []byte, etag string) {
	now := time.Now().UTC()
	o := &object{data: data, etag: etag, lastModified: now.Format(http.TimeFormat), lastISO: now.Format("2006-01-02T15:04:05.000Z"),
		generation: s.nextGeneration(now)}
	b := s.bucket(name, true)
	b.mu.Lock()
	if _, existed := b.objects[key]; !existed {
		b.sorted = nil
	}
	b.objects[key] = o
	b.mu.Unlock()
}

// nextGeneration is a GCS-style generation (microseconds since the epoch),
// strictly increasing.
func (s *server) nextGeneration(now time.Time) int64 {
	for {
		last, gen := s.lastGen.Load(), now.UnixMicro()
		if gen <= last {
			gen = last + 1
		}
		if s.lastGen.CompareAndSwap(last, gen) {
			return gen
		}
	}
}

// object is the stored object, or nil with the error code of its absence.
func (s *server) object(name, key string) (*object, string) {
	b := s.bucket(name, false)
	if b == nil {
		return nil, "NoSuchBucket"
	}
	b.mu.RLock()
	o := b.objects[key]
	b.mu.RUnlock()
	if o == nil {
		return nil, "NoSuchKey"
	}
	return o, ""
}

func (s *server) get(w http.ResponseWriter, r *http.Request, name, key string) {
	o, missing := s.object(name, key)
	if o == nil {
		fail(w, http.StatusNotFound, missing)
		return
	}
	h := w.Header()
	h["Etag"] = []string{o.etag}
	h["Last-Modified"] = []string{o.lastModified}
	serveContent(w, r, o, r.Header.Get("Range"), func() {
		fail(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange")
	})
}

// serveContent answers a read of o, whole or the one range rangeSpec names,
// after the caller set the protocol's own headers; refused is called (with
// Content-Range already set) for a range o does not satisfy.
func serveContent(w http.ResponseWriter, r *http.Request, o *object, rangeSpec string, refused func()) {
	h := w.Header()
	h["Accept-Ranges"] = []string{"bytes"}
	h["Content-Type"] = []string{"application/octet-stream"}
	size := int64(len(o.data))
	start, end, status := int64(0), size, http.StatusOK
	if rangeSpec != "" {
		var ok bool
		start, end, ok = parseRange(rangeSpec, size)
		if !ok {
			h["Content-Range"] = []string{"bytes */" + strconv.FormatInt(size, 10)}
			refused()
			return
		}
		h["Content-Range"] = []string{fmt.Sprintf("bytes %d-%d/%d", start, end-1, size)}
		status = http.StatusPartialContent
	}
	h["Content-Length"] = []string{strconv.FormatInt(end-start, 10)}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		w.Write(o.data[start:end]) //nolint:errcheck // the client went away
	}
}

// parseRange reads one "bytes=a-b", "bytes=a-" or "bytes=-n" into [start, end).
func parseRange(v string, size int64) (int64, int64, bool) {
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, false
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false
	}
	if first == "" {
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 || size == 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size, true
	}
	a, err := strconv.ParseInt(first, 10, 64)
	if err != nil || a >= size {
		return 0, 0, false
	}
	if last == "" {
		return a, size, true
	}
	e, err := strconv.ParseInt(last, 10, 64)
	if err != nil || e < a {
		return 0, 0, false
	}
	return a, min(e+1, size), true
}

func (s *server) putPart(w http.ResponseWriter, r *http.Request, id string) {
	v, ok := s.uploads.Load(id)
	if !ok {
		fail(w, http.StatusNotFound, "NoSuchUpload")
		return
	}
	n, err := strconv.Atoi(r.URL.Query().Get("partNumber"))
	if err != nil || n < 1 {
		fail(w, http.StatusBadRequest, "InvalidArgument")
		return
	}
	data, err := readBody(r)
	if err != nil {
		fail(w, http.StatusBadRequest, "IncompleteBody")
		return
	}
	u := v.(*upload)
	u.mu.Lock()
	u.parts[n] = data
	u.mu.Unlock()
	w.Header().Set("ETag", fmt.Sprintf(`"part-%d-%d"`, n, len(data)))
	w.WriteHeader(http.StatusOK)
}

func (s *server) complete(w http.ResponseWriter, r *http.Request, name, key, id string) {
	v, ok := s.uploads.LoadAndDelete(id)
	if !ok {
		fail(w, http.StatusNotFound, "NoSuchUpload")
		return
	}
	io.Copy(io.Discard, r.Body) //nolint:errcheck // parts are assembled in number order
	u := v.(*upload)
	u.mu.Lock()
	numbers := make([]int, 0, len(u.parts))
	total := 0
	for n, p := range u.parts {
		numbers = append(numbers, n)
		total += len(p)
	}
	sort.Ints(numbers)
	data := make([]byte, 0, total)
	for _, n := range numbers {
		data = append(data, u.parts[n]...)
	}
	u.mu.Unlock()
	etag := fmt.Sprintf(`"%s-%d"`, strconv.FormatUint(uint64(total), 16), len(numbers))
	s.storeWithETag(name, key, data, etag)
	w.Header().Set("Content-Type", "application/xml")
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><ETag>%s</ETag></CompleteMultipartUploadResult>`, esc(name), esc(key), esc(etag))
}

func (s *server) serveBucket(w http.ResponseWriter, r *http.Request, name string) {
	switch r.Method {
	case http.MethodPut:
		s.bucket(name, true)
		w.WriteHeader(http.StatusOK)
	case http.MethodHead:
		if s.bucket(name, false) == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		b := s.bucket(name, false)
		if b == nil {
			fail(w, http.StatusNotFound, "NoSuchBucket")
			return
		}
		s.list(w, r, name, b)
	case http.MethodPost:
		if _, ok := r.URL.Query()["delete"]; ok {
			s.deleteObjects(w, r, name)
			return
		}
		fail(w, http.StatusNotImplemented, "NotImplemented")
	default:
		fail(w, http.StatusNotImplemented, "NotImplemented")
	}
}

// deleteObjects answers DeleteObjects: every key is deleted (a missing one
// too, as S3 does); in quiet mode the answer lists only failures (none).
func (s *server) deleteObjects(w http.ResponseWriter, r *http.Request, name string) {
	var req struct {
		Quiet   bool `xml:"Quiet"`
		Objects []struct {
			Key string `xml:"Key"`
		} `xml:"Object"`
	}
	if err := xml.NewDecoder(io.LimitReader(r.Body, 4<<20)).Decode(&req); err != nil {
		fail(w, http.StatusBadRequest, "MalformedXML")
		return
	}
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?><DeleteResult>`)
	if b := s.bucket(name, false); b != nil {
		b.mu.Lock()
		for _, o := range req.Objects {
			delete(b.objects, o.Key)
		}
		b.sorted = nil
		b.mu.Unlock()
	}
	if !req.Quiet {
		for _, o := range req.Objects {
			sb.WriteString(`<Deleted><Key>` + esc(o.Key) + `</Key></Deleted>`)
		}
	}
	sb.WriteString(`</DeleteResult>`)
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, sb.String()) //nolint:errcheck
}

// list answers ListObjectsV2 (with delimiter too); the continuation token is
// the last key returned.
func (s *server) list(w http.ResponseWriter, r *http.Request, name string, b *bucket) {
	q := r.URL.Query()
	prefix, delim := q.Get("prefix"), q.Get("delimiter")
	after := q.Get("start-after")
	if t := q.Get("continuation-token"); t != "" {
		after = t
	}
	maxKeys := 1000
	if v, err := strconv.Atoi(q.Get("max-keys")); err == nil && v > 0 && v < maxKeys {
		maxKeys = v
	}
	b.mu.Lock()
	if b.sorted == nil {
		b.sorted = make([]string, 0, len(b.objects))
		for k := range b.objects {
			b.sorted = append(b.sorted, k)
		}
		sort.Strings(b.sorted)
	}
	keys := b.sorted
	b.mu.Unlock()
	from := sort.SearchStrings(keys, prefix)
	if after != "" && after >= prefix {
		from = sort.Search(len(keys), func(i int) bool { return keys[i] > after })
	}
	var sb strings.Builder
	sb.WriteString(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>`)
	sb.WriteString(esc(name))
	sb.WriteString(`</Name><Prefix>`)
	sb.WriteString(esc(prefix))
	sb.WriteString(`</Prefix>`)
	count, last, truncated := 0, "", false
	seenPrefix := map[string]bool{}
	var prefixes []string
	b.mu.RLock()
	for i := from; i < len(keys); i++ {
		k := keys[i]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if count >= maxKeys {
			truncated = true
			break
		}
		if delim != "" {
			if rest := k[len(prefix):]; strings.Contains(rest, delim) {
				cp := prefix + rest[:strings.Index(rest, delim)+len(delim)]
				if !seenPrefix[cp] {
					seenPrefix[cp] = true
					prefixes = append(prefixes, cp)
					count++
				}
				last = k
				continue
			}
		}
		o := b.objects[k]
		if o == nil {
			continue
		}
		sb.WriteString(`<Contents><Key>`)
		sb.WriteString(esc(k))
		sb.WriteString(`</Key><LastModified>`)
		sb.WriteString(o.lastISO)
		sb.WriteString(`</LastModified><ETag>`)
		sb.WriteString(esc(o.etag))
		sb.WriteString(`</ETag><Size>`)
		sb.WriteString(strconv.Itoa(len(o.data)))
		sb.WriteString(`</Size><StorageClass>STANDARD</StorageClass></Contents>`)
		count++
		last = k
	}
	b.mu.RUnlock()
	for _, cp := range prefixes {
		sb.WriteString(`<CommonPrefixes><Prefix>`)
		sb.WriteString(esc(cp))
		sb.WriteString(`</Prefix></CommonPrefixes>`)
	}
	fmt.Fprintf(&sb, `<KeyCount>%d</KeyCount><MaxKeys>%d</MaxKeys><IsTruncated>%t</IsTruncated>`, count, maxKeys, truncated)
	if truncated {
		sb.WriteString(`<NextContinuationToken>`)
		sb.WriteString(esc(last))
		sb.WriteString(`</NextContinuationToken>`)
	}
	sb.WriteString(`</ListBucketResult>`)
	w.Header().Set("Content-Type", "application/xml")
	io.WriteString(w, sb.String()) //nolint:errcheck
}

func esc(s string) string {
	var sb strings.Builder
	xml.EscapeText(&sb, []byte(s)) //nolint:errcheck // strings.Builder never fails
	return sb.String()
}

func fail(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>`, code, code)
}
