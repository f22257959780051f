package core

import (
	"context"
	"time"
)

// CredentialProvider supplies the credentials of a store from outside its
// config document: a callback of a C program, a Python callable (answered
// on a thread of the binding), any Go code. A store opened with one (see
// core/stores.OpenWith) asks it through a cache that keeps the credential
// until shortly before it expires, with at most one call in flight
// (core/driver.CredentialCache), and asks again at once when the service
// refuses a credential as stale.
type CredentialProvider interface {
	// Credential returns a fresh credential. ctx ends when the caller stops
	// waiting (the client options' timeout): a provider that cannot be
	// interrupted is abandoned then, and its late answer dropped.
	Credential(ctx context.Context) (Credential, error)
	// String names the provider in error messages; never a secret.
	String() string
}

// Credential is one answer of a CredentialProvider. Which fields a store
// reads depends on its kind:
//
//   - S3: AccessKeyID and SecretAccessKey, and SessionToken for temporary
//     credentials.
//   - GCS: Token, an OAuth bearer token.
//   - Azure: exactly one of Token (an Entra ID bearer token), AccountKey
//     (the storage account key, base64) or SAS (a shared access signature,
//     as a query string).
type Credential struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	Token           string
	AccountKey      string
	SAS             string
	// Expires is when the credential stops being valid; the zero time is
	// never.
	Expires time.Time
}

// RefreshThresholder is implemented by providers that say how long before
// expiry their credentials should be replaced (obstore's
// refresh_threshold); without it the cache uses its default.
type RefreshThresholder interface {
	RefreshThreshold() time.Duration
}
