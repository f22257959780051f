// Package cache is the wrapping kind "cache": a read-through cache of
// another store's objects, whole and in ranges, in memory and optionally
// in a directory that processes share, as a config document:
//
//	{"kind":"cache","config":{"memory_bytes":"256MiB","disk_dir":"/var/cache/objstore",
//	 "disk_bytes":"20GiB","ttl":"1m"},"inner":{"kind":"s3",...}}
//
// Objects are cached in blocks (block_bytes, 4 MiB by default) keyed by the
// inner store's identity, the path, and the object's etag and version, so
// a block is of one version of one object and never mixes with another.
// What the cache knows of an object (its etag, size, attributes) is trusted
// for ttl after the request that confirmed it was sent; after that a
// conditional request (If-None-Match) checks it again, so an overwrite by
// anyone is seen at most ttl late. Blocks fetched later of an object the
// cache already knows are fetched with If-Match on its etag: a read never
// splices two versions. Writes, deletes, copies and renames through the
// cache forget what they touch. See docs/composing.md.
package cache

import (
	"context"
	"math"
	"path/filepath"
	"time"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const storeName = "cache"

// Config keys.
const (
	keyMemoryBytes = "memory_bytes"
	keyDiskDir     = "disk_dir"
	keyDiskBytes   = "disk_bytes"
	keyTTL         = "ttl"
	keyBlockBytes  = "block_bytes"
)

var configKeys = driver.KeyTable{{Name: keyMemoryBytes}, {Name: keyDiskDir}, {Name: keyDiskBytes}, {Name: keyTTL}, {Name: keyBlockBytes}}

// Defaults of the keys a document leaves out.
const (
	DefaultMemoryBytes = 256 << 20
	DefaultDiskBytes   = 10 << 30
	DefaultTTL         = time.Minute
	DefaultBlockBytes  = 4 << 20
)

// Bounds of block_bytes: small enough blocks are mostly overhead, large
// ones make a small range read fetch too much.
const (
	minBlockBytes = 4 << 10
	maxBlockBytes = 256 << 20
)

// Backend registers the kind with core/stores.
var Backend = driver.Backend{
	Kind:      "cache",
	Normalize: normalize,
	Wrap: func(ctx context.Context, c core.Config, inner driver.Inner) (core.Store, error) {
		opts, err := parseOptions(c.Config)
		if err != nil {
			return nil, err
		}
		opts.Identity = inner.Identity
		return New(inner.Store, opts)
	},
}

// Options configure a cache.
type Options struct {
	// MemoryBytes bounds the memory tier; 0: none.
	MemoryBytes int64
	// DiskDir is the directory of the disk tier, which processes (and
	// caches over equal inner stores) share; "": none.
	DiskDir string
	// DiskBytes bounds the disk tier (see docs/composing.md for how
	// processes keep to it together).
	DiskBytes int64
	// TTL is how long what a request told of an object is trusted before
	// it is checked again; 0: at every read.
	TTL time.Duration
	// BlockBytes is the unit of caching: a range read fetches the blocks
	// it touches.
	BlockBytes int64
	// Identity names the inner store's objects in the disk tier: equal
	// identities share entries. Opened from a document, it is derived
	// from the inner document and environment (driver.Inner).
	Identity string
}

func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeWrapper(c, "cache", configKeys)
	if err != nil {
		return c, err
	}
	if dir, ok := c.Config[keyDiskDir]; ok {
		// Absolute, so that the document means the same directory in
		// every process it travels to.
		if dir == "" {
			return c, core.Errorf(core.InvalidArgument, "config key %q is empty", keyDiskDir)
		}
		if c.Config[keyDiskDir], err = filepath.Abs(dir); err != nil {
			return c, &core.Error{Kind: core.InvalidArgument, Msg: "config key " + keyDiskDir, Err: err}
		}
	}
	_, err = parseOptions(c.Config)
	return c, err
}

func parseOptions(o core.Options) (Options, error) {
	opts := Options{MemoryBytes: DefaultMemoryBytes, DiskBytes: DefaultDiskBytes, TTL: DefaultTTL, BlockBytes: DefaultBlockBytes, DiskDir: o[keyDiskDir]}
	for key, dst := range map[string]*int64{keyMemoryBytes: &opts.MemoryBytes, keyDiskBytes: &opts.DiskBytes, keyBlockBytes: &opts.BlockBytes} {
		if v, ok := o[key]; ok {
			n, err := driver.ParseSize(key, v)
			if err != nil {
				return opts, err
			}
			if n > math.MaxInt64 {
				return opts, core.Errorf(core.InvalidArgument, "config key %q: %q is too large", key, v)
			}
			*dst = int64(n)
		}
	}
	if v, ok := o[keyTTL]; ok {
		var err error
		if opts.TTL, err = driver.ParseDuration(keyTTL, v); err != nil {
			return opts, err
		}
	}
	if _, ok := o[keyDiskBytes]; ok && opts.DiskDir == "" {
		return opts, core.Errorf(core.InvalidArgument, "config key %q needs %q (the directory of the disk tier)", keyDiskBytes, keyDiskDir)
	}
	if opts.DiskDir == "" {
		opts.DiskBytes = 0
	}
	return opts, opts.check()
}

func (o Options) check() error {
	if o.BlockBytes < minBlockBytes || o.BlockBytes > maxBlockBytes {
		return core.Errorf(core.InvalidArgument, "config key %q must be between 4KiB and 256MiB, got %d", keyBlockBytes, o.BlockBytes)
	}
	if o.MemoryBytes < 0 || o.DiskBytes < 0 || o.TTL < 0 {
		return core.Errorf(core.InvalidArgument, "cache sizes and ttl must not be negative")
	}
	if o.MemoryBytes == 0 && (o.DiskDir == "" || o.DiskBytes == 0) {
		return core.Errorf(core.InvalidArgument, "a cache with %s 0 needs a disk tier (%s, and %s above 0): it would cache nothing", keyMemoryBytes, keyDiskDir, keyDiskBytes)
	}
	return nil
}
