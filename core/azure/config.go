// Package azure is the Azure Blob Storage backend (AzureStore), built on the
// azblob SDK. Its configuration keys, aliases, environment variables and URL
// forms are those of object_store's MicrosoftAzureBuilder as exposed by
// obstore's AzureConfig.
package azure

import (
	"context"
	"net/url"
	"strings"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

const storeName = "azure"

// Backend opens AzureStores.
var Backend = driver.Backend{
	Kind:      "azure",
	Schemes:   []string{"az", "adl", "azure", "abfs", "abfss"},
	MatchURL:  matchURL,
	ParseURL:  parseURL,
	Normalize: normalize,
	Open:      open,
	OpenWith:  openWithOptions,
	Shared:    true,
	// The keys' AZURE_* variables and the emulator's base URL.
	Environment: configKeys.EnvNames(azuriteURLEnv),
}

// Canonical key names: obstore's AzureConfig keys (object_store's names
// without the azure_storage_ / azure_ prefix).
const (
	keyAccountName            = "account_name"
	keyAccountKey             = "account_key"
	keyClientID               = "client_id"
	keyClientSecret           = "client_secret"
	keyTenantID               = "tenant_id"
	keyAuthorityHost          = "authority_host"
	keyCredentialType         = "credential_type"
	keySASKey                 = "sas_key"
	keyToken                  = "token"
	keyUseEmulator            = "use_emulator"
	keyUseFabricEndpoint      = "use_fabric_endpoint"
	keyEndpoint               = "endpoint"
	keyMSIEndpoint            = "msi_endpoint"
	keyObjectID               = "object_id"
	keyMSIResourceID          = "msi_resource_id"
	keyFederatedTokenFile     = "federated_token_file"
	keyUseAzureCLI            = "use_azure_cli"
	keySkipSignature          = "skip_signature"
	keyContainerName          = "container_name"
	keyDisableTagging         = "disable_tagging"
	keyEncryptionKey          = "encryption_key"
	keyFabricTokenServiceURL  = "fabric_token_service_url"
	keyFabricWorkloadHost     = "fabric_workload_host"
	keyFabricSessionToken     = "fabric_session_token"
	keyFabricClusterIdentifer = "fabric_cluster_identifier"
)

// azuriteURLEnv is object_store's override of the emulator's base URL (the
// account name is appended to it).
const azuriteURLEnv = "AZURITE_BLOB_STORAGE_URL"

// configKey builds a key whose environment variables are, as in
// object_store's from_env, the upper-cased forms of its azure_-prefixed
// aliases (AZURE_STORAGE_ACCOUNT_NAME is azure_storage_account_name).
func configKey(name string, aliases []string) driver.ConfigKey {
	k := driver.ConfigKey{Name: name, Aliases: aliases}
	for _, a := range aliases {
		if strings.HasPrefix(a, "azure_") {
			k.Env = append(k.Env, strings.ToUpper(a))
		}
	}
	return k
}

func azurePrefixed(name string) []string { return []string{"azure_" + name} }

func storagePrefixed(name string) []string {
	return []string{"azure_storage_" + name}
}

var configKeys = driver.KeyTable{
	configKey(keyAccountName, storagePrefixed(keyAccountName)),
	configKey(keyAccountKey, []string{"azure_storage_account_key", "azure_storage_access_key", "azure_storage_master_key", "access_key", "master_key"}),
	configKey(keyClientID, []string{"azure_storage_client_id", "azure_client_id"}),
	configKey(keyClientSecret, []string{"azure_storage_client_secret", "azure_client_secret"}),
	configKey(keyTenantID, []string{"azure_storage_tenant_id", "azure_storage_authority_id", "azure_tenant_id", "azure_authority_id", "authority_id"}),
	configKey(keyAuthorityHost, []string{"azure_storage_authority_host", "azure_authority_host"}),
	configKey(keyCredentialType, azurePrefixed(keyCredentialType)),
	configKey(keySASKey, []string{"azure_storage_sas_key", "azure_storage_sas_token", "sas_token"}),
	configKey(keyToken, []string{"azure_storage_token", "bearer_token"}),
	configKey(keyUseEmulator, storagePrefixed(keyUseEmulator)),
	configKey(keyUseFabricEndpoint, azurePrefixed(keyUseFabricEndpoint)),
	configKey(keyEndpoint, []string{"azure_storage_endpoint", "azure_endpoint"}),
	// No environment variables: the SDK's managed identity reads the
	// process's IDENTITY_ENDPOINT itself, and an msi_endpoint it cannot
	// honour is refused, which must not happen for an ambient variable.
	{Name: keyMSIEndpoint, Aliases: []string{"azure_msi_endpoint", "azure_identity_endpoint", "identity_endpoint"}},
	configKey(keyObjectID, azurePrefixed(keyObjectID)),
	configKey(keyMSIResourceID, azurePrefixed(keyMSIResourceID)),
	configKey(keyFederatedTokenFile, azurePrefixed(keyFederatedTokenFile)),
	configKey(keyUseAzureCLI, azurePrefixed(keyUseAzureCLI)),
	configKey(keySkipSignature, azurePrefixed(keySkipSignature)),
	configKey(keyContainerName, azurePrefixed(keyContainerName)),
	configKey(keyDisableTagging, azurePrefixed(keyDisableTagging)),
	configKey(keyEncryptionKey, azurePrefixed(keyEncryptionKey)),
	configKey(keyFabricTokenServiceURL, azurePrefixed(keyFabricTokenServiceURL)),
	configKey(keyFabricWorkloadHost, azurePrefixed(keyFabricWorkloadHost)),
	configKey(keyFabricSessionToken, azurePrefixed(keyFabricSessionToken)),
	configKey(keyFabricClusterIdentifer, azurePrefixed(keyFabricClusterIdentifer)),
}

// Host suffixes of the public cloud's blob and data-lake endpoints; https
// URLs on these hosts are Azure stores.
var (
	coreHostSuffixes   = []string{".blob.core.windows.net", ".dfs.core.windows.net"}
	fabricHostSuffixes = []string{".blob.fabric.microsoft.com", ".dfs.fabric.microsoft.com"}
)

func matchURL(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, "https") {
		return false
	}
	_, _, ok := accountFromHost(u.Hostname())
	return ok
}

// accountFromHost splits account.blob.core.windows.net (and the dfs and
// Fabric forms) into the account and whether it is a Fabric host.
func accountFromHost(host string) (account string, fabric, ok bool) {
	host = strings.ToLower(host)
	for _, s := range coreHostSuffixes {
		if a, found := strings.CutSuffix(host, s); found && a != "" {
			return a, false, true
		}
	}
	for _, s := range fabricHostSuffixes {
		if a, found := strings.CutSuffix(host, s); found && a != "" {
			return a, true, true
		}
	}
	return "", false, false
}

// parseURL reads every URL form object_store knows:
//
//	az://container/path, adl://container/path, azure://container/path
//	abfs[s]://container/path (fsspec)
//	abfs[s]://container@account.dfs.core.windows.net/path (Hadoop)
//	abfs[s]://container@account.dfs.fabric.microsoft.com/path
//	https://account.blob.core.windows.net/container/path (also dfs, Fabric)
//
// The path after the container becomes the prefix. A SAS token in the
// query of an https URL becomes sas_key.
func parseURL(u *url.URL) (core.Config, error) {
	c := core.Config{Kind: "azure", Config: core.Options{}}
	scheme := strings.ToLower(u.Scheme)
	host := u.Hostname()
	bad := func(why string) (core.Config, error) {
		return core.Config{}, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "URL " + driver.RedactURL(u) + " is not an Azure URL: " + why}
	}
	if host == "" {
		return bad("it has no container or account")
	}
	path := u.Path
	switch scheme {
	case "az", "adl", "azure", "abfs", "abfss":
		if u.RawQuery != "" {
			return bad("a query is only understood on https URLs")
		}
		user := ""
		if u.User != nil {
			user = u.User.Username()
		}
		if user == "" || scheme == "adl" || scheme == "azure" {
			if u.User != nil {
				return bad("adl:// and azure:// URLs take no user part")
			}
			c.Bucket = host
			break
		}
		// container@account.dfs.core.windows.net (the Hadoop driver's form).
		if ws, ok := fabricPrivateLinkAccount(host); ok {
			c.Config[keyAccountName] = ws
			c.Config[keyEndpoint] = "https://" + strings.ToLower(host)
			c.Config[keyUseFabricEndpoint] = "true"
			c.Bucket = user
			break
		}
		account, fabric, ok := accountFromHost(host)
		if !ok {
			return bad("host must be <account>.dfs.core.windows.net or <account>.dfs.fabric.microsoft.com")
		}
		c.Config[keyAccountName] = account
		if fabric {
			c.Config[keyUseFabricEndpoint] = "true"
		}
		c.Bucket = user
	case "https":
		if u.User != nil {
			return bad("https URLs take no user part")
		}
		account, fabric, ok := accountFromHost(host)
		if ws, plOK := fabricPrivateLinkAccount(host); plOK {
			account, fabric, ok = ws, true, true
			c.Config[keyEndpoint] = "https://" + strings.ToLower(host)
		}
		if !ok {
			return bad("host must be <account>.blob.core.windows.net, <account>.dfs.core.windows.net or a Fabric host")
		}
		c.Config[keyAccountName] = account
		if fabric {
			c.Config[keyUseFabricEndpoint] = "true"
		}
		trimmed := strings.TrimPrefix(path, "/")
		container, rest, _ := strings.Cut(trimmed, "/")
		c.Bucket = container
		path = rest
		if u.RawQuery != "" {
			q := u.Query()
			if q.Get("sig") == "" {
				return bad("its query is not a SAS token (no sig parameter)")
			}
			c.Config[keySASKey] = u.RawQuery
		}
	default:
		return bad("unknown scheme " + scheme)
	}
	if strings.Contains(c.Bucket, ".") {
		return bad("container name " + c.Bucket + " contains a dot")
	}
	if a := c.Config[keyAccountName]; strings.Contains(a, ".") && c.Config[keyEndpoint] == "" {
		return bad("account name " + a + " contains a dot")
	}
	if strings.Trim(path, "/") != "" {
		p, err := core.ParsePath(path)
		if err != nil {
			return core.Config{}, err
		}
		c.Prefix = string(p)
	}
	if len(c.Config) == 0 {
		c.Config = nil
	}
	return c, nil
}

// fabricPrivateLinkAccount reads Fabric's workspace-level private link hosts,
// {workspace}.z{xy}.{dfs|blob|onelake}.fabric.microsoft.com, whose account
// name is the first two labels.
func fabricPrivateLinkAccount(host string) (string, bool) {
	host = strings.ToLower(host)
	ws, rest, ok := strings.Cut(host, ".")
	if !ok || ws == "" || !strings.HasPrefix(rest, "z") || !strings.HasSuffix(rest, ".fabric.microsoft.com") {
		return "", false
	}
	zone, _, _ := strings.Cut(rest, ".")
	return ws + "." + zone, true
}

// normalize maps keys to their canonical names and moves container_name
// into the document's bucket, the one place the container is kept (the
// config key wins over a bucket already there).
func normalize(c core.Config) (core.Config, error) {
	c, err := driver.NormalizeDocument(c, "azure", configKeys)
	if err != nil {
		return c, err
	}
	if c.URL != "" {
		return c, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "AzureStore takes no url field: use from_url or the endpoint key"}
	}
	if name, ok := c.Config[keyContainerName]; ok {
		// container_name is an explicit option; a bucket already in the
		// document may have come from a URL, which it overrides.
		c.Bucket = name
		delete(c.Config, keyContainerName)
		if len(c.Config) == 0 {
			c.Config = nil
		}
	}
	for _, k := range []string{keyUseEmulator, keyUseFabricEndpoint, keyUseAzureCLI, keySkipSignature, keyDisableTagging} {
		if v, ok := c.Config[k]; ok {
			if _, err := driver.ParseBool(k, v); err != nil {
				return c, err
			}
		}
	}
	p, err := core.ParsePath(c.Prefix)
	if err != nil {
		return c, err
	}
	c.Prefix = string(p)
	return c, nil
}

// settings are the resolved configuration of one store: the document's
// keys over the environment's, with the emulator and endpoint defaults
// applied.
type settings struct {
	keys        core.Options
	container   string
	account     string
	endpoint    string // the account URL; the container is appended to it
	useEmulator bool
	fabric      bool
}

// Azurite's well-known development account and key (public, documented by
// Microsoft; not a secret).
const (
	emulatorAccount  = "devstoreaccount1"
	emulatorKey      = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
	emulatorEndpoint = "http://127.0.0.1:10000"
)

// resolve merges the document with env (explicit beats environment) and
// works out the account, container and endpoint.
func resolve(c core.Config, env map[string]string) (settings, error) {
	fromEnv := configKeys.FromEnv(env, c.Config)
	if hasAny(c.Config, credentialKeys) {
		// A credential given explicitly is never mixed with, or outranked
		// by, a different kind of credential found in the environment.
		for _, k := range credentialKeys {
			delete(fromEnv, k)
		}
	}
	keys := driver.Merge(fromEnv, c.Config)
	s := settings{keys: keys, container: c.Bucket}
	if s.container == "" {
		s.container = keys[keyContainerName]
	}
	if s.container == "" {
		return s, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "no container: give container_name, or a URL like az://container/path"}
	}
	var err error
	if s.useEmulator, err = s.flag(keyUseEmulator); err != nil {
		return s, err
	}
	if s.fabric, err = s.flag(keyUseFabricEndpoint); err != nil {
		return s, err
	}
	s.account = keys[keyAccountName]
	s.endpoint = strings.TrimSuffix(keys[keyEndpoint], "/")
	if s.useEmulator {
		if s.account == "" {
			s.account = emulatorAccount
		}
		if _, ok := keys[keyAccountKey]; !ok && keys[keySASKey] == "" && keys[keyToken] == "" {
			s.keys = driver.Merge(s.keys, core.Options{keyAccountKey: emulatorKey})
		}
		if s.endpoint == "" {
			base := emulatorEndpoint
			if v := env[azuriteURLEnv]; v != "" {
				base = strings.TrimSuffix(v, "/")
			}
			s.endpoint = base + "/" + s.account
		}
	}
	if s.account == "" {
		return s, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "no account: give account_name (or AZURE_STORAGE_ACCOUNT_NAME), or use_emulator"}
	}
	if s.endpoint == "" {
		if s.fabric {
			s.endpoint = "https://" + s.account + ".blob.fabric.microsoft.com"
		} else {
			s.endpoint = "https://" + s.account + ".blob.core.windows.net"
		}
	}
	if _, err := url.Parse(s.endpoint); err != nil {
		return s, &core.Error{Kind: core.InvalidArgument, Store: storeName, Msg: "endpoint is not a URL"}
	}
	for _, k := range []string{keyEncryptionKey, keyFabricTokenServiceURL, keyFabricWorkloadHost, keyFabricSessionToken, keyFabricClusterIdentifer} {
		if keys[k] != "" {
			return s, &core.Error{Kind: core.NotSupported, Store: storeName, Msg: "config key " + k + " is not supported by this AzureStore"}
		}
	}
	return s, nil
}

// credentialKeys are the keys that choose how requests are authorized.
var credentialKeys = []string{keyAccountKey, keySASKey, keyToken, keyClientID, keyClientSecret, keyTenantID,
	keyFederatedTokenFile, keyUseAzureCLI, keyMSIEndpoint, keyObjectID, keyMSIResourceID, keyCredentialType, keySkipSignature}

func hasAny(o core.Options, keys []string) bool {
	for _, k := range keys {
		if _, ok := o[k]; ok {
			return true
		}
	}
	return false
}

func (s settings) flag(key string) (bool, error) { return driver.ParseBool(key, s.keys[key]) }

func open(ctx context.Context, c core.Config, env map[string]string) (core.Store, error) {
	return openWithOptions(ctx, c, env, driver.OpenOptions{})
}

// openWithOptions is open with options: a credential provider replaces
// every credential of the document and the environment.
func openWithOptions(ctx context.Context, c core.Config, env map[string]string, o driver.OpenOptions) (core.Store, error) {
	s, err := resolve(c, env)
	if err != nil {
		return nil, err
	}
	return newStore(ctx, s, c, o)
}
