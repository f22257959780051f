package tracing_test

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
	"github.com/libobjstore/objstore/core/tracing"
	"github.com/libobjstore/objstore/core/tracing/tracingtest"
)

func open(t testing.TB, doc string, env map[string]string) *stores.Handle {
	t.Helper()
	c, err := core.ParseConfig([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	h, err := stores.Open(context.Background(), c, env)
	if err != nil {
		t.Fatalf("open %s: %v", doc, err)
	}
	t.Cleanup(func() { h.Close() })
	return h
}

func byName(spans tracetest.SpanStubs, name string) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// N gets are N spans, each with the operation, the store, the path's
// length (not the path), the status and the bytes; a get's span ends with
// its body; an error is an error span that names the kind, not the path.
func TestSpanPerOperation(t *testing.T) {
	exp := tracingtest.Collect(t)
	h := open(t, `{"kind":"memory","client_options":{"tracing":true}}`, nil)
	ctx := context.Background()
	data := []byte(strings.Repeat("x", 1000))
	if _, err := h.Store.Put(ctx, "dir/secret-name", data, core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 7
	for i := range n {
		res, err := h.Store.Get(ctx, "dir/secret-name", core.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(byName(exp.GetSpans(), "objstore.get")) != i {
			t.Fatal("a get's span ended before its body was read")
		}
		if _, err := core.ReadAll(res, nil); err != nil {
			t.Fatal(err)
		}
	}
	// A store keeps the provider it was opened with.
	if later := tracingtest.Collect(t); len(later.GetSpans()) != 0 {
		t.Fatal("spans in a provider installed later")
	}
	if _, err := h.Store.Head(ctx, "dir/secret-name"); err != nil {
		t.Fatal(err)
	}
	if len(byName(exp.GetSpans(), "objstore.head")) != 1 {
		t.Fatal("a store opened before Use changed its provider")
	}
	if got := len(byName(exp.GetSpans(), "objstore.get")); got != n {
		t.Fatalf("%d gets made %d spans", n, got)
	}
	for _, s := range byName(exp.GetSpans(), "objstore.get") {
		a := tracingtest.Attrs(s)
		if a["objstore.operation"].AsString() != "get" || a["objstore.store.kind"].AsString() != "memory" ||
			a["objstore.path.length"].AsInt64() != int64(len("dir/secret-name")) || a["objstore.status"].AsString() != "ok" ||
			a["objstore.bytes"].AsInt64() != 1000 || s.Status.Code == codes.Error {
			t.Errorf("span %s: %v %v", s.Name, s.Attributes, s.Status)
		}
		if _, ok := a["objstore.path"]; ok {
			t.Errorf("the path is recorded without trace_paths: %v", s.Attributes)
		}
		if _, ok := a["objstore.bucket"]; ok {
			t.Errorf("a memory store has no bucket: %v", s.Attributes)
		}
		if !s.EndTime.After(s.StartTime) {
			t.Errorf("span from %v to %v", s.StartTime, s.EndTime)
		}
	}
	exp.Reset()
	if _, err := h.Store.Head(ctx, "dir/missing-secret"); !core.IsKind(err, core.NotFound) {
		t.Fatal(err)
	}
	heads := byName(exp.GetSpans(), "objstore.head")
	if len(heads) != 1 {
		t.Fatalf("spans %v", exp.GetSpans())
	}
	s := heads[0]
	a := tracingtest.Attrs(s)
	if s.Status.Code != codes.Error || s.Status.Description != "not_found" || a["error.type"].AsString() != "not_found" || a["objstore.status"].AsString() != "not_found" {
		t.Errorf("error span: %v %v", s.Status, s.Attributes)
	}
	for _, kv := range s.Attributes {
		if strings.Contains(kv.Value.Emit(), "secret") || strings.Contains(s.Status.Description, "secret") {
			t.Errorf("the path leaks into the span: %v %v", kv, s.Status)
		}
	}
}

// trace_paths records the path itself; an upload's parts and a listing
// are operations too.
func TestTracePaths(t *testing.T) {
	exp := tracingtest.Collect(t)
	h := open(t, `{"kind":"memory","client_options":{"tracing":"true","trace_paths":true}}`, nil)
	ctx := context.Background()
	u, err := h.Store.PutMultipart(ctx, "a/b.bin", core.MultipartOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := u.PutPart(ctx, 0, []byte("12345")); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Complete(ctx); err != nil {
		t.Fatal(err)
	}
	for range h.Store.List(ctx, "a", core.ListOptions{}) {
	}
	want := map[string]string{"objstore.put_multipart": "a/b.bin", "objstore.put_part": "a/b.bin", "objstore.complete_multipart": "a/b.bin", "objstore.list": "a"}
	spans := exp.GetSpans()
	if len(spans) != len(want) {
		t.Fatalf("spans %v", spans)
	}
	for _, s := range spans {
		if got := tracingtest.Attrs(s)["objstore.path"].AsString(); got != want[s.Name] {
			t.Errorf("%s: path %q, want %q", s.Name, got, want[s.Name])
		}
	}
	if part := byName(spans, "objstore.put_part"); tracingtest.Attrs(part[0])["objstore.bytes"].AsInt64() != 5 {
		t.Errorf("part span %v", part[0].Attributes)
	}
}

// Off by default: no span, no exporter running. The environment turns
// tracing on (OTEL_TRACES_EXPORTER=otlp); the document's "tracing": false
// wins over it, and OTEL_SDK_DISABLED=true over both.
func TestOnAndOff(t *testing.T) {
	exp := tracingtest.Collect(t)
	otlp := map[string]string{"OTEL_TRACES_EXPORTER": "console,otlp"}
	for _, tc := range []struct {
		doc    string
		env    map[string]string
		traced bool
	}{
		{`{"kind":"memory"}`, nil, false},
		{`{"kind":"memory"}`, map[string]string{"OTEL_TRACES_EXPORTER": "console"}, false},
		{`{"kind":"memory"}`, otlp, true},
		{`{"kind":"memory","client_options":{"tracing":false}}`, otlp, false},
		{`{"kind":"memory","client_options":{"tracing":true}}`, map[string]string{"OTEL_SDK_DISABLED": "true"}, false},
		{`{"kind":"memory","client_options":{"tracing":true}}`, map[string]string{"OTEL_TRACES_EXPORTER": "none"}, true},
		{`{"kind":"local","prefix":"` + t.TempDir() + `"}`, otlp, true},
	} {
		exp.Reset()
		h := open(t, tc.doc, tc.env)
		if _, err := h.Store.Head(context.Background(), "x"); !core.IsKind(err, core.NotFound) {
			t.Fatal(err)
		}
		if got := len(exp.GetSpans()); got != map[bool]int{true: 1}[tc.traced] {
			t.Errorf("%s with %v: %d spans", tc.doc, tc.env, got)
		}
		h.Close()
	}
	if n := tracing.Running(); n != 0 {
		t.Errorf("%d exporters run with no traced store open", n)
	}
}

// The OTEL_ variables are checked when a store is traced, and only then.
func TestBadEnvironment(t *testing.T) {
	for name, value := range map[string]string{
		"OTEL_EXPORTER_OTLP_PROTOCOL":        "grpc",
		"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "localhost:4318",
		"OTEL_EXPORTER_OTLP_TIMEOUT":         "10s",
		"OTEL_EXPORTER_OTLP_COMPRESSION":     "zstd",
		"OTEL_EXPORTER_OTLP_HEADERS":         "Authorization",
		"OTEL_TRACES_SAMPLER":                "jaeger_remote",
		"OTEL_TRACES_SAMPLER_ARG":            "2",
		"OTEL_BSP_MAX_QUEUE_SIZE":            "0",
	} {
		env := map[string]string{name: value, "OTEL_TRACES_SAMPLER": "traceidratio"}
		if name == "OTEL_TRACES_SAMPLER" {
			env[name] = value
		}
		c, _ := core.ParseConfig([]byte(`{"kind":"memory","client_options":{"tracing":true}}`))
		_, err := stores.Open(context.Background(), c, env)
		if !core.IsKind(err, core.InvalidArgument) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%s: %v", name, value, err)
		}
		off := open(t, `{"kind":"memory"}`, env)
		off.Close()
	}
	for _, doc := range []string{
		`{"kind":"memory","client_options":{"tracing":"maybe"}}`,
		`{"kind":"memory","client_options":{"trace_paths":"sometimes"}}`,
	} {
		c, _ := core.ParseConfig([]byte(doc))
		if _, err := stores.Normalize(c); !core.IsKind(err, core.InvalidArgument) {
			t.Errorf("%s: %v", doc, err)
		}
	}
	c, _ := core.ParseConfig([]byte(`{"kind":"memory","client_options":{"timeout":"1s"}}`))
	if _, err := stores.Normalize(c); !core.IsKind(err, core.UnknownConfigKey) {
		t.Errorf("a memory store took an HTTP client option: %v", err)
	}
}

// A traced wrapper's operation is the parent of the operations it makes on
// its inner store: a cache's miss shows the inner read inside it, a hit
// shows none.
func TestWrapperSpansNest(t *testing.T) {
	exp := tracingtest.Collect(t)
	inner := open(t, `{"kind":"memory","client_options":{"tracing":true}}`, nil)
	ctx := context.Background()
	if _, err := inner.Store.Put(ctx, "o", []byte("hello"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	c, _ := core.ParseConfig([]byte(`{"kind":"cache","config":{"ttl":"1h"},"client_options":{"tracing":true}}`))
	h, err := stores.Wrap(ctx, c, inner)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for range 2 {
		exp.Reset()
		res, err := h.Store.Get(ctx, "o", core.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := core.ReadAll(res, nil); err != nil {
			t.Fatal(err)
		}
	}
	// The second read: the cache's span alone.
	spans := exp.GetSpans()
	if len(spans) != 1 || tracingtest.Attrs(spans[0])["objstore.store.kind"].AsString() != "cache" {
		t.Fatalf("a cached read: %v", spans)
	}
	exp.Reset()
	if _, err := inner.Store.Put(ctx, "p", []byte("world"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	exp.Reset()
	res, err := h.Store.Get(ctx, "p", core.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := core.ReadAll(res, nil); err != nil {
		t.Fatal(err)
	}
	var outer *tracetest.SpanStub
	spans = exp.GetSpans()
	for i, s := range spans {
		if tracingtest.Attrs(s)["objstore.store.kind"].AsString() == "cache" {
			outer = &spans[i]
		}
	}
	if outer == nil || len(spans) < 2 {
		t.Fatalf("a missed read: %v", spans)
	}
	for _, s := range spans {
		if tracingtest.Attrs(s)["objstore.store.kind"].AsString() == "memory" &&
			(s.Parent.SpanID() != outer.SpanContext.SpanID() || s.SpanContext.TraceID() != outer.SpanContext.TraceID()) {
			t.Errorf("inner span %s is not the cache's child", s.Name)
		}
	}
}
