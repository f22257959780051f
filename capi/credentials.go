package main

/*
#include "capi.h"

// callCredentialFn calls a program's provider callback (cgo cannot call a
// C function pointer itself).
static int callCredentialFn(objstore_credential_fn fn, void *data, objstore_credential *out, char *msg, size_t n) {
	return fn(data, out, msg, n);
}

static void callFree(void (*fn)(void *), void *data) { fn(data); }
*/
import "C"

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/stores"
)

// Credential providers of the C ABI (objstore.h, "Credential providers"):
// a program's callback, called on a library thread, or the ask queue, by
// which a binding whose code must not run on library threads (Python)
// answers from a thread of its own.

const (
	storeOptionsVersion = 1
	credentialVersion   = 1
	credentialMessage   = 1024 // bytes a callback may write its reason into
	askCredential       = C.OBJSTORE_ASK_CREDENTIAL
	neverExpires        = C.int64_t(-1 << 63)
)

//export objstoreGo_store_open
func objstoreGo_store_open(config, envJSON *C.char, opts *C.objstore_store_options, out *unsafe.Pointer, errp **C.objstore_error) C.int {
	var release func() // frees the provider's data while the store does not own it
	rc := call(errp, func() error {
		provider, free, err := providerOf(opts)
		if err != nil {
			return err
		}
		release = free
		if err := needOut("out", out == nil); err != nil {
			return err
		}
		cfg, err := parseConfigArg(config)
		if err != nil {
			return err
		}
		env, err := envArg(envJSON)
		if err != nil {
			return err
		}
		h, err := stores.OpenWith(requestContext(), cfg, env, stores.Options{Credentials: provider})
		if err != nil {
			return err
		}
		// The handle's last free closes the store (a shared store, when
		// every handle of its document is freed), then frees the provider.
		*out = newHandle(kindStore, h, func() {
			h.Close()
			free()
		})
		release = nil // the handle owns it now
		return nil
	})
	if release != nil {
		release()
	}
	return rc
}

// providerOf reads the options' provider, if any, and what frees it.
func providerOf(opts *C.objstore_store_options) (core.CredentialProvider, func(), error) {
	none := func() {}
	if opts == nil {
		return nil, none, nil
	}
	if opts.version < 1 || opts.version > storeOptionsVersion {
		return nil, none, core.Errorf(core.InvalidArgument, "objstore_store_options version %d (this library knows 1 to %d)", opts.version, storeOptionsVersion)
	}
	name := "credential provider"
	if opts.credential_name != nil {
		name = C.GoString(opts.credential_name)
	}
	threshold := time.Duration(-1)
	if opts.refresh_threshold_ms >= 0 {
		threshold = time.Duration(opts.refresh_threshold_ms) * time.Millisecond
	}
	switch {
	case opts.credential_fn != nil && opts.credential_ask_target != 0:
		if opts.credential_data_free != nil {
			C.callFree(opts.credential_data_free, opts.credential_data)
		}
		return nil, none, core.Errorf(core.InvalidArgument, "give credential_fn or credential_ask_target, not both")
	case opts.credential_fn != nil:
		p := &callbackProvider{fn: opts.credential_fn, data: opts.credential_data, free: opts.credential_data_free,
			name: name, threshold: threshold}
		return p, p.release, nil
	case opts.credential_ask_target != 0:
		return &askedProvider{target: uint64(opts.credential_ask_target), name: name, threshold: threshold}, none, nil
	}
	return nil, none, nil
}

// ---- the callback --------------------------------------------------------------

// callbackProvider calls a program's callback, one call at a time (the
// store's cache asks once at a time), on a goroutine of its own so that a
// callback that hangs is abandoned when its requests stop waiting. Its
// user data is freed once the store is closed and no call runs.
type callbackProvider struct {
	fn        C.objstore_credential_fn
	data      unsafe.Pointer
	free      *[0]byte
	name      string
	threshold time.Duration

	mu       sync.Mutex
	running  int
	released bool
}

func (p *callbackProvider) String() string { return p.name }

func (p *callbackProvider) RefreshThreshold() time.Duration { return p.threshold }

func (p *callbackProvider) Credential(ctx context.Context) (core.Credential, error) {
	p.mu.Lock()
	if p.released {
		p.mu.Unlock()
		return core.Credential{}, core.Errorf(core.Cancelled, "store closed")
	}
	p.running++
	p.mu.Unlock()
	type answer struct {
		cred core.Credential
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		defer p.finished()
		out := (*C.objstore_credential)(C.calloc(1, C.sizeof_objstore_credential))
		msg := (*C.char)(C.calloc(1, credentialMessage))
		defer C.free(unsafe.Pointer(out))
		defer C.free(unsafe.Pointer(msg))
		out.version = credentialVersion
		out.expires_unix_ms = neverExpires
		rc := C.callCredentialFn(p.fn, p.data, out, msg, credentialMessage)
		if rc != codeOK {
			reason := C.GoString(msg)
			if reason == "" {
				reason = "failed (" + C.GoString(C.objstore_code_name(rc)) + ")"
			}
			done <- answer{err: failure(int(rc), p.name+": "+reason)}
			return
		}
		done <- answer{cred: credentialOf(out)}
	}()
	select {
	case a := <-done:
		return a.cred, a.err
	case <-ctx.Done():
		return core.Credential{}, ctx.Err()
	}
}

func (p *callbackProvider) finished() {
	p.mu.Lock()
	p.running--
	last := p.released && p.running == 0
	p.mu.Unlock()
	if last {
		p.freeData()
	}
}

// release runs when the store's last handle is freed.
func (p *callbackProvider) release() {
	p.mu.Lock()
	p.released = true
	idle := p.running == 0
	p.mu.Unlock()
	if idle {
		p.freeData()
	}
}

func (p *callbackProvider) freeData() {
	if p.free != nil {
		C.callFree(p.free, p.data)
	}
}

// credentialOf copies a C credential into Go memory.
func credentialOf(c *C.objstore_credential) core.Credential {
	str := func(s *C.char) string {
		if s == nil {
			return ""
		}
		return C.GoString(s)
	}
	out := core.Credential{
		AccessKeyID:     str(c.access_key_id),
		SecretAccessKey: str(c.secret_access_key),
		SessionToken:    str(c.session_token),
		Token:           str(c.token),
		AccountKey:      str(c.account_key),
		SAS:             str(c.sas),
	}
	if c.expires_unix_ms != neverExpires {
		out.Expires = time.UnixMilli(int64(c.expires_unix_ms))
	}
	return out
}

// failure is the error of a provider that answered with an objstore_code.
func failure(code int, msg string) error {
	for kind, c := range kindCodes {
		if c == code && kind != core.Generic {
			return &core.Error{Kind: kind, Msg: msg}
		}
	}
	return &core.Error{Kind: core.Unauthenticated, Msg: msg}
}

// ---- the ask queue -----------------------------------------------------------------

// asks is the one queue by which the library reaches a binding thread.
var asks readyQueue[C.objstore_ask]

var askIDs atomic.Uint64

// pendingAsks are the asks posted and not yet answered or withdrawn.
var pendingAsks = struct {
	sync.Mutex
	m map[uint64]chan askAnswer
}{m: map[uint64]chan askAnswer{}}

type askAnswer struct {
	cred core.Credential
	err  error
}

// askedProvider asks through the ask queue; the binding answers.
type askedProvider struct {
	target    uint64
	name      string
	threshold time.Duration
}

func (p *askedProvider) String() string { return p.name }

func (p *askedProvider) RefreshThreshold() time.Duration { return p.threshold }

func (p *askedProvider) Credential(ctx context.Context) (core.Credential, error) {
	if _, err := asks.openFD(); err != nil {
		return core.Credential{}, err
	}
	id := askIDs.Add(1)
	ch := make(chan askAnswer, 1)
	pendingAsks.Lock()
	pendingAsks.m[id] = ch
	pendingAsks.Unlock()
	deadline := neverExpires
	if d, ok := ctx.Deadline(); ok {
		deadline = C.int64_t(d.UnixMilli())
	}
	asks.post(C.objstore_ask{ask_id: C.uint64_t(id), kind: askCredential, target: C.uint64_t(p.target), deadline_unix_ms: deadline})
	select {
	case a := <-ch:
		if a.err != nil {
			var ce *core.Error
			if errors.As(a.err, &ce) {
				ce.Msg = p.name + ": " + ce.Msg
			}
		}
		return a.cred, a.err
	case <-ctx.Done():
		pendingAsks.Lock()
		delete(pendingAsks.m, id)
		pendingAsks.Unlock()
		return core.Credential{}, ctx.Err()
	}
}

// answer delivers the answer to an ask; false when it is no longer pending.
func answer(id uint64, a askAnswer) bool {
	pendingAsks.Lock()
	ch, ok := pendingAsks.m[id]
	delete(pendingAsks.m, id)
	pendingAsks.Unlock()
	if ok {
		ch <- a
	}
	return ok
}

var errAskGone = &core.Error{Kind: core.NotFound, Msg: "no such ask (answered already, or withdrawn: its requests stopped waiting)"}

//export objstoreGo_ask_fd
func objstoreGo_ask_fd(fd *C.int, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if err := needOut("fd", fd == nil); err != nil {
			return err
		}
		f, err := asks.openFD()
		if err != nil {
			return err
		}
		*fd = C.int(f)
		return nil
	})
}

//export objstoreGo_ask_poll
func objstoreGo_ask_poll(out *C.objstore_ask, max C.size_t, n *C.size_t) C.int {
	return callNoErr(func() error {
		if err := needOut("n", n == nil); err != nil {
			return err
		}
		if max > 0 && out == nil {
			return needOut("out", true)
		}
		if _, err := asks.openFD(); err != nil {
			return err
		}
		*n = C.size_t(asks.poll(unsafe.Slice(out, int(max))))
		return nil
	})
}

//export objstoreGo_ask_answer_credential
func objstoreGo_ask_answer_credential(id C.uint64_t, cred *C.objstore_credential, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if cred == nil {
			return needOut("cred", true)
		}
		if cred.version < 1 || cred.version > credentialVersion {
			return core.Errorf(core.InvalidArgument, "objstore_credential version %d (this library knows 1 to %d)", cred.version, credentialVersion)
		}
		if !answer(uint64(id), askAnswer{cred: credentialOf(cred)}) {
			return errAskGone
		}
		return nil
	})
}

//export objstoreGo_ask_fail
func objstoreGo_ask_fail(id C.uint64_t, code C.int, message *C.char, errp **C.objstore_error) C.int {
	return call(errp, func() error {
		if code == codeOK {
			return core.Errorf(core.InvalidArgument, "objstore_ask_fail needs an error code, not OBJSTORE_OK")
		}
		msg := "the provider failed"
		if message != nil {
			msg = C.GoString(message)
		}
		if !answer(uint64(id), askAnswer{err: failure(int(code), msg)}) {
			return errAskGone
		}
		return nil
	})
}
