package tracing

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.41.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/libobjstore/objstore/core"
)

// The exporting providers of the process, one per distinct exportConfig,
// each counted by the traced stores using it: the last one's Close flushes
// and stops it, so no goroutine of tracing runs while no traced store is
// open. installed, when set (Use), replaces them all.
var providers = struct {
	sync.Mutex
	m         map[string]*provider
	installed trace.TracerProvider
}{m: map[string]*provider{}}

type provider struct {
	key    string
	sdk    *sdktrace.TracerProvider
	client *http.Client // the exporter's
	refs   int          // guarded by providers
	cfg    exportConfig
}

// acquire returns a reference to the provider exporting as cfg says,
// starting it when none runs.
func acquire(cfg exportConfig) (*provider, error) {
	key := cfg.key()
	providers.Lock()
	defer providers.Unlock()
	if p, ok := providers.m[key]; ok {
		p.refs++
		return p, nil
	}
	sdk, client, err := newSDKProvider(cfg)
	if err != nil {
		return nil, err
	}
	p := &provider{key: key, sdk: sdk, client: client, refs: 1, cfg: cfg}
	providers.m[key] = p
	return p, nil
}

// release drops a reference; the last one exports what is pending and
// stops the provider, within the OTLP timeout.
func (p *provider) release() {
	providers.Lock()
	p.refs--
	last := p.refs == 0
	if last {
		delete(providers.m, p.key)
	}
	providers.Unlock()
	if !last {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), p.cfg.Timeout)
	defer cancel()
	_ = p.sdk.Shutdown(ctx) // a failed export is counted (countingExporter)
	p.client.CloseIdleConnections()
}

func newSDKProvider(cfg exportConfig) (*sdktrace.TracerProvider, *http.Client, error) {
	// The exporter's own HTTP client, so that its idle connections close
	// with the provider (no goroutine stays behind).
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if strings.HasPrefix(cfg.Endpoint, "https:") {
		transport.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		if cfg.Certificate != "" {
			pem, err := os.ReadFile(cfg.Certificate)
			pool := x509.NewCertPool()
			if err != nil || !pool.AppendCertsFromPEM(pem) {
				return nil, nil, core.Errorf(core.InvalidArgument, "the OTLP certificate file %q cannot be read as PEM certificates", cfg.Certificate)
			}
			transport.TLSClientConfig.RootCAs = pool
		}
	}
	client := &http.Client{Transport: transport, Timeout: cfg.Timeout}
	compression := otlptracehttp.NoCompression
	if cfg.Gzip {
		compression = otlptracehttp.GzipCompression
	}
	// Every setting is given, so that nothing comes from the process
	// environment behind the store's (the exporter would read it).
	exp, err := otlptracehttp.New(context.Background(),
		otlptracehttp.WithEndpointURL(cfg.Endpoint),
		otlptracehttp.WithHeaders(cfg.Headers),
		otlptracehttp.WithTimeout(cfg.Timeout),
		otlptracehttp.WithCompression(compression),
		otlptracehttp.WithHTTPClient(client),
	)
	if err != nil {
		return nil, nil, &core.Error{Kind: core.InvalidArgument, Msg: "OTLP trace exporter", Err: err}
	}
	attrs := []attribute.KeyValue{
		semconv.TelemetrySDKName("opentelemetry"),
		semconv.TelemetrySDKLanguageGo,
		semconv.TelemetrySDKVersion(sdkVersion()),
	}
	for k, v := range cfg.Resource {
		attrs = append(attrs, attribute.String(k, v))
	}
	attrs = append(attrs, semconv.ServiceName(cfg.ServiceName)) // last: it wins
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(&countingExporter{exp},
			sdktrace.WithBatchTimeout(cfg.ScheduleDelay),
			sdktrace.WithExportTimeout(cfg.ExportTimeout),
			sdktrace.WithMaxQueueSize(cfg.MaxQueue),
			sdktrace.WithMaxExportBatchSize(cfg.MaxBatch),
		),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, attrs...)),
		sdktrace.WithSampler(sampler(cfg)),
	), client, nil
}

func sdkVersion() string { return otel.Version() }

func sampler(cfg exportConfig) sdktrace.Sampler {
	switch cfg.Sampler {
	case "always_on":
		return sdktrace.AlwaysSample()
	case "always_off":
		return sdktrace.NeverSample()
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(cfg.SamplerRatio)
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample())
	case "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(cfg.SamplerRatio))
	}
	return sdktrace.ParentBased(sdktrace.AlwaysSample())
}

// Use makes every store traced from now on send its spans to tp (a Go
// program's own SDK setup, a test's in-memory exporter) instead of an OTLP
// exporter built from the OTEL_ variables; nil goes back to those. Whether
// a store is traced is still its document's and environment's to say.
// Stores opened before keep what they had.
func Use(tp trace.TracerProvider) {
	providers.Lock()
	defer providers.Unlock()
	providers.installed = tp
}

// Flush exports the spans of ended operations that wait in every exporting
// provider, within ctx. Stores flush by themselves when the last traced
// one closes; Flush is for a process that keeps its stores open and wants
// its spans out now (before it is killed, say).
func Flush(ctx context.Context) error {
	providers.Lock()
	running := make([]*provider, 0, len(providers.m))
	for _, p := range providers.m {
		running = append(running, p)
	}
	providers.Unlock()
	var errs []error
	for _, p := range running {
		errs = append(errs, exportError(p.sdk.ForceFlush(ctx)))
	}
	return errors.Join(errs...)
}

// Running reports how many exporting providers run (each with its batching
// goroutine): 0 while no traced store is open.
func Running() int {
	providers.Lock()
	defer providers.Unlock()
	return len(providers.m)
}

func exportError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.DeadlineExceeded):
		return &core.Error{Kind: core.Timeout, Msg: "exporting spans timed out", Err: err}
	}
	return &core.Error{Kind: core.Generic, Msg: "exporting spans", Err: err}
}

// ExportStats count what the exporting providers sent.
type ExportStats struct {
	Spans     int64  // spans the collector accepted
	Failures  int64  // export requests that failed
	LastError string // the last failure's message
}

var exportStats struct {
	spans, failures atomic.Int64
	last            atomic.Pointer[string]
}

// Stats returns what every exporting provider of the process sent so far.
func Stats() ExportStats {
	s := ExportStats{Spans: exportStats.spans.Load(), Failures: exportStats.failures.Load()}
	if p := exportStats.last.Load(); p != nil {
		s.LastError = *p
	}
	return s
}

// countingExporter counts what the OTLP exporter sends and fails to send,
// so that a failure is known without printing it (Silence).
type countingExporter struct{ sdktrace.SpanExporter }

func (c *countingExporter) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := c.SpanExporter.ExportSpans(ctx, spans)
	if err != nil {
		exportStats.failures.Add(1)
		msg := err.Error()
		exportStats.last.Store(&msg)
		return err
	}
	exportStats.spans.Add(int64(len(spans)))
	return nil
}

// Silence routes OpenTelemetry's process-wide error handler and logger
// away from stderr: the C library never writes to it. Export failures are
// counted in Stats instead. A Go program with its own handler does not
// call it.
func Silence() {
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(error) {}))
	otel.SetLogger(logr.Discard())
}
