/*
 * The public objstore_* functions. Each checks whether this process is a
 * child created by fork() after the library was loaded: the Go runtime
 * does not survive fork (its threads are gone), so such calls return
 * OBJSTORE_E_FORKED without entering Go. Otherwise they call the Go glue
 * (objstoreGo_*), casting away const and passing handles as void *.
 * Functions that need no Go (versions, code names, freeing strings) are
 * plain C here.
 */
#include <pthread.h>
#include <signal.h>

#include "capi.h"
#include "_cgo_export.h"

static volatile sig_atomic_t forked;

static void on_fork_child(void) { forked = 1; }

__attribute__((constructor)) static void objstore_install_fork_handler(void) {
    pthread_atfork(NULL, NULL, on_fork_child);
}

#define REFUSE_IF_FORKED() \
    do { if (forked) return OBJSTORE_E_FORKED; } while (0)

/* ---- Errors, strings, version ---- */

int objstore_error_free(objstore_error *err) {
    REFUSE_IF_FORKED();
    return objstoreGo_error_free(err);
}

/* Strings the library hands out are malloc'd C strings: safe to free even
 * in a forked child. */
void objstore_string_free(char *s) { free(s); }

int objstore_abi_version(void) { return OBJSTORE_ABI_VERSION; }

const char *objstore_version(void) { return "0.1.0"; }

const char *objstore_code_name(int code) {
    switch (code) {
    case OBJSTORE_OK: return "OBJSTORE_OK";
    case OBJSTORE_E_GENERIC: return "OBJSTORE_E_GENERIC";
    case OBJSTORE_E_NOT_FOUND: return "OBJSTORE_E_NOT_FOUND";
    case OBJSTORE_E_ALREADY_EXISTS: return "OBJSTORE_E_ALREADY_EXISTS";
    case OBJSTORE_E_PRECONDITION: return "OBJSTORE_E_PRECONDITION";
    case OBJSTORE_E_NOT_MODIFIED: return "OBJSTORE_E_NOT_MODIFIED";
    case OBJSTORE_E_NOT_IMPLEMENTED: return "OBJSTORE_E_NOT_IMPLEMENTED";
    case OBJSTORE_E_NOT_SUPPORTED: return "OBJSTORE_E_NOT_SUPPORTED";
    case OBJSTORE_E_PERMISSION_DENIED: return "OBJSTORE_E_PERMISSION_DENIED";
    case OBJSTORE_E_UNAUTHENTICATED: return "OBJSTORE_E_UNAUTHENTICATED";
    case OBJSTORE_E_INVALID_PATH: return "OBJSTORE_E_INVALID_PATH";
    case OBJSTORE_E_INVALID_ARGUMENT: return "OBJSTORE_E_INVALID_ARGUMENT";
    case OBJSTORE_E_UNKNOWN_CONFIG_KEY: return "OBJSTORE_E_UNKNOWN_CONFIG_KEY";
    case OBJSTORE_E_TIMEOUT: return "OBJSTORE_E_TIMEOUT";
    case OBJSTORE_E_CANCELLED: return "OBJSTORE_E_CANCELLED";
    case OBJSTORE_E_BAD_HANDLE: return "OBJSTORE_E_BAD_HANDLE";
    case OBJSTORE_E_FORKED: return "OBJSTORE_E_FORKED";
    case OBJSTORE_E_INTERNAL: return "OBJSTORE_E_INTERNAL";
    }
    return "OBJSTORE_E_UNKNOWN";
}

/* ---- Stores and configuration ---- */

int objstore_store_new(const char *config_json, const char *env_json,
                       objstore_store **out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_store_new((char *)config_json, (char *)env_json, (void **)out, err);
}

int objstore_store_free(objstore_store *store) {
    REFUSE_IF_FORKED();
    return objstoreGo_store_free(store);
}

int objstore_store_config_json(objstore_store *store, char **json_out,
                               objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_store_config_json(store, json_out, err);
}

int objstore_config_normalize(const char *config_json, char **json_out,
                              objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_config_normalize((char *)config_json, json_out, err);
}

int objstore_config_from_url(const char *url, const char *overrides_json,
                             char **json_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_config_from_url((char *)url, (char *)overrides_json, json_out, err);
}

/* ---- Buffers and metadata ---- */

int objstore_buffer_data(objstore_buffer *buf, const uint8_t **data, size_t *len) {
    REFUSE_IF_FORKED();
    return objstoreGo_buffer_data(buf, (uint8_t **)data, len);
}

int objstore_buffer_free(objstore_buffer *buf) {
    REFUSE_IF_FORKED();
    return objstoreGo_buffer_free(buf);
}

int objstore_meta_list_free(objstore_meta_list *list) {
    REFUSE_IF_FORKED();
    return objstoreGo_meta_list_free(list);
}

/* ---- Get ---- */

int objstore_get(objstore_store *store, const char *path,
                 const objstore_get_options *opts, objstore_reader **out,
                 const objstore_get_info **info, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_get(store, (char *)path, (objstore_get_options *)opts,
                          (void **)out, (objstore_get_info **)info, err);
}

int objstore_reader_read_all(objstore_reader *reader, objstore_buffer **out,
                             const uint8_t **data, size_t *len,
                             objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_reader_read_all(reader, (void **)out, (uint8_t **)data, len, err);
}

int objstore_reader_read_chunk(objstore_reader *reader, size_t min_size,
                               objstore_buffer **out, const uint8_t **data,
                               size_t *len, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_reader_read_chunk(reader, min_size, (void **)out, (uint8_t **)data, len, err);
}

int objstore_reader_free(objstore_reader *reader) {
    REFUSE_IF_FORKED();
    return objstoreGo_reader_free(reader);
}

int objstore_get_bytes(objstore_store *store, const char *path,
                       const objstore_get_options *opts, objstore_buffer **out,
                       const uint8_t **data, size_t *len,
                       const objstore_get_info **info, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_get_bytes(store, (char *)path, (objstore_get_options *)opts,
                                (void **)out, (uint8_t **)data, len,
                                (objstore_get_info **)info, err);
}

int objstore_get_ranges(objstore_store *store, const char *path,
                        const uint64_t *starts, const uint64_t *ends, size_t n,
                        objstore_buffer **out, const uint8_t **data,
                        size_t *lens, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_get_ranges(store, (char *)path, (uint64_t *)starts, (uint64_t *)ends, n,
                                 (void **)out, (uint8_t **)data, lens, err);
}

int objstore_head(objstore_store *store, const char *path,
                  objstore_meta_list **out, const objstore_object_meta **items,
                  objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_head(store, (char *)path, (void **)out, (objstore_object_meta **)items, err);
}

/* ---- Put, uploads, writers ---- */

int objstore_put(objstore_store *store, const char *path, const uint8_t *data,
                 size_t len, const objstore_put_options *opts,
                 char **e_tag_out, char **version_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_put(store, (char *)path, (uint8_t *)data, len,
                          (objstore_put_options *)opts, e_tag_out, version_out, err);
}

int objstore_upload_new(objstore_store *store, const char *path,
                        const objstore_put_options *opts, objstore_upload **out,
                        objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_upload_new(store, (char *)path, (objstore_put_options *)opts, (void **)out, err);
}

int objstore_upload_put_part(objstore_upload *up, size_t index,
                             const uint8_t *data, size_t len,
                             objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_upload_put_part(up, index, (uint8_t *)data, len, err);
}

int objstore_upload_complete(objstore_upload *up, char **e_tag_out,
                             char **version_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_upload_complete(up, e_tag_out, version_out, err);
}

int objstore_upload_abort(objstore_upload *up, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_upload_abort(up, err);
}

int objstore_upload_free(objstore_upload *up) {
    REFUSE_IF_FORKED();
    return objstoreGo_upload_free(up);
}

int objstore_writer_new(objstore_store *store, const char *path,
                        const objstore_writer_options *opts,
                        objstore_writer **out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_writer_new(store, (char *)path, (objstore_writer_options *)opts, (void **)out, err);
}

int objstore_writer_write(objstore_writer *w, const uint8_t *data, size_t len,
                          objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_writer_write(w, (uint8_t *)data, len, err);
}

int objstore_writer_close(objstore_writer *w, char **e_tag_out,
                          char **version_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_writer_close(w, e_tag_out, version_out, err);
}

int objstore_writer_abort(objstore_writer *w, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_writer_abort(w, err);
}

int objstore_writer_free(objstore_writer *w) {
    REFUSE_IF_FORKED();
    return objstoreGo_writer_free(w);
}

/* ---- Delete, copy, rename, sign ---- */

int objstore_delete(objstore_store *store, const char *path, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_delete(store, (char *)path, err);
}

int objstore_delete_many(objstore_store *store, const char *const *paths,
                         size_t n, int *codes, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_delete_many(store, (char **)paths, n, codes, err);
}

int objstore_copy(objstore_store *store, const char *from, const char *to,
                  unsigned int flags, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_copy(store, (char *)from, (char *)to, flags, err);
}

int objstore_rename(objstore_store *store, const char *from, const char *to,
                    unsigned int flags, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_rename(store, (char *)from, (char *)to, flags, err);
}

int objstore_sign(objstore_store *store, const char *method, const char *path,
                  uint64_t expires_secs, char **url_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_sign(store, (char *)method, (char *)path, expires_secs, url_out, err);
}

/* ---- Listing ---- */

int objstore_list_new(objstore_store *store, const char *prefix,
                      const char *offset, objstore_list **out,
                      objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_list_new(store, (char *)prefix, (char *)offset, (void **)out, err);
}

int objstore_list_next(objstore_list *list, size_t max_items,
                       objstore_meta_list **page,
                       const objstore_object_meta **items, size_t *n,
                       objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_list_next(list, max_items, (void **)page, (objstore_object_meta **)items, n, err);
}

int objstore_list_free(objstore_list *list) {
    REFUSE_IF_FORKED();
    return objstoreGo_list_free(list);
}

int objstore_list_with_delimiter(objstore_store *store, const char *prefix,
                                 objstore_meta_list **out,
                                 const objstore_object_meta **objects,
                                 size_t *n_objects,
                                 const char *const **common_prefixes,
                                 size_t *n_prefixes, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_list_with_delimiter(store, (char *)prefix, (void **)out,
                                          (objstore_object_meta **)objects, n_objects,
                                          (char ***)common_prefixes, n_prefixes, err);
}
