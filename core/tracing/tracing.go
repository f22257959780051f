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
// path), the HTTP attempts and retries, and the body bytes read or
// written. Spans are made from core/observe's operation events, the one
// source of the library's metrics and hooks too (Tracer is an
// observe.Tracer). A store not traced has no Tracer and pays nothing.
package tracing

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
	"github.com/libobjstore/objstore/core/observe"
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
// timeout). A failed export does not fail the store's close: it is
// counted in Stats.
func (t *Tracer) Close() {
	if t == nil || t.p == nil {
		return
	}
	p := t.p
	t.p = nil
	p.release()
}

// Begin starts the span of operation op ("get", "put", ...) on path at
// start (core/observe calls it for each operation of a traced store). The
// span is in the context returned, so that an inner store's spans (a
// cache's misses) are its children; the function returned ends it with the
// operation's Event.
func (t *Tracer) Begin(ctx context.Context, op string, path core.Path, start time.Time) (context.Context, func(observe.Event)) {
	attrs := make([]attribute.KeyValue, 0, len(t.store)+3)
	attrs = append(attrs, attribute.String("objstore.operation", op))
	attrs = append(attrs, t.store...)
	attrs = append(attrs, attribute.Int("objstore.path.length", len(path)))
	if t.paths {
		attrs = append(attrs, attribute.String("objstore.path", string(path)))
	}
	ctx, span := t.tracer.Start(ctx, "objstore."+op,
		trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...), trace.WithTimestamp(start))
	return ctx, func(e observe.Event) { end(span, e, start) }
}

// end ends a span with its operation's outcome.
func end(span trace.Span, e observe.Event, start time.Time) {
	if e.Status != "ok" {
		// The kind, not the message: a message names the path.
		span.SetStatus(codes.Error, e.Status)
		span.SetAttributes(attribute.String("error.type", e.Status))
	}
	span.SetAttributes(
		attribute.String("objstore.status", e.Status),
		attribute.Int("objstore.attempts", e.Attempts),
		attribute.Int("objstore.retries", e.Retries),
		attribute.Int64("objstore.bytes", e.Bytes),
	)
	span.End(trace.WithTimestamp(start.Add(e.Duration)))
}
