package tracing

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/libobjstore/objstore/core"
)

// EnvironmentNames are the standard OpenTelemetry variables tracing reads,
// from the environment a store is opened with: core/stores declares them
// for every kind, so a binding forwards them (objstore_store_env_names)
// and a process's later changes to its environment are seen. Variables not
// listed here (OTEL_EXPORTER_OTLP_CLIENT_KEY, ...) are not read.
var EnvironmentNames = []string{
	"OTEL_SDK_DISABLED",
	"OTEL_TRACES_EXPORTER",
	"OTEL_SERVICE_NAME",
	"OTEL_RESOURCE_ATTRIBUTES",
	"OTEL_TRACES_SAMPLER",
	"OTEL_TRACES_SAMPLER_ARG",
	"OTEL_EXPORTER_OTLP_PROTOCOL",
	"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
	"OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
	"OTEL_EXPORTER_OTLP_HEADERS",
	"OTEL_EXPORTER_OTLP_TRACES_HEADERS",
	"OTEL_EXPORTER_OTLP_TIMEOUT",
	"OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
	"OTEL_EXPORTER_OTLP_COMPRESSION",
	"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
	"OTEL_EXPORTER_OTLP_CERTIFICATE",
	"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
	"OTEL_BSP_SCHEDULE_DELAY",
	"OTEL_BSP_EXPORT_TIMEOUT",
	"OTEL_BSP_MAX_QUEUE_SIZE",
	"OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
}

// exportConfig is what the OTEL_ variables say about where and how spans
// are exported: one exporting provider per distinct exportConfig in the
// process. Fields are exported for its JSON form, the provider's key.
type exportConfig struct {
	Endpoint      string            // the full URL spans are posted to
	Headers       map[string]string `json:",omitempty"`
	Timeout       time.Duration     // one export request
	Gzip          bool              `json:",omitempty"`
	Certificate   string            `json:",omitempty"` // PEM file of roots to trust
	ServiceName   string
	Resource      map[string]string `json:",omitempty"` // OTEL_RESOURCE_ATTRIBUTES
	Sampler       string            // an OTEL_TRACES_SAMPLER value
	SamplerRatio  float64
	ScheduleDelay time.Duration
	ExportTimeout time.Duration
	MaxQueue      int
	MaxBatch      int
}

func (e exportConfig) key() string {
	b, _ := json.Marshal(e) // plain fields and string maps: cannot fail
	return string(b)
}

// envEnabled reads OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER: whether the
// environment turns tracing off whatever the document says (the SDK
// disabled), and whether it asks for OTLP export of traces.
func envEnabled(env map[string]string) (disabled, otlp bool) {
	if strings.EqualFold(strings.TrimSpace(env["OTEL_SDK_DISABLED"]), "true") {
		return true, false
	}
	for _, name := range strings.Split(env["OTEL_TRACES_EXPORTER"], ",") {
		if strings.EqualFold(strings.TrimSpace(name), "otlp") {
			otlp = true
		}
	}
	return false, otlp
}

// parseExportConfig reads the OTEL_ variables of env, with the
// specification's defaults. A value that cannot be what the specification
// allows is an InvalidArgument error naming the variable: tracing is asked
// for, so it is not silently misconfigured.
func parseExportConfig(env map[string]string) (exportConfig, error) {
	e := exportConfig{
		Endpoint:      "http://localhost:4318/v1/traces",
		Timeout:       10 * time.Second,
		Sampler:       "parentbased_always_on",
		SamplerRatio:  1,
		ScheduleDelay: 5 * time.Second,
		ExportTimeout: 30 * time.Second,
		MaxQueue:      2048,
		MaxBatch:      512,
	}
	// The signal's own variable wins over the general one.
	pick := func(general string) (name, value string) {
		signal := strings.Replace(general, "OTEL_EXPORTER_OTLP_", "OTEL_EXPORTER_OTLP_TRACES_", 1)
		if v := strings.TrimSpace(env[signal]); v != "" {
			return signal, v
		}
		return general, strings.TrimSpace(env[general])
	}
	if name, v := pick("OTEL_EXPORTER_OTLP_PROTOCOL"); v != "" && v != "http/protobuf" {
		return e, core.Errorf(core.InvalidArgument, "environment variable %s is %q: traces are exported with OTLP over HTTP only (http/protobuf)", name, v)
	}
	if v := strings.TrimSpace(env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]); v != "" {
		if err := checkEndpoint("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", v); err != nil {
			return e, err
		}
		e.Endpoint = v // used as given
	} else if v := strings.TrimSpace(env["OTEL_EXPORTER_OTLP_ENDPOINT"]); v != "" {
		if err := checkEndpoint("OTEL_EXPORTER_OTLP_ENDPOINT", v); err != nil {
			return e, err
		}
		e.Endpoint = strings.TrimSuffix(v, "/") + "/v1/traces" // a base URL
	}
	var err error
	if name, v := pick("OTEL_EXPORTER_OTLP_HEADERS"); v != "" {
		if e.Headers, err = parseKeyValues(name, v); err != nil {
			return e, err
		}
	}
	if name, v := pick("OTEL_EXPORTER_OTLP_TIMEOUT"); v != "" {
		if e.Timeout, err = millis(name, v); err != nil {
			return e, err
		}
	}
	if name, v := pick("OTEL_EXPORTER_OTLP_COMPRESSION"); v != "" {
		switch v {
		case "gzip":
			e.Gzip = true
		case "none":
		default:
			return e, core.Errorf(core.InvalidArgument, "environment variable %s is %q: gzip or none", name, v)
		}
	}
	if _, v := pick("OTEL_EXPORTER_OTLP_CERTIFICATE"); v != "" {
		e.Certificate = v
	}
	if v := strings.TrimSpace(env["OTEL_RESOURCE_ATTRIBUTES"]); v != "" {
		if e.Resource, err = parseKeyValues("OTEL_RESOURCE_ATTRIBUTES", v); err != nil {
			return e, err
		}
	}
	e.ServiceName = strings.TrimSpace(env["OTEL_SERVICE_NAME"])
	if e.ServiceName == "" {
		e.ServiceName = e.Resource["service.name"]
	}
	if e.ServiceName == "" {
		e.ServiceName = "unknown_service:" + filepath.Base(os.Args[0])
	}
	if v := strings.TrimSpace(env["OTEL_TRACES_SAMPLER"]); v != "" {
		if !slices.Contains(samplers, v) {
			return e, core.Errorf(core.InvalidArgument, "environment variable OTEL_TRACES_SAMPLER is %q: one of %s", v, strings.Join(samplers, ", "))
		}
		e.Sampler = v
	}
	if v := strings.TrimSpace(env["OTEL_TRACES_SAMPLER_ARG"]); v != "" && strings.HasSuffix(e.Sampler, "traceidratio") {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return e, core.Errorf(core.InvalidArgument, "environment variable OTEL_TRACES_SAMPLER_ARG is %q: a ratio from 0 to 1", v)
		}
		e.SamplerRatio = r
	}
	for _, d := range []struct {
		name string
		to   *time.Duration
	}{{"OTEL_BSP_SCHEDULE_DELAY", &e.ScheduleDelay}, {"OTEL_BSP_EXPORT_TIMEOUT", &e.ExportTimeout}} {
		if v := strings.TrimSpace(env[d.name]); v != "" {
			if *d.to, err = millis(d.name, v); err != nil {
				return e, err
			}
		}
	}
	for _, n := range []struct {
		name string
		to   *int
	}{{"OTEL_BSP_MAX_QUEUE_SIZE", &e.MaxQueue}, {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", &e.MaxBatch}} {
		if v := strings.TrimSpace(env[n.name]); v != "" {
			i, err := strconv.Atoi(v)
			if err != nil || i < 1 {
				return e, core.Errorf(core.InvalidArgument, "environment variable %s is %q: a whole number ≥ 1", n.name, v)
			}
			*n.to = i
		}
	}
	e.MaxBatch = min(e.MaxBatch, e.MaxQueue)
	return e, nil
}

// samplers are the OTEL_TRACES_SAMPLER values supported.
var samplers = []string{"always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio"}

func checkEndpoint(name, v string) error {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return core.Errorf(core.InvalidArgument, "environment variable %s is %q: an http:// or https:// URL", name, v)
	}
	return nil
}

// millis reads a whole number of milliseconds, the specification's unit.
func millis(name, v string) (time.Duration, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > int64(time.Duration(1<<62)/time.Millisecond) {
		return 0, core.Errorf(core.InvalidArgument, "environment variable %s is %q: a whole number of milliseconds", name, v)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// parseKeyValues reads the W3C Baggage-like list of the specification,
// "key1=value1,key2=value2", values percent-encoded.
func parseKeyValues(name, v string) (map[string]string, error) {
	out := map[string]string{}
	for i, pair := range strings.Split(v, ",") {
		if strings.TrimSpace(pair) == "" {
			continue
		}
		k, val, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		decoded, err := url.PathUnescape(strings.TrimSpace(val))
		if !ok || k == "" || err != nil {
			// Not the item itself: a header's value may be a secret.
			return nil, core.Errorf(core.InvalidArgument, "environment variable %s: item %d is not key=value (values percent-encoded)", name, i+1)
		}
		out[k] = decoded
	}
	return out, nil
}
