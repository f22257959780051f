package gcs

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"cloud.google.com/go/storage"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// serviceAccount is the part of a service-account JSON key we use. The
// gcs_base_url and disable_oauth fields are object_store's extensions for
// emulators (obstore documents them on GCSConfig.service_account).
type serviceAccount struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	PrivateKeyID string `json:"private_key_id"`
	GCSBaseURL   string `json:"gcs_base_url"`
	DisableOAuth bool   `json:"disable_oauth"`

	raw []byte
}

func parseServiceAccount(data []byte, source string) (*serviceAccount, error) {
	var sa serviceAccount
	if err := json.Unmarshal(data, &sa); err != nil {
		// The JSON error may quote the key's bytes: do not pass it on.
		return nil, core.Errorf(core.InvalidArgument, "%s is not a service-account JSON key", source)
	}
	if sa.Type != "" && sa.Type != "service_account" {
		return nil, core.Errorf(core.InvalidArgument, "%s is a %q credential, not a service account", source, sa.Type)
	}
	sa.raw = data
	return &sa, nil
}

// canSign reports whether the key holds what V4 signing needs.
func (sa *serviceAccount) canSign() bool {
	return sa != nil && sa.ClientEmail != "" && sa.PrivateKey != ""
}

// checkPrivateKey parses the PEM private key once at open, so a broken key
// fails there with a clear message instead of at the first signed URL.
func (sa *serviceAccount) checkPrivateKey() error {
	if sa.PrivateKey == "" {
		return nil
	}
	block, _ := pem.Decode([]byte(sa.PrivateKey))
	if block == nil {
		return core.Errorf(core.InvalidArgument, "service account private_key is not PEM")
	}
	if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err != nil {
		if _, err1 := x509.ParsePKCS1PrivateKey(block.Bytes); err1 != nil {
			return core.Errorf(core.InvalidArgument, "service account private_key is not an RSA key in PKCS#8 or PKCS#1 form")
		}
	}
	return nil
}

// credentials are what a store authenticates and signs with.
type credentials struct {
	// tokens authorizes every request; nil sends requests unauthenticated.
	tokens oauth2.TokenSource
	// provided, instead of tokens, caches a credential provider's tokens.
	provided *driver.CredentialCache
	// signer holds the service-account key V4 URLs are signed with; nil
	// when the store has none (Sign is then NotSupported).
	signer *serviceAccount
	// baseURL is the service account's gcs_base_url, used when no base_url
	// is configured.
	baseURL string
}

// resolveCredentials picks the credentials, in object_store's order:
// skip_signature, bearer_token, a service-account key (service_account_key
// or the file service_account), application_credentials, then the
// defaults below.
//
// Defaults, chosen so that opening a store never hangs on a network probe:
// with a custom base_url (an emulator) and no credentials, requests are
// anonymous; otherwise the gcloud application-default file under $HOME is
// used when it exists; otherwise the metadata server, but only when this
// machine says locally that it is a Google Cloud VM (GCE_METADATA_HOST in the
// environment, or a Google DMI product name). Anything else is
// Unauthenticated at open, naming the keys to set.
func resolveCredentials(ctx context.Context, s settings, env map[string]string) (credentials, error) {
	var creds credentials
	var sa *serviceAccount
	var err error
	switch {
	case s.serviceAccountKey != "" && s.serviceAccountPath != "":
		return creds, core.Errorf(core.InvalidArgument, "give service_account (a path) or service_account_key (JSON), not both")
	case s.serviceAccountKey != "":
		if sa, err = parseServiceAccount([]byte(s.serviceAccountKey), "service_account_key"); err != nil {
			return creds, err
		}
	case s.serviceAccountPath != "":
		if sa, err = readServiceAccount(s.serviceAccountPath, "service_account"); err != nil {
			return creds, err
		}
	}
	var appCreds oauth2.TokenSource
	if sa == nil && s.applicationCredentials != "" {
		if sa, appCreds, err = readApplicationCredentials(ctx, s.applicationCredentials); err != nil {
			return creds, err
		}
	}
	if sa != nil {
		if err := sa.checkPrivateKey(); err != nil {
			return creds, err
		}
		creds.baseURL = strings.TrimRight(sa.GCSBaseURL, "/")
		if sa.canSign() {
			creds.signer = sa
		}
	}

	switch {
	case s.skipSignature:
	case s.bearerToken != "":
		creds.tokens = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: s.bearerToken, TokenType: "Bearer"})
	case sa != nil && sa.DisableOAuth:
	case sa != nil:
		// A self-signed JWT, as object_store does: no token exchange round trip.
		ts, err := google.JWTAccessTokenSourceWithScope(sa.raw, storage.ScopeFullControl)
		if err != nil {
			return creds, core.Errorf(core.InvalidArgument, "service account key cannot sign tokens (needs client_email and private_key)")
		}
		creds.tokens = oauth2.ReuseTokenSource(nil, ts)
	case appCreds != nil:
		creds.tokens = appCreds
	case s.baseURL != "" || creds.baseURL != "":
		// A custom endpoint with no credentials configured: an emulator.
	default:
		if path := wellKnownADCFile(env); path != "" {
			if _, err := os.Stat(path); err == nil {
				if sa, appCreds, err = readApplicationCredentials(ctx, path); err != nil {
					return creds, err
				}
				if sa != nil {
					return resolveCredentials(ctx, settings{serviceAccountPath: path}, env)
				}
				creds.tokens = appCreds
				return creds, nil
			}
		}
		if onGoogleCloud(env) {
			creds.tokens = google.ComputeTokenSource("", storage.ScopeFullControl)
			return creds, nil
		}
		return creds, core.Errorf(core.Unauthenticated, "no GCS credentials: set service_account, service_account_key, application_credentials or bearer_token (or skip_signature=true for public buckets)")
	}
	return creds, nil
}

// checkToken refuses a provider's answer GCS cannot authorize with.
func checkToken(c core.Credential) error {
	if c.Token == "" {
		return errors.New("a GCS credential needs a token")
	}
	return nil
}

// unauthorized is GCS's answer to a token that expired or was revoked.
func unauthorized(resp *http.Response) bool { return resp.StatusCode == http.StatusUnauthorized }

func readServiceAccount(path, key string) (*serviceAccount, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, core.Errorf(core.InvalidArgument, "config key %s: cannot read %s: %v", key, path, errorsWithoutPath(err))
	}
	return parseServiceAccount(data, key+" file "+path)
}

// readApplicationCredentials reads an application-default credentials file:
// a service account (returned as such, so it can also sign) or a gcloud
// user login (returned as a refreshing token source).
func readApplicationCredentials(ctx context.Context, path string) (*serviceAccount, oauth2.TokenSource, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, core.Errorf(core.InvalidArgument, "application_credentials: cannot read %s: %v", path, errorsWithoutPath(err))
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, core.Errorf(core.InvalidArgument, "application_credentials file %s is not JSON", path)
	}
	switch head.Type {
	case "service_account":
		sa, err := parseServiceAccount(data, "application_credentials file "+path)
		return sa, nil, err
	case "authorized_user":
		// Refreshes outlive the context that opened the store.
		c, err := google.CredentialsFromJSONWithType(context.WithoutCancel(ctx), data, google.AuthorizedUser, storage.ScopeFullControl)
		if err != nil {
			return nil, nil, core.Errorf(core.InvalidArgument, "application_credentials file %s is not a valid authorized_user credential", path)
		}
		return nil, c.TokenSource, nil
	}
	return nil, nil, core.Errorf(core.NotSupported, "application_credentials file %s has credential type %q (supported: service_account, authorized_user)", path, head.Type)
}

// The variables the default credentials are found through (besides the
// keys' own), declared in Backend.Environment.
const (
	envCloudSDKConfig = "CLOUDSDK_CONFIG"   // gcloud's configuration directory
	envHome           = "HOME"              // its default parent, ~/.config/gcloud
	envMetadataHost   = "GCE_METADATA_HOST" // set on Google Cloud VMs
)

// wellKnownADCFile is where `gcloud auth application-default login` writes,
// located through the given environment rather than the process's.
func wellKnownADCFile(env map[string]string) string {
	if dir := env[envCloudSDKConfig]; dir != "" {
		return filepath.Join(dir, "application_default_credentials.json")
	}
	if home := env[envHome]; home != "" {
		return filepath.Join(home, ".config", "gcloud", "application_default_credentials.json")
	}
	return ""
}

// onGoogleCloud answers from local facts only, never from a network probe.
func onGoogleCloud(env map[string]string) bool {
	if env[envMetadataHost] != "" {
		return true
	}
	name, err := os.ReadFile("/sys/class/dmi/id/product_name")
	return err == nil && strings.Contains(string(name), "Google")
}

// errorsWithoutPath keeps an *os.PathError's reason only (the path is
// already in the message).
func errorsWithoutPath(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
