// Package driver is the kit for writing a libobjstore backend: what every
// backend needs and users of the Go API never do (they use core and
// core/stores). A backend implements core.Store (and the optional
// interfaces it can do natively), exports a Backend, and builds its client
// from the pieces here, so that every backend behaves alike:
//
//   - Config documents: KeyTable (canonical names, aliases, environment
//     variables), NormalizeDocument, ParseBool, ParseDuration, Merge.
//   - The HTTP client: ClientOptions (object_store's client keys) and
//     HTTPClient, whose transport bounds every request attempt by the
//     client options timeout and read_timeout; Timeouts.BeginRead for an
//     object body, which outlives the request; CloseIdle for Close.
//   - Retries: Policy (PolicyOf a document's retry_config), Policy.Do with
//     Retryable errors, Policy.Backoff for SDK retryers, IsAttemptTimeout.
//   - Reads that break or stall resume where they stopped (ResumeBody,
//     ResumeWithGet), pinned to the same object, and are checked against
//     the service's stored checksum (ParseChecksum, VerifyBody).
//   - Throttle: one window of requests in flight per store, cut when the
//     service throttles (503, 429, Retry-After) and grown back after.
//   - Answers: ParseContentRange, SplitAttributes and JoinAttributes,
//     RangeRefused, RedactURL (for error messages).
//   - Open and Front: a store as users get it, behind the front that
//     applies the document's prefix and checks ranges once for every
//     backend (core.Scoped). A backend's store therefore never sees an
//     invalid path or range, and applies no prefix itself.
//
// docs/architecture.md describes the layers and where to add a backend;
// docs/conformance.md what every backend must do (core/storetest checks
// it).
package driver
