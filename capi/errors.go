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
	codeOK        = C.OBJSTORE_OK
	codeBadHandle = C.OBJSTORE_E_BAD_HANDLE
	codeInternal  = C.OBJSTORE_E_INTERNAL
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

// kindCodes is the objstore_code of every core kind. It is part of the C
// ABI and written out, never computed from a kind's number: codes are
// fixed once published, whatever order core keeps its kinds in. A kind
// missing here would be reported as OBJSTORE_E_GENERIC (a test checks
// that none is).
var kindCodes = map[core.Kind]int{
	core.Generic:          C.OBJSTORE_E_GENERIC,
	core.NotFound:         C.OBJSTORE_E_NOT_FOUND,
	core.AlreadyExists:    C.OBJSTORE_E_ALREADY_EXISTS,
	core.Precondition:     C.OBJSTORE_E_PRECONDITION,
	core.NotModified:      C.OBJSTORE_E_NOT_MODIFIED,
	core.NotImplemented:   C.OBJSTORE_E_NOT_IMPLEMENTED,
	core.NotSupported:     C.OBJSTORE_E_NOT_SUPPORTED,
	core.PermissionDenied: C.OBJSTORE_E_PERMISSION_DENIED,
	core.Unauthenticated:  C.OBJSTORE_E_UNAUTHENTICATED,
	core.InvalidPath:      C.OBJSTORE_E_INVALID_PATH,
	core.InvalidArgument:  C.OBJSTORE_E_INVALID_ARGUMENT,
	core.UnknownConfigKey: C.OBJSTORE_E_UNKNOWN_CONFIG_KEY,
	core.Timeout:          C.OBJSTORE_E_TIMEOUT,
	core.Cancelled:        C.OBJSTORE_E_CANCELLED,
	core.Integrity:        C.OBJSTORE_E_INTEGRITY,
}

// codeOf maps an error to its objstore_code: an error of the C boundary
// its own code, any other its kind's (kindCodes).
func codeOf(err error) int {
	var a *abiError
	if errors.As(err, &a) {
		return a.code
	}
	if code, ok := kindCodes[core.KindOf(err)]; ok {
		return code
	}
	return C.OBJSTORE_E_GENERIC
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
		quarantine(quarantined{release: func() {
			C.free(unsafe.Pointer(msg))
			C.free(p)
		}})
		return nil
	})
}
