package driver

import (
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/libobjstore/objstore/core"
)

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
// core.UnknownConfigKey; two keys naming the same setting are core.InvalidArgument.
// section names the map in messages ("config", "client_options").
func (t KeyTable) Normalize(section string, in core.Options) (core.Options, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(core.Options, len(in))
	given := make(map[string]string, len(in))
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		name, ok := t.lookup(k)
		if !ok {
			return nil, &core.Error{Kind: core.UnknownConfigKey, Msg: fmt.Sprintf("unknown %s key %q (known: %s)", section, k, strings.Join(t.Names(), ", "))}
		}
		if prev, dup := given[name]; dup {
			return nil, core.Errorf(core.InvalidArgument, "Duplicate key %q: %s keys %q and %q both set it", name, section, prev, k)
		}
		given[name] = k
		out[name] = in[k]
	}
	return out, nil
}

// FromEnv returns the keys of t found in env, for keys not already in have.
// It is applied when a store is opened and its result never enters the
// config document.
func (t KeyTable) FromEnv(env map[string]string, have core.Options) core.Options {
	out := core.Options{}
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
func Merge(base, over core.Options) core.Options {
	if len(base) == 0 && len(over) == 0 {
		return nil
	}
	out := make(core.Options, len(base)+len(over))
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
	return false, core.Errorf(core.InvalidArgument, "config key %q: %q is not a boolean", key, v)
}

// ParseDuration reads a duration config value: a Go duration ("30s",
// "1m30s") or a plain number of seconds ("30", "0.5").
func ParseDuration(key, v string) (time.Duration, error) {
	var d core.Duration
	if d.UnmarshalText([]byte(v)) != nil {
		return 0, core.Errorf(core.InvalidArgument, "config key %q: %q is not a duration (e.g. \"30s\" or a number of seconds)", key, v)
	}
	return time.Duration(d), nil
}

// ParseSize reads a size config value in bytes: a whole number ("67108864")
// or a number with a unit, decimal (kB, MB, GB, TB) or binary (KiB, MiB,
// GiB, TiB), e.g. "64MiB", "1.5 GB", "512B". Units are matched without
// case; a fraction of a byte is dropped.
func ParseSize(key, v string) (uint64, error) {
	text := strings.TrimSpace(v)
	split := strings.IndexFunc(text, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	number, unit := text, ""
	if split >= 0 {
		number, unit = text[:split], strings.TrimSpace(text[split:])
	}
	multiplier, known := sizeUnits[strings.ToLower(unit)]
	var n float64
	_, err := fmt.Sscanf(number, "%g", &n)
	if !known || err != nil || number == "" || n < 0 || n*multiplier >= 1<<63 || strings.Count(number, ".") > 1 {
		return 0, core.Errorf(core.InvalidArgument, "config key %q: %q is not a size (a number of bytes, or e.g. \"64MiB\", \"1GB\")", key, v)
	}
	return uint64(n * multiplier), nil
}

var sizeUnits = map[string]float64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// NormalizeDocument is the common part of every Backend.Normalize: it maps
// the config keys through keys and the client options through
// ClientOptionKeys, and checks the kind.
func NormalizeDocument(c core.Config, kind string, keys KeyTable) (core.Config, error) {
	if c.Kind != kind {
		return c, core.Errorf(core.InvalidArgument, "config document is for %q, not %q", c.Kind, kind)
	}
	if c.Inner != nil {
		return c, core.Errorf(core.InvalidArgument, "a %s document takes no \"inner\": only the wrapping kinds (cache, limit, prefix) are built over another store", kind)
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

func checkUTF8(c core.Config) error {
	fields := map[string]string{"bucket": c.Bucket, "prefix": c.Prefix, "url": c.URL}
	for section, opts := range map[string]core.Options{"config": c.Config, "client_options": c.ClientOptions} {
		for k, v := range opts {
			fields[fmt.Sprintf("%s key %q (or its value)", section, k)] = k + v
		}
	}
	for what, v := range fields {
		if !utf8.ValidString(v) {
			return core.Errorf(core.InvalidArgument, "%s is not valid UTF-8", what)
		}
	}
	return nil
}

// NormalizeWrapper is the common part of a wrapping kind's Normalize
// (Backend.Wrap): the document has its kind, an inner document (which
// core/stores normalizes), its own config keys mapped through keys, and
// none of the fields that describe a backend; the prefix of a wrapper is
// a prefix store's config key, or the inner document's.
func NormalizeWrapper(c core.Config, kind string, keys KeyTable) (core.Config, error) {
	if c.Kind != kind {
		return c, core.Errorf(core.InvalidArgument, "config document is for %q, not %q", c.Kind, kind)
	}
	if c.Inner == nil {
		return c, core.Errorf(core.InvalidArgument, "a %s document wraps another store's document: \"inner\" is missing", kind)
	}
	if len(c.ClientOptions) > 0 || c.RetryConfig != nil {
		return c, core.Errorf(core.UnknownConfigKey, "a %s document takes no client_options or retry_config: they belong to the inner document", kind)
	}
	if c.Bucket != "" || c.URL != "" || c.Prefix != "" {
		return c, core.Errorf(core.InvalidArgument, "a %s document takes no bucket, url or prefix: they belong to the inner document (or wrap it in a prefix store)", kind)
	}
	if err := checkUTF8(c); err != nil {
		return c, err
	}
	var err error
	if c.Config, err = keys.Normalize("config", c.Config); err != nil {
		return c, err
	}
	return c, nil
}
