package core

import (
	"bytes"
	"encoding/json"
	"strings"
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
//
// Inner is the document of the store a wrapping kind (cache, limit, prefix)
// is built over; only those kinds take one:
//
//	{"kind":"cache","config":{"memory_bytes":"64MiB"},"inner":{"kind":"s3",...}}
type Config struct {
	Kind          string       `json:"kind"`
	Bucket        string       `json:"bucket,omitempty"`
	Prefix        string       `json:"prefix,omitempty"`
	URL           string       `json:"url,omitempty"`
	Config        Options      `json:"config,omitempty"`
	ClientOptions Options      `json:"client_options,omitempty"`
	RetryConfig   *RetryConfig `json:"retry_config,omitempty"`
	Inner         *Config      `json:"inner,omitempty"`
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
