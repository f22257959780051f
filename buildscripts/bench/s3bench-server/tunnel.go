package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"sync"
	"time"
)

// tunnels makes the S3 listener an HTTPS forward proxy to itself: a CONNECT
// to any host:port is answered here, TLS is terminated with a certificate
// for that host issued on the fly by a test CA, and the decrypted requests
// are served by the same S3 handler (virtual-hosted by their Host). Only
// HTTP/1.1 is offered in ALPN, as S3 itself does.
type tunnels struct {
	tls   *tls.Config
	conns chan net.Conn // decrypted-side connections, served by one http.Server

	caCert *x509.Certificate
	caKey  *ecdsa.PrivateKey

	mu    sync.Mutex
	certs map[string]*tls.Certificate // by server name
}

// newTunnels makes the test CA, writes its certificate (PEM) to caPath and
// starts serving tunneled connections with s.
func newTunnels(s *server, caPath string) (*tunnels, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "s3bench-server test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(caPath, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, err
	}
	t := &tunnels{conns: make(chan net.Conn), caCert: ca, caKey: key, certs: map[string]*tls.Certificate{}}
	t.tls = &tls.Config{GetCertificate: t.certificate, NextProtos: []string{"http/1.1"}, MinVersion: tls.VersionTLS12}
	go func() { log.Fatal(serve(t, s)) }()
	return t, nil
}

// certificate issues (once per name) a leaf certificate for the name the
// client asked for in SNI (or for 127.0.0.1 when it sent none).
func (t *tunnels) certificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	name := hello.ServerName
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.certs[name]; c != nil {
		return c, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if name == "" {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, t.caCert, &key.PublicKey, t.caKey)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	t.certs[name] = c
	return c, nil
}

// accept answers a CONNECT: 200, then the connection carries TLS to us.
func (t *tunnels) accept(w http.ResponseWriter, r *http.Request) {
	if t == nil {
		http.Error(w, "CONNECT needs -tls-ca-out", http.StatusMethodNotAllowed)
		return
	}
	conn, rw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if _, err := rw.WriteString("HTTP/1.1 200 Connection established\r\n\r\n"); err != nil || rw.Flush() != nil {
		conn.Close()
		return
	}
	// Bytes the client sent after the CONNECT may already be buffered.
	t.conns <- tls.Server(bufferedConn{Conn: conn, r: rw.Reader}, t.tls)
}

// Accept, Close and Addr make tunnels the listener of the tunneled side.
func (t *tunnels) Accept() (net.Conn, error) { return <-t.conns, nil }
func (t *tunnels) Close() error              { return errors.New("tunnels are never closed") }
func (t *tunnels) Addr() net.Addr            { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)} }

// bufferedConn reads what the hijacked connection's reader holds first.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
