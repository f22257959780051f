/*
 * The public objstore_* functions. Each checks whether this process is a
 * child created by fork() after the library was loaded: the Go runtime
 * does not survive fork (its threads are gone), so such calls return
 * OBJSTORE_E_FORKED without entering Go. Otherwise they call the Go glue
 * (objstoreGo_*), casting away const and passing handles as void *.
 * Functions that need no Go (versions, code names, freeing strings) are
 * plain C here.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

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

const char *objstore_version(void) { return OBJSTORE_VERSION; }

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
    case OBJSTORE_E_INTEGRITY: return "OBJSTORE_E_INTEGRITY";
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

int objstore_store_wrap(const char *config_json, objstore_store *inner,
                        objstore_store **out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_store_wrap((char *)config_json, inner, (void **)out, err);
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

int objstore_store_env_names(const char *kind, char **json_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_store_env_names((char *)kind, json_out, err);
}

int objstore_tracing_flush(int64_t timeout_ms, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_tracing_flush(timeout_ms, err);
}

int objstore_metrics_json(objstore_store *store, char **json_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_metrics_json(store, json_out, err);
}

int objstore_metrics_prometheus(objstore_store *store, char **text_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_metrics_prometheus(store, text_out, err);
}

int objstore_set_event_target(objstore_store *store, uint64_t target, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_set_event_target(store, target, err);
}

int objstore_event_take(uint64_t ask_id, char **json_out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_event_take(ask_id, json_out, err);
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

int objstore_buffers_free(objstore_buffer *const *bufs, size_t n) {
    REFUSE_IF_FORKED();
    return objstoreGo_buffers_free((void **)bufs, n);
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

int objstore_reader_read_into(objstore_reader *reader, uint8_t *dst, size_t cap,
                              size_t *n, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_reader_read_into(reader, dst, cap, n, err);
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

int objstore_head_into(objstore_store *store, const char *path, objstore_object_meta *meta,
                       char *strings, size_t cap, size_t *needed, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_head_into(store, (char *)path, meta, strings, cap, needed, err);
}

int objstore_get_small(objstore_store *store, const char *path,
                       const objstore_get_options *opts, size_t limit,
                       objstore_reader **reader, objstore_buffer **out,
                       const uint8_t **data, size_t *len,
                       const objstore_get_info **info, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_get_small(store, (char *)path, (objstore_get_options *)opts, limit,
                                (void **)reader, (void **)out, (uint8_t **)data, len,
                                (objstore_get_info **)info, err);
}

int objstore_get_ranges(objstore_store *store, const char *path,
                        const uint64_t *starts, const uint64_t *ends, size_t n,
                        objstore_buffer **out, const uint8_t **data,
                        size_t *lens, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_get_ranges(store, (char *)path, (uint64_t *)starts, (uint64_t *)ends, n,
                                 UINT64_MAX, (void **)out, (uint8_t **)data, lens, err);
}

int objstore_get_ranges_coalesce(objstore_store *store, const char *path,
                                 const uint64_t *starts, const uint64_t *ends,
                                 size_t n, uint64_t coalesce,
                                 objstore_buffer **out, const uint8_t **data,
                                 size_t *lens, objstore_error **err) {
    REFUSE_IF_FORKED();
    if (coalesce == UINT64_MAX) coalesce--; /* UINT64_MAX tells the glue "default" */
    return objstoreGo_get_ranges(store, (char *)path, (uint64_t *)starts, (uint64_t *)ends, n,
                                 coalesce, (void **)out, (uint8_t **)data, lens, err);
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

int objstore_writer_write_borrowed(objstore_writer *w, const uint8_t *data,
                                   size_t len, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_writer_write_borrowed(w, (uint8_t *)data, len, err);
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

/* ---- Unfinished multipart uploads ---- */

int objstore_cleanup_uploads(objstore_store *store, const char *prefix,
                             uint64_t older_than_ms, unsigned int flags,
                             objstore_meta_list **out,
                             const objstore_pending_upload **uploads,
                             size_t *n, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_cleanup_uploads(store, (char *)prefix, older_than_ms, flags, (void **)out,
                                      (objstore_pending_upload **)uploads, n, err);
}

/* ---- Many objects at once ---- */

int objstore_get_many(objstore_store *store, const char *const *paths,
                      const objstore_range *ranges, size_t n,
                      size_t max_concurrency, unsigned int flags,
                      objstore_buffer **buffers, const uint8_t **data,
                      size_t *lens, int *codes, objstore_error **errors,
                      objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_get_many(store, (char **)paths, (objstore_range *)ranges, n, max_concurrency, flags,
                               (void **)buffers, (uint8_t **)data, lens, codes, errors, err);
}

/* ---- Asynchronous requests and the completion queue ---- */

int objstore_cq_fd(int *fd, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_cq_fd(fd, err);
}

int objstore_cq_poll(objstore_completion *out, size_t max, size_t *n) {
    REFUSE_IF_FORKED();
    return objstoreGo_cq_poll(out, max, n);
}

/* Waits in poll() on a queue's readiness fd (no Go thread blocks), polling
 * the queue each time it becomes readable, until it gives at least one item
 * or timeout_ms (-1: no bound) ran out (*n is then 0). The completion queue
 * and the ask queue wait alike. */
static int wait_ready(int (*fd_of)(int *, objstore_error **), int (*poll_once)(void *, size_t, size_t *),
                      void *out, size_t max, size_t *n, int timeout_ms) {
    int fd;
    int rc = fd_of(&fd, NULL);
    if (rc != OBJSTORE_OK) return rc;
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        rc = poll_once(out, max, n);
        if (rc != OBJSTORE_OK || *n > 0 || max == 0) return rc;
        int wait = -1;
        if (timeout_ms >= 0) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long elapsed = (now.tv_sec - start.tv_sec) * 1000L + (now.tv_nsec - start.tv_nsec) / 1000000L;
            if (elapsed >= timeout_ms) return OBJSTORE_OK; /* *n is 0 */
            wait = (int)(timeout_ms - elapsed);
        }
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, wait) < 0 && errno != EINTR) return OBJSTORE_E_GENERIC;
    }
}

static int cq_poll_once(void *out, size_t max, size_t *n) { return objstoreGo_cq_poll(out, max, n); }

int objstore_cq_wait(objstore_completion *out, size_t max, size_t *n,
                     int timeout_ms) {
    REFUSE_IF_FORKED();
    return wait_ready(objstoreGo_cq_fd, cq_poll_once, out, max, n, timeout_ms);
}

int objstore_cancel(uint64_t request_id) {
    REFUSE_IF_FORKED();
    return objstoreGo_cancel(request_id);
}

int objstore_set_async_limit(size_t limit, size_t *previous) {
    REFUSE_IF_FORKED();
    return objstoreGo_set_async_limit(limit, previous);
}

int objstore_submit_get(objstore_store *store, const char *path,
                        const objstore_get_options *opts, unsigned int flags,
                        uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_get(store, (char *)path, (objstore_get_options *)opts, flags, request_id, err);
}

int objstore_submit_get_reader(objstore_store *store, const char *path,
                               const objstore_get_options *opts,
                               size_t prefetch_max, uint64_t request_id,
                               objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_get_reader(store, (char *)path, (objstore_get_options *)opts, prefetch_max, request_id, err);
}

int objstore_submit_reader_read_all(objstore_reader *reader,
                                    uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_reader_read_all(reader, request_id, err);
}

int objstore_submit_reader_read_chunk(objstore_reader *reader, size_t min_size,
                                      uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_reader_read_chunk(reader, min_size, request_id, err);
}

int objstore_submit_get_ranges(objstore_store *store, const char *path,
                               const uint64_t *starts, const uint64_t *ends,
                               size_t n, const uint8_t **data, size_t *lens,
                               uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_get_ranges(store, (char *)path, (uint64_t *)starts, (uint64_t *)ends, n,
                                        UINT64_MAX, (uint8_t **)data, lens, request_id, err);
}

int objstore_submit_get_ranges_coalesce(objstore_store *store, const char *path,
                                        const uint64_t *starts, const uint64_t *ends,
                                        size_t n, uint64_t coalesce,
                                        const uint8_t **data, size_t *lens,
                                        uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    if (coalesce == UINT64_MAX) coalesce--; /* UINT64_MAX tells the glue "default" */
    return objstoreGo_submit_get_ranges(store, (char *)path, (uint64_t *)starts, (uint64_t *)ends, n,
                                        coalesce, (uint8_t **)data, lens, request_id, err);
}

int objstore_submit_get_many(objstore_store *store, const char *const *paths,
                             const objstore_range *ranges, size_t n,
                             size_t max_concurrency, unsigned int flags,
                             objstore_buffer **buffers, const uint8_t **data,
                             size_t *lens, int *codes, objstore_error **errors,
                             uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_get_many(store, (char **)paths, (objstore_range *)ranges, n, max_concurrency, flags,
                                      (void **)buffers, (uint8_t **)data, lens, codes, errors, request_id, err);
}

int objstore_submit_head(objstore_store *store, const char *path,
                         uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_head(store, (char *)path, request_id, err);
}

int objstore_submit_put(objstore_store *store, const char *path,
                        const uint8_t *data, size_t len,
                        const objstore_put_options *opts, uint64_t request_id,
                        objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_put(store, (char *)path, (uint8_t *)data, len, (objstore_put_options *)opts, request_id, err);
}

int objstore_submit_delete(objstore_store *store, const char *path,
                           uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_delete(store, (char *)path, request_id, err);
}

int objstore_submit_delete_many(objstore_store *store, const char *const *paths,
                                size_t n, int *codes, uint64_t request_id,
                                objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_delete_many(store, (char **)paths, n, codes, request_id, err);
}

int objstore_submit_copy(objstore_store *store, const char *from,
                         const char *to, unsigned int flags,
                         uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_copy(store, (char *)from, (char *)to, flags, request_id, err);
}

int objstore_submit_rename(objstore_store *store, const char *from,
                           const char *to, unsigned int flags,
                           uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_rename(store, (char *)from, (char *)to, flags, request_id, err);
}

int objstore_submit_sign(objstore_store *store, const char *method,
                         const char *path, uint64_t expires_secs,
                         uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_sign(store, (char *)method, (char *)path, expires_secs, request_id, err);
}

int objstore_submit_list_next(objstore_list *list, size_t max_items,
                              uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_list_next(list, max_items, request_id, err);
}

int objstore_submit_list_with_delimiter(objstore_store *store,
                                        const char *prefix,
                                        uint64_t request_id,
                                        objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_list_with_delimiter(store, (char *)prefix, request_id, err);
}

int objstore_submit_cleanup_uploads(objstore_store *store, const char *prefix,
                                    uint64_t older_than_ms, unsigned int flags,
                                    uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_cleanup_uploads(store, (char *)prefix, older_than_ms, flags, request_id, err);
}

int objstore_submit_writer_write(objstore_writer *w, const uint8_t *data,
                                 size_t len, uint64_t request_id,
                                 objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_writer_write(w, (uint8_t *)data, len, request_id, err);
}

int objstore_submit_writer_close(objstore_writer *w, uint64_t request_id,
                                 objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_writer_close(w, request_id, err);
}

int objstore_submit_upload_new(objstore_store *store, const char *path,
                               const objstore_put_options *opts,
                               uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_upload_new(store, (char *)path, (objstore_put_options *)opts, request_id, err);
}

int objstore_submit_upload_put_part(objstore_upload *up, size_t index,
                                    const uint8_t *data, size_t len,
                                    uint64_t request_id, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_upload_put_part(up, index, (uint8_t *)data, len, request_id, err);
}

int objstore_submit_upload_complete(objstore_upload *up, uint64_t request_id,
                                    objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_upload_complete(up, request_id, err);
}

int objstore_submit_upload_abort(objstore_upload *up, uint64_t request_id,
                                 objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_submit_upload_abort(up, request_id, err);
}

/* ---- Runtime settings and diagnostics ---- */

int objstore_set_max_procs(int n, int *previous) {
    REFUSE_IF_FORKED();
    return objstoreGo_set_max_procs(n, previous);
}

int objstore_set_memory_limit(int64_t bytes, int64_t *previous) {
    REFUSE_IF_FORKED();
    return objstoreGo_set_memory_limit(bytes, previous);
}

int objstore_debug_stats(objstore_stats *out) {
    REFUSE_IF_FORKED();
    return objstoreGo_debug_stats(out);
}

/* ---- Listings as Arrow record batches (arrow.go; the schemas and release
 * callbacks are plain C in arrow.c) ---- */

int objstore_list_next_arrow(objstore_list *list, size_t max_items,
                             struct ArrowArray *out, size_t *n,
                             objstore_error **err) {
    if (out) out->release = NULL;
    REFUSE_IF_FORKED();
    return objstoreGo_list_next_arrow(list, max_items, out, n, err);
}

int objstore_list_with_delimiter_arrow(objstore_store *store, const char *prefix,
                                       struct ArrowArray *objects,
                                       struct ArrowArray *common_prefixes,
                                       objstore_error **err) {
    if (objects) objects->release = NULL;
    if (common_prefixes) common_prefixes->release = NULL;
    REFUSE_IF_FORKED();
    return objstoreGo_list_with_delimiter_arrow(store, (char *)prefix, objects, common_prefixes, err);
}

int objstore_submit_list_next_arrow(objstore_list *list, size_t max_items,
                                    struct ArrowArray *out, uint64_t request_id,
                                    objstore_error **err) {
    if (out) out->release = NULL;
    REFUSE_IF_FORKED();
    return objstoreGo_submit_list_next_arrow(list, max_items, out, request_id, err);
}

int objstore_submit_list_with_delimiter_arrow(objstore_store *store,
                                              const char *prefix,
                                              struct ArrowArray *objects,
                                              struct ArrowArray *common_prefixes,
                                              uint64_t request_id,
                                              objstore_error **err) {
    if (objects) objects->release = NULL;
    if (common_prefixes) common_prefixes->release = NULL;
    REFUSE_IF_FORKED();
    return objstoreGo_submit_list_with_delimiter_arrow(store, (char *)prefix, objects, common_prefixes,
                                                       request_id, err);
}

/* ---- Credential providers and the ask queue ---- */

int objstore_store_open(const char *config_json, const char *env_json,
                        const objstore_store_options *opts,
                        objstore_store **out, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_store_open((char *)config_json, (char *)env_json,
                                 (objstore_store_options *)opts, (void **)out, err);
}

int objstore_ask_fd(int *fd, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_ask_fd(fd, err);
}

int objstore_ask_poll(objstore_ask *out, size_t max, size_t *n) {
    REFUSE_IF_FORKED();
    return objstoreGo_ask_poll(out, max, n);
}

static int ask_poll_once(void *out, size_t max, size_t *n) { return objstoreGo_ask_poll(out, max, n); }

int objstore_ask_wait(objstore_ask *out, size_t max, size_t *n, int timeout_ms) {
    REFUSE_IF_FORKED();
    return wait_ready(objstoreGo_ask_fd, ask_poll_once, out, max, n, timeout_ms);
}

int objstore_ask_answer_credential(uint64_t ask_id, const objstore_credential *cred,
                                   objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_ask_answer_credential(ask_id, (objstore_credential *)cred, err);
}

int objstore_ask_fail(uint64_t ask_id, int code, const char *message, objstore_error **err) {
    REFUSE_IF_FORKED();
    return objstoreGo_ask_fail(ask_id, code, (char *)message, err);
}
