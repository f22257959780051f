// Package tracingtest is what tests of traced stores share: the spans of
// the stores they trace, collected in memory, and a span's attributes by
// key.
package tracingtest

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/libobjstore/objstore/core/tracing"
)

// Collect sends the spans of the stores traced from now on (opened with
// tracing on) to an in-memory exporter, each as it ends, for the test's
// length.
func Collect(t testing.TB) *tracetest.InMemoryExporter {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	tracing.Use(tp)
	t.Cleanup(func() {
		tracing.Use(nil)
		_ = tp.Shutdown(context.Background())
	})
	return exp
}

// Attrs are a span's attributes by key.
func Attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}
