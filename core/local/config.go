// Package local is a store on the local filesystem (obstore's LocalStore):
// one directory is the root and object paths are file paths under it.
package local

import (
	"context"
	"hash/maphash"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const storeName = "local"

// Config keys, as obstore's LocalStore arguments.
const (
	keyMkdir            = "mkdir"             // create the root directory if missing
	keyAutomaticCleanup = "automatic_cleanup" // remove empty parent directories after delete
)

var configKeys = driver.KeyTable{
	{Name: keyMkdir},
	{Name: keyAutomaticCleanup},
}

// Backend opens LocalStores:
//
//	{"kind":"local","prefix":"/abs/root","config":{"mkdir":"true","automatic_cleanup":"false"}}
//
// "prefix" is the root directory.
var Backend = driver.Backend{
	Kind:      "local",
	Schemes:   []string{"file"},
	ParseURL:  parseURL,
	Normalize: normalize,
	Open:      open,
	Shared:    true,
	InProcess: true,
	// The document's prefix is the root directory, not a path in the store.
	RootPrefix: true,
	// Environment: none; a LocalStore is its document alone.
}

// parseURL reads file:///abs/path (or file://localhost/abs/path).
func parseURL(u *url.URL) (core.Config, error) {
	if u.Host != "" && !strings.EqualFold(u.Host, "localhost") {
		return core.Config{}, core.Errorf(core.InvalidArgument, "file URL names host %q: only local paths (file:///path) are supported", u.Host)
	}
	if u.RawQuery != "" || u.User != nil {
		return core.Config{}, core.Errorf(core.InvalidArgument, "file URL takes no user or query")
	}
	if u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return core.Config{}, core.Errorf(core.InvalidArgument, "file URL must hold an absolute path: file:///path")
	}
	// url.Parse has already percent-decoded u.Path.
	return core.Config{Kind: "local", Prefix: u.Path}, nil
}

func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeDocument(c, "local", configKeys)
	if err != nil {
		return c, err
	}
	if c.RetryConfig != nil || !driver.OnlyTracingOptions(c.ClientOptions) {
		return c, &core.Error{Kind: core.UnknownConfigKey, Store: storeName, Msg: "LocalStore takes no retry_config and no client_options but tracing and trace_paths"}
	}
	if c.Bucket != "" || c.URL != "" {
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "LocalStore takes no bucket or url; its root directory is \"prefix\""}
	}
	for k, v := range c.Config {
		if _, err := driver.ParseBool(k, v); err != nil {
			return c, err
		}
	}
	if c.Prefix == "" {
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "LocalStore needs its root directory as \"prefix\""}
	}
	if c.Prefix, err = filepath.Abs(c.Prefix); err != nil {
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "root directory", Err: err}
	}
	return c, nil
}

func open(ctx context.Context, c core.Config, env map[string]string) (core.Store, error) {
	opts := Options{}
	opts.Mkdir, _ = driver.ParseBool(keyMkdir, c.Config[keyMkdir])
	opts.AutomaticCleanup, _ = driver.ParseBool(keyAutomaticCleanup, c.Config[keyAutomaticCleanup])
	return New(c.Prefix, opts)
}

// Options configure New.
type Options struct {
	Mkdir            bool // create the root directory if missing
	AutomaticCleanup bool // remove empty parent directories after delete
}

// New opens the store rooted at dir.
func New(dir string, opts Options) (*Store, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "root directory", Err: err}
	}
	if opts.Mkdir {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fsError(err, "")
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, &core.Error{Kind: core.NotFound, Store: storeName, Msg: "root directory " + dir + " does not exist (set mkdir to create it)"}
		}
		return nil, fsError(err, "")
	}
	return &Store{root: root, dir: dir, cleanup: opts.AutomaticCleanup, seed: maphash.MakeSeed()}, nil
}
