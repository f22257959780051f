// Package tracing gives a store's operations OpenTelemetry spans, one per
// operation: off by default, on for a store whose document says
// "client_options": {"tracing": true}, or whose environment asks for OTLP
// trace export (OTEL_TRACES_EXPORTER=otlp) and whose document does not say
// "tracing": false. OTEL_SDK_DISABLED=true turns it off whatever the
// document says.
//
// Spans are exported with OTLP over HTTP (protobuf) as the standard OTEL_
// variables of the store's environment say (EnvironmentNames), batched, by
// one provider per distinct setting, shared by the stores using it and
// stopped, after a last export, when the last of them closes; Flush exports
// what waits at any time. A Go program can send the spans to its own
// TracerProvider instead (Use). The process-wide OpenTelemetry globals
// (otel.SetTracerProvider) are left alone: the library's spans never turn
// on another library's.
//
// A span records the operation, the store's kind and bucket, the path's
// length (its name only with "trace_paths": true: names can be private),
// the outcome (ok or the error's kind, never its message, which names the
// path), the HTTP attempts and retries, and the bytes read and written.
// A store not traced has no Tracer and pays nothing.
package tracing

import (
	"context"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// scope names the library as the instrumentation scope of its spans.
const scope = "github.com/libobjstore/objstore"

// Settings are what a store's document and environment say about tracing
// it. The zero value is off.
type Settings struct {
	On     bool
	Paths  bool // record the path itself, not only its length
	export exportConfig
}

// SettingsOf reads the tracing client options of a normalized document and
// the OTEL_ variables of env. The variables are read (and checked) only
// when the store is traced.
func SettingsOf(c core.Config, env map[string]string) (Settings, error) {
	var s Settings
	disabled, otlp := envEnabled(env)
	s.On = otlp
	if v, ok := c.ClientOptions["tracing"]; ok {
		on, err := driver.ParseBool("tracing", v)
		if err != nil {
			return s, err
		}
		s.On = on
	}
	if disabled || !s.On {
		return Settings{}, nil
	}
	var err error
	if s.Paths, err = driver.ParseBool("trace_paths", c.ClientOptions["trace_paths"]); err != nil {
		return s, err
	}
	s.export, err = parseExportConfig(env)
	return s, err
}

// Key tells settings apart for the sharing of opened stores: equal
// documents opened with different tracing settings are different stores.
// It is "" when off.
func (s Settings) Key() string {
	if !s.On {
		return ""
	}
	return "tracing:" + s.export.key()
}

// Tracer traces the operations of one opened store. A nil *Tracer is a
// store not traced: its methods do nothing.
type Tracer struct {
	tracer trace.Tracer
	store  []attribute.KeyValue // the attributes of every span: kind, bucket
	paths  bool
	p      *provider // its reference, dropped by Close; nil with Use's provider
}

// Open returns the tracer of a store of the given kind and bucket (the
// innermost document's for a wrapping kind; "" for none), or nil when s is
// off. It starts the exporting provider s needs if none runs.
func Open(s Settings, kind, bucket string) (*Tracer, error) {
	if !s.On {
		return nil, nil
	}
	t := &Tracer{paths: s.Paths, store: []attribute.KeyValue{attribute.String("objstore.store.kind", kind)}}
	if bucket != "" {
		t.store = append(t.store, attribute.String("objstore.bucket", bucket))
	}
	providers.Lock()
	installed := providers.installed
	providers.Unlock()
	if installed != nil {
		t.tracer = installed.Tracer(scope)
		return t, nil
	}
	p, err := acquire(s.export)
	if err != nil {
		return nil, err
	}
	t.p, t.tracer = p, p.sdk.Tracer(scope)
	return t, nil
}

// Close drops the store's reference to its exporting provider: the last
// store's Close exports what waits and stops it (bounded by the OTLP
// timeout).
func (t *Tracer) Close() error {
	if t == nil || t.p == nil {
		return nil
	}
	p := t.p
	t.p = nil
	return p.release()
}

// Span is one operation's span, ended by End.
type Span struct {
	span trace.Span
}

// Outcome is how an operation ended, for its span.
type Outcome struct {
	Err               error
	BytesIn, BytesOut int64 // read from the store, written to it
	Attempts, Retries int64 // HTTP requests sent, and how many were retries
}

// Start begins the span of operation op ("get", "put", ...) on path,
// started at start (the zero time: now). The span is in the context
// returned, so that an inner store's spans (a cache's) are its children.
func (t *Tracer) Start(ctx context.Context, op string, path core.Path, start time.Time) (context.Context, Span) {
	if t == nil {
		return ctx, Span{}
	}
	attrs := make([]attribute.KeyValue, 0, len(t.store)+3)
	attrs = append(attrs, attribute.String("objstore.operation", op))
	attrs = append(attrs, t.store...)
	attrs = append(attrs, attribute.Int("objstore.path.length", len(path)))
	if t.paths {
		attrs = append(attrs, attribute.String("objstore.path", string(path)))
	}
	opts := []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...)}
	if !start.IsZero() {
		opts = append(opts, trace.WithTimestamp(start))
	}
	ctx, span := t.tracer.Start(ctx, "objstore."+op, opts...)
	return ctx, Span{span: span}
}

// End ends the span with the operation's outcome, at end (the zero time:
// now).
func (s Span) End(o Outcome, end time.Time) {
	if s.span == nil {
		return
	}
	status := "ok"
	if o.Err != nil {
		status = KindName(core.KindOf(o.Err))
		// The kind, not the message: a message names the path.
		s.span.SetStatus(codes.Error, status)
		s.span.SetAttributes(attribute.String("error.type", status))
	}
	s.span.SetAttributes(
		attribute.String("objstore.status", status),
		attribute.Int64("objstore.attempts", o.Attempts),
		attribute.Int64("objstore.retries", o.Retries),
		attribute.Int64("objstore.bytes_in", o.BytesIn),
		attribute.Int64("objstore.bytes_out", o.BytesOut),
	)
	if end.IsZero() {
		s.span.End()
		return
	}
	s.span.End(trace.WithTimestamp(end))
}

// KindName is an error kind in snake case, "not_found".
func KindName(k core.Kind) string {
	var b strings.Builder
	for i, r := range k.String() {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}
