package stores

import (
	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/tracing"
)

// traceSetup is what a store's document and the OTEL_ variables of its
// environment say about tracing it (core/tracing).
type traceSetup struct {
	settings tracing.Settings
	// env holds the OTEL_ variables the store was opened with: a wrapping
	// store built over it reads them too (objstore_store_wrap passes no
	// environment).
	env map[string]string
}

func traceSetupOf(c core.Config, env map[string]string) (traceSetup, error) {
	otel := map[string]string{}
	for _, name := range tracing.EnvironmentNames {
		if v, ok := env[name]; ok {
			otel[name] = v
		}
	}
	s, err := tracing.SettingsOf(c, otel)
	return traceSetup{settings: s, env: otel}, err
}

// newShared is the shared entry of an opened store: front, the store as
// users get it, counted (core/observe) and traced as tr says; backend, the
// backend's or wrapping kind's own store under it; inProcess, the
// backend's InProcess. On failure it closes front.
func newShared(front, backend core.Store, c core.Config, key, identity string, tr traceSetup, inProcess bool) (*sharedStore, error) {
	innermost := c
	for innermost.Inner != nil {
		innermost = *innermost.Inner
	}
	tracer, err := tracing.Open(tr.settings, c.Kind, innermost.Bucket)
	if err != nil {
		front.Close()
		return nil, err
	}
	return &sharedStore{store: observed(front, c, tracer, inProcess), backend: backend, key: key, identity: identity, tracing: tr, tracer: tracer}, nil
}
