package azure

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob/container"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

// credentialKind is how requests are authorized.
type credentialKind int

const (
	credAnonymous credentialKind = iota // skip_signature: unsigned requests
	credSharedKey                       // account key: requests signed, SAS URLs signable
	credSAS                             // a SAS token appended to every URL
	credToken                           // an Entra ID (OAuth) bearer token
	credProvided                        // a credential provider's answers (any of the three above)
)

type credential struct {
	kind      credentialKind
	sharedKey *container.SharedKeyCredential
	sas       string // query string, without "?"
	token     azcore.TokenCredential
	provided  *driver.CredentialCache
}

// Values of credential_type (object_store's names).
const (
	credTypeAuto             = "auto"
	credTypeBearerToken      = "bearer_token"
	credTypeAccessKey        = "access_key"
	credTypeClientSecret     = "client_secret"
	credTypeWorkloadIdentity = "workload_identity"
	credTypeSASToken         = "sas_token"
	credTypeAzureCLI         = "azure_cli"
	credTypeManagedIdentity  = "managed_identity"
)

// chooseCredentialType follows object_store's order when credential_type is
// auto: a bearer token, an account key, workload identity, a client secret,
// a SAS token, the Azure CLI, and last managed identity.
func chooseCredentialType(s settings) (string, error) {
	k := s.keys
	t := strings.ToLower(strings.TrimSpace(k[keyCredentialType]))
	switch t {
	case "", credTypeAuto:
	case credTypeBearerToken, credTypeAccessKey, credTypeClientSecret, credTypeWorkloadIdentity,
		credTypeSASToken, credTypeAzureCLI, credTypeManagedIdentity:
		return t, nil
	default:
		return "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "credential_type " + t + " is not one of auto, bearer_token, access_key, client_secret, workload_identity, sas_token, azure_cli, managed_identity"}
	}
	useCLI, err := s.flag(keyUseAzureCLI)
	if err != nil {
		return "", err
	}
	switch {
	case k[keyToken] != "":
		return credTypeBearerToken, nil
	case k[keyAccountKey] != "":
		return credTypeAccessKey, nil
	case k[keyClientID] != "" && k[keyTenantID] != "" && k[keyFederatedTokenFile] != "":
		return credTypeWorkloadIdentity, nil
	case k[keyClientID] != "" && k[keyClientSecret] != "" && k[keyTenantID] != "":
		return credTypeClientSecret, nil
	case k[keySASKey] != "":
		return credTypeSASToken, nil
	case useCLI:
		return credTypeAzureCLI, nil
	}
	return credTypeManagedIdentity, nil
}

// buildCredential turns the settings into a credential. transport is the
// store's HTTP client, so that token requests use the same proxy and
// timeouts as storage requests.
func buildCredential(s settings, transport policy.Transporter) (credential, error) {
	skip, err := s.flag(keySkipSignature)
	if err != nil {
		return credential{}, err
	}
	if skip {
		return credential{kind: credAnonymous}, nil
	}
	t, err := chooseCredentialType(s)
	if err != nil {
		return credential{}, err
	}
	k := s.keys
	missing := func(keys string) (credential, error) {
		return credential{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "credential_type " + t + " needs " + keys}
	}
	idOpts := azcore.ClientOptions{Transport: transport}
	if host := k[keyAuthorityHost]; host != "" {
		idOpts.Cloud = cloud.Configuration{ActiveDirectoryAuthorityHost: host}
	}
	wrapErr := func(err error) (credential, error) {
		return credential{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "cannot set up " + t + " credentials", Err: err}
	}
	switch t {
	case credTypeAccessKey:
		if k[keyAccountKey] == "" {
			return missing("account_key")
		}
		cred, err := container.NewSharedKeyCredential(s.account, k[keyAccountKey])
		if err != nil {
			// The SDK's message would quote nothing secret, but say it plainly.
			return credential{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "account_key is not valid base64"}
		}
		return credential{kind: credSharedKey, sharedKey: cred}, nil
	case credTypeSASToken:
		if k[keySASKey] == "" {
			return missing("sas_key")
		}
		sas, err := normalizeSAS(k[keySASKey])
		if err != nil {
			return credential{}, err
		}
		return credential{kind: credSAS, sas: sas}, nil
	case credTypeBearerToken:
		if k[keyToken] == "" {
			return missing("token")
		}
		return credential{kind: credToken, token: staticToken(k[keyToken])}, nil
	case credTypeClientSecret:
		if k[keyClientID] == "" || k[keyClientSecret] == "" || k[keyTenantID] == "" {
			return missing("client_id, client_secret and tenant_id")
		}
		cred, err := azidentity.NewClientSecretCredential(k[keyTenantID], k[keyClientID], k[keyClientSecret],
			&azidentity.ClientSecretCredentialOptions{ClientOptions: idOpts})
		if err != nil {
			return wrapErr(err)
		}
		return credential{kind: credToken, token: cred}, nil
	case credTypeWorkloadIdentity:
		if k[keyClientID] == "" || k[keyTenantID] == "" || k[keyFederatedTokenFile] == "" {
			return missing("client_id, tenant_id and federated_token_file")
		}
		cred, err := azidentity.NewWorkloadIdentityCredential(&azidentity.WorkloadIdentityCredentialOptions{
			ClientOptions: idOpts, ClientID: k[keyClientID], TenantID: k[keyTenantID], TokenFilePath: k[keyFederatedTokenFile],
		})
		if err != nil {
			return wrapErr(err)
		}
		return credential{kind: credToken, token: cred}, nil
	case credTypeAzureCLI:
		cred, err := azidentity.NewAzureCLICredential(&azidentity.AzureCLICredentialOptions{TenantID: k[keyTenantID]})
		if err != nil {
			return wrapErr(err)
		}
		return credential{kind: credToken, token: cred}, nil
	}
	// Managed identity. The SDK finds its endpoint itself (IMDS, or the
	// IDENTITY_ENDPOINT/MSI_ENDPOINT of the process environment); it cannot
	// be pointed elsewhere, so an explicit msi_endpoint is refused rather
	// than silently ignored.
	if k[keyMSIEndpoint] != "" {
		return credential{}, &core.Error{Kind: core.NotSupported, Store: storeName, Msg: "msi_endpoint cannot be set: managed identity uses IMDS or the process's IDENTITY_ENDPOINT"}
	}
	miOpts := &azidentity.ManagedIdentityCredentialOptions{ClientOptions: idOpts}
	switch {
	case k[keyClientID] != "":
		miOpts.ID = azidentity.ClientID(k[keyClientID])
	case k[keyObjectID] != "":
		miOpts.ID = azidentity.ObjectID(k[keyObjectID])
	case k[keyMSIResourceID] != "":
		miOpts.ID = azidentity.ResourceID(k[keyMSIResourceID])
	}
	cred, err := azidentity.NewManagedIdentityCredential(miOpts)
	if err != nil {
		return wrapErr(err)
	}
	return credential{kind: credToken, token: cred}, nil
}

// normalizeSAS accepts a SAS token as the portal shows it (percent-encoded,
// with or without a leading "?") or with its values already decoded, and
// returns it as a properly encoded query string.
func normalizeSAS(raw string) (string, error) {
	raw = strings.TrimPrefix(strings.TrimSpace(raw), "?")
	var parts []string
	for _, pair := range strings.Split(raw, "&") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, v, ok := strings.Cut(pair, "=")
		if !ok {
			return "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "sas_key is not a query string of key=value pairs"}
		}
		// PathUnescape, not QueryUnescape: a decoded signature may hold a
		// literal "+", which must stay a "+".
		dk, err1 := url.PathUnescape(k)
		dv, err2 := url.PathUnescape(v)
		if err1 != nil || err2 != nil {
			return "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "sas_key has an invalid percent-encoding"}
		}
		parts = append(parts, url.QueryEscape(dk)+"="+url.QueryEscape(dv))
	}
	if len(parts) == 0 {
		return "", &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "sas_key is empty"}
	}
	return strings.Join(parts, "&"), nil
}

// staticToken is a bearer token given in the configuration; it is used as
// is until the service rejects it.
type staticToken string

func (t staticToken) GetToken(context.Context, policy.TokenRequestOptions) (azcore.AccessToken, error) {
	return azcore.AccessToken{Token: string(t), ExpiresOn: time.Now().Add(24 * time.Hour)}, nil
}

// checkCredential refuses a provider's answer Azure cannot authorize with:
// it must be exactly one of a bearer token, an account key and a SAS.
func checkCredential(c core.Credential) error {
	n := 0
	for _, v := range []string{c.Token, c.AccountKey, c.SAS} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return errors.New("an Azure credential is exactly one of token, access_key and sas_token")
	}
	if c.AccountKey != "" {
		if _, err := base64.StdEncoding.DecodeString(c.AccountKey); err != nil {
			return errors.New("access_key is not valid base64")
		}
	}
	if c.SAS != "" {
		if _, err := normalizeSAS(c.SAS); err != nil {
			return err
		}
	}
	return nil
}

// authorizer authorizes a request with a provider's credential: a bearer
// token in the Authorization header, a SAS appended to the query, or an
// account key signing the request (Shared Key).
func authorizer(account string) func(*http.Request, core.Credential) error {
	return func(r *http.Request, c core.Credential) error {
		switch {
		case c.Token != "":
			return driver.AuthorizeBearer(r, c)
		case c.SAS != "":
			sas, err := normalizeSAS(c.SAS)
			if err != nil {
				return err
			}
			u := *r.URL
			if u.RawQuery != "" {
				u.RawQuery += "&"
			}
			u.RawQuery += sas
			r.URL = &u
			return nil
		}
		return signSharedKey(r, account, c.AccountKey)
	}
}

// signSharedKey signs a request with an account key: the Shared Key
// scheme of the Blob service (the string to sign is the verb, the standard
// headers, the x-ms-* headers and the resource).
func signSharedKey(r *http.Request, account, key string) error {
	secret, err := base64.StdEncoding.DecodeString(key)
	if err != nil {
		return errors.New("access_key is not valid base64")
	}
	// The SDK sets some headers under non-canonical keys (x-ms-version):
	// read the map case-insensitively.
	values := map[string][]string{}
	for name, v := range r.Header {
		lower := strings.ToLower(name)
		values[lower] = append(values[lower], v...)
	}
	if len(values["x-ms-date"]) == 0 {
		now := time.Now().UTC().Format(http.TimeFormat)
		r.Header.Set("x-ms-date", now)
		values["x-ms-date"] = []string{now}
	}
	get := func(name string) string { return strings.Join(values[strings.ToLower(name)], ",") }
	length := get("Content-Length")
	if length == "" && r.ContentLength > 0 {
		length = strconv.FormatInt(r.ContentLength, 10)
	}
	if length == "0" {
		length = ""
	}
	var names []string
	for name := range values {
		if strings.HasPrefix(name, "x-ms-") {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, part := range []string{r.Method, get("Content-Encoding"), get("Content-Language"), length,
		get("Content-MD5"), get("Content-Type"), "", get("If-Modified-Since"), get("If-Match"),
		get("If-None-Match"), get("If-Unmodified-Since"), get("Range")} {
		b.WriteString(part)
		b.WriteByte('\n')
	}
	for _, name := range names {
		b.WriteString(name + ":" + strings.Join(values[name], ",") + "\n")
	}
	b.WriteString("/" + account)
	if p := r.URL.EscapedPath(); p != "" {
		b.WriteString(p)
	} else {
		b.WriteByte('/')
	}
	query := r.URL.Query()
	params := make([]string, 0, len(query))
	for name := range query {
		params = append(params, name)
	}
	sort.Strings(params)
	for _, name := range params {
		values := query[name]
		sort.Strings(values)
		b.WriteString("\n" + strings.ToLower(name) + ":" + strings.Join(values, ","))
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(b.String()))
	r.Header.Set("Authorization", "SharedKey "+account+":"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	return nil
}

// staleCredential reports Azure's refusal of an expired or unknown
// credential: 401, or 403 with an authentication error code (an expired
// SAS, a rotated account key, an expired token).
func staleCredential(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusForbidden:
		switch resp.Header.Get("x-ms-error-code") {
		case "AuthenticationFailed", "InvalidAuthenticationInfo", "ExpiredAuthenticationToken", "InvalidAuthenticationToken":
			return true
		}
	}
	return false
}

// providedSigner is what signs a URL for a store with a provider: its
// current credential, when that is an account key.
func (c credential) providedSigner(ctx context.Context, account string) (credentialKind, *container.SharedKeyCredential, error) {
	lease, err := c.provided.Get(ctx)
	if err != nil {
		return 0, nil, err
	}
	if lease.AccountKey == "" {
		return credAnonymous, nil, nil // not signable: Sign says so
	}
	key, err := container.NewSharedKeyCredential(account, lease.AccountKey)
	if err != nil {
		return 0, nil, errors.New("access_key is not valid base64")
	}
	return credSharedKey, key, nil
}
