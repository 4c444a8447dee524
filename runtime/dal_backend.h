/*
 * dal_backend.h - what a storage backend implements, and the handles it sees.
 *
 * A backend is a static const table of functions with a version first (grown
 * only at the end), found by its URL scheme ("sqlite", "memory"). Only the
 * facade (runtime/dal_db.c) calls through the table; it has already:
 *   - checked that the handle is usable (an open database, or an active
 *     transaction) and that its arguments are not NULL;
 *   - applied insert defaults to empty fields and set @updated_now fields on
 *     update / upsert (and it restores the caller's struct if the call fails);
 *   - for the list-returning calls, handed an empty output list: the backend
 *     fills it and the facade swaps it into the caller's on success (on
 *     failure the backend frees what it put there).
 * The backend assigns @sequence values and writes them into the objects.
 */
#ifndef DAL_BACKEND_H
#define DAL_BACKEND_H

#include "dal.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DAL_BACKEND_VERSION 1

/* A handle. The root handle (from dal_open) has tx == NULL and root == itself;
 * a transaction's handle (dal_tx_db) has tx set and shares state with root. */
struct dal_db {
    const struct dal_backend *vt;
    const dal_schema *schema;
    void *state;          /* the backend's: set by open, read through root */
    dal_tx *tx;           /* the transaction this handle runs in, or NULL */
    dal_db *root;
    dal_options opts;     /* effective options (defaults, then opts, then URL) */
    char *path;           /* what followed "scheme:" in the URL, options removed */
    void *priv;           /* the facade's (root handle only); backends leave it alone */
};

typedef enum dal_tx_state {
    DAL_TX_ACTIVE = 0,
    DAL_TX_COMMITTED,
    DAL_TX_ROLLED_BACK
} dal_tx_state;

struct dal_tx {
    dal_db handle;        /* handle.tx == this; handle.root == the root handle */
    dal_tx *parent;       /* enclosing transaction for a savepoint, else NULL */
    unsigned depth;       /* 0 for a top-level transaction, 1.. for savepoints */
    dal_tx_state state;
    dal_tx *child;        /* the active savepoint inside this one, or NULL */
    void *bstate;         /* the backend's (a pinned connection, an undo log) */
};

typedef struct dal_backend {
    int version;          /* DAL_BACKEND_VERSION */
    const char *scheme;   /* "sqlite" */

    /* db->schema, db->opts and db->path are set; sets db->state. */
    dal_code (*open)(dal_db *db, dal_error *err);
    void (*close)(dal_db *db);

    /* tx->parent is NULL for a top-level transaction (pin a connection,
     * begin) or the enclosing active transaction (savepoint). Sets tx->bstate. */
    dal_code (*begin)(dal_tx *tx, dal_error *err);
    /* Both release what begin took, whatever they return. */
    dal_code (*commit)(dal_tx *tx, dal_error *err);
    dal_code (*rollback)(dal_tx *tx, dal_error *err);

    /* n rows, all or none. Duplicate keys are DAL_ERR_CONSTRAINT. */
    dal_code (*insert)(dal_db *h, const dal_model *m, void *objs, size_t n, dal_error *err);
    dal_code (*get)(dal_db *h, const dal_model *m, const dal_value *key, void *out, bool *found, dal_error *err);
    /* DAL_ERR_NOT_FOUND naming table and key when the row is absent.
     * @sequence columns keep their stored value. */
    dal_code (*update)(dal_db *h, const dal_model *m, void *obj, dal_error *err);
    dal_code (*upsert)(dal_db *h, const dal_model *m, void *obj, dal_error *err);
    dal_code (*remove)(dal_db *h, const dal_model *m, const dal_value *key, bool *deleted, dal_error *err);
    dal_code (*list_all)(dal_db *h, const dal_model *m, dal_list *out, dal_error *err);
    dal_code (*count)(dal_db *h, const dal_model *m, int64_t *n, dal_error *err);

    /* Select: at most max_rows rows (SIZE_MAX for no cap beyond the query's
     * own limit) into out, in the query's order, ties by primary key asc. */
    dal_code (*select)(dal_db *h, const dal_query *q, const dal_value *args, size_t max_rows,
                       dal_list *out, dal_error *err);
    /* Update or delete; *changed = rows changed. */
    dal_code (*exec)(dal_db *h, const dal_query *q, const dal_value *args, int64_t *changed, dal_error *err);
    dal_code (*aggregate)(dal_db *h, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err);

    dal_code (*vacuum)(dal_db *db, dal_error *err);
    dal_code (*checkpoint)(dal_db *db, dal_error *err);
    dal_code (*storage_size)(dal_db *db, uint64_t *bytes, dal_error *err);
    dal_code (*pool_status)(dal_db *db, dal_pool_status *st, dal_error *err);

    /* Select q counted: *n = rows select would return (limit and offset apply). */
    dal_code (*count_query)(dal_db *h, const dal_query *q, const dal_value *args, int64_t *n, dal_error *err);

    /* Checkpoint reporting what it did (info is not NULL; busy readers are
     * info->busy, not an error). NULL: nothing to checkpoint, zeros. */
    dal_code (*checkpoint_report)(dal_db *db, dal_checkpoint_info *info, dal_error *err);

    /* SQL backends: the SQL text this backend runs for q (a select, update,
     * delete or aggregate; args may be NULL when q has no parameters) and its
     * bound values as a JSON array, both malloc'd. NULL for backends without
     * SQL. Needs no open database. */
    dal_code (*query_sql)(const dal_query *q, const dal_value *args, char **sql, char **params_json,
                          dal_error *err);

    /* true: URL options the facade does not know are the backend's (e.g.
     * libpq's own): they stay in db->path after a '?', "k=v&k2=v2". */
    bool own_url_options;
} dal_backend;

/* The backends compiled into this library (a NULL-terminated array made by the
 * build), and lookup by scheme. */
extern const dal_backend *const dal_builtin_backends[];
const dal_backend *dal_find_backend(const char *scheme, size_t len);

/* For messages: s (a path, a URL) clipped to at most DAL_CLIP_SIZE - 1
 * characters, its start and end kept with "..." between, so that the cause
 * written after it always fits the message. Returns s or buf.
 * DAL_CLIPPED(s) clips into a buffer that lives to the end of the block. */
#define DAL_CLIP_SIZE 160
const char *dal_clip(const char *s, char buf[DAL_CLIP_SIZE]);
#define DAL_CLIPPED(s) dal_clip((s), (char[DAL_CLIP_SIZE]){0})

/* Deep copy of src into dst, which owns nothing (its bytes are overwritten):
 * rows handed to callers. On failure dst is zeroed. */
dal_code dal_record_copy_fresh(const dal_model *m, void *dst, const void *src, dal_error *err);

/* ------------------------------------------------------------------------ */
/* Connection pool (runtime/dal_pool.c): generic over a backend's connection */
/* ------------------------------------------------------------------------ */

typedef struct dal_pool dal_pool;

typedef struct dal_pool_hooks {
    void *ctx;
    /* Opens one connection; NULL with err filled on failure. */
    void *(*open)(void *ctx, dal_error *err);
    void (*close)(void *ctx, void *conn);
} dal_pool_hooks;

/* Opens min_idle connections at once (failing if the first cannot be opened).
 * Thread-safe. */
dal_pool *dal_pool_create(const dal_pool_hooks *hooks, const dal_options *opts, dal_error *err);
/* Closes every idle connection; connections still handed out are closed when
 * released. */
void dal_pool_destroy(dal_pool *p);
/* Returns an idle connection, opens a new one while fewer than max exist, or
 * waits up to connection_timeout_ms for a release (then DAL_ERR_POOL). */
void *dal_pool_acquire(dal_pool *p, dal_error *err);
/* Gives a connection back. broken: close it instead of keeping it. Idle
 * connections beyond min_idle that stayed unused for idle_timeout_ms are
 * closed (checked on acquire and release). */
void dal_pool_release(dal_pool *p, void *conn, bool broken);
void dal_pool_status_read(dal_pool *p, dal_pool_status *st);

#ifdef __cplusplus
}
#endif

#endif /* DAL_BACKEND_H */
