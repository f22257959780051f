package tracing_test

import (
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	collector "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/tracing"
)

// receiver is an OTLP/HTTP trace receiver: it decodes each export request
// (protobuf, gzip or not) and keeps its spans with their resource's
// service name, and the headers of the last request.
type receiver struct {
	URL     string
	mu      sync.Mutex
	spans   []*tracepb.Span
	service []string
	header  http.Header
	refuse  bool
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" {
			z, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = z
		}
		data, _ := io.ReadAll(body)
		var export collector.ExportTraceServiceRequest
		if req.URL.Path != "/v1/traces" || req.Header.Get("Content-Type") != "application/x-protobuf" || proto.Unmarshal(data, &export) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.refuse {
			http.Error(w, "refused", http.StatusBadRequest)
			return
		}
		r.header = req.Header.Clone()
		for _, rs := range export.ResourceSpans {
			service := ""
			for _, kv := range rs.Resource.GetAttributes() {
				if kv.Key == "service.name" {
					service = kv.Value.GetStringValue()
				}
			}
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					r.spans = append(r.spans, s)
					r.service = append(r.service, service)
				}
			}
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collector.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

func (r *receiver) received() ([]*tracepb.Span, []string, http.Header) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*tracepb.Span(nil), r.spans...), append([]string(nil), r.service...), r.header
}

// A store traced by its environment exports its spans with OTLP over HTTP
// where and as the OTEL_ variables say; the last traced store's close
// sends what waits and stops the exporter.
func TestOTLPExport(t *testing.T) {
	r := newReceiver(t)
	goroutines := runtime.NumGoroutine()
	env := map[string]string{
		"OTEL_TRACES_EXPORTER":           "otlp",
		"OTEL_EXPORTER_OTLP_ENDPOINT":    r.URL,
		"OTEL_EXPORTER_OTLP_HEADERS":     "x-collector-token=s%20ecret",
		"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip",
		"OTEL_SERVICE_NAME":              "tracing-test",
		"OTEL_RESOURCE_ATTRIBUTES":       "service.name=overridden,deployment.environment=test",
		"OTEL_BSP_SCHEDULE_DELAY":        "60000", // only Flush and Close export
	}
	h := open(t, `{"kind":"memory"}`, env)
	other := open(t, `{"kind":"memory"}`, env)
	if tracing.Running() != 1 {
		t.Fatalf("%d exporters for two stores with one setting", tracing.Running())
	}
	ctx := context.Background()
	if _, err := h.Store.Put(ctx, "a", []byte("abc"), core.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 5
	for range n {
		res, err := h.Store.Get(ctx, "a", core.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := core.ReadAll(res, nil); err != nil {
			t.Fatal(err)
		}
	}
	if spans, _, _ := r.received(); len(spans) != 0 {
		t.Fatalf("exported before the batch was due: %d spans", len(spans))
	}
	if err := tracing.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	spans, services, header := r.received()
	if len(spans) != n+1 {
		t.Fatalf("received %d spans, want %d", len(spans), n+1)
	}
	gets := 0
	for i, s := range spans {
		if s.Name == "objstore.get" {
			gets++
		}
		if services[i] != "tracing-test" || s.Kind != tracepb.Span_SPAN_KIND_CLIENT {
			t.Errorf("span %s: service %q kind %v", s.Name, services[i], s.Kind)
		}
	}
	if gets != n || header.Get("X-Collector-Token") != "s ecret" || header.Get("Content-Encoding") != "gzip" {
		t.Errorf("%d gets; headers %v", gets, header)
	}
	// The last traced store's close exports what waits.
	if _, err := other.Store.Head(ctx, "a"); !core.IsKind(err, core.NotFound) {
		t.Fatal(err)
	}
	h.Close()
	if tracing.Running() != 1 {
		t.Fatal("the exporter stopped with a traced store still open")
	}
	other.Close()
	if tracing.Running() != 0 {
		t.Fatal("the exporter runs on after the last traced store closed")
	}
	spans, _, _ = r.received()
	if len(spans) != n+2 || spans[n+1].Name != "objstore.head" || spans[n+1].Status.GetCode() != tracepb.Status_STATUS_CODE_ERROR {
		t.Fatalf("after close: %d spans, last %v", len(spans), spans[len(spans)-1])
	}
	// No goroutine of the exporter is left behind (the test server's may
	// take a moment to go).
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > goroutines+2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if g := runtime.NumGoroutine(); g > goroutines+2 {
		t.Errorf("%d goroutines after the exporter stopped, %d before", g, goroutines)
	}
}

// A collector that refuses the spans makes Flush fail and is counted; the
// library prints nothing.
func TestExportFailure(t *testing.T) {
	r := newReceiver(t)
	r.refuse = true
	env := map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": r.URL + "/v1/traces", "OTEL_EXPORTER_OTLP_TIMEOUT": "2000"}
	h := open(t, `{"kind":"memory","client_options":{"tracing":true}}`, env)
	before := tracing.Stats()
	if _, err := h.Store.Head(context.Background(), "x"); !core.IsKind(err, core.NotFound) {
		t.Fatal(err)
	}
	err := tracing.Flush(context.Background())
	if err == nil {
		t.Fatal("a refused export flushed without error")
	}
	after := tracing.Stats()
	if after.Failures <= before.Failures || !strings.Contains(after.LastError, "400") {
		t.Errorf("stats %+v, before %+v (flush: %v)", after, before, err)
	}
}
