package tracing_test

import (
	"context"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/tracing"
)

// What a span costs a small read of a memory store (the cheapest
// operation there is, so the span's share is the largest): untraced, and
// traced into a batching provider whose exporter drops the spans.
// go test -run - -bench SmallGet ./core/tracing
func BenchmarkSmallGet(b *testing.B) {
	for _, traced := range []bool{false, true} {
		name := map[bool]string{false: "untraced", true: "traced"}[traced]
		b.Run(name, func(b *testing.B) {
			tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
			tracing.Use(tp)
			defer func() { tracing.Use(nil); _ = tp.Shutdown(context.Background()) }()
			doc := map[bool]string{false: `{"kind":"memory"}`, true: `{"kind":"memory","client_options":{"tracing":true}}`}[traced]
			h := open(b, doc, nil)
			ctx := context.Background()
			if _, err := h.Store.Put(ctx, "k", make([]byte, 1024), core.PutOptions{}); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, 1024)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				res, err := h.Store.Get(ctx, "k", core.GetOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if _, err := core.ReadAll(res, func(int) []byte { return buf }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
