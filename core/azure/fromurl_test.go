package azure_test

import (
	"context"
	"testing"

	"github.com/libobjstore/objstore/core"
	"github.com/libobjstore/objstore/core/azure"
	"github.com/libobjstore/objstore/core/stores"
)

// Through core/stores: Azure URLs reach this backend (not HTTPStore), and
// explicit options beat what the URL says.
func TestFromURLThroughStores(t *testing.T) {
	c, err := stores.FromURL("https://acct.blob.core.windows.net/box/data/2024", core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Kind != "azure" || c.Bucket != "box" || c.Prefix != "data/2024" || c.Config["account_name"] != "acct" {
		t.Fatalf("from_url: %+v", c)
	}
	c, err = stores.FromURL("abfss://fs@acct.dfs.core.windows.net/p", core.Config{Config: core.Options{
		"AZURE_CONTAINER_NAME": "other", "azure_storage_account_name": "acct2", "skip_signature": "true",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Bucket != "other" || c.Config["account_name"] != "acct2" || c.Config["skip_signature"] != "true" || c.Prefix != "p" {
		t.Fatalf("from_url with overrides: %+v", c)
	}
	if _, err := stores.FromURL("az://box", core.Config{Config: core.Options{"bogus": "1"}}); !core.IsKind(err, core.UnknownConfigKey) {
		t.Fatalf("unknown override key: %v", err)
	}
}

// A from_url document opens against Azurite with the emulator settings
// taken from the environment map alone, and the document stays free of
// them (they are not pickled).
func TestOpenWithEnvironmentOnly(t *testing.T) {
	ep := azure.AzuriteEndpointForTest(t)
	ctx := context.Background()
	c, err := stores.FromURL("az://envbox/sub", core.Config{})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AZURE_STORAGE_USE_EMULATOR": "true", "AZURE_STORAGE_ENDPOINT": ep}
	h, err := stores.Open(ctx, c, env)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if len(h.Config.Config) != 0 {
		t.Fatalf("environment values leaked into the document: %+v", h.Config)
	}
	// The container does not exist yet: NotFound, not a transport error.
	if _, err := h.Store.Head(ctx, "x"); !core.IsKind(err, core.NotFound) {
		t.Fatalf("head in a missing container: %v", err)
	}
}
