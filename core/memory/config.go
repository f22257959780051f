package memory

import (
	"context"
	"net/url"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// Backend opens MemoryStores. A memory store has no settings; each one opened
// is a new, empty, unshared namespace.
var Backend = driver.Backend{
	Kind:      "memory",
	Schemes:   []string{"memory"},
	ParseURL:  parseURL,
	Normalize: normalize,
	Open:      open,
	Shared:    false,
	InProcess: true,
	// Environment: none; a memory store reads no variable.
}

// configKeys is empty: every config key is unknown.
var configKeys = driver.KeyTable{}

func parseURL(u *url.URL) (core.Config, error) {
	if u.Host != "" || u.User != nil || u.RawQuery != "" {
		return core.Config{}, core.Errorf(core.InvalidArgument, "memory URL takes no host, user or query: use memory:///")
	}
	c := core.Config{Kind: "memory"}
	if u.Path != "" && u.Path != "/" {
		p, err := core.ParsePath(u.Path)
		if err != nil {
			return c, err
		}
		c.Prefix = string(p)
	}
	return c, nil
}

func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeDocument(c, "memory", configKeys)
	if err != nil {
		return c, err
	}
	if c.RetryConfig != nil || !driver.OnlyTracingOptions(c.ClientOptions) {
		return c, &core.Error{Kind: core.UnknownConfigKey, Store: storeName, Msg: "MemoryStore takes no retry_config and no client_options but tracing and trace_paths"}
	}
	if c.Bucket != "" || c.URL != "" {
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "MemoryStore takes no bucket or url"}
	}
	p, err := core.ParsePath(c.Prefix)
	if err != nil {
		return c, err
	}
	c.Prefix = string(p)
	return c, nil
}

func open(ctx context.Context, c core.Config, env map[string]string) (core.Store, error) {
	return New(), nil
}
