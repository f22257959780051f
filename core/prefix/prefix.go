// Package prefix is the wrapping kind "prefix": a store that sees only the
// subtree of another store under a prefix (object_store's PrefixStore), as
// a config document, so that it pickles and rebuilds like any store:
//
//	{"kind":"prefix","config":{"prefix":"tables/2024"},"inner":{"kind":"s3",...}}
//
// It is core.Prefixed over the store the inner document opens.
package prefix

import (
	"context"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const keyPrefix = "prefix"

var configKeys = driver.KeyTable{{Name: keyPrefix}}

// Backend registers the kind with core/stores.
var Backend = driver.Backend{
	Kind:      "prefix",
	Normalize: normalize,
	Wrap:      wrap,
}

func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeWrapper(c, "prefix", configKeys)
	if err != nil {
		return c, err
	}
	raw, ok := c.Config[keyPrefix]
	if !ok {
		return c, core.Errorf(core.InvalidArgument, "a prefix document needs config key %q", keyPrefix)
	}
	p, err := core.ParsePath(raw)
	if err != nil {
		return c, err
	}
	c.Config[keyPrefix] = string(p) // canonical: "/a/b/" and "a/b" are one store
	return c, nil
}

func wrap(ctx context.Context, c core.Config, inner driver.Inner) (core.Store, error) {
	return core.Prefixed(inner.Store, core.Path(c.Config[keyPrefix])), nil
}
