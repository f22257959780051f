package core

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies every error the library returns. Backends map their SDK's
// errors to one of these; the C ABI and the bindings map them to codes and
// exception types, so the list is part of the stable contract: append only.
type Kind int

const (
	// Generic is any failure no other kind describes: a broken connection
	// after the retries ran out, a service answer that cannot be read, a
	// body shorter than announced. The message says what happened.
	Generic Kind = iota
	// NotFound: the object (or the bucket, or a copy's source) does not
	// exist. Also a "directory": only objects are found.
	NotFound
	// AlreadyExists: a create-only put (PutCreate) or a copy or rename
	// with IfNotExists found the destination present; nothing was written.
	AlreadyExists
	// Precondition: a condition on the object failed — IfMatch or
	// IfUnmodifiedSince on a get, the etag or version of an update-mode
	// put — or the object changed while a read was resumed.
	Precondition
	// NotModified: IfNoneMatch or IfModifiedSince matched; the caller's
	// copy is current.
	NotModified
	// NotImplemented: this library does not implement the operation or
	// option for this store (it could be done, but is not).
	NotImplemented
	// NotSupported: the store or service cannot do it at all (signing on
	// a store without keys, cleanup on a store without uploads).
	NotSupported
	// PermissionDenied: the credentials were accepted but do not allow
	// the operation.
	PermissionDenied
	// Unauthenticated: credentials are missing, wrong or expired.
	Unauthenticated
	// InvalidPath: a path breaks the path rules (see ParsePath); no
	// request was sent.
	InvalidPath
	// InvalidArgument: a bad value — a range, an option, a config value
	// or document, a URL — or a range the object cannot satisfy.
	InvalidArgument
	// UnknownConfigKey: a config document names a key its store does
	// not know.
	UnknownConfigKey
	// Timeout: a deadline passed — the caller's context deadline, or
	// (after the retries) the client options' timeout or read_timeout.
	Timeout
	// Cancelled: the caller's context was cancelled.
	Cancelled
	// Integrity: the bytes read or written do not match the checksum the
	// service (or the caller) gave for them; never returned as success.
	Integrity
)

var kindNames = [...]string{
	Generic:          "Generic",
	NotFound:         "NotFound",
	AlreadyExists:    "AlreadyExists",
	Precondition:     "Precondition",
	NotModified:      "NotModified",
	NotImplemented:   "NotImplemented",
	NotSupported:     "NotSupported",
	PermissionDenied: "PermissionDenied",
	Unauthenticated:  "Unauthenticated",
	InvalidPath:      "InvalidPath",
	InvalidArgument:  "InvalidArgument",
	UnknownConfigKey: "UnknownConfigKey",
	Timeout:          "Timeout",
	Cancelled:        "Cancelled",
	Integrity:        "Integrity",
}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error is the one error type of the library.
type Error struct {
	Kind  Kind
	Store string // backend name, e.g. "s3", "local"; may be empty
	Path  string // object path the error concerns; may be empty
	Msg   string // human message; never contains secrets
	Err   error  // underlying cause; its text is shown, so it must not hold secrets either
}

func (e *Error) Error() string {
	msg := e.Kind.String()
	if e.Store != "" {
		msg = e.Store + ": " + msg
	}
	if e.Path != "" {
		msg += fmt.Sprintf(" %q", e.Path)
	}
	if e.Msg != "" {
		msg += ": " + e.Msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Is lets errors.Is(err, &Error{Kind: NotFound}) match on kind alone.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) && t.Msg == "" && t.Err == nil && t.Path == "" && t.Store == "" {
		return t.Kind == e.Kind
	}
	return false
}

// Errorf builds an *Error of the given kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Wrap attaches a kind, store and path to a cause. A cause that already is an
// *Error keeps its kind; store and path are filled in where missing.
func Wrap(kind Kind, store string, path Path, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		c := *e
		if c.Store == "" {
			c.Store = store
		}
		if c.Path == "" {
			c.Path = string(path)
		}
		return &c
	}
	if k, ok := contextKind(err); ok {
		kind = k
	}
	return &Error{Kind: kind, Store: store, Path: string(path), Err: err}
}

// KindOf reports the kind of any error: an *Error's own kind, context
// cancellation and deadlines as Cancelled and Timeout, anything else Generic.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if k, ok := contextKind(err); ok {
		return k
	}
	return Generic
}

func contextKind(err error) (Kind, bool) {
	switch {
	case errors.Is(err, context.Canceled):
		return Cancelled, true
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout, true
	}
	return 0, false
}

// IsKind reports whether err is of kind k.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }
