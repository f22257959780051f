// Package faultproxy is an HTTP proxy for tests that does to object reads
// what no real server does on purpose: it relays the headers and part of a
// body and then goes silent (a stall), never answers at all, or flips a
// byte of the body. It sits between a client and a real test server
// (MinIO, fake-gcs-server, Azurite, nginx); every request it does not
// fault passes through unchanged, Host header included, so signed requests
// stay valid.
package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is what the proxy does to a response it faults.
type Fault int

const (
	// Stall relays the headers and the first After bytes of the body, then
	// sends nothing more until the client gives up.
	Stall Fault = iota
	// Silent takes the request (without reading its body) and never
	// answers, not even headers.
	Silent
	// Flip relays the whole body with the bits of byte After inverted.
	Flip
)

var faultNames = map[string]Fault{"stall": Stall, "silent": Silent, "flip": Flip}

// ParseFault reads "stall", "silent" or "flip".
func ParseFault(s string) (Fault, bool) {
	f, ok := faultNames[s]
	return f, ok
}

// Options configure a Proxy.
type Options struct {
	// Upstream is the server's host:port.
	Upstream string
	Fault    Fault
	// Times is how many responses are faulted; later ones pass through.
	// 0 faults every matching response.
	Times int
	// After is the body offset where the fault strikes; a negative value
	// means half the body.
	After int64
	// Method is the method of the requests to fault (default GET).
	Method string
	// OnStrike, when set, runs as each fault strikes, before the proxy
	// goes silent or sends the flipped byte (a test changes the object
	// there, for instance).
	OnStrike func()
	// MinBody: only successful responses whose body is at least this
	// long are faulted (object reads, not listings or metadata, unless
	// set low).
	MinBody int64
}

// Proxy is a running proxy.
type Proxy struct {
	// URL is where clients connect, "http://127.0.0.1:PORT".
	URL string

	opts    Options
	ln      net.Listener
	srv     *http.Server
	client  *http.Client
	faulted atomic.Int64
	done    chan struct{}

	mu      sync.Mutex
	strikes []time.Time // when each fault struck
}

// Start listens on a free loopback port and serves until Close.
func Start(opts Options) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		URL:  "http://" + ln.Addr().String(),
		opts: opts,
		ln:   ln,
		client: &http.Client{
			Transport: &http.Transport{DisableCompression: true, Proxy: nil, MaxIdleConnsPerHost: 64},
			// Redirects go back to the client as they are.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		done: make(chan struct{}),
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 30 * time.Second}
	go p.srv.Serve(ln)
	return p, nil
}

// Close stops the proxy and releases every stalled response.
func (p *Proxy) Close() {
	close(p.done)
	p.srv.Close()
	p.client.CloseIdleConnections()
}

// Faulted is how many responses the proxy has faulted so far.
func (p *Proxy) Faulted() int { return int(p.faulted.Load()) }

// Strikes are the times at which each fault struck (the stall began, the
// silence began, the byte was flipped).
func (p *Proxy) Strikes() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.strikes...)
}

// hopHeaders are per-connection headers a proxy does not forward.
var hopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.opts.Fault == Silent && r.Method == p.method() && p.take() {
		// Nothing comes back; the client must give up by itself.
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
		return
	}
	out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+p.opts.Upstream+r.URL.RequestURI(), r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = r.Header.Clone()
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	out.Host = r.Host // SigV4 signs it
	out.ContentLength = r.ContentLength
	if r.ContentLength == 0 {
		out.Body = http.NoBody
	}
	resp, err := p.client.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	for _, h := range hopHeaders {
		w.Header().Del(h)
	}
	var body io.Reader = resp.Body
	size := resp.ContentLength
	matches := r.Method == p.method() && resp.StatusCode/100 == 2
	if matches && size < 0 {
		// A body of unknown length (chunked) is taken in whole first, so
		// that the fault can strike half-way through it.
		buf, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		body, size = bytes.NewReader(buf), int64(len(buf))
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	if !matches || size < max(p.opts.MinBody, 1) || !p.take() {
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, body)
		return
	}
	after := p.opts.After
	if after < 0 || after >= size {
		after = size / 2
	}
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.WriteHeader(resp.StatusCode)
	if _, err := io.CopyN(w, body, after); err != nil {
		return
	}
	switch p.opts.Fault {
	case Stall:
		w.(http.Flusher).Flush()
		p.strike()
		select {
		case <-r.Context().Done():
		case <-p.done:
		}
	case Flip:
		var b [1]byte
		if _, err := io.ReadFull(body, b[:]); err != nil {
			return
		}
		b[0] ^= 0xff
		p.strike()
		w.Write(b[:])
		io.Copy(w, body)
	}
}

func (p *Proxy) method() string {
	if p.opts.Method == "" {
		return http.MethodGet
	}
	return p.opts.Method
}

// take claims one of the faults still to do.
func (p *Proxy) take() bool {
	for {
		n := p.faulted.Load()
		if p.opts.Times > 0 && n >= int64(p.opts.Times) {
			return false
		}
		if p.faulted.CompareAndSwap(n, n+1) {
			if p.opts.Fault == Silent {
				p.strike()
			}
			return true
		}
	}
}

func (p *Proxy) strike() {
	p.mu.Lock()
	p.strikes = append(p.strikes, time.Now())
	p.mu.Unlock()
	if p.opts.OnStrike != nil {
		p.opts.OnStrike()
	}
}

// Serve runs a proxy until ctx ends, for the command-line wrapper: it
// prints nothing itself.
func Serve(ctx context.Context, opts Options, ready func(url string)) error {
	if opts.Upstream == "" || strings.Contains(opts.Upstream, "/") {
		return errors.New("upstream must be host:port")
	}
	p, err := Start(opts)
	if err != nil {
		return err
	}
	ready(p.URL)
	<-ctx.Done()
	p.Close()
	return nil
}
