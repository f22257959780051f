package azure

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/driver"
)

func parse(t *testing.T, raw string) (core.Config, error) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("url.Parse(%q): %v", raw, err)
	}
	return parseURL(u)
}

func TestParseURLForms(t *testing.T) {
	cases := []struct {
		url    string
		bucket string
		prefix string
		config core.Options
	}{
		{"az://container", "container", "", nil},
		{"az://container/", "container", "", nil},
		{"az://container/a/b%20c", "container", "a/b c", nil},
		{"adl://container/path", "container", "path", nil},
		{"azure://container/x/y/", "container", "x/y", nil},
		{"abfs://container/path", "container", "path", nil},
		{"abfss://fs@account.dfs.core.windows.net/dir/file", "fs", "dir/file",
			core.Options{keyAccountName: "account"}},
		{"abfs://fs@account.blob.core.windows.net/", "fs", "",
			core.Options{keyAccountName: "account"}},
		{"az://fs@account.dfs.core.windows.net/p", "fs", "p",
			core.Options{keyAccountName: "account"}},
		{"abfss://fs@account.dfs.fabric.microsoft.com/p", "fs", "p",
			core.Options{keyAccountName: "account", keyUseFabricEndpoint: "true"}},
		{"abfss://fs@ws1.z42.dfs.fabric.microsoft.com/p", "fs", "p",
			core.Options{keyAccountName: "ws1.z42", keyEndpoint: "https://ws1.z42.dfs.fabric.microsoft.com", keyUseFabricEndpoint: "true"}},
		{"https://account.blob.core.windows.net", "", "", core.Options{keyAccountName: "account"}},
		{"https://account.blob.core.windows.net/container", "container", "", core.Options{keyAccountName: "account"}},
		{"https://account.blob.core.windows.net/container/a/b.parquet", "container", "a/b.parquet", core.Options{keyAccountName: "account"}},
		{"https://Account.DFS.core.windows.net/container/a", "container", "a", core.Options{keyAccountName: "account"}},
		{"https://account.dfs.fabric.microsoft.com/workspace/item.Lakehouse/Files", "workspace", "item.Lakehouse/Files",
			core.Options{keyAccountName: "account", keyUseFabricEndpoint: "true"}},
		{"https://account.blob.core.windows.net/c/o?sv=2022-11-02&sig=abc%2B", "c", "o",
			core.Options{keyAccountName: "account", keySASKey: "sv=2022-11-02&sig=abc%2B"}},
	}
	for _, tc := range cases {
		c, err := parse(t, tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if c.Kind != "azure" || c.Bucket != tc.bucket || c.Prefix != tc.prefix || !reflect.DeepEqual(c.Config, tc.config) {
			t.Errorf("%s: got bucket %q prefix %q config %v, want %q %q %v", tc.url, c.Bucket, c.Prefix, c.Config, tc.bucket, tc.prefix, tc.config)
		}
	}
}

func TestParseURLRejects(t *testing.T) {
	for _, raw := range []string{
		"az://blob.mydomain/",                                   // a dotted container
		"abfs://container.foo/path",                             // likewise
		"abfss://fs@account.foo.dfs.core.windows.net/",          // account with a dot
		"abfss://fs.bar@account.dfs.core.windows.net/",          // container with a dot
		"abfss://fs@example.com/",                               // not an Azure host
		"https://blob.mydomain/",                                // not an Azure host
		"https://blob.foo.dfs.core.windows.net/",                // account with a dot
		"https://account.blob.core.windows.net/c/p?comp=list",   // a query that is not a SAS
		"https://user@account.blob.core.windows.net/c",          // userinfo
		"adl://user@container/p",                                // adl takes no user
		"az:///path",                                            // no container
		"az://container/a//b",                                   // empty segment
		"mailto://account.blob.core.windows.net/",               // not an Azure scheme
		"az://container/p?sig=x",                                // query on az://
		"https://account.blob.core.windows.net/c/a/../b",        // dot-dot segment
		"https://account.blob.core.windows.net/c/%01",           // control character
		"abfs://fs@account.dfs.core.windows.net.evil.example/p", // suffix match only
	} {
		if c, err := parse(t, raw); err == nil {
			t.Errorf("%s: accepted as %+v", raw, c)
		} else if strings.Contains(err.Error(), "sig=") {
			t.Errorf("%s: error shows the query: %v", raw, err)
		}
	}
}

func TestMatchURL(t *testing.T) {
	for raw, want := range map[string]bool{
		"https://account.blob.core.windows.net/c":      true,
		"https://account.dfs.core.windows.net/c":       true,
		"https://account.blob.fabric.microsoft.com/c":  true,
		"https://account.dfs.fabric.microsoft.com/c":   true,
		"http://account.blob.core.windows.net/c":       false,
		"https://blob.core.windows.net/c":              false,
		"https://bucket.s3.amazonaws.com/k":            false,
		"https://storage.googleapis.com/b/o":           false,
		"https://account.blob.core.windows.net.evil/c": false,
	} {
		u, _ := url.Parse(raw)
		if got := matchURL(u); got != want {
			t.Errorf("matchURL(%s) = %v, want %v", raw, got, want)
		}
	}
}

// Every alias of every key, in any case, normalizes to the canonical name.
func TestConfigAliases(t *testing.T) {
	aliases := map[string][]string{
		keyAccountName:            {"azure_storage_account_name", "ACCOUNT_NAME", "Azure_Storage_Account_Name"},
		keyAccountKey:             {"azure_storage_account_key", "azure_storage_access_key", "azure_storage_master_key", "access_key", "master_key", "AZURE_STORAGE_ACCOUNT_KEY"},
		keyClientID:               {"azure_storage_client_id", "azure_client_id", "AZURE_CLIENT_ID"},
		keyClientSecret:           {"azure_storage_client_secret", "azure_client_secret"},
		keyTenantID:               {"azure_storage_tenant_id", "azure_storage_authority_id", "azure_tenant_id", "azure_authority_id", "authority_id"},
		keyAuthorityHost:          {"azure_storage_authority_host", "azure_authority_host"},
		keySASKey:                 {"azure_storage_sas_key", "azure_storage_sas_token", "sas_token", "SAS_KEY"},
		keyToken:                  {"azure_storage_token", "bearer_token"},
		keyUseEmulator:            {"azure_storage_use_emulator"},
		keyUseFabricEndpoint:      {"azure_use_fabric_endpoint"},
		keyEndpoint:               {"azure_storage_endpoint", "azure_endpoint"},
		keyMSIEndpoint:            {"azure_msi_endpoint", "azure_identity_endpoint", "identity_endpoint"},
		keyObjectID:               {"azure_object_id"},
		keyMSIResourceID:          {"azure_msi_resource_id"},
		keyFederatedTokenFile:     {"azure_federated_token_file"},
		keyUseAzureCLI:            {"azure_use_azure_cli"},
		keySkipSignature:          {"azure_skip_signature"},
		keyDisableTagging:         {"azure_disable_tagging"},
		keyCredentialType:         {"azure_credential_type"},
		keyEncryptionKey:          {"azure_encryption_key"},
		keyFabricSessionToken:     {"azure_fabric_session_token"},
		keyFabricWorkloadHost:     {"azure_fabric_workload_host"},
		keyFabricTokenServiceURL:  {"azure_fabric_token_service_url"},
		keyFabricClusterIdentifer: {"azure_fabric_cluster_identifier"},
	}
	for name, list := range aliases {
		for _, alias := range append(list, name) {
			value := "v"
			if strings.Contains(name, "use_") || name == keySkipSignature || name == keyDisableTagging {
				value = "true"
			}
			c, err := normalize(core.Config{Kind: "azure", Config: core.Options{alias: value}})
			if err != nil {
				t.Errorf("%s: %v", alias, err)
				continue
			}
			if c.Config[name] != value || len(c.Config) != 1 {
				t.Errorf("%s normalized to %v, want %s", alias, c.Config, name)
			}
		}
	}
	// container_name (and its aliases) become the document's bucket.
	for _, alias := range []string{"container_name", "azure_container_name", "AZURE_CONTAINER_NAME"} {
		c, err := normalize(core.Config{Kind: "azure", Config: core.Options{alias: "box"}})
		if err != nil || c.Bucket != "box" || c.Config != nil {
			t.Errorf("%s: %+v %v", alias, c, err)
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	for _, c := range []core.Config{
		{Kind: "azure", Config: core.Options{"no_such_key": "x"}},
		{Kind: "azure", Config: core.Options{"account_key": "a", "azure_storage_access_key": "b"}}, // one key twice
		{Kind: "azure", Config: core.Options{"use_emulator": "maybe"}},
		{Kind: "azure", URL: "https://x"},
		{Kind: "azure", Prefix: "a//b"},
		{Kind: "s3"},
	} {
		if _, err := normalize(c); err == nil {
			t.Errorf("normalize accepted %+v", c)
		}
	}
	_, err := normalize(core.Config{Kind: "azure", Config: core.Options{"no_such_key": "x"}})
	if !core.IsKind(err, core.UnknownConfigKey) {
		t.Errorf("unknown key: %v, want UnknownConfigKey", err)
	}
}

// The environment fills only what the document leaves out; every
// AZURE_* variable of object_store is read from the env map.
func TestResolveFromEnvironment(t *testing.T) {
	env := map[string]string{
		"AZURE_STORAGE_ACCOUNT_NAME": "envaccount",
		"AZURE_STORAGE_ACCOUNT_KEY":  "ZW52a2V5",
		"AZURE_CONTAINER_NAME":       "envcontainer",
		"AZURE_CLIENT_ID":            "cid",
		"AZURE_TENANT_ID":            "tid",
		"AZURE_STORAGE_SAS_TOKEN":    "sig=x",
		"AZURE_STORAGE_TOKEN":        "tok",
		"AZURE_ENDPOINT":             "https://proxy.example/envaccount",
	}
	s, err := resolve(core.Config{Kind: "azure"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.account != "envaccount" || s.container != "envcontainer" || s.endpoint != "https://proxy.example/envaccount" {
		t.Fatalf("from env: %+v", s)
	}
	for k, want := range map[string]string{keyAccountKey: "ZW52a2V5", keyClientID: "cid", keyTenantID: "tid", keySASKey: "sig=x", keyToken: "tok"} {
		if s.keys[k] != want {
			t.Errorf("%s = %q, want %q", k, s.keys[k], want)
		}
	}
	// Explicit beats the environment; an explicit credential drops the
	// environment's credentials altogether.
	c := core.Config{Kind: "azure", Bucket: "mine", Config: core.Options{keyAccountName: "me", keySASKey: "sig=mine"}}
	s, err = resolve(c, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.account != "me" || s.container != "mine" || s.keys[keySASKey] != "sig=mine" || s.keys[keyAccountKey] != "" || s.keys[keyToken] != "" {
		t.Fatalf("explicit over env: %+v", s)
	}
	if got, _ := chooseCredentialType(s); got != credTypeSASToken {
		t.Fatalf("credential type %s, want sas_token", got)
	}
}

// URL values beat the environment, explicit options beat the URL.
func TestPrecedenceExplicitOverURLOverEnv(t *testing.T) {
	fromURL, err := parse(t, "https://urlaccount.blob.core.windows.net/urlcontainer/p")
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AZURE_STORAGE_ACCOUNT_NAME": "envaccount", "AZURE_CONTAINER_NAME": "envcontainer", "AZURE_STORAGE_ACCOUNT_KEY": "ZW52a2V5"}
	s, err := resolve(fromURL, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.account != "urlaccount" || s.container != "urlcontainer" || s.endpoint != "https://urlaccount.blob.core.windows.net" {
		t.Fatalf("URL over env: %+v", s)
	}
	// The explicit side, as core/stores.FromURL merges it.
	explicit, err := normalize(core.Config{Kind: "azure", Config: core.Options{"AZURE_STORAGE_ACCOUNT_NAME": "explicit", "container_name": "box"}})
	if err != nil {
		t.Fatal(err)
	}
	merged := fromURL
	merged.Bucket = explicit.Bucket
	merged.Config = driver.Merge(fromURL.Config, explicit.Config)
	s, err = resolve(merged, env)
	if err != nil {
		t.Fatal(err)
	}
	if s.account != "explicit" || s.container != "box" {
		t.Fatalf("explicit over URL: %+v", s)
	}
}

func TestEmulatorDefaults(t *testing.T) {
	s, err := resolve(core.Config{Kind: "azure", Bucket: "c", Config: core.Options{keyUseEmulator: "true"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.account != emulatorAccount || s.endpoint != "http://127.0.0.1:10000/devstoreaccount1" || s.keys[keyAccountKey] != emulatorKey {
		t.Fatalf("emulator defaults: account %q endpoint %q", s.account, s.endpoint)
	}
	env := map[string]string{"AZURE_STORAGE_USE_EMULATOR": "1", "AZURITE_BLOB_STORAGE_URL": "http://127.0.0.1:9999/"}
	s, err = resolve(core.Config{Kind: "azure", Bucket: "c"}, env)
	if err != nil || !s.useEmulator || s.endpoint != "http://127.0.0.1:9999/devstoreaccount1" {
		t.Fatalf("emulator from env: %+v %v", s, err)
	}
	s, err = resolve(core.Config{Kind: "azure", Bucket: "c", Config: core.Options{keyUseEmulator: "true", keyEndpoint: "http://host:1/acct/"}}, env)
	if err != nil || s.endpoint != "http://host:1/acct" {
		t.Fatalf("emulator with an endpoint: %+v %v", s, err)
	}
}

func TestResolveErrors(t *testing.T) {
	for _, c := range []core.Config{
		{Kind: "azure", Config: core.Options{keyAccountName: "a"}},                                     // no container
		{Kind: "azure", Bucket: "c"},                                                                   // no account
		{Kind: "azure", Bucket: "c", Config: core.Options{keyAccountName: "a", keyEncryptionKey: "k"}}, // CPK
	} {
		if _, err := resolve(c, nil); err == nil {
			t.Errorf("resolve accepted %+v", c)
		}
	}
}

func TestCredentialChoice(t *testing.T) {
	cases := []struct {
		keys core.Options
		want string
	}{
		{core.Options{keyToken: "t", keyAccountKey: "k"}, credTypeBearerToken},
		{core.Options{keyAccountKey: "k", keySASKey: "sig=x"}, credTypeAccessKey},
		{core.Options{keyClientID: "c", keyTenantID: "t", keyFederatedTokenFile: "/f", keyClientSecret: "s"}, credTypeWorkloadIdentity},
		{core.Options{keyClientID: "c", keyTenantID: "t", keyClientSecret: "s", keySASKey: "sig=x"}, credTypeClientSecret},
		{core.Options{keySASKey: "sig=x", keyUseAzureCLI: "true"}, credTypeSASToken},
		{core.Options{keyUseAzureCLI: "true"}, credTypeAzureCLI},
		{core.Options{}, credTypeManagedIdentity},
		{core.Options{keyAccountKey: "k", keyCredentialType: "SAS_TOKEN"}, credTypeSASToken},
	}
	for _, tc := range cases {
		got, err := chooseCredentialType(settings{keys: tc.keys})
		if err != nil || got != tc.want {
			t.Errorf("%v: %s %v, want %s", tc.keys, got, err, tc.want)
		}
	}
	if _, err := chooseCredentialType(settings{keys: core.Options{keyCredentialType: "magic"}}); !core.IsKind(err, core.InvalidArgument) {
		t.Errorf("unknown credential_type: %v", err)
	}
}

func TestNormalizeSAS(t *testing.T) {
	for in, want := range map[string]string{
		"?sv=2022-11-02&sig=a%2Bb%3D":          "sv=2022-11-02&sig=a%2Bb%3D",
		"sv=2022-11-02&sig=a+b=":               "sv=2022-11-02&sig=a%2Bb%3D", // decoded values are encoded
		" sp=r&se=2030-01-01T00:00:00Z&sig=x ": "sp=r&se=2030-01-01T00%3A00%3A00Z&sig=x",
	} {
		got, err := normalizeSAS(in)
		if err != nil || got != want {
			t.Errorf("normalizeSAS(%q) = %q %v, want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "?", "novalue", "sig=%zz"} {
		if _, err := normalizeSAS(bad); err == nil {
			t.Errorf("normalizeSAS(%q) accepted", bad)
		}
	}
}

// Opening reads nothing but the document and the env map given to it.
func TestOpenNeedsNoNetworkAndChecksHTTP(t *testing.T) {
	c := core.Config{Kind: "azure", Bucket: "c", Config: core.Options{keyAccountName: "a", keyAccountKey: "a2V5", keyEndpoint: "http://127.0.0.1:1/a"}}
	if _, err := Backend.Open(context.Background(), c, nil); !core.IsKind(err, core.InvalidArgument) {
		t.Fatalf("plain http without allow_http: %v", err)
	}
	c.ClientOptions = core.Options{"allow_http": "true"}
	if _, err := Backend.Open(context.Background(), c, nil); err != nil {
		t.Fatalf("plain http with allow_http: %v", err)
	}
	c.Config[keyAccountKey] = "not base64!"
	_, err := Backend.Open(context.Background(), c, nil)
	if !core.IsKind(err, core.InvalidArgument) || strings.Contains(err.Error(), "not base64!") {
		t.Fatalf("bad account key: %v", err)
	}
}
