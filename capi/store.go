package main

/*
#include "capi.h"
*/
import "C"

import (
	"encoding/json"
	"os"
	"strings"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// withStore runs fn on an open store. Calls share the handle; free waits
// for them.
func withStore(p unsafe.Pointer, fn func(*stores.Handle) error) error {
	return withHandle(p, kindStore, false, fn)
}

func parseConfigArg(s *C.char) (core.Config, error) {
	if s == nil {
		return core.Config{}, core.Errorf(core.InvalidArgument, "config document is NULL")
	}
	return core.ParseConfig([]byte(C.GoString(s)))
}

// envArg reads env_json: a JSON object of strings, or NULL for the process
// environment.
func envArg(s *C.char) (map[string]string, error) {
	if s == nil {
		env := map[string]string{}
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
		return env, nil
	}
	var env map[string]string
	if err := json.Unmarshal([]byte(C.GoString(s)), &env); err != nil {
		return nil, &core.Error{Kind: core.InvalidArgument, Msg: "env_json must be a JSON object of strings", Err: err}
	}
	return env, nil
}

// storeOut hands h out as a store handle. The handle's last free closes
// the store (a shared store, when every handle of its document is freed).
func storeOut(out *unsafe.Pointer, h *stores.Handle) {
	*out = newHandle(kindStore, h, func() { h.Close() })
}

func setJSON(out **C.char, c core.Config) {
	*out = C.CString(string(c.JSON()))
}

//export objstoreGo_store_new
func objstoreGo_store_new(config, envJSON *C.char, out *unsafe.Pointer, errp **C.objstore_error) C.int {
	return objstoreGo_store_open(config, envJSON, nil, out, errp)
}

//export objstoreGo_store_wrap
func objstoreGo_store_wrap(config *C.char, inner unsafe.Pointer, out *unsafe.Pointer, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		cfg, err := parseConfigArg(config)
		if err != nil {
			return err
		}
		return withStore(inner, func(in *stores.Handle) error {
			h, err := stores.Wrap(requestContext(), cfg, in)
			if err != nil {
				return err
			}
			storeOut(out, h)
			return nil
		})
	})
}

//export objstoreGo_store_free
func objstoreGo_store_free(store unsafe.Pointer) C.int {
	return freeExport(store, kindStore)
}

//export objstoreGo_store_config_json
func objstoreGo_store_config_json(store unsafe.Pointer, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("json_out", out == nil); err != nil {
			return err
		}
		return withStore(store, func(h *stores.Handle) error {
			setJSON(out, h.Config)
			return nil
		})
	})
}

//export objstoreGo_config_normalize
func objstoreGo_config_normalize(config *C.char, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("json_out", out == nil); err != nil {
			return err
		}
		cfg, err := parseConfigArg(config)
		if err != nil {
			return err
		}
		if cfg, err = stores.Normalize(cfg); err != nil {
			return err
		}
		setJSON(out, cfg)
		return nil
	})
}

//export objstoreGo_store_env_names
func objstoreGo_store_env_names(kind *C.char, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("json_out", out == nil); err != nil {
			return err
		}
		if kind == nil {
			return core.Errorf(core.InvalidArgument, "kind is NULL")
		}
		names, err := stores.EnvironmentNames(C.GoString(kind))
		if err != nil {
			return err
		}
		text, err := json.Marshal(names)
		if err != nil {
			return err
		}
		*out = C.CString(string(text))
		return nil
	})
}

//export objstoreGo_config_from_url
func objstoreGo_config_from_url(url, overridesJSON *C.char, out **C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("json_out", out == nil); err != nil {
			return err
		}
		if url == nil {
			return core.Errorf(core.InvalidArgument, "url is NULL")
		}
		var overrides core.Config
		if overridesJSON != nil {
			var err error
			if overrides, err = core.ParseConfigOverrides([]byte(C.GoString(overridesJSON))); err != nil {
				return err
			}
		}
		cfg, err := stores.FromURL(C.GoString(url), overrides)
		if err != nil {
			return err
		}
		setJSON(out, cfg)
		return nil
	})
}
