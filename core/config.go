package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Config is the document that fully describes a store. It is the pickle
// format of the Python binding and the argument of objstore_store_new, so it
// holds only what the user gave explicitly (never values read from the
// environment) and its JSON form is canonical: normalized key names, sorted.
//
//	{"kind":"s3","bucket":"b","prefix":"p","config":{"region":"eu-west-1"},
//	 "client_options":{"timeout":"30s"},"retry_config":{"max_retries":3}}
//
// Kind is the backend: memory, local, s3, gcs, azure, http. Bucket is the
// bucket (S3, GCS) or container (Azure). Prefix is the path every operation
// is relative to; for local it is the root directory. URL is the base URL of
// an http store. Config holds the backend's own keys, ClientOptions the HTTP
// client's, RetryConfig the retry policy.
type Config struct {
	Kind          string       `json:"kind"`
	Bucket        string       `json:"bucket,omitempty"`
	Prefix        string       `json:"prefix,omitempty"`
	URL           string       `json:"url,omitempty"`
	Config        Options      `json:"config,omitempty"`
	ClientOptions Options      `json:"client_options,omitempty"`
	RetryConfig   *RetryConfig `json:"retry_config,omitempty"`
}

// ParseConfig reads a config document strictly: unknown top-level fields
// and keys given twice are errors.
func ParseConfig(data []byte) (Config, error) {
	c, err := ParseConfigOverrides(data)
	if err == nil && c.Kind == "" {
		return c, Errorf(InvalidArgument, "config document has no \"kind\"")
	}
	return c, err
}

// ParseConfigOverrides reads a partial document (the overrides of FromURL)
// as strictly as ParseConfig, but "kind" may be missing.
func ParseConfigOverrides(data []byte) (Config, error) {
	var c Config
	if err := checkNoDuplicateKeys(data); err != nil {
		return c, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		if strings.Contains(err.Error(), "unknown field") {
			return c, &Error{Kind: UnknownConfigKey, Msg: "config document: " + err.Error()}
		}
		return c, &Error{Kind: InvalidArgument, Msg: "config document is not valid JSON", Err: err}
	}
	if dec.More() {
		return c, Errorf(InvalidArgument, "config document has trailing data")
	}
	return c, nil
}

// JSON returns the canonical JSON form.
func (c Config) JSON() []byte {
	b, err := json.Marshal(c)
	if err != nil { // only maps of strings and plain structs: cannot fail
		panic(err)
	}
	return b
}

// Options is a string-to-string map of configuration keys. In JSON a value
// may be a string, number or boolean, kept as its string form, or an object,
// kept as its JSON text.
type Options map[string]string

func (o *Options) UnmarshalJSON(data []byte) error {
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	if raw == nil {
		*o = nil
		return nil
	}
	out := make(Options, len(raw))
	for k, v := range raw {
		switch v := v.(type) {
		case string:
			out[k] = v
		case json.Number:
			out[k] = v.String()
		case bool:
			if v {
				out[k] = "true"
			} else {
				out[k] = "false"
			}
		case nil:
			// null means "not set"
		case map[string]any:
			// An object (client option default_headers) is kept as its
			// compact JSON text, keys sorted, so equal documents stay equal.
			text, err := json.Marshal(v)
			if err != nil {
				return Errorf(InvalidArgument, "config key %q: %v", k, err)
			}
			out[k] = string(text)
		default:
			return Errorf(InvalidArgument, "config key %q: value must be a string, number, boolean or (default_headers) an object", k)
		}
	}
	*o = out
	return nil
}

// checkNoDuplicateKeys walks a JSON document and rejects any object that
// names a key twice (encoding/json silently keeps the last).
func checkNoDuplicateKeys(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return &Error{Kind: InvalidArgument, Msg: "config document is not valid JSON", Err: err}
		}
		switch tok {
		case json.Delim('{'):
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return &Error{Kind: InvalidArgument, Msg: "config document is not valid JSON", Err: err}
				}
				key := kt.(string)
				if seen[key] {
					return Errorf(InvalidArgument, "Duplicate key %q: given twice in one object", key)
				}
				seen[key] = true
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		case json.Delim('['):
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
			_, err = dec.Token()
		}
		if err != nil {
			return &Error{Kind: InvalidArgument, Msg: "config document is not valid JSON", Err: err}
		}
		return nil
	}
	return walk()
}

// ConfigKey describes one configuration key of a backend: its canonical
// name, the aliases it also answers to (matched case-insensitively, as is the
// name), and the environment variables it is read from when not given.
type ConfigKey struct {
	Name    string
	Aliases []string
	Env     []string
}

// KeyTable is a backend's set of configuration keys.
type KeyTable []ConfigKey

func (t KeyTable) lookup(key string) (string, bool) {
	for _, k := range t {
		if strings.EqualFold(k.Name, key) {
			return k.Name, true
		}
		for _, a := range k.Aliases {
			if strings.EqualFold(a, key) {
				return k.Name, true
			}
		}
	}
	return "", false
}

// Normalize maps every key of in to its canonical name. An unknown key is
// UnknownConfigKey; two keys naming the same setting are InvalidArgument.
// section names the map in messages ("config", "client_options").
func (t KeyTable) Normalize(section string, in Options) (Options, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(Options, len(in))
	given := make(map[string]string, len(in))
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, ok := t.lookup(k)
		if !ok {
			return nil, &Error{Kind: UnknownConfigKey, Msg: fmt.Sprintf("unknown %s key %q (known: %s)", section, k, strings.Join(t.Names(), ", "))}
		}
		if prev, dup := given[name]; dup {
			return nil, Errorf(InvalidArgument, "Duplicate key %q: %s keys %q and %q both set it", name, section, prev, k)
		}
		given[name] = k
		out[name] = in[k]
	}
	return out, nil
}

// FromEnv returns the keys of t found in env, for keys not already in have.
// It is applied when a store is opened and its result never enters the
// config document.
func (t KeyTable) FromEnv(env map[string]string, have Options) Options {
	out := Options{}
	for _, k := range t {
		if _, ok := have[k.Name]; ok {
			continue
		}
		for _, e := range k.Env {
			if v, ok := env[e]; ok && v != "" {
				out[k.Name] = v
				break
			}
		}
	}
	return out
}

// EnvNames lists the environment variables the keys of t are read from,
// followed by extra (names a backend reads outside its key table).
func (t KeyTable) EnvNames(extra ...string) []string {
	var names []string
	for _, k := range t {
		names = append(names, k.Env...)
	}
	return append(names, extra...)
}

// Names lists the canonical key names.
func (t KeyTable) Names() []string {
	names := make([]string, len(t))
	for i, k := range t {
		names[i] = k.Name
	}
	return names
}

// Merge returns base overlaid with over (over wins).
func Merge(base, over Options) Options {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(Options, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

// ParseBool reads a boolean config value the way object_store does.
func ParseBool(key, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "1", "yes", "on":
		return true, nil
	case "false", "0", "no", "off", "":
		return false, nil
	}
	return false, Errorf(InvalidArgument, "config key %q: %q is not a boolean", key, v)
}

// ParseDuration reads a duration config value: a Go duration ("30s",
// "1m30s") or a plain number of seconds ("30", "0.5").
func ParseDuration(key, v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return d, nil
	}
	var secs float64
	if _, err := fmt.Sscanf(v, "%g", &secs); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), nil
	}
	return 0, Errorf(InvalidArgument, "config key %q: %q is not a duration (e.g. \"30s\" or a number of seconds)", key, v)
}

// NormalizeDocument is the common part of every Backend.Normalize: it maps
// the config keys through keys and the client options through
// ClientOptionKeys, and checks the kind.
func NormalizeDocument(c Config, kind string, keys KeyTable) (Config, error) {
	if c.Kind != kind {
		return c, Errorf(InvalidArgument, "config document is for %q, not %q", c.Kind, kind)
	}
	// A document must survive its JSON form, which has no invalid UTF-8.
	if err := checkUTF8(c); err != nil {
		return c, err
	}
	if err := c.RetryConfig.Validate(); err != nil {
		return c, err
	}
	c.RetryConfig = c.RetryConfig.Complete()
	var err error
	if c.Config, err = keys.Normalize("config", c.Config); err != nil {
		return c, err
	}
	if c.ClientOptions, err = ClientOptionKeys.Normalize("client_options", c.ClientOptions); err != nil {
		return c, err
	}
	// Every value is read now, so a bad one fails when the store is built.
	if _, err := ParseClientOptions(c.ClientOptions); err != nil {
		return c, err
	}
	return c, nil
}

func checkUTF8(c Config) error {
	fields := map[string]string{"bucket": c.Bucket, "prefix": c.Prefix, "url": c.URL}
	for section, opts := range map[string]Options{"config": c.Config, "client_options": c.ClientOptions} {
		for k, v := range opts {
			fields[fmt.Sprintf("%s key %q (or its value)", section, k)] = k + v
		}
	}
	for what, v := range fields {
		if !utf8.ValidString(v) {
			return Errorf(InvalidArgument, "%s is not valid UTF-8", what)
		}
	}
	return nil
}
