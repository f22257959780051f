/*
 * objstore.h — the C interface of libobjstore.
 *
 * One library for S3, Google Cloud Storage, Azure Blob, HTTP/WebDAV, the
 * local filesystem and memory. This header is written by hand and is the
 * stable ABI contract (soname libobjstore.so.1); check objstore_abi_version()
 * against OBJSTORE_ABI_VERSION at load time.
 *
 * Conventions
 * -----------
 * - Every function returns an int status: OBJSTORE_OK (0) or an
 *   objstore_code. Results come back through out-parameters, which are
 *   written only on success unless said otherwise. Out-parameters not
 *   marked optional are required: NULL is OBJSTORE_E_BAD_HANDLE.
 * - The last parameter, `objstore_error **err`, is optional. Pass NULL to
 *   ignore details; pass the address of a NULL pointer to receive, on
 *   failure, an error (code + message) that you free with
 *   objstore_error_free(). On success *err is left untouched.
 * - Objects are opaque handles. Every constructor has a matching _free.
 *   Whoever receives a handle owns it and frees it exactly once. Every
 *   _free of NULL is a harmless no-op returning OBJSTORE_OK (as
 *   sqlite3_close(NULL)), so cleanup code may free whatever it holds.
 *   Passing any other unknown, already freed or wrong-kind handle returns
 *   OBJSTORE_E_BAD_HANDLE: it never crashes. (Freed handle addresses are
 *   held back from reuse for a long while, so a stale handle is reported
 *   rather than aliased to a newer object.)
 * - A handle made from a store (reader, list, upload, writer) keeps the
 *   store open until it is freed, even if the store handle is freed first.
 *   The last free of a store closes it: its connections, descriptors and
 *   clients are released. Stores with equal documents share one client
 *   (see objstore_store_new), which closes with the last of their handles.
 * - Strings in are NUL-terminated UTF-8 and are only read during the call.
 *   Strings out are owned by the handle they came from (valid until it is
 *   freed) unless the function says the caller frees them with
 *   objstore_string_free().
 * - Paths follow object_store's rules: "/"-separated segments; no empty,
 *   "." or ".." segment; no ASCII control character. One leading and one
 *   trailing "/" are ignored. A bad path (also NULL, or not UTF-8) is
 *   OBJSTORE_E_INVALID_PATH and no request is sent.
 * - All functions are thread-safe. Sync calls block the calling thread only.
 *   Calls on one reader, list or writer run one at a time (they have a
 *   cursor); calls on a store, buffer or upload run concurrently. A _free
 *   waits for the calls in flight on that handle.
 * - After fork(), every function in the child returns OBJSTORE_E_FORKED
 *   without touching the (now broken) Go runtime (and without setting
 *   *err). Create stores in the
 *   child by spawning a fresh process instead (Python: "spawn" or
 *   "forkserver").
 * - The library never writes to stdout or stderr and ignores SIGPIPE.
 *
 * ABI evolution
 * -------------
 * - objstore_abi_version() changes only when the ABI breaks (a function
 *   removed or changed, a struct's existing fields changed): a binding built
 *   against another OBJSTORE_ABI_VERSION must refuse to load the library.
 *   New functions, codes, ops and flags are added without changing it.
 * - Option and stats structs the caller fills begin with a version field.
 *   Initialize them with their OBJSTORE_*_INIT macro (or zero-fill them and
 *   set version to the OBJSTORE_*_VERSION macro). Fields are only ever
 *   appended, each addition raising the struct's version; the library
 *   accepts every version from 1 to the one it was built with, reading only
 *   the fields that version has, so a caller built against an older header
 *   keeps working. A version of 0 or newer than the library is
 *   OBJSTORE_E_INVALID_ARGUMENT.
 * - Structs the library fills for the caller (objstore_completion) carry
 *   reserved fields for later growth, which are zero.
 */
#ifndef OBJSTORE_H
#define OBJSTORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OBJSTORE_ABI_VERSION 1

/* The library version this header belongs to; objstore_version() returns
 * the loaded library's. (The repository's VERSION file is the one source:
 * a test checks that this macro, the library and the Python package agree.) */
#define OBJSTORE_VERSION "0.1.0"

/* ---- Status codes ----------------------------------------------------- */

typedef enum objstore_code {
    OBJSTORE_OK = 0,
    OBJSTORE_E_GENERIC = 1,            /* any other failure, see the message */
    OBJSTORE_E_NOT_FOUND = 2,          /* object (or bucket) does not exist */
    OBJSTORE_E_ALREADY_EXISTS = 3,     /* create-only put / copy onto an existing object */
    OBJSTORE_E_PRECONDITION = 4,       /* if_match / if_unmodified_since / update mode failed */
    OBJSTORE_E_NOT_MODIFIED = 5,       /* if_none_match / if_modified_since matched */
    OBJSTORE_E_NOT_IMPLEMENTED = 6,    /* the library does not implement this for this store */
    OBJSTORE_E_NOT_SUPPORTED = 7,      /* the service cannot do this */
    OBJSTORE_E_PERMISSION_DENIED = 8,  /* authenticated, but not allowed */
    OBJSTORE_E_UNAUTHENTICATED = 9,    /* missing or wrong credentials */
    OBJSTORE_E_INVALID_PATH = 10,      /* the path breaks the path rules */
    OBJSTORE_E_INVALID_ARGUMENT = 11,  /* a bad value: range, option, config value, URL */
    OBJSTORE_E_UNKNOWN_CONFIG_KEY = 12,/* a config key the store does not know */
    OBJSTORE_E_TIMEOUT = 13,           /* a deadline passed */
    OBJSTORE_E_CANCELLED = 14,         /* the request was cancelled */
    OBJSTORE_E_INTEGRITY = 15,         /* bytes do not match their checksum (corrupted in transit or at rest) */
    OBJSTORE_E_BAD_HANDLE = 100,       /* NULL, unknown, freed or wrong-kind handle; NULL out-pointer */
    OBJSTORE_E_FORKED = 101,           /* called in a child after fork() */
    OBJSTORE_E_INTERNAL = 102          /* a bug in the library (recovered); please report */
} objstore_code;

/* ---- Errors, strings, version ----------------------------------------- */

/* Error details. Read the fields; free with objstore_error_free(). */
typedef struct objstore_error {
    int code;            /* an objstore_code */
    const char *message; /* UTF-8, never NULL, never contains secrets */
} objstore_error;

/* Frees an error. NULL is a no-op returning OBJSTORE_OK; freeing twice or
 * freeing something else returns OBJSTORE_E_BAD_HANDLE. */
int objstore_error_free(objstore_error *err);

/* Frees a string the library returned as "caller frees" (no other
 * pointer). NULL is a no-op. It needs no Go runtime, so it also works in a
 * forked child. */
void objstore_string_free(char *s);

/* The ABI version of the loaded library (compare with OBJSTORE_ABI_VERSION). */
int objstore_abi_version(void);

/* The version of the loaded library (OBJSTORE_VERSION when it was built),
 * e.g. "0.1.0". Static storage: do not free. */
const char *objstore_version(void);

/* Name of a status code, e.g. "OBJSTORE_E_NOT_FOUND"; "OBJSTORE_E_UNKNOWN"
 * for a number that is no code. Static storage. */
const char *objstore_code_name(int code);

/* ---- Stores and configuration ------------------------------------------ */

typedef struct objstore_store objstore_store;

/*
 * A store is described by one JSON document:
 *   {"kind":"s3","bucket":"b","prefix":"p","config":{...},
 *    "client_options":{...},"retry_config":{...}}
 * kind is one of memory, local, s3, gcs, azure, http (or a wrapping kind,
 * below). For local, "prefix"
 * is the root directory (config: "mkdir", "automatic_cleanup"). Key names
 * and aliases are those of obstore/object_store. Unknown keys are
 * OBJSTORE_E_UNKNOWN_CONFIG_KEY; a key given twice (also via an alias) is
 * OBJSTORE_E_INVALID_ARGUMENT.
 *
 * The kinds cache, limit and prefix wrap another store's document, "inner":
 *   {"kind":"cache","config":{"memory_bytes":"256MiB","disk_dir":"/var/cache/x",
 *    "disk_bytes":"10GiB","ttl":"1m","block_bytes":"4MiB"},"inner":{...}}
 *   {"kind":"limit","config":{"max_in_flight":8,"requests_per_second":50,
 *    "bytes_per_second":"20MiB"},"inner":{...}}
 *   {"kind":"prefix","config":{"prefix":"a/b"},"inner":{...}}
 * They nest (up to 16 deep) and open, compare and rebuild like any document
 * (docs/composing.md). Sizes are a number of bytes or e.g. "64MiB", "1GB";
 * durations a Go duration ("90s") or a number of seconds.
 */

/* Opens a store. env_json is an optional JSON object of environment
 * variables to read credentials and defaults from (NULL: the process
 * environment as Go saw it at load time); only the variables
 * objstore_store_env_names() lists for the kind are read, others are
 * ignored. Values from env_json never enter the store's config document.
 * Stores with equal documents and equal values of those variables share one
 * client and connection pool. Free with objstore_store_free(). */
int objstore_store_new(const char *config_json, const char *env_json,
                       objstore_store **out, objstore_error **err);

/* Opens a wrapping store (kind cache, limit or prefix) over an open store.
 * config_json is the wrapper's document; its "inner" must be inner's
 * document, or be left out. It is for an inner store no document reaches
 * again — a memory store: objstore_store_new with the nested document would
 * build the wrapper over a new, empty memory store — and costs nothing more
 * for any other (equal documents share one wrapper as objstore_store_new's
 * do). The new store holds its own share of inner, which may be freed
 * first. Errors: OBJSTORE_E_INVALID_ARGUMENT when the document is no
 * wrapping kind or names another inner store, OBJSTORE_E_BAD_HANDLE for an
 * invalid inner. Free with objstore_store_free(). */
int objstore_store_wrap(const char *config_json, objstore_store *inner,
                        objstore_store **out, objstore_error **err);

/* Frees a store handle. Requests and calls in flight on it finish first.
 * The last handle on a store (its own and those of equal documents, and
 * the readers, lists, uploads and writers made from them) closes it. NULL
 * is a no-op returning OBJSTORE_OK; a freed or unknown handle is
 * OBJSTORE_E_BAD_HANDLE. */
int objstore_store_free(objstore_store *store);

/* The store's canonical config document (normalized keys, no environment
 * values). *json_out: caller frees with objstore_string_free(). */
int objstore_store_config_json(objstore_store *store, char **json_out,
                               objstore_error **err);

/* Validates a config document and returns its canonical form, without
 * opening anything. *json_out: caller frees with objstore_string_free(). */
int objstore_config_normalize(const char *config_json, char **json_out,
                              objstore_error **err);

/* Parses a URL (memory://, file:///..., s3://bucket/prefix, gs://, az://,
 * https://...) into a canonical config document. overrides_json, optional,
 * is a document whose fields win over what the URL says (explicit > URL).
 * *json_out: caller frees with objstore_string_free(). */
int objstore_config_from_url(const char *url, const char *overrides_json,
                             char **json_out, objstore_error **err);

/* The environment variables a store of this kind reads when it is opened,
 * as a JSON array of names, sorted, e.g. ["CLOUDSDK_CONFIG","GCE_METADATA_HOST",
 * "GOOGLE_APPLICATION_CREDENTIALS",...,"HOME"] for "gcs" and [] for "memory".
 * objstore_store_new reads only these from env_json (or the process
 * environment): a binding forwards exactly these from its own environment.
 * kind is a document's "kind". *json_out: caller frees with
 * objstore_string_free(). Errors: OBJSTORE_E_INVALID_ARGUMENT for a NULL or
 * unknown kind, OBJSTORE_E_BAD_HANDLE for a NULL json_out. */
int objstore_store_env_names(const char *kind, char **json_out, objstore_error **err);

/* ---- Tracing ------------------------------------------------------------ */

/*
 * A store's operations become OpenTelemetry spans (objstore.get,
 * objstore.put, ...) when its document says
 * "client_options":{"tracing":true} (every kind takes it, and
 * "trace_paths":true to record paths, not only their length), or when its
 * environment says OTEL_TRACES_EXPORTER=otlp and the document does not say
 * "tracing":false; OTEL_SDK_DISABLED=true turns tracing off. Off, nothing
 * runs and nothing is spent. Spans are sent in batches with OTLP over HTTP
 * as the store's environment says (OTEL_EXPORTER_OTLP_ENDPOINT,
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION,
 * _CERTIFICATE, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_TRACES_SAMPLER, OTEL_BSP_*): the OTEL_ variables are among those
 * objstore_store_env_names() lists for every kind, read from env_json like
 * the others. A bad value of one of them fails the open of a traced store
 * with OBJSTORE_E_INVALID_ARGUMENT. When the last traced store is freed,
 * the spans still waiting are sent (within the OTLP timeout, default 10 s)
 * and the exporter stops.
 */

/* Sends now the spans of finished operations that wait to be exported, and
 * waits until the collector took them, at most timeout_ms milliseconds
 * (> 0): for a process that keeps its stores open and wants its spans out
 * (before it is killed, say). Returns OBJSTORE_OK at once when no store is
 * traced. Errors: OBJSTORE_E_TIMEOUT when the export did not end in time,
 * OBJSTORE_E_GENERIC when the collector could not be reached or refused the
 * spans, OBJSTORE_E_INVALID_ARGUMENT for timeout_ms <= 0. */
int objstore_tracing_flush(int64_t timeout_ms, objstore_error **err);

/* ---- Metrics ------------------------------------------------------------ */

/* The metrics of a store, or with store NULL of the whole process, as a
 * JSON object. Every store counts its operations (a wrapping store its
 * own, the store it wraps its own): "requests" by operation ("get",
 * "get_range", "head", "put", "list", "delete", "copy", ...) and outcome
 * ("ok" or an error kind in snake case, "not_found"), "in_flight",
 * "bytes_in" (read, counted as bodies stream), "bytes_out", "attempts"
 * (HTTP requests sent), "retries", "throttled" (429 and 503 answers),
 * "resumes" (broken bodies read on), "checksum_failures", and latency
 * histograms per operation, "ttfb_seconds" and "duration_seconds" (a
 * read's duration ends with its body), each {"bounds": [upper bounds in
 * seconds], "counts": [one per bound, then the slower ones], "count",
 * "sum"}. A store's object also has "kind", "bucket" and "enabled"; the
 * process's is {"enabled": ..., "kinds": {kind: counters}, "events_dropped":
 * n (see objstore_set_event_target)}, the totals of
 * every store of each kind opened in the process, closed ones included.
 * "enabled" is false when the process started with OBJSTORE_METRICS=off
 * (nothing is counted). *json_out: caller frees with objstore_string_free().
 * Errors: OBJSTORE_E_BAD_HANDLE for a freed store or a NULL json_out. */
int objstore_metrics_json(objstore_store *store, char **json_out, objstore_error **err);

/* The same metrics in the Prometheus text exposition format (0.0.4): a
 * store's series carry the labels kind and bucket, the process's the label
 * kind. *text_out: caller frees with objstore_string_free(). Errors as
 * objstore_metrics_json. */
int objstore_metrics_prometheus(objstore_store *store, char **text_out, objstore_error **err);

/* ---- Buffers (zero-copy reads) ----------------------------------------- */

/* Bytes read from a store. The data pointer stays valid, and the bytes
 * unchanged, until objstore_buffer_free(). The library never writes to a
 * buffer after handing it out. */
typedef struct objstore_buffer objstore_buffer;

/* The bytes of a buffer: *data (never NULL, also when *len is 0) and *len. */
int objstore_buffer_data(objstore_buffer *buf, const uint8_t **data, size_t *len);
/* Frees the bytes; pointers into them become invalid. NULL is a no-op
 * returning OBJSTORE_OK. */
int objstore_buffer_free(objstore_buffer *buf);
/* Frees the n buffers bufs[0..n-1] in one call (a binding dropping many
 * small bodies pays one crossing per batch); NULL entries are skipped. Every
 * entry is freed even when one is refused; returns OBJSTORE_OK or the first
 * refusal's code (OBJSTORE_E_BAD_HANDLE for a freed or foreign handle).
 * NULL is a no-op returning OBJSTORE_OK (as is n == 0). The array itself
 * stays the caller's. */
int objstore_buffers_free(objstore_buffer *const *bufs, size_t n);

/* ---- Metadata ----------------------------------------------------------- */

#define OBJSTORE_TIME_UNSET INT64_MIN

typedef struct objstore_object_meta {
    const char *location;     /* path relative to the store's prefix */
    const char *e_tag;        /* NULL when the store has none */
    const char *version;      /* NULL when unversioned */
    uint64_t size;
    int64_t last_modified_ns; /* Unix time in nanoseconds */
} objstore_object_meta;

typedef struct objstore_kv {
    const char *key;
    const char *value;
} objstore_kv;

/* A block of metadata returned by head, list and list_with_delimiter. The
 * arrays and strings it points to live until objstore_meta_list_free(). */
typedef struct objstore_meta_list objstore_meta_list;

/* Frees a metadata list and every array and string it owns (items,
 * common prefixes, pending uploads, infos pointing into it). NULL is a
 * no-op returning OBJSTORE_OK; a freed or unknown list is
 * OBJSTORE_E_BAD_HANDLE. */
int objstore_meta_list_free(objstore_meta_list *list);

/* ---- Get ---------------------------------------------------------------- */

enum objstore_range_kind {
    OBJSTORE_RANGE_NONE = 0,    /* whole object */
    OBJSTORE_RANGE_BOUNDED = 1, /* [start, end); end past EOF is clamped */
    OBJSTORE_RANGE_OFFSET = 2,  /* [start, EOF) */
    OBJSTORE_RANGE_SUFFIX = 3   /* the last `length` bytes */
};

typedef struct objstore_range {
    int kind; /* enum objstore_range_kind */
    uint64_t start;
    uint64_t end;
    uint64_t length;
} objstore_range;

#define OBJSTORE_GET_OPTIONS_VERSION 1

/* Flags of objstore_get_options.flags. */
#define OBJSTORE_GET_HEAD                (1u << 0) /* metadata only */
#define OBJSTORE_GET_IF_MODIFIED_SINCE   (1u << 1) /* if_modified_since_ns is set */
#define OBJSTORE_GET_IF_UNMODIFIED_SINCE (1u << 2) /* if_unmodified_since_ns is set */

/* Options of a get. Initialize with OBJSTORE_GET_OPTIONS_INIT (see "ABI
 * evolution"); NULL options mean "whole object". An unknown version, flag
 * or range kind, or an empty bounded range is OBJSTORE_E_INVALID_ARGUMENT
 * (as for the other option structs). */
typedef struct objstore_get_options {
    unsigned int version;
    unsigned int flags;
    const char *if_match;      /* NULL: unset */
    const char *if_none_match; /* NULL: unset */
    int64_t if_modified_since_ns;
    int64_t if_unmodified_since_ns;
    objstore_range range;
    const char *object_version; /* NULL: current */
} objstore_get_options;

/* objstore_get_options opts = OBJSTORE_GET_OPTIONS_INIT; */
#define OBJSTORE_GET_OPTIONS_INIT {.version = OBJSTORE_GET_OPTIONS_VERSION}

/* What a get learned from the response headers. */
typedef struct objstore_get_info {
    objstore_object_meta meta;
    uint64_t range_start; /* the bytes the body holds: [range_start, range_end) */
    uint64_t range_end;
    const objstore_kv *attributes; /* Content-Type etc. and user metadata */
    size_t attributes_len;
} objstore_get_info;

/* An open object body. */
typedef struct objstore_reader objstore_reader;

/* Starts a get. On success *out is an open reader and *info (optional, may
 * be NULL) points at the response's metadata, owned by the reader. Errors
 * that the response headers reveal (NotFound, Precondition, NotModified,
 * bad range) are returned here. */
int objstore_get(objstore_store *store, const char *path,
                 const objstore_get_options *opts, objstore_reader **out,
                 const objstore_get_info **info, objstore_error **err);

/* Reads the rest of the body into one buffer, written directly by the
 * network or disk read. A short body is an error, never a short buffer. */
int objstore_reader_read_all(objstore_reader *reader, objstore_buffer **out,
                             const uint8_t **data, size_t *len,
                             objstore_error **err);

/* Reads the next chunk of at least min_size bytes (less only at the end;
 * min_size 0 means 1 MiB). At the end of the body, *len is 0 and *out and
 * *data are NULL. After read_chunk, read_all returns the rest. */
int objstore_reader_read_chunk(objstore_reader *reader, size_t min_size,
                               objstore_buffer **out, const uint8_t **data,
                               size_t *len, objstore_error **err);

/* Reads the next bytes of the body straight into the caller's memory dst:
 * cap bytes, fewer only at the end of the body; *n is how many (0 at the
 * end, or with cap 0). With cap the body's size, the whole body is read
 * with no copy but the kernel's. After an error, what dst holds is
 * unspecified. Mixes with read_chunk and read_all, which go on from there. */
int objstore_reader_read_into(objstore_reader *reader, uint8_t *dst, size_t cap,
                              size_t *n, objstore_error **err);

/* Closes the body and frees the reader and its info. Buffers already read
 * stay valid. NULL is a no-op returning OBJSTORE_OK. */
int objstore_reader_free(objstore_reader *reader);

/* get + read_all in one call (the fast path for small objects and ranges).
 * info, optional, receives metadata valid until *out is freed. */
int objstore_get_bytes(objstore_store *store, const char *path,
                       const objstore_get_options *opts, objstore_buffer **out,
                       const uint8_t **data, size_t *len,
                       const objstore_get_info **info, objstore_error **err);

/* get, reading a body of at most limit bytes at once (the fast path of a
 * synchronous get of a small object: one call, one handle). Such a body
 * comes as *out, *data and *len, with *reader NULL and info valid until
 * *out is freed; a larger one as an open *reader (info valid until it is
 * freed), with *out and *data NULL and *len 0. */
int objstore_get_small(objstore_store *store, const char *path,
                       const objstore_get_options *opts, size_t limit,
                       objstore_reader **reader, objstore_buffer **out,
                       const uint8_t **data, size_t *len,
                       const objstore_get_info **info, objstore_error **err);

/* Reads n bounded ranges [starts[i], ends[i]) of one object. Nearby ranges
 * are fetched together (gaps up to 1 MiB) with up to 10 fetches in flight.
 * On success *out owns all the bytes; data[i] and lens[i] (caller-provided
 * arrays of n) point into it. With n == 0 the arrays may be NULL and *out
 * is an empty buffer. */
int objstore_get_ranges(objstore_store *store, const char *path,
                        const uint64_t *starts, const uint64_t *ends, size_t n,
                        objstore_buffer **out, const uint8_t **data,
                        size_t *lens, objstore_error **err);

/* objstore_get_ranges with the coalescing gap chosen: ranges at most
 * coalesce bytes apart are fetched in one read (0: only overlapping or
 * adjacent ones). */
int objstore_get_ranges_coalesce(objstore_store *store, const char *path,
                                 const uint64_t *starts, const uint64_t *ends,
                                 size_t n, uint64_t coalesce,
                                 objstore_buffer **out, const uint8_t **data,
                                 size_t *lens, objstore_error **err);

/* Metadata of one object. *items points at one entry owned by *out. */
int objstore_head(objstore_store *store, const char *path,
                  objstore_meta_list **out, const objstore_object_meta **items,
                  objstore_error **err);

/* objstore_head into the caller's memory (no handle to free): *needed is
 * the room the strings take. When it is at most cap, *meta is filled and
 * its strings point into strings[0..cap); otherwise *meta is untouched
 * (ask again with room enough, or use objstore_head). */
int objstore_head_into(objstore_store *store, const char *path, objstore_object_meta *meta,
                       char *strings, size_t cap, size_t *needed, objstore_error **err);

/* ---- Put ---------------------------------------------------------------- */

enum objstore_put_mode {
    OBJSTORE_PUT_OVERWRITE = 0, /* replace whatever is there */
    OBJSTORE_PUT_CREATE = 1,    /* OBJSTORE_E_ALREADY_EXISTS if it exists */
    OBJSTORE_PUT_UPDATE = 2     /* OBJSTORE_E_PRECONDITION unless e_tag/version match */
};

#define OBJSTORE_PUT_OPTIONS_VERSION 1

/* Options of a put; initialize with OBJSTORE_PUT_OPTIONS_INIT. NULL means
 * overwrite, without attributes or tags. */
typedef struct objstore_put_options {
    unsigned int version;
    int mode;                 /* enum objstore_put_mode */
    const char *e_tag;        /* PUT_UPDATE: the current object's etag */
    const char *object_version; /* PUT_UPDATE: its version, where versioned */
    const objstore_kv *attributes; size_t attributes_len;
    const objstore_kv *tags;       size_t tags_len;
} objstore_put_options;

#define OBJSTORE_PUT_OPTIONS_INIT {.version = OBJSTORE_PUT_OPTIONS_VERSION}

/* Writes data[0..len) as one object in one request. data is read in place
 * during the call, not copied. e_tag_out and version_out are optional; when
 * given they receive strings (or NULL) the caller frees with
 * objstore_string_free(). */
int objstore_put(objstore_store *store, const char *path, const uint8_t *data,
                 size_t len, const objstore_put_options *opts,
                 char **e_tag_out, char **version_out, objstore_error **err);

/* ---- Multipart uploads ---------------------------------------------------- */

typedef struct objstore_upload objstore_upload;

/* Starts a multipart upload. Only attributes and tags of opts are used. */
int objstore_upload_new(objstore_store *store, const char *path,
                        const objstore_put_options *opts, objstore_upload **out,
                        objstore_error **err);

/* Uploads part `index` (from 0). Parts may be sent from several threads at
 * once and in any order; the object is assembled in index order. Every part
 * but the last must be at least 5 MiB on S3. data is read in place. */
int objstore_upload_put_part(objstore_upload *up, size_t index,
                             const uint8_t *data, size_t len,
                             objstore_error **err);

/* Completes the upload; the object appears atomically. Strings as objstore_put. */
int objstore_upload_complete(objstore_upload *up, char **e_tag_out,
                             char **version_out, objstore_error **err);

/* Aborts the upload and removes its parts. */
int objstore_upload_abort(objstore_upload *up, objstore_error **err);

/* Frees the handle. An upload neither completed nor aborted is aborted.
 * NULL is a no-op returning OBJSTORE_OK. */
int objstore_upload_free(objstore_upload *up);

/* ---- Buffered writer ------------------------------------------------------ */

typedef struct objstore_writer objstore_writer;

#define OBJSTORE_WRITER_OPTIONS_VERSION 1

/* Options of a writer; initialize with OBJSTORE_WRITER_OPTIONS_INIT. NULL
 * takes the defaults. */
typedef struct objstore_writer_options {
    unsigned int version;
    size_t chunk_size;      /* 0: 5 MiB. Data up to this size is one put. */
    size_t max_concurrency; /* 0: 12 parts in flight */
    const objstore_kv *attributes; size_t attributes_len;
    const objstore_kv *tags;       size_t tags_len;
} objstore_writer_options;

#define OBJSTORE_WRITER_OPTIONS_INIT {.version = OBJSTORE_WRITER_OPTIONS_VERSION}

/* A streaming writer: small writes are buffered; an object that stays
 * under chunk_size is one put, a larger one a multipart upload with parts
 * in parallel. Nothing is visible until objstore_writer_close(). */
int objstore_writer_new(objstore_store *store, const char *path,
                        const objstore_writer_options *opts,
                        objstore_writer **out, objstore_error **err);

/* Appends data (copied into the writer's buffer before returning). */
int objstore_writer_write(objstore_writer *w, const uint8_t *data, size_t len,
                          objstore_error **err);

/* Appends data read in place: it must stay valid and unchanged until
 * objstore_writer_close, objstore_writer_abort or objstore_writer_free
 * returns. Every whole chunk of it is uploaded as a part straight from the
 * caller's memory; only what completes a chunk begun by an earlier write,
 * and the tail after the last whole chunk, are copied. */
int objstore_writer_write_borrowed(objstore_writer *w, const uint8_t *data,
                                   size_t len, objstore_error **err);

/* Flushes and completes the object. Strings as objstore_put. */
int objstore_writer_close(objstore_writer *w, char **e_tag_out,
                          char **version_out, objstore_error **err);

/* Discards everything written; nothing becomes visible. */
int objstore_writer_abort(objstore_writer *w, objstore_error **err);

/* Frees the handle; a writer neither closed nor aborted is aborted. NULL
 * is a no-op returning OBJSTORE_OK. */
int objstore_writer_free(objstore_writer *w);

/* ---- Delete, copy, rename, sign -------------------------------------------- */

/* Deletes one object. A missing object is OK on stores that treat delete as
 * idempotent (S3, memory) and OBJSTORE_E_NOT_FOUND on others (local). */
int objstore_delete(objstore_store *store, const char *path,
                    objstore_error **err);

/* Deletes n objects with the store's batch call where it has one. codes
 * (caller array of n, optional) receives each path's status; an invalid
 * path gets OBJSTORE_E_INVALID_PATH and is not sent, the others are still
 * deleted. Returns the first failure's code in path order (*err describes
 * it), or OBJSTORE_OK if every path was deleted. */
int objstore_delete_many(objstore_store *store, const char *const *paths,
                         size_t n, int *codes, objstore_error **err);

#define OBJSTORE_IF_NOT_EXISTS 1u /* copy/rename: fail if the destination exists */

/* Copies the object at from to to within the store, overwriting to, or with
 * OBJSTORE_IF_NOT_EXISTS failing with OBJSTORE_E_ALREADY_EXISTS when it
 * exists (OBJSTORE_E_NOT_SUPPORTED where the store cannot do that
 * atomically). A missing source is OBJSTORE_E_NOT_FOUND; an unknown flag
 * OBJSTORE_E_INVALID_ARGUMENT. Nothing is returned to free. */
int objstore_copy(objstore_store *store, const char *from, const char *to,
                  unsigned int flags, objstore_error **err);

/* Renames from to to (flags, errors as objstore_copy): natively where the
 * store can, else copy then delete of the source. */
int objstore_rename(objstore_store *store, const char *from, const char *to,
                    unsigned int flags, objstore_error **err);

/* A presigned URL for method ("GET", "PUT", ...) on path, valid for
 * expires_secs. OBJSTORE_E_NOT_SUPPORTED on stores that cannot sign.
 * *url_out: caller frees with objstore_string_free(). */
int objstore_sign(objstore_store *store, const char *method, const char *path,
                  uint64_t expires_secs, char **url_out, objstore_error **err);

/* ---- Listing ---------------------------------------------------------------- */

typedef struct objstore_list objstore_list;

/* Starts listing every object under prefix (whole segments; NULL or "" for
 * all) whose path sorts after offset (exclusive; NULL for none). Pages are
 * fetched lazily by objstore_list_next. */
int objstore_list_new(objstore_store *store, const char *prefix,
                      const char *offset, objstore_list **out,
                      objstore_error **err);

/* Fetches up to max_items (0: 1000) more entries. *page owns the *items
 * array of *n entries; free it with objstore_meta_list_free(). At the end
 * *n is 0 and *page is NULL. */
int objstore_list_next(objstore_list *list, size_t max_items,
                       objstore_meta_list **page,
                       const objstore_object_meta **items, size_t *n,
                       objstore_error **err);

/* Stops the listing and frees the handle; pages already returned stay
 * valid until they are freed. NULL is a no-op returning OBJSTORE_OK. */
int objstore_list_free(objstore_list *list);

/* One level under prefix: objects directly in it and the common prefixes of
 * deeper ones, both sorted. *out owns both arrays. */
int objstore_list_with_delimiter(objstore_store *store, const char *prefix,
                                 objstore_meta_list **out,
                                 const objstore_object_meta **objects,
                                 size_t *n_objects,
                                 const char *const **common_prefixes,
                                 size_t *n_prefixes, objstore_error **err);

/* ---- Unfinished multipart uploads ---------------------------------------- */

/* A multipart upload that was begun and neither completed nor aborted: what
 * a killed process leaves behind (parts the service keeps, and on S3 bills,
 * until the upload is aborted). Every failure path of an upload in this
 * library aborts it; this finds the rest. */
typedef struct objstore_pending_upload {
    const char *location;  /* the object it would create, relative to the store's prefix */
    const char *upload_id; /* the service's id of the upload; "" where there is none (Azure) */
    int64_t initiated_ns;  /* when it began, Unix ns by the service's clock; OBJSTORE_TIME_UNSET if unknown */
} objstore_pending_upload;

#define OBJSTORE_CLEANUP_DRY_RUN 1u /* objstore_cleanup_uploads: list, abort nothing */

/* Aborts the unfinished multipart uploads of objects under prefix (whole
 * segments; NULL or "" for all) that began at least older_than_ms
 * milliseconds ago (0: all, whatever their age; a younger upload may still
 * be in progress), and returns them: *out owns the *uploads array of *n
 * entries, freed with objstore_meta_list_free(). With
 * OBJSTORE_CLEANUP_DRY_RUN nothing is aborted and the uploads that would be
 * are returned.
 *
 * S3: ListMultipartUploads and AbortMultipartUpload. GCS: the temporary
 * part objects of the library's multipart uploads. Azure: blobs with
 * staged, never committed blocks (Delete Blob, only while the blob has
 * never been committed; blocks staged on an existing blob cannot be
 * dropped without rewriting it and are not listed: Azure discards them at
 * the blob's next commit or after 7 days). Local: the store's hidden
 * staging directories. Memory and HTTP stores keep no upload between
 * requests: OBJSTORE_E_NOT_SUPPORTED.
 *
 * If an abort fails, the others are still tried and its code is returned
 * (nothing in the out-parameters); calling again retries what is left. */
int objstore_cleanup_uploads(objstore_store *store, const char *prefix,
                             uint64_t older_than_ms, unsigned int flags,
                             objstore_meta_list **out,
                             const objstore_pending_upload **uploads,
                             size_t *n, objstore_error **err);

/* ---- Many objects at once ------------------------------------------------ */

#define OBJSTORE_GET_MANY_STRICT 1u /* objstore_get_many: fail the call on any item's failure */

/* Reads n (path, range) requests across any number of objects in one call,
 * fetched concurrently (up to max_concurrency objects at once; 0: 64).
 * Bounded ranges of the same object are coalesced as in
 * objstore_get_ranges. ranges is optional (NULL: every item is the whole
 * object); ranges[i].kind OBJSTORE_RANGE_NONE is the whole object.
 *
 * Results, in input order, in caller arrays of n: buffers[i] a buffer the
 * caller frees with objstore_buffer_free() (NULL for a failed item), data[i]
 * and lens[i] its bytes; codes[i] (optional) the item's status; errors[i]
 * (optional) NULL or the item's error, which the caller frees. Items read
 * from one object may share memory: it is released when the last of their
 * buffers is freed. An invalid path or range fails only its item
 * (OBJSTORE_E_INVALID_PATH / _INVALID_ARGUMENT, nothing sent), a missing
 * object only the items on it; items coalesced into one read share its
 * failure.
 *
 * Without flags the call returns OBJSTORE_OK even when items failed. With
 * OBJSTORE_GET_MANY_STRICT the first failure stops the other reads (they
 * fail with OBJSTORE_E_CANCELLED) and the call returns the code of the
 * first item (in input order) that failed otherwise, with *err describing
 * it; then no buffers are returned (all NULL), while codes and errors are
 * still filled. */
int objstore_get_many(objstore_store *store, const char *const *paths,
                      const objstore_range *ranges, size_t n,
                      size_t max_concurrency, unsigned int flags,
                      objstore_buffer **buffers, const uint8_t **data,
                      size_t *lens, int *codes, objstore_error **errors,
                      objstore_error **err);

/* ---- Asynchronous requests and the completion queue ------------------------ */

/*
 * Every blocking operation has a non-blocking objstore_submit_* twin. A
 * submit checks its handles, paths and options at once (a failure is
 * returned right away and nothing is queued), starts the request and
 * returns OBJSTORE_OK. The request runs on the library's own threads and,
 * when it ends, posts exactly one objstore_completion, carrying the caller's
 * request_id, to the one completion queue of the process. The library never
 * calls back into the caller's code.
 *
 * - request_id is any number the caller chooses, unique among the caller's
 *   requests in flight (a duplicate is OBJSTORE_E_INVALID_ARGUMENT).
 * - Memory the caller passes (put data, output arrays of get_ranges,
 *   get_many, delete_many) must stay valid, unchanged, until the request's
 *   completion has been taken from the queue. Strings and option structs
 *   are read during the submit call only.
 * - A reader, list or writer runs one request at a time: a submit on one
 *   with a call or request in flight is OBJSTORE_E_INVALID_ARGUMENT
 *   (the submit never blocks). Handles used by a request stay valid until
 *   its completion; a _free of them waits for it.
 * - At most objstore_set_async_limit() requests run at once (default 256);
 *   more wait in order. Any number may be submitted.
 * - The queue is shared by everything in the process that uses the async
 *   API: use one consumer (one event-loop integration) per process.
 */

/* What a completed request was. */
enum objstore_op {
    OBJSTORE_OP_GET = 1,           /* submit_get: buffer, data/len, info (flag) */
    OBJSTORE_OP_GET_READER,        /* submit_get_reader: reader, info; buffer if prefetched */
    OBJSTORE_OP_READ_ALL,          /* submit_reader_read_all: buffer, data/len */
    OBJSTORE_OP_READ_CHUNK,        /* submit_reader_read_chunk: buffer, data/len (NULL/0 at end) */
    OBJSTORE_OP_GET_RANGES,        /* submit_get_ranges: buffer; caller's data/lens arrays */
    OBJSTORE_OP_GET_MANY,          /* submit_get_many: the caller's arrays */
    OBJSTORE_OP_HEAD,              /* submit_head: meta_list, items (1) */
    OBJSTORE_OP_PUT,               /* submit_put: e_tag, version */
    OBJSTORE_OP_DELETE,            /* submit_delete */
    OBJSTORE_OP_DELETE_MANY,       /* submit_delete_many: caller's codes array */
    OBJSTORE_OP_COPY,              /* submit_copy */
    OBJSTORE_OP_RENAME,            /* submit_rename */
    OBJSTORE_OP_SIGN,              /* submit_sign: url */
    OBJSTORE_OP_LIST_NEXT,         /* submit_list_next: meta_list, items, n_items (NULL/0 at end) */
    OBJSTORE_OP_LIST_WITH_DELIMITER, /* meta_list, items, n_items, common_prefixes, n_prefixes */
    OBJSTORE_OP_WRITER_WRITE,      /* submit_writer_write */
    OBJSTORE_OP_WRITER_CLOSE,      /* submit_writer_close: e_tag, version */
    OBJSTORE_OP_UPLOAD_NEW,        /* submit_upload_new: upload */
    OBJSTORE_OP_UPLOAD_PUT_PART,   /* submit_upload_put_part */
    OBJSTORE_OP_UPLOAD_COMPLETE,   /* submit_upload_complete: e_tag, version */
    OBJSTORE_OP_UPLOAD_ABORT,      /* submit_upload_abort */
    OBJSTORE_OP_CLEANUP_UPLOADS,   /* submit_cleanup_uploads: meta_list, pending_uploads, n_items */
    OBJSTORE_OP_LIST_NEXT_ARROW,   /* submit_list_next_arrow: n_items; the caller's ArrowArray */
    OBJSTORE_OP_LIST_WITH_DELIMITER_ARROW /* n_items, n_prefixes; the caller's ArrowArrays */
};

/*
 * One finished request. Fields the operation does not produce are zero.
 * Ownership passes to whoever takes the completion from the queue: free
 * error (objstore_error_free), buffer, reader, meta_list, upload (their
 * _free functions), and e_tag, version, url (objstore_string_free). data,
 * info, items, common_prefixes and pending_uploads point into buffer,
 * reader or meta_list and live as long as they do. On failure only error is set.
 */
typedef struct objstore_completion {
    uint64_t request_id;
    int op;                     /* enum objstore_op */
    int code;                   /* OBJSTORE_OK or the failure's code */
    objstore_error *error;      /* on failure (never NULL then), else NULL */
    objstore_buffer *buffer;
    const uint8_t *data;        /* the bytes of buffer */
    size_t len;
    const objstore_get_info *info; /* owned by buffer (GET) or reader (GET_READER) */
    objstore_reader *reader;
    objstore_meta_list *meta_list;
    const objstore_object_meta *items;
    size_t n_items;
    const char *const *common_prefixes;
    size_t n_prefixes;
    char *e_tag;
    char *version;
    char *url;
    objstore_upload *upload;
    const objstore_pending_upload *pending_uploads; /* n_items of them, owned by meta_list */
    void *reserved[3];          /* zero; room for later fields */
} objstore_completion;

/* The file descriptor that is readable while the queue holds completions
 * (an eventfd; a pipe where there is none). Watch it with poll/epoll or an
 * event loop, then drain with objstore_cq_poll(). It is written only when
 * the queue goes from empty to non-empty and reset when a poll empties the
 * queue, so the fd is readable exactly while completions wait. Do not read,
 * write or close it. The same fd is returned for the life of the process. */
int objstore_cq_fd(int *fd, objstore_error **err);

/* Moves up to max completions (oldest first) into out[0..*n) without
 * blocking; *n is 0 when none are waiting. */
int objstore_cq_poll(objstore_completion *out, size_t max, size_t *n);

/* objstore_cq_poll, but waits up to timeout_ms (-1: forever, 0: not at all)
 * for at least one completion; *n is 0 when the time ran out. Waits in
 * poll(), not in the library's threads. */
int objstore_cq_wait(objstore_completion *out, size_t max, size_t *n,
                     int timeout_ms);

/* Cancels a request in flight: its context is cancelled and it completes
 * with OBJSTORE_E_CANCELLED (exactly one completion, as always; any result
 * it produced meanwhile is freed by the library). A cancelled put, delete,
 * copy... may or may not have taken effect. OBJSTORE_E_NOT_FOUND if no
 * request with this id is in flight (never submitted, or its completion is
 * already posted or being posted: then it completes normally). */
int objstore_cancel(uint64_t request_id);

/* How many requests may run at once (0 leaves it); *previous (optional)
 * receives the limit before the call. */
int objstore_set_async_limit(size_t limit, size_t *previous);

#define OBJSTORE_SUBMIT_INFO 1u /* submit_get: also return the response's metadata */

/* objstore_get_bytes as a request: completes with buffer, data and len
 * (the caller frees buffer), and with OBJSTORE_SUBMIT_INFO in flags also
 * info, owned by buffer. Errors of the path, options or flags (an unknown
 * flag is OBJSTORE_E_INVALID_ARGUMENT) are returned by the submit; those
 * of the get (NotFound, Precondition, ...) by the completion. */
int objstore_submit_get(objstore_store *store, const char *path,
                        const objstore_get_options *opts, unsigned int flags,
                        uint64_t request_id, objstore_error **err);

/* Opens the body (objstore_get): completes with reader and info. When the
 * body is at most prefetch_max bytes it is also read whole into buffer
 * (data, len) and the reader is at its end. */
int objstore_submit_get_reader(objstore_store *store, const char *path,
                               const objstore_get_options *opts,
                               size_t prefetch_max, uint64_t request_id,
                               objstore_error **err);

/* objstore_reader_read_all as a request: completes with buffer, data and
 * len (the caller frees buffer). A reader with a call or request in flight
 * is OBJSTORE_E_INVALID_ARGUMENT at submit. */
int objstore_submit_reader_read_all(objstore_reader *reader,
                                    uint64_t request_id, objstore_error **err);

/* objstore_reader_read_chunk as a request: completes with buffer, data
 * and len (the caller frees buffer), or with all three NULL/0 at the end
 * of the body. One request at a time per reader, as read_all. */
int objstore_submit_reader_read_chunk(objstore_reader *reader, size_t min_size,
                                      uint64_t request_id, objstore_error **err);

/* data and lens (arrays of n) are filled before the completion is posted;
 * starts and ends are read during the call. */
int objstore_submit_get_ranges(objstore_store *store, const char *path,
                               const uint64_t *starts, const uint64_t *ends,
                               size_t n, const uint8_t **data, size_t *lens,
                               uint64_t request_id, objstore_error **err);

/* objstore_submit_get_ranges with the gap of objstore_get_ranges_coalesce. */
int objstore_submit_get_ranges_coalesce(objstore_store *store, const char *path,
                                        const uint64_t *starts, const uint64_t *ends,
                                        size_t n, uint64_t coalesce,
                                        const uint8_t **data, size_t *lens,
                                        uint64_t request_id, objstore_error **err);

/* objstore_get_many as a request: paths and ranges are read during the
 * call; the output arrays are filled before the one completion of the
 * batch is posted. Its code is OK, or with OBJSTORE_GET_MANY_STRICT what
 * objstore_get_many would return. */
int objstore_submit_get_many(objstore_store *store, const char *const *paths,
                             const objstore_range *ranges, size_t n,
                             size_t max_concurrency, unsigned int flags,
                             objstore_buffer **buffers, const uint8_t **data,
                             size_t *lens, int *codes, objstore_error **errors,
                             uint64_t request_id, objstore_error **err);

/* objstore_head as a request: completes with meta_list (the caller frees
 * it) and items (one entry, owned by meta_list). A missing object is
 * OBJSTORE_E_NOT_FOUND in the completion. */
int objstore_submit_head(objstore_store *store, const char *path,
                         uint64_t request_id, objstore_error **err);

/* data[0..len) is read in place while the request runs. */
int objstore_submit_put(objstore_store *store, const char *path,
                        const uint8_t *data, size_t len,
                        const objstore_put_options *opts, uint64_t request_id,
                        objstore_error **err);

/* objstore_delete as a request: completes with nothing to free; its code
 * is what objstore_delete would return. */
int objstore_submit_delete(objstore_store *store, const char *path,
                           uint64_t request_id, objstore_error **err);

/* codes (optional array of n) is filled before the completion; its code is
 * the first failure's, as objstore_delete_many returns. */
int objstore_submit_delete_many(objstore_store *store, const char *const *paths,
                                size_t n, int *codes, uint64_t request_id,
                                objstore_error **err);

/* objstore_copy as a request (flags as objstore_copy, checked at submit):
 * completes with nothing to free; its code is what objstore_copy would
 * return. */
int objstore_submit_copy(objstore_store *store, const char *from,
                         const char *to, unsigned int flags,
                         uint64_t request_id, objstore_error **err);

/* objstore_rename as a request; as objstore_submit_copy. */
int objstore_submit_rename(objstore_store *store, const char *from,
                           const char *to, unsigned int flags,
                           uint64_t request_id, objstore_error **err);

/* objstore_sign as a request: completes with url, which the caller frees
 * with objstore_string_free(). A NULL method or an expiry too large is
 * OBJSTORE_E_INVALID_ARGUMENT at submit; a store that cannot sign
 * completes with OBJSTORE_E_NOT_SUPPORTED. */
int objstore_submit_sign(objstore_store *store, const char *method,
                         const char *path, uint64_t expires_secs,
                         uint64_t request_id, objstore_error **err);

/* objstore_list_next as a request: completes with meta_list (the caller
 * frees it), items and n_items, or with NULL/0 at the end of the listing.
 * One request at a time per list; a listing error ends the listing. */
int objstore_submit_list_next(objstore_list *list, size_t max_items,
                              uint64_t request_id, objstore_error **err);

/* objstore_list_with_delimiter as a request: completes with meta_list (the
 * caller frees it), items, n_items, common_prefixes and n_prefixes, all
 * owned by meta_list. */
int objstore_submit_list_with_delimiter(objstore_store *store,
                                        const char *prefix,
                                        uint64_t request_id,
                                        objstore_error **err);

/* data is read (copied into the writer) while the request runs. */
int objstore_submit_writer_write(objstore_writer *w, const uint8_t *data,
                                 size_t len, uint64_t request_id,
                                 objstore_error **err);

/* objstore_writer_close as a request: completes with e_tag and version
 * (either may be NULL), which the caller frees with
 * objstore_string_free(). */
int objstore_submit_writer_close(objstore_writer *w, uint64_t request_id,
                                 objstore_error **err);

/* objstore_upload_new as a request: completes with upload, a handle the
 * caller frees with objstore_upload_free(). */
int objstore_submit_upload_new(objstore_store *store, const char *path,
                               const objstore_put_options *opts,
                               uint64_t request_id, objstore_error **err);

/* data is read in place while the request runs. */
int objstore_submit_upload_put_part(objstore_upload *up, size_t index,
                                    const uint8_t *data, size_t len,
                                    uint64_t request_id, objstore_error **err);

/* objstore_upload_complete as a request: completes with e_tag and version
 * (caller frees, as objstore_put's). An upload already completed or
 * aborted is OBJSTORE_E_INVALID_ARGUMENT at submit. */
int objstore_submit_upload_complete(objstore_upload *up, uint64_t request_id,
                                    objstore_error **err);

/* objstore_upload_abort as a request: completes with nothing to free. */
int objstore_submit_upload_abort(objstore_upload *up, uint64_t request_id,
                                 objstore_error **err);

/* objstore_cleanup_uploads as a request: completes with meta_list (the
 * caller frees it), pending_uploads and n_items, owned by meta_list. An
 * unknown flag is OBJSTORE_E_INVALID_ARGUMENT at submit. */
int objstore_submit_cleanup_uploads(objstore_store *store, const char *prefix,
                                    uint64_t older_than_ms, unsigned int flags,
                                    uint64_t request_id, objstore_error **err);

/* ---- Listings as Arrow record batches (Arrow C Data Interface) ------------- */

/*
 * A listing page as an Arrow record batch in the Arrow C Data Interface
 * (https://arrow.apache.org/docs/format/CDataInterface.html): pyarrow,
 * arro3, nanoarrow, arrow-rs, DuckDB, Polars... import it without a copy
 * per object. The batch is a struct array (format "+s"), one row per
 * object, with obstore's columns:
 *
 *   path           utf8 ("u"), not null      relative to the store's prefix
 *   last_modified  timestamp[us, tz=UTC] ("tsu:UTC"), not null
 *   size           uint64 ("L"), not null
 *   e_tag          utf8, null where the store has none
 *   version        utf8, null where unversioned
 *
 * objstore_list_arrow_schema() describes it. Common prefixes of a
 * one-level listing are a plain utf8 array (not null).
 *
 * Ownership: the functions fill a struct ArrowArray the caller provides.
 * The caller owns what is filled and calls its release callback exactly
 * once, as the interface says (or moves it, or moves children out and
 * releases them separately). The buffers are C memory owned by the array
 * alone, 16-byte aligned and never NULL (but an absent validity bitmap):
 * an array outlives the list and store handles it came from. release may
 * be called from any thread, also one the library never saw and a child
 * after fork(): it only frees memory. objstore_debug_stats counts arrays
 * not yet released (arrow_arrays, arrow_bytes).
 *
 * On failure, and on entry, the caller's structs are set released
 * (release == NULL): nothing to free. Utf8 offsets are 32-bit: a batch
 * stops before its path column reaches 2 GiB, and the rest of the page
 * comes with the next call.
 */

#ifndef ARROW_C_DATA_INTERFACE
#define ARROW_C_DATA_INTERFACE

#define ARROW_FLAG_DICTIONARY_ORDERED 1
#define ARROW_FLAG_NULLABLE 2
#define ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
    const char *format;
    const char *name;
    const char *metadata;
    int64_t flags;
    int64_t n_children;
    struct ArrowSchema **children;
    struct ArrowSchema *dictionary;
    void (*release)(struct ArrowSchema *);
    void *private_data;
};

struct ArrowArray {
    int64_t length;
    int64_t null_count;
    int64_t offset;
    int64_t n_buffers;
    int64_t n_children;
    const void **buffers;
    struct ArrowArray **children;
    struct ArrowArray *dictionary;
    void (*release)(struct ArrowArray *);
    void *private_data;
};

#endif /* ARROW_C_DATA_INTERFACE */

/* Fills *out with the schema of listing batches (a struct of the five
 * columns above); the caller releases it. Needs no Go: also works in a
 * forked child. OBJSTORE_E_BAD_HANDLE for a NULL out, OBJSTORE_E_GENERIC
 * when out of memory. */
int objstore_list_arrow_schema(struct ArrowSchema *out);

/* Fills *out with the schema of common prefixes: utf8, not null, named
 * "common_prefixes". As objstore_list_arrow_schema. */
int objstore_list_arrow_prefixes_schema(struct ArrowSchema *out);

/* objstore_list_next as a record batch: the next max_items entries of the
 * listing (0: 1000; SIZE_MAX: all that remain), fewer only at the end (or
 * at the 2 GiB bound above). *out always receives a batch, *n its rows: 0
 * at the end of the listing (still release the empty batch). A listing
 * error met after some entries is returned by the next call, which ends
 * the listing. Calls on one list run one at a time, as objstore_list_next;
 * a list may mix both. */
int objstore_list_next_arrow(objstore_list *list, size_t max_items,
                             struct ArrowArray *out, size_t *n,
                             objstore_error **err);

/* objstore_list_with_delimiter as Arrow: *objects receives the batch of
 * the objects directly under prefix, *common_prefixes the utf8 array of
 * the deeper prefixes, both sorted; the caller releases both. */
int objstore_list_with_delimiter_arrow(objstore_store *store, const char *prefix,
                                       struct ArrowArray *objects,
                                       struct ArrowArray *common_prefixes,
                                       objstore_error **err);

/* objstore_list_next_arrow as a request: *out (caller memory, valid until
 * the completion is taken) is filled before the completion is posted, with
 * n_items its rows; the caller then releases it. On failure or
 * cancellation it stays released. One request at a time per list. */
int objstore_submit_list_next_arrow(objstore_list *list, size_t max_items,
                                    struct ArrowArray *out, uint64_t request_id,
                                    objstore_error **err);

/* objstore_list_with_delimiter_arrow as a request: *objects and
 * *common_prefixes (caller memory, as above) are filled before the
 * completion is posted, with n_items and n_prefixes their lengths. */
int objstore_submit_list_with_delimiter_arrow(objstore_store *store,
                                              const char *prefix,
                                              struct ArrowArray *objects,
                                              struct ArrowArray *common_prefixes,
                                              uint64_t request_id,
                                              objstore_error **err);

/* ---- Credential providers -------------------------------------------------- */

/*
 * A store of kind s3, gcs or azure can take its credentials from the
 * program instead of its config document: a provider, asked when the store
 * has no valid credential. The library caches the answer until shortly
 * before it expires (the refresh threshold, default 5 minutes, at most a
 * fifth of the credential's life), with at most one question in flight per
 * store whatever the number of requests waiting, and asks again at once
 * when the service refuses the credential as expired or unknown (the
 * refused request is retried once with the new credential). Requests wait
 * for an answer at most the client options' timeout (default 30 s): a
 * provider that does not answer in time fails them with OBJSTORE_E_TIMEOUT.
 *
 * Two ways to answer, chosen per store in objstore_store_options:
 *
 * - A callback (credential_fn): called on a library thread, never on the
 *   caller's, and never twice at once for one store. It may call
 *   objstore functions on other stores, but must not wait on a request of
 *   the store it answers for (that request waits for it). It fills *out
 *   and returns OBJSTORE_OK, or returns an objstore_code and may write a
 *   NUL-terminated reason into message (message_size bytes); the requests
 *   waiting then fail with that code (OBJSTORE_E_UNAUTHENTICATED is usual)
 *   and the reason, prefixed with the provider's name. The strings it puts
 *   in *out must stay valid until it is called again for the store or
 *   credential_data_free runs: the library copies them when it returns. A
 *   callback still running when its requests stopped waiting is let finish;
 *   its answer is dropped.
 *
 * - The ask queue (credential_ask_target): for languages whose code must
 *   not run on foreign threads (Python). The library posts an
 *   objstore_ask naming the target; a thread of the program waits for asks
 *   (objstore_ask_wait, or the readiness fd objstore_ask_fd in an event
 *   loop, then objstore_ask_poll) and answers each with
 *   objstore_ask_answer_credential or objstore_ask_fail, from any thread.
 *   An ask whose requests stopped waiting is withdrawn: answering it then
 *   returns OBJSTORE_E_NOT_FOUND, which is harmless. The same queue is the
 *   one channel by which the library reaches such programs (later kinds of
 *   ask carry other questions or notices).
 */

/* What a provider answers. Which fields are read depends on the store:
 * s3: access_key_id and secret_access_key (and session_token for
 * temporary credentials); gcs: token (an OAuth bearer token); azure:
 * exactly one of token (Entra ID bearer), account_key (base64) or sas (a
 * shared access signature, query-string form). Unused fields are NULL.
 * Initialize with OBJSTORE_CREDENTIAL_INIT. */
typedef struct objstore_credential {
    unsigned int version;          /* OBJSTORE_CREDENTIAL_VERSION */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    const char *token;
    const char *account_key;
    const char *sas;
    int64_t expires_unix_ms;       /* when it stops being valid; OBJSTORE_NEVER: never */
} objstore_credential;

#define OBJSTORE_CREDENTIAL_VERSION 1
#define OBJSTORE_NEVER INT64_MIN
#define OBJSTORE_CREDENTIAL_INIT {.version = OBJSTORE_CREDENTIAL_VERSION, .expires_unix_ms = OBJSTORE_NEVER}

/* A provider callback (see above). out is initialized (version set, every
 * string NULL, never expiring); message has message_size bytes. */
typedef int (*objstore_credential_fn)(void *user_data, objstore_credential *out,
                                      char *message, size_t message_size);

/* Options of objstore_store_open; initialize with
 * OBJSTORE_STORE_OPTIONS_INIT. Give at most one of credential_fn and
 * credential_ask_target. */
typedef struct objstore_store_options {
    unsigned int version;                 /* OBJSTORE_STORE_OPTIONS_VERSION */
    objstore_credential_fn credential_fn; /* NULL: no callback */
    void *credential_data;                /* passed to credential_fn */
    /* Called once with credential_data when the store no longer needs it
     * (after its last handle is freed and the callback has returned);
     * NULL: nothing to free. Also called when objstore_store_open fails. */
    void (*credential_data_free)(void *credential_data);
    uint64_t credential_ask_target;       /* nonzero: ask through the ask queue with this target */
    const char *credential_name;          /* names the provider in errors; NULL: "credential provider" */
    int64_t refresh_threshold_ms;         /* replace a credential this long before it expires; <0: default */
} objstore_store_options;

#define OBJSTORE_STORE_OPTIONS_VERSION 1
#define OBJSTORE_STORE_OPTIONS_INIT {.version = OBJSTORE_STORE_OPTIONS_VERSION, .refresh_threshold_ms = -1}

/* objstore_store_new with options (opts NULL: none). A store opened with a
 * provider is its own: it shares no client with other handles. A provider
 * given for a kind that takes none is OBJSTORE_E_NOT_SUPPORTED. */
int objstore_store_open(const char *config_json, const char *env_json,
                        const objstore_store_options *opts,
                        objstore_store **out, objstore_error **err);

/* Kinds of ask. */
enum {
    OBJSTORE_ASK_CREDENTIAL = 1, /* answer with objstore_ask_answer_credential or objstore_ask_fail */
    OBJSTORE_ASK_EVENT = 2       /* a request event: take it with objstore_event_take (no answer) */
};

/* One ask, filled by the library. */
typedef struct objstore_ask {
    uint64_t ask_id;          /* names the ask in the answer */
    int kind;                 /* OBJSTORE_ASK_* */
    uint64_t target;          /* the store's credential_ask_target, or the event target */
    int64_t deadline_unix_ms; /* when the requests stop waiting */
    void *reserved[4];
} objstore_ask;

/* The ask queue's readiness fd: readable exactly while asks wait (as the
 * completion queue's). Owned by the library; do not close it. */
int objstore_ask_fd(int *fd, objstore_error **err);

/* Moves up to max waiting asks into out; *n is how many (0 when none). */
int objstore_ask_poll(objstore_ask *out, size_t max, size_t *n);

/* As objstore_ask_poll, waiting in poll() up to timeout_ms (-1: no bound)
 * for at least one ask; *n is 0 when the time ran out. */
int objstore_ask_wait(objstore_ask *out, size_t max, size_t *n, int timeout_ms);

/* Answers a credential ask (the library copies the strings). A credential
 * the store cannot use fails its requests with OBJSTORE_E_UNAUTHENTICATED.
 * An unknown or withdrawn ask_id is OBJSTORE_E_NOT_FOUND. */
int objstore_ask_answer_credential(uint64_t ask_id, const objstore_credential *cred,
                                   objstore_error **err);

/* Request events: with an event target set (objstore_set_event_target),
 * each finished operation of a store (or, for store NULL, of every store)
 * is posted to the ask queue as an ask of kind OBJSTORE_ASK_EVENT naming
 * the target; objstore_event_take hands over the event. Nothing waits for
 * the program: at most 10000 events wait to be taken, later ones are
 * dropped and counted ("events_dropped" in objstore_metrics_json(NULL)).
 * A store without a target builds no event. Stores of equal documents
 * share one store: each handle may set its own target, and every target of
 * the store receives its events. Freeing the handle removes its target.
 * target 0 removes it. Errors: OBJSTORE_E_BAD_HANDLE for a freed store,
 * OBJSTORE_E_NOT_SUPPORTED when the process runs with OBJSTORE_METRICS=off. */
int objstore_set_event_target(objstore_store *store, uint64_t target, objstore_error **err);

/* Takes the event of an OBJSTORE_ASK_EVENT ask, as a JSON object:
 * "operation", "store_kind", "bucket", "path_length" (never the path),
 * "status" ("ok" or an error kind in snake case), "error" (its message,
 * when it failed), "bytes" (body bytes read or written), "attempts",
 * "retries", "ttfb_seconds", "duration_seconds". Each event is taken once:
 * then, or for any other id, OBJSTORE_E_NOT_FOUND. *json_out: caller frees
 * with objstore_string_free(). */
int objstore_event_take(uint64_t ask_id, char **json_out, objstore_error **err);

/* Fails an ask: its requests fail with code (an objstore_code other than
 * OBJSTORE_OK) and message (NULL: none). */
int objstore_ask_fail(uint64_t ask_id, int code, const char *message, objstore_error **err);

/* ---- Runtime settings and diagnostics ------------------------------------ */

/* Sets how many OS threads run Go code at once (GOMAXPROCS; n <= 0 leaves
 * it). *previous (optional) receives the value before the call. */
int objstore_set_max_procs(int n, int *previous);

/* Sets the Go runtime's soft memory limit in bytes (debug.SetMemoryLimit;
 * a negative value leaves it). *previous (optional) receives the limit
 * before the call. */
int objstore_set_memory_limit(int64_t bytes, int64_t *previous);

#define OBJSTORE_STATS_VERSION 3

/* Counts of what is alive in the library, for leak checks. Initialize with
 * OBJSTORE_STATS_INIT (a caller built against an older version gets the
 * fields its struct has: version 1 ends at completions_queued, version 2 at
 * shared_stores). */
typedef struct objstore_stats {
    unsigned int version;
    uint64_t goroutines;          /* Go goroutines (includes the runtime's own) */
    uint64_t stores, readers, buffers, meta_lists, lists, uploads, writers; /* live handles */
    uint64_t errors;              /* objstore_error structs not yet freed */
    uint64_t buffer_bytes;        /* C memory held for read data */
    uint64_t requests_in_flight;  /* submitted, not yet completed */
    uint64_t requests_running;    /* of those, running now */
    uint64_t completions_queued;  /* posted, not yet taken by cq_poll */
    /* since version 2 */
    uint64_t shared_stores;       /* open clients shared by the store handles of equal documents */
    /* since version 3 */
    uint64_t arrow_arrays;        /* exported Arrow arrays not yet released (with all their children) */
    uint64_t arrow_bytes;         /* the C memory they hold */
} objstore_stats;

#define OBJSTORE_STATS_INIT {.version = OBJSTORE_STATS_VERSION}

/* Fills *out (the caller's struct, version set) with the current counts.
 * NULL out is OBJSTORE_E_BAD_HANDLE; an unknown version
 * OBJSTORE_E_INVALID_ARGUMENT. Nothing to free. */
int objstore_debug_stats(objstore_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* OBJSTORE_H */
