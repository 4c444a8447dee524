/*
 * dal_db.c - the facade: opening databases by URL, transactions, and the
 * per-call work every backend would otherwise repeat.
 *
 * Generated wrappers call the dal_* functions here; these check the handle,
 * apply insert defaults and @updated_now, call the backend through its table,
 * and keep the promise that a failed call leaves the caller's data as it was:
 * the caller's struct is restored, and result lists are swapped in only on
 * success.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_backend.h"
#include "dal_validate.h"

/* ------------------------------------------------------------------------ */
/* Options and URLs                                                          */
/* ------------------------------------------------------------------------ */

void dal_options_default(dal_options *o)
{
    o->max_connections = 16;
    o->min_idle = 2;
    o->connection_timeout_ms = 30000;
    o->idle_timeout_ms = 300000;
    o->busy_timeout_ms = 30000;
    o->migrate = DAL_MIGRATE_AUTO;
}

typedef struct option_slot {
    const char *name;
    size_t offset;
} option_slot;

static const option_slot option_slots[] = {
    {"max_connections", offsetof(dal_options, max_connections)},
    {"min_idle", offsetof(dal_options, min_idle)},
    {"connection_timeout_ms", offsetof(dal_options, connection_timeout_ms)},
    {"idle_timeout_ms", offsetof(dal_options, idle_timeout_ms)},
    {"busy_timeout_ms", offsetof(dal_options, busy_timeout_ms)},
};

#define N_OPTION_SLOTS (sizeof option_slots / sizeof option_slots[0])

/* The URL as messages show it: a password ("scheme://user:PASSWORD@host",
 * or a "password=" option) replaced by "***". */
static void redact_url(const char *url, char *out, size_t size)
{
    size_t used = 0;
    const char *p = url;
    const char *auth = strstr(url, "://");
    const char *at = auth ? strpbrk(auth + 3, "@/?") : NULL;
    const char *colon = at && *at == '@' ? memchr(auth + 3, ':', (size_t)(at - auth - 3)) : NULL;
    while (*p && used + 1 < size) {
        if (colon != NULL && p == colon + 1) {
            used += (size_t)snprintf(out + used, size - used, "***");
            p = at;
            continue;
        }
        if (p != url && (p[-1] == '?' || p[-1] == '&') && strncmp(p, "password=", 9) == 0) {
            used += (size_t)snprintf(out + used, size - used, "password=***");
            p += strcspn(p, "&");
            continue;
        }
        out[used++] = *p++;
    }
    out[used < size ? used : size - 1] = '\0';
}

/* Parses one "key=value" pair of a URL query string into o. A key that is not
 * one of dal's sets *unknown when unknown is not NULL (the pair is the
 * backend's), else it is an error. */
static dal_code parse_option(const char *url, const char *pair, size_t len, dal_options *o, bool *unknown,
                             dal_error *err)
{
    const char *eq = memchr(pair, '=', len);
    if (eq == NULL || eq == pair)
        return dal_set_error(err, DAL_ERR_INVALID, "URL '%s': option '%.*s' is not key=value", url, (int)(len > 64 ? 64 : len),
                             pair);
    size_t klen = (size_t)(eq - pair);
    const char *val = eq + 1;
    size_t vlen = len - klen - 1;
    if (klen == 7 && memcmp(pair, "migrate", 7) == 0) {
        static const char *const modes[] = {"auto", "check", "off", "down"};
        for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
            if (strlen(modes[i]) == vlen && memcmp(modes[i], val, vlen) == 0) {
                o->migrate = (dal_migrate_mode)i;
                return DAL_OK;
            }
        return dal_set_error(err, DAL_ERR_INVALID, "URL '%s': option migrate wants auto, check, off or down, got '%.*s'",
                             url, (int)(vlen > 64 ? 64 : vlen), val);
    }
    for (size_t i = 0; i < N_OPTION_SLOTS; i++) {
        if (strlen(option_slots[i].name) != klen || memcmp(option_slots[i].name, pair, klen) != 0)
            continue;
        unsigned long v = 0;
        if (vlen == 0 || vlen > 10)
            goto bad_value;
        for (size_t j = 0; j < vlen; j++) {
            if (val[j] < '0' || val[j] > '9')
                goto bad_value;
            v = v * 10 + (unsigned long)(val[j] - '0');
        }
        if (v > UINT_MAX)
            goto bad_value;
        *(unsigned *)(void *)((char *)o + option_slots[i].offset) = (unsigned)v;
        return DAL_OK;
    bad_value:
        return dal_set_error(err, DAL_ERR_INVALID,
                             "URL '%s': option '%.*s' wants a whole number of at most 10 digits, got '%.*s'",
                             url, (int)(klen > 64 ? 64 : klen), pair, (int)(vlen > 64 ? 64 : vlen), val);
    }
    if (unknown != NULL) {
        *unknown = true;
        return DAL_OK;
    }
    return dal_set_error(err, DAL_ERR_INVALID,
                         "URL '%s': unknown option '%.*s' (known: max_connections, min_idle, "
                         "connection_timeout_ms, idle_timeout_ms, busy_timeout_ms, migrate)",
                         url, (int)(klen > 64 ? 64 : klen), pair);
}

static dal_code check_options(const char *url, const dal_options *o, dal_error *err)
{
    if (o->max_connections == 0)
        return dal_set_error(err, DAL_ERR_INVALID, "URL '%s': max_connections must be at least 1", url);
    if (o->min_idle > o->max_connections)
        return dal_set_error(err, DAL_ERR_INVALID, "URL '%s': min_idle (%u) exceeds max_connections (%u)", url,
                             o->min_idle, o->max_connections);
    return DAL_OK;
}

static void list_backends(char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; dal_builtin_backends[i] != NULL && used < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s:", i ? ", " : "", dal_builtin_backends[i]->scheme);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* ------------------------------------------------------------------------ */
/* Open and close                                                            */
/* ------------------------------------------------------------------------ */

/* What the facade keeps per root handle: the active top-level transactions,
 * so that closing the database rolls them back. */
typedef struct facade {
    pthread_mutex_t lock;
    dal_tx **txs;
    size_t n_txs, cap_txs;
} facade;

const dal_schema *dal_db_schema(const dal_db *db)
{
    return db ? db->schema : NULL;
}

dal_db *dal_open(const dal_schema *s, const char *url, const dal_options *opts, dal_error *err)
{
    char deflt[256], shown[512];
    if (s == NULL) {
        dal_set_error(err, DAL_ERR_INVALID, "dal_open: no schema");
        return NULL;
    }
    if (url == NULL) {
#ifdef __EMSCRIPTEN__
        snprintf(deflt, sizeof deflt, "idb:%s", s->ns); /* the browser's embedded default */
#else
        snprintf(deflt, sizeof deflt, "sqlite:%s.db", s->ns);
#endif
        url = deflt;
    }
    const char *full_url = url;
    redact_url(full_url, shown, sizeof shown);
    url = DAL_CLIPPED(shown); /* in messages: no password, and the cause after it always fits */
    const char *colon = strchr(full_url, ':');
    if (colon == NULL || colon == full_url) {
        char known[256];
        list_backends(known, sizeof known);
        dal_set_error(err, DAL_ERR_INVALID, "URL '%s' has no scheme (want one of: %s)", url, known);
        return NULL;
    }
    const dal_backend *vt = dal_find_backend(full_url, (size_t)(colon - full_url));
    if (vt == NULL) {
        char known[256];
        list_backends(known, sizeof known);
        dal_set_error(err, DAL_ERR_INVALID, "URL '%s': unknown backend '%.*s' (built in: %s)", url,
                      (int)(colon - full_url < 64 ? colon - full_url : 64), full_url, known);
        return NULL;
    }
    if (vt->version != DAL_BACKEND_VERSION) {
        dal_set_error(err, DAL_ERR_INVALID, "backend '%s' has table version %d, this runtime wants %d", vt->scheme,
                      vt->version, DAL_BACKEND_VERSION);
        return NULL;
    }

    dal_options o;
    if (opts != NULL)
        o = *opts;
    else
        dal_options_default(&o);

    const char *rest = colon + 1;
    const char *q = strchr(rest, '?');
    size_t path_len = q ? (size_t)(q - rest) : strlen(rest);
    bool min_idle_named = opts != NULL; /* given by the caller, not defaulted */
    /* the options that are not dal's, for a backend that takes them */
    size_t extra_len = 0;
    char *extra = vt->own_url_options && q != NULL ? malloc(strlen(q) + 1) : NULL;
    if (q != NULL) {
        const char *p = q + 1;
        while (*p != '\0') {
            const char *amp = strchr(p, '&');
            size_t len = amp ? (size_t)(amp - p) : strlen(p);
            bool unknown = false;
            if (len > 0 && parse_option(url, p, len, &o, extra ? &unknown : NULL, err) != DAL_OK) {
                free(extra);
                return NULL;
            }
            if (unknown) {
                extra[extra_len] = extra_len == 0 ? '?' : '&';
                extra_len++;
                memcpy(extra + extra_len, p, len);
                extra_len += len;
            }
            if (len >= 9 && memcmp(p, "min_idle=", 9) == 0)
                min_idle_named = true;
            p += len + (amp ? 1 : 0);
        }
    }
    if (!min_idle_named && o.min_idle > o.max_connections)
        o.min_idle = o.max_connections; /* the default min_idle is at most max_connections */
    if (check_options(url, &o, err) != DAL_OK) {
        free(extra);
        return NULL;
    }

    dal_db *db = calloc(1, sizeof *db);
    facade *f = calloc(1, sizeof *f);
    char *path = malloc(path_len + extra_len + 1);
    if (db == NULL || f == NULL || path == NULL) {
        free(db);
        free(f);
        free(path);
        free(extra);
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening '%s'", url);
        return NULL;
    }
    memcpy(path, rest, path_len);
    path[path_len] = '\0';
    /* "scheme://authority/..." URLs are the backend's to parse (libpq decodes
     * them itself); a plain path or name is percent-decoded here */
    if (strncmp(path, "//", 2) != 0 && dal_url_decode_path(path, url, err) != DAL_OK) {
        free(db);
        free(f);
        free(path);
        free(extra);
        return NULL;
    }
    path_len = strlen(path);
    if (extra_len > 0)
        memcpy(path + path_len, extra, extra_len);
    path[path_len + extra_len] = '\0';
    free(extra);
    pthread_mutex_init(&f->lock, NULL);
    db->vt = vt;
    db->schema = s;
    db->root = db;
    db->opts = o;
    db->path = path;
    db->priv = f;
    if (vt->open(db, err) != DAL_OK) {
        dal_error_prefix(err, "cannot open '%s'", url);
        pthread_mutex_destroy(&f->lock);
        free(f);
        free(path);
        free(db);
        return NULL;
    }
    return db;
}

static void tx_finish_tree(dal_tx *tx, bool commit, dal_error *err);

void dal_close(dal_db *db)
{
    if (db == NULL)
        return;
    db = db->root;
    facade *f = db->priv;
    /* roll back what is still open; the dal_tx objects stay for their owners
     * to free, finished, so they no longer touch this database */
    for (;;) {
        pthread_mutex_lock(&f->lock);
        dal_tx *tx = f->n_txs ? f->txs[f->n_txs - 1] : NULL;
        pthread_mutex_unlock(&f->lock);
        if (tx == NULL)
            break;
        tx_finish_tree(tx, false, NULL);
    }
    db->vt->close(db);
    pthread_mutex_destroy(&f->lock);
    free(f->txs);
    free(f);
    free(db->path);
    free(db);
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

static dal_code track_tx(dal_db *root, dal_tx *tx, dal_error *err)
{
    facade *f = root->priv;
    dal_code rc = DAL_OK;
    pthread_mutex_lock(&f->lock);
    if (f->n_txs == f->cap_txs) {
        size_t cap = f->cap_txs ? f->cap_txs * 2 : 8;
        dal_tx **txs = realloc(f->txs, cap * sizeof *txs);
        if (txs == NULL)
            rc = dal_set_error(err, DAL_ERR_NOMEM, "out of memory beginning a transaction");
        else {
            f->txs = txs;
            f->cap_txs = cap;
        }
    }
    if (rc == DAL_OK)
        f->txs[f->n_txs++] = tx;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

static void untrack_tx(dal_db *root, dal_tx *tx)
{
    facade *f = root->priv;
    pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->n_txs; i++) {
        if (f->txs[i] == tx) {
            f->txs[i] = f->txs[--f->n_txs];
            break;
        }
    }
    pthread_mutex_unlock(&f->lock);
}

static const char *tx_state_name(dal_tx_state s)
{
    switch (s) {
    case DAL_TX_ACTIVE: return "active";
    case DAL_TX_COMMITTED: return "committed";
    case DAL_TX_ROLLED_BACK: return "rolled back";
    }
    return "?";
}

/* A handle is usable when it is a root handle, or the handle of an active
 * transaction with no active savepoint inside it. */
static dal_code check_handle(dal_db *db, const char *what, dal_error *err)
{
    if (db == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "%s: no database handle", what);
    if (db->tx != NULL) {
        if (db->tx->state != DAL_TX_ACTIVE)
            return dal_set_error(err, DAL_ERR_TRANSACTION, "%s: the transaction is already %s", what,
                                 tx_state_name(db->tx->state));
        if (db->tx->child != NULL)
            return dal_set_error(err, DAL_ERR_TRANSACTION,
                                 "%s: a nested transaction is active inside this one; use its handle", what);
    }
    return DAL_OK;
}

dal_tx *dal_begin(dal_db *db, dal_error *err)
{
    if (check_handle(db, "begin", err) != DAL_OK)
        return NULL;
    dal_tx *tx = calloc(1, sizeof *tx);
    if (tx == NULL) {
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory beginning a transaction");
        return NULL;
    }
    dal_db *root = db->root;
    tx->handle = *root;
    tx->handle.tx = tx;
    tx->handle.priv = NULL;
    tx->parent = db->tx;
    tx->depth = db->tx ? db->tx->depth + 1 : 0;
    tx->state = DAL_TX_ACTIVE;
    if (tx->parent == NULL && track_tx(root, tx, err) != DAL_OK) {
        free(tx);
        return NULL;
    }
    if (root->vt->begin(tx, err) != DAL_OK) {
        if (tx->parent == NULL)
            untrack_tx(root, tx);
        free(tx);
        return NULL;
    }
    if (tx->parent != NULL)
        tx->parent->child = tx;
    return tx;
}

dal_db *dal_tx_db(dal_tx *tx)
{
    return tx ? &tx->handle : NULL;
}

/* Ends tx (and first, rolled back, any active savepoint inside it). */
static void tx_finish_tree(dal_tx *tx, bool commit, dal_error *err)
{
    if (tx->child != NULL)
        tx_finish_tree(tx->child, false, NULL);
    const dal_backend *vt = tx->handle.root->vt;
    dal_code rc = commit ? vt->commit(tx, err) : vt->rollback(tx, err);
    tx->state = (commit && rc == DAL_OK) ? DAL_TX_COMMITTED : DAL_TX_ROLLED_BACK;
    if (tx->parent != NULL)
        tx->parent->child = NULL;
    else
        untrack_tx(tx->handle.root, tx);
}

static dal_code tx_end(dal_tx *tx, bool commit, dal_error *err)
{
    const char *what = commit ? "commit" : "rollback";
    if (tx == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "%s: no transaction", what);
    if (tx->state != DAL_TX_ACTIVE)
        return dal_set_error(err, DAL_ERR_TRANSACTION, "%s: the transaction is already %s", what,
                             tx_state_name(tx->state));
    if (commit && tx->child != NULL)
        return dal_set_error(err, DAL_ERR_TRANSACTION,
                             "commit: a nested transaction is still active inside this one; end it first");
    dal_error local;
    dal_error *e = err ? err : &local;
    tx_finish_tree(tx, commit, e);
    if (commit && tx->state != DAL_TX_COMMITTED)
        return e->code != DAL_OK ? e->code : DAL_ERR_TRANSACTION;
    if (!commit && e->code != DAL_OK && e == err)
        return e->code;
    return DAL_OK;
}

dal_code dal_commit(dal_tx *tx, dal_error *err)
{
    if (err)
        dal_error_clear(err);
    return tx_end(tx, true, err);
}

dal_code dal_rollback(dal_tx *tx, dal_error *err)
{
    if (err)
        dal_error_clear(err);
    return tx_end(tx, false, err);
}

void dal_tx_free(dal_tx *tx)
{
    if (tx == NULL)
        return;
    if (tx->state == DAL_TX_ACTIVE)
        tx_finish_tree(tx, false, NULL);
    free(tx);
}

/* ------------------------------------------------------------------------ */
/* Per-call preparation and restoring                                        */
/* ------------------------------------------------------------------------ */

static dal_code check_model(dal_db *db, const dal_model *m, const char *what, dal_error *err)
{
    if (m == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "%s: no model", what);
    for (size_t i = 0; i < db->schema->n_models; i++)
        if (db->schema->models[i] == m)
            return DAL_OK;
    return dal_set_error(err, DAL_ERR_INVALID, "%s: model %s is not part of schema '%s'", what, m->name,
                         db->schema->ns);
}

static bool is_pointer_type(dal_type t)
{
    return t == DAL_TEXT || t == DAL_JSON || t == DAL_MAP_TEXT || t == DAL_MAP_JSON;
}

/* Stores the literal default of a number, bool or enum field at p. */
static void set_literal(const dal_field *f, void *p)
{
    const dal_default *d = &f->def;
    switch (f->type) {
    case DAL_INT: *(int64_t *)p = d->i; break;
    case DAL_I32: *(int32_t *)p = (int32_t)d->i; break;
    case DAL_U32: *(uint32_t *)p = (uint32_t)d->i; break;
    case DAL_U64: *(uint64_t *)p = (uint64_t)d->i; break;
    case DAL_REAL: *(double *)p = d->kind == DAL_DEF_REAL ? d->d : (double)d->i; break;
    case DAL_BOOL: *(bool *)p = d->i != 0; break;
    case DAL_ENUM: *(int *)p = (int)d->i; break;
    default: break;
    }
}

/* Fills an empty field from its default; see dal_insert. */
static dal_code apply_default(const dal_field *f, void *obj, int64_t now, dal_error *err)
{
    void *p = dal_field_ptr(f, obj);
    const dal_default *d = &f->def;
    if (d->kind == DAL_DEF_NONE || d->kind == DAL_DEF_NULL || (f->flags & (DAL_F_LIST | DAL_F_SEQUENCE)))
        return DAL_OK;
    bool *has = f->has_offset != DAL_NO_OFFSET ? (bool *)(void *)((char *)obj + f->has_offset) : NULL;
    if (has != NULL && *has)
        return DAL_OK;
    switch (f->type) {
    case DAL_TEXT:
        if (*(char **)p == NULL && d->kind == DAL_DEF_TEXT && !dal_strset((char **)p, d->s))
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory applying the default of %s", f->name);
        return DAL_OK;
    case DAL_JSON:
        /* NULL is JSON null, a value: nothing to fill */
        return DAL_OK;
    case DAL_MAP_TEXT:
    case DAL_MAP_JSON:
        if (*(cJSON **)p == NULL && d->kind == DAL_DEF_EMPTY_MAP) {
            *(cJSON **)p = cJSON_CreateObject();
            if (*(cJSON **)p == NULL)
                return dal_set_error(err, DAL_ERR_NOMEM, "out of memory applying the default of %s", f->name);
        }
        return DAL_OK;
    case DAL_UUID: {
        char *s = p;
        if (has == NULL && s[0] != '\0')
            return DAL_OK;
        if (d->kind == DAL_DEF_UUID7)
            dal_uuid7(s);
        else if (d->kind == DAL_DEF_UUID4)
            dal_uuid4(s);
        else if (d->kind == DAL_DEF_TEXT)
            dal_uuidset(s, d->s);
        else
            return DAL_OK;
        break;
    }
    case DAL_TIMESTAMP:
        /* a required timestamp always holds a value (0 is 1970-01-01) */
        if (has == NULL)
            return DAL_OK;
        *(int64_t *)p = d->kind == DAL_DEF_NOW ? now : d->i;
        break;
    default:
        /* required numbers, bools and enums: 0 is a value, not "unset";
         * dal_record_init gave them their default already */
        if (has == NULL)
            return DAL_OK;
        set_literal(f, p);
        break;
    }
    if (has != NULL)
        *has = true;
    return DAL_OK;
}

/* The bytes of the caller's structs before a call changed them. */
typedef struct saved {
    unsigned char local[512];
    unsigned char *bytes;
    size_t size;
} saved;

static dal_code save_objs(saved *s, const dal_model *m, const void *objs, size_t n, dal_error *err)
{
    s->size = m->size * n;
    s->bytes = s->size <= sizeof s->local ? s->local : malloc(s->size);
    if (s->bytes == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory saving %zu %s rows", n, m->name);
    memcpy(s->bytes, objs, s->size);
    return DAL_OK;
}

/* Frees what preparation allocated (pointers that differ from the saved
 * bytes) and puts the saved bytes back. */
static void restore_objs(saved *s, const dal_model *m, void *objs, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        unsigned char *now = (unsigned char *)objs + k * m->size;
        const unsigned char *was = s->bytes + k * m->size;
        for (size_t i = 0; i < m->n_fields; i++) {
            const dal_field *f = &m->fields[i];
            if (!is_pointer_type(f->type) || (f->flags & DAL_F_LIST))
                continue;
            void *pn, *pw;
            memcpy(&pn, now + f->offset, sizeof pn);
            memcpy(&pw, was + f->offset, sizeof pw);
            if (pn == pw)
                continue;
            if (f->type == DAL_TEXT)
                free(pn);
            else
                cJSON_Delete(pn);
        }
    }
    memcpy(objs, s->bytes, s->size);
}

static void drop_saved(saved *s)
{
    if (s->bytes != s->local)
        free(s->bytes);
}

static void set_updated_now(const dal_model *m, void *obj, int64_t now)
{
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        if (!(f->flags & DAL_F_UPDATED_NOW))
            continue;
        *(int64_t *)dal_field_ptr(f, obj) = now;
        if (f->has_offset != DAL_NO_OFFSET)
            *(bool *)(void *)((char *)obj + f->has_offset) = true;
    }
}

/* ------------------------------------------------------------------------ */
/* Per-model operations                                                      */
/* ------------------------------------------------------------------------ */

enum write_kind { W_INSERT, W_UPDATE, W_UPSERT };

static dal_code write_rows(dal_db *db, const dal_model *m, void *objs, size_t n, enum write_kind kind,
                           const char *what, dal_error *err)
{
    dal_code rc;
    if ((rc = check_handle(db, what, err)) != DAL_OK || (rc = check_model(db, m, what, err)) != DAL_OK)
        return rc;
    if (objs == NULL && n > 0)
        return dal_set_error(err, DAL_ERR_INVALID, "%s %s: no row given", what, m->name);
    if (n == 0)
        return DAL_OK;
    saved s;
    if ((rc = save_objs(&s, m, objs, n, err)) != DAL_OK)
        return rc;
    int64_t now = dal_now_us();
    for (size_t k = 0; k < n && rc == DAL_OK; k++) {
        void *obj = (char *)objs + k * m->size;
        if (kind != W_UPDATE)
            for (size_t i = 0; i < m->n_fields && rc == DAL_OK; i++)
                rc = apply_default(&m->fields[i], obj, now, err);
        if (kind != W_INSERT)
            set_updated_now(m, obj, now);
        if (rc == DAL_OK)
            rc = dal_validate_row(m, obj, what, err);
    }
    if (rc == DAL_OK) {
        switch (kind) {
        case W_INSERT: rc = db->vt->insert(db, m, objs, n, err); break;
        case W_UPDATE: rc = db->vt->update(db, m, objs, err); break;
        case W_UPSERT: rc = db->vt->upsert(db, m, objs, err); break;
        }
    }
    if (rc != DAL_OK) {
        restore_objs(&s, m, objs, n);
        if (rc == DAL_ERR_NOT_FOUND && kind == W_UPDATE)
            dal_not_found_row(err, what, m, objs); /* the same words on every backend */
        dal_constraint_context(err, what, m, n == 1 ? objs : NULL, NULL);
    }
    drop_saved(&s);
    return rc;
}

dal_code dal_insert(dal_db *db, const dal_model *m, void *obj, dal_error *err)
{
    return write_rows(db, m, obj, 1, W_INSERT, "insert", err);
}

dal_code dal_insert_many(dal_db *db, const dal_model *m, void *objs, size_t n, dal_error *err)
{
    return write_rows(db, m, objs, n, W_INSERT, "insert_many", err);
}

dal_code dal_update(dal_db *db, const dal_model *m, void *obj, dal_error *err)
{
    return write_rows(db, m, obj, 1, W_UPDATE, "update", err);
}

dal_code dal_upsert(dal_db *db, const dal_model *m, void *obj, dal_error *err)
{
    return write_rows(db, m, obj, 1, W_UPSERT, "upsert", err);
}

dal_code dal_get(dal_db *db, const dal_model *m, const dal_value *key, void *out, bool *found, dal_error *err)
{
    dal_code rc;
    if ((rc = check_handle(db, "get", err)) != DAL_OK || (rc = check_model(db, m, "get", err)) != DAL_OK)
        return rc;
    if (key == NULL || out == NULL || found == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "get %s: key, out and found are required", m->name);
    dal_checked_args k;
    if ((rc = dal_validate_key(m, key, "get", &k, err)) != DAL_OK)
        return rc;
    rc = db->vt->get(db, m, k.args, out, found, err);
    dal_checked_args_free(&k);
    return rc;
}

dal_code dal_delete(dal_db *db, const dal_model *m, const dal_value *key, bool *deleted, dal_error *err)
{
    dal_code rc;
    bool dummy;
    if ((rc = check_handle(db, "delete", err)) != DAL_OK || (rc = check_model(db, m, "delete", err)) != DAL_OK)
        return rc;
    if (key == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "delete %s: no key", m->name);
    dal_checked_args k;
    if ((rc = dal_validate_key(m, key, "delete", &k, err)) != DAL_OK)
        return rc;
    dummy = false;
    rc = db->vt->remove(db, m, k.args, &dummy, err);
    dal_checked_args_free(&k);
    if (rc != DAL_OK)
        dal_constraint_context(err, "delete", m, NULL, key);
    else if (deleted != NULL)
        *deleted = dummy; /* written only on success */
    return rc;
}

/* An output list is replaced, and its old rows freed: it must hold a list
 * (or {0, NULL}). A count without an array, or an array without a count, is
 * the sign of a list that was never initialised: refused before anything is
 * read through it. */
static dal_code check_out_list(const dal_list *out, const char *model, const char *what, dal_error *err)
{
    if ((out->n == 0) != (out->v == NULL))
        return dal_set_error(err, DAL_ERR_INVALID,
                             "%s %s: the output list is not initialised (n = %zu with %s array): set it to "
                             "{0} before the first call",
                             what, model, out->n, out->v ? "an" : "no");
    return DAL_OK;
}

/* Replaces *out with fresh (a list of m rows) after a successful call. */
static void swap_list(const dal_model *m, dal_list *out, dal_list *fresh)
{
    dal_record_list_free(m, out);
    *out = *fresh;
}

dal_code dal_list_all(dal_db *db, const dal_model *m, dal_list *out, dal_error *err)
{
    dal_code rc;
    if ((rc = check_handle(db, "list", err)) != DAL_OK || (rc = check_model(db, m, "list", err)) != DAL_OK)
        return rc;
    if (out == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "list %s: no output list", m->name);
    if ((rc = check_out_list(out, m->name, "list", err)) != DAL_OK)
        return rc;
    dal_list fresh = {0, NULL};
    if ((rc = db->vt->list_all(db, m, &fresh, err)) == DAL_OK)
        swap_list(m, out, &fresh);
    return rc;
}

dal_code dal_count(dal_db *db, const dal_model *m, int64_t *n, dal_error *err)
{
    dal_code rc;
    if ((rc = check_handle(db, "count", err)) != DAL_OK || (rc = check_model(db, m, "count", err)) != DAL_OK)
        return rc;
    if (n == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "count %s: no output", m->name);
    return db->vt->count(db, m, n, err);
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

/* Checks the handle, the query and its arguments; on success *c holds the
 * arguments to hand to the backend (normalised; free with dal_checked_args_free). */
static dal_code check_query(dal_db *db, const dal_query *q, const dal_value *args, dal_query_kind kind,
                            dal_checked_args *c, dal_error *err)
{
    dal_code rc;
    memset(c, 0, sizeof *c);
    const char *what = q && q->name[0] ? q->name : "query";
    if ((rc = check_handle(db, what, err)) != DAL_OK)
        return rc;
    if (q == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "no query");
    if ((rc = check_model(db, q->model, what, err)) != DAL_OK)
        return rc;
    bool returns_rows = q->kind == DAL_Q_UPDATE && (q->result == DAL_R_MANY || q->result == DAL_R_FIRST);
    if (q->kind != kind && !(kind == DAL_Q_UPDATE && q->kind == DAL_Q_DELETE) &&
        !(kind == DAL_Q_SELECT && returns_rows))
        return dal_set_error(err, DAL_ERR_INVALID, "%s.%s: wrong kind of query for this call", q->model->name,
                             what);
    if (q->n_params > 0 && args == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "%s.%s: %zu parameters expected, none given", q->model->name,
                             what, q->n_params);
    const dal_operand *lims[2] = {&q->limit, &q->offset};
    for (int i = 0; i < 2; i++) {
        if (lims[i]->kind == DAL_ARG_PARAM && !args[lims[i]->param].is_null && args[lims[i]->param].as.i < 0)
            return dal_set_error(err, DAL_ERR_INVALID, "%s.%s: %s must be >= 0, got %lld", q->model->name, what,
                                 i == 0 ? "limit" : "offset", (long long)args[lims[i]->param].as.i);
    }
    return dal_validate_args(q, args, c, err);
}

dal_code dal_query_many(dal_db *db, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err)
{
    dal_checked_args c;
    dal_code rc = check_query(db, q, args, DAL_Q_SELECT, &c, err);
    if (rc != DAL_OK)
        return rc;
    dal_list fresh = {0, NULL};
    if (out == NULL)
        rc = dal_set_error(err, DAL_ERR_INVALID, "%s.%s: no output list", q->model->name, q->name);
    else if ((rc = check_out_list(out, q->model->name, q->name, err)) != DAL_OK)
        ;
    else if ((rc = db->vt->select(db, q, c.args, SIZE_MAX, &fresh, err)) == DAL_OK)
        swap_list(q->model, out, &fresh);
    dal_checked_args_free(&c);
    return rc;
}

dal_code dal_count_query(dal_db *db, const dal_query *q, const dal_value *args, int64_t *n, dal_error *err)
{
    dal_checked_args c;
    dal_code rc = check_query(db, q, args, DAL_Q_SELECT, &c, err);
    if (rc != DAL_OK)
        return rc;
    if (n == NULL)
        rc = dal_set_error(err, DAL_ERR_INVALID, "%s.%s: no output count", q->model->name, q->name);
    else if (db->vt->count_query == NULL)
        rc = dal_set_error(err, DAL_ERR_INVALID, "%s.%s: the %s backend cannot count a query", q->model->name,
                           q->name, db->vt->scheme);
    else
        rc = db->vt->count_query(db, q, c.args, n, err);
    dal_checked_args_free(&c);
    return rc;
}

dal_code dal_query_one(dal_db *db, const dal_query *q, const dal_value *args, void *out, bool *found,
                       dal_error *err)
{
    dal_checked_args c;
    dal_code rc = check_query(db, q, args, DAL_Q_SELECT, &c, err);
    if (rc != DAL_OK)
        return rc;
    dal_list fresh = {0, NULL};
    if (out == NULL || found == NULL)
        rc = dal_set_error(err, DAL_ERR_INVALID, "%s.%s: out and found are required", q->model->name, q->name);
    else
        rc = db->vt->select(db, q, c.args, 2, &fresh, err);
    dal_checked_args_free(&c);
    if (rc != DAL_OK)
        return rc;
    if (fresh.n > 1) {
        dal_record_list_free(q->model, &fresh);
        return dal_set_error(err, DAL_ERR_AMBIGUOUS, "%s.%s: expected at most one row, found more",
                             q->model->name, q->name);
    }
    *found = fresh.n == 1;
    if (*found) {
        dal_record_clear(q->model, out);
        memcpy(out, fresh.v, q->model->size);
    }
    free(fresh.v);
    return DAL_OK;
}

dal_code dal_exec(dal_db *db, const dal_query *q, const dal_value *args, int64_t *changed, dal_error *err)
{
    dal_checked_args c;
    dal_code rc = check_query(db, q, args, DAL_Q_UPDATE, &c, err);
    if (rc != DAL_OK)
        return rc;
    int64_t n = 0;
    if ((rc = db->vt->exec(db, q, c.args, &n, err)) == DAL_OK) {
        if (changed != NULL)
            *changed = n;
        if (q->kind == DAL_Q_UPDATE && q->result == DAL_R_ONE && n == 0) {
            char desc[256];
            dal_describe_where_args(q, c.args, desc, sizeof desc); /* the key, not the values set */
            rc = dal_set_error(err, DAL_ERR_NOT_FOUND, "%s.%s: no row in %s with %s", q->model->name, q->name,
                               q->model->table, desc[0] ? desc : "the given values");
        }
    } else if (err != NULL && err->code == DAL_ERR_CONSTRAINT && err->constraint != DAL_CONSTRAINT_NONE) {
        dal_error_prefix(err, "%s.%s", q->model->name, q->name[0] ? q->name : "query");
    }
    dal_checked_args_free(&c);
    return rc;
}

dal_code dal_aggregate(dal_db *db, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err)
{
    dal_checked_args c;
    dal_code rc = check_query(db, q, args, DAL_Q_AGGREGATE, &c, err);
    if (rc != DAL_OK)
        return rc;
    dal_list fresh = {0, NULL};
    if (out == NULL)
        rc = dal_set_error(err, DAL_ERR_INVALID, "%s.%s: no output list", q->model->name, q->name);
    else if ((rc = check_out_list(out, q->model->name, q->name, err)) != DAL_OK)
        ;
    else if ((rc = db->vt->aggregate(db, q, c.args, &fresh, err)) == DAL_OK)
        swap_list(q->row, out, &fresh);
    dal_checked_args_free(&c);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Maintenance                                                               */
/* ------------------------------------------------------------------------ */

static dal_code check_root(dal_db *db, const char *what, dal_error *err)
{
    if (db == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "%s: no database handle", what);
    if (db->tx != NULL)
        return dal_set_error(err, DAL_ERR_TRANSACTION, "%s cannot run inside a transaction", what);
    return DAL_OK;
}

dal_code dal_vacuum(dal_db *db, dal_error *err)
{
    dal_code rc = check_root(db, "vacuum", err);
    return rc != DAL_OK ? rc : db->vt->vacuum(db, err);
}

dal_code dal_checkpoint(dal_db *db, dal_error *err)
{
    dal_code rc = check_root(db, "checkpoint", err);
    return rc != DAL_OK ? rc : db->vt->checkpoint(db, err);
}

dal_code dal_checkpoint_report(dal_db *db, dal_checkpoint_info *info, dal_error *err)
{
    dal_checkpoint_info local;
    dal_checkpoint_info *out = info ? info : &local;
    dal_code rc = check_root(db, "checkpoint", err);
    if (rc != DAL_OK)
        return rc;
    dal_checkpoint_info fresh = {0, 0, false, 0};
    if (db->vt->checkpoint_report != NULL && (rc = db->vt->checkpoint_report(db, &fresh, err)) != DAL_OK)
        return rc;
    *out = fresh;
    return DAL_OK;
}

dal_code dal_storage_size(dal_db *db, uint64_t *bytes, dal_error *err)
{
    if (db == NULL || bytes == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "storage_size: handle and output are required");
    return db->vt->storage_size(db->root, bytes, err);
}

dal_code dal_pool_status_get(dal_db *db, dal_pool_status *st, dal_error *err)
{
    if (db == NULL || st == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "pool_status: handle and output are required");
    return db->vt->pool_status(db->root, st, err);
}
