package main

/*
#include "capi.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"sync"
	"unsafe"

	"github.com/libobjstore/objstore/core"
)

// Status codes beyond core's kinds (see objstore_code in objstore.h).
const (
	codeOK        = 0
	codeBadHandle = 100
	codeInternal  = 102
)

// abiError is an error that exists only at the C boundary.
type abiError struct {
	code int
	msg  string
}

func (e *abiError) Error() string { return e.msg }

func badHandlef(format string, args ...any) error {
	return &abiError{code: codeBadHandle, msg: fmt.Sprintf(format, args...)}
}

// needOut reports a NULL out-pointer the caller must provide.
func needOut(name string, isNil bool) error {
	if isNil {
		return badHandlef("out-parameter %s is NULL", name)
	}
	return nil
}

// codeOf maps an error to its objstore_code: core kinds are offset by one
// (Generic = 1 … Integrity = 15).
func codeOf(err error) int {
	var a *abiError
	if errors.As(err, &a) {
		return a.code
	}
	return int(core.KindOf(err)) + 1
}

// call runs one export's body: a returned error becomes its code and, when
// the caller asked for one, an objstore_error; a panic becomes
// OBJSTORE_E_INTERNAL instead of taking the host process down.
func call(errp **C.objstore_error, body func() error) (rc C.int) {
	defer func() {
		if r := recover(); r != nil {
			rc = report(errp, &abiError{code: codeInternal, msg: fmt.Sprintf("internal error in libobjstore (please report): %v", r)})
		}
	}()
	if err := body(); err != nil {
		return report(errp, err)
	}
	return codeOK
}

// callNoErr is call for the functions without an error out-parameter.
func callNoErr(body func() error) C.int { return call(nil, body) }

func report(errp **C.objstore_error, err error) C.int {
	code := codeOf(err)
	if errp != nil {
		*errp = newCError(code, err.Error())
	}
	return C.int(code)
}

// liveErrors holds the objstore_error structs handed out and not yet freed,
// so objstore_error_free can refuse anything else. Freed ones go through
// the handle quarantine before their memory is released.
var liveErrors = struct {
	sync.Mutex
	m map[unsafe.Pointer]*C.char // struct → its message, both freed together
}{m: map[unsafe.Pointer]*C.char{}}

func newCError(code int, msg string) *C.objstore_error {
	e := (*C.objstore_error)(C.malloc(C.sizeof_objstore_error))
	if e == nil {
		return nil // out of memory: the code alone must do
	}
	e.code = C.int(code)
	e.message = C.CString(msg)
	liveErrors.Lock()
	liveErrors.m[unsafe.Pointer(e)] = e.message
	liveErrors.Unlock()
	return e
}

//export objstoreGo_error_free
func objstoreGo_error_free(e *C.objstore_error) C.int {
	return callNoErr(func() error {
		if e == nil {
			return nil
		}
		p := unsafe.Pointer(e)
		liveErrors.Lock()
		msg, live := liveErrors.m[p]
		delete(liveErrors.m, p)
		liveErrors.Unlock()
		if !live {
			return badHandlef("not a live objstore_error (freed already, or not from this library)")
		}
		quarantine(func() {
			C.free(unsafe.Pointer(msg))
			C.free(p)
		})
		return nil
	})
}
