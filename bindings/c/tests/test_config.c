/* Versions, code names and configuration documents. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tests.h"

static void test_versions(void) {
    EXPECT(objstore_abi_version(), OBJSTORE_ABI_VERSION);
    CHECK(objstore_version() != NULL && objstore_version()[0] != 0);
    CHECK(strcmp(objstore_code_name(OBJSTORE_OK), "OBJSTORE_OK") == 0);
    CHECK(strcmp(objstore_code_name(OBJSTORE_E_NOT_FOUND), "OBJSTORE_E_NOT_FOUND") == 0);
    CHECK(strcmp(objstore_code_name(OBJSTORE_E_CANCELLED), "OBJSTORE_E_CANCELLED") == 0);
    CHECK(strcmp(objstore_code_name(OBJSTORE_E_INTEGRITY), "OBJSTORE_E_INTEGRITY") == 0);
    CHECK(strcmp(objstore_code_name(OBJSTORE_E_INTERNAL), "OBJSTORE_E_INTERNAL") == 0);
    CHECK(objstore_code_name(-5) != NULL && objstore_code_name(12345) != NULL);
    objstore_string_free(NULL);
}

static void test_config_documents(void) {
    char *json = NULL;
    OK(objstore_config_normalize("{\"kind\":\"memory\"}", &json, &err));
    CHECK(json && strcmp(json, "{\"kind\":\"memory\"}") == 0);
    objstore_string_free(json);

    /* local: key names are normalized, the root made absolute */
    OK(objstore_config_normalize("{\"kind\":\"local\",\"prefix\":\"/tmp/x\",\"config\":{\"MKDIR\":true}}", &json, &err));
    CHECK(json && strcmp(json, "{\"kind\":\"local\",\"prefix\":\"/tmp/x\",\"config\":{\"mkdir\":\"true\"}}") == 0);
    objstore_string_free(json);

    OK(objstore_config_from_url("memory://", NULL, &json, &err));
    CHECK(json && strcmp(json, "{\"kind\":\"memory\"}") == 0);
    objstore_string_free(json);
    OK(objstore_config_from_url("file:///tmp/some/dir", NULL, &json, &err));
    CHECK(json && strcmp(json, "{\"kind\":\"local\",\"prefix\":\"/tmp/some/dir\"}") == 0);
    objstore_string_free(json);
    /* overrides win over the URL; "kind" may be left out */
    OK(objstore_config_from_url("file:///tmp/some/dir", "{\"config\":{\"mkdir\":\"true\"}}", &json, &err));
    CHECK(json && strcmp(json, "{\"kind\":\"local\",\"prefix\":\"/tmp/some/dir\",\"config\":{\"mkdir\":\"true\"}}") == 0);
    objstore_string_free(json);

    FAILS(objstore_config_from_url("file:///tmp/x", "{\"kind\":\"memory\"}", &json, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_config_from_url("file:///tmp/x", "{\"config\":{\"nope\":1}}", &json, &err), OBJSTORE_E_UNKNOWN_CONFIG_KEY);
    FAILS(objstore_config_from_url("file:///tmp/x", "[1,2", &json, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_config_from_url("nothing-here", NULL, &json, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_config_from_url("weird://x/y", NULL, &json, &err), OBJSTORE_E_INVALID_ARGUMENT);
}

static void test_bad_config(void) {
    objstore_store *s = (objstore_store *)0;
    FAILS(objstore_store_new("", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":\"memory\"} trailing", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{}", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":\"nonsense\"}", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":\"memory\",\"kind\":\"memory\"}", NULL, &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    /* unknown keys, top level and in config */
    FAILS(objstore_store_new("{\"kind\":\"memory\",\"colour\":\"red\"}", NULL, &s, &err), OBJSTORE_E_UNKNOWN_CONFIG_KEY);
    FAILS(objstore_store_new("{\"kind\":\"memory\",\"config\":{\"colour\":\"red\"}}", NULL, &s, &err), OBJSTORE_E_UNKNOWN_CONFIG_KEY);
    FAILS(objstore_config_normalize("{\"kind\":\"local\",\"prefix\":\"/tmp\",\"config\":{\"colour\":1}}", &(char *){0}, &err), OBJSTORE_E_UNKNOWN_CONFIG_KEY);
    /* the same key twice through different spellings */
    FAILS(objstore_config_normalize("{\"kind\":\"local\",\"prefix\":\"/tmp\",\"config\":{\"mkdir\":1,\"MKDIR\":1}}", &(char *){0}, &err), OBJSTORE_E_INVALID_ARGUMENT);
    /* env_json must be an object of strings */
    FAILS(objstore_store_new("{\"kind\":\"memory\"}", "[]", &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_new("{\"kind\":\"memory\"}", "{\"A\":1}", &s, &err), OBJSTORE_E_INVALID_ARGUMENT);
    CHECK(s == NULL); /* out untouched on failure */
}

static void test_store_config_json(void) {
    objstore_store *s = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", "{\"HOME\":\"/nowhere\"}", &s, &err));
    char *json = NULL;
    OK(objstore_store_config_json(s, &json, &err));
    CHECK(json && strcmp(json, "{\"kind\":\"memory\"}") == 0);
    objstore_string_free(json);
    EXPECT(objstore_store_free(s), OBJSTORE_OK);
    /* each memory store is its own namespace */
    objstore_store *a = NULL, *b = NULL;
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &a, &err));
    OK(objstore_store_new("{\"kind\":\"memory\"}", NULL, &b, &err));
    OK(objstore_put(a, "k", (const uint8_t *)"v", 1, NULL, NULL, NULL, &err));
    objstore_meta_list *ml;
    const objstore_object_meta *m;
    FAILS(objstore_head(b, "k", &ml, &m, &err), OBJSTORE_E_NOT_FOUND);
    objstore_store_free(a);
    objstore_store_free(b);
}

/* objstore_tracing_flush: nothing traced, nothing to wait for; a timeout
 * must be positive. (Spans themselves: core/tracing's and the Python
 * end-to-end tests, with an OTLP receiver.) */
static void test_tracing_flush(void) {
    OK(objstore_tracing_flush(1000, &err));
    FAILS(objstore_tracing_flush(0, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_tracing_flush(-5, &err), OBJSTORE_E_INVALID_ARGUMENT);
}

/* The variables each kind reads: a JSON array a binding forwards from its
 * environment; objstore_store_new ignores every other variable. */
static void test_store_env_names(void) {
    char *json = NULL;
    OK(objstore_store_env_names("gcs", &json, &err));
    CHECK(json && json[0] == '[' && strstr(json, "\"HOME\"") && strstr(json, "\"CLOUDSDK_CONFIG\"") &&
          strstr(json, "\"GCE_METADATA_HOST\"") && strstr(json, "\"GOOGLE_APPLICATION_CREDENTIALS\""));
    objstore_string_free(json);
    OK(objstore_store_env_names("s3", &json, &err));
    CHECK(json && strstr(json, "\"AWS_ACCESS_KEY_ID\"") && strstr(json, "\"AWS_ALLOW_HTTP\"") && !strstr(json, "\"HOME\""));
    objstore_string_free(json);
    /* memory reads no variable of its own: only the OTEL_ ones of tracing,
     * which every kind reads */
    OK(objstore_store_env_names("memory", &json, &err));
    CHECK(json && strstr(json, "\"OTEL_TRACES_EXPORTER\"") && strstr(json, "\"OTEL_EXPORTER_OTLP_ENDPOINT\"") &&
          !strstr(json, "\"AWS_") && !strstr(json, "\"HOME\""));
    objstore_string_free(json);
    json = NULL;
    FAILS(objstore_store_env_names("nosuch", &json, &err), OBJSTORE_E_INVALID_ARGUMENT);
    FAILS(objstore_store_env_names(NULL, &json, &err), OBJSTORE_E_INVALID_ARGUMENT);
    CHECK(json == NULL);
    FAILS(objstore_store_env_names("gcs", NULL, &err), OBJSTORE_E_BAD_HANDLE);

    /* an undeclared variable does not split the sharing of one client */
    objstore_stats st = OBJSTORE_STATS_INIT;
    EXPECT(objstore_debug_stats(&st), OBJSTORE_OK);
    uint64_t before = st.shared_stores;
    objstore_store *a = NULL, *b = NULL;
    OK(objstore_store_new("{\"kind\":\"local\",\"prefix\":\"/tmp\"}", "{\"UNRELATED\":\"1\"}", &a, &err));
    OK(objstore_store_new("{\"kind\":\"local\",\"prefix\":\"/tmp\"}", "{\"UNRELATED\":\"2\"}", &b, &err));
    EXPECT(objstore_debug_stats(&st), OBJSTORE_OK);
    CHECK(st.shared_stores == before + 1);
    objstore_store_free(a);
    objstore_store_free(b);
    EXPECT(objstore_debug_stats(&st), OBJSTORE_OK);
    CHECK(st.shared_stores == before);
}

void run_config_tests(void) {
    RUN(test_versions);
    RUN(test_config_documents);
    RUN(test_bad_config);
    RUN(test_store_config_json);
    RUN(test_store_env_names);
    RUN(test_tracing_flush);
}
