/*
 * idb_backend.c - "idb:NAME": the browser's IndexedDB database NAME, for the
 * WebAssembly build (Emscripten with Asyncify).
 *
 * Design (docs/idb.md has the long form):
 *   - IndexedDB is asynchronous and its transactions commit by themselves as
 *     soon as the event loop finds them without a pending request, so a
 *     transaction cannot stay open while C code runs between two calls. The
 *     backend therefore keeps a working set: a private memory store (the
 *     memory backend, the same code and the same conformance results) that
 *     holds every row of the database, loaded once at open.
 *   - Every operation runs on the working set. A write records what it
 *     changed (a row put, a key deleted, a whole store rewritten when a
 *     statement may touch rows it cannot name: update/delete queries and
 *     deletes that cascade) in a change log kept on the JavaScript side.
 *   - The change log goes to IndexedDB in ONE read-write transaction over the
 *     stores it touches: for a write outside a transaction at the end of the
 *     call, for a transaction at its commit. The C call waits for that
 *     transaction's completion (Asyncify). Only when IndexedDB committed does
 *     the working set commit; when IndexedDB fails, the working set rolls
 *     back and the call fails, leaving the data as it was.
 *   - Savepoints: the memory transaction's savepoint plus a mark in the change
 *     log; rolling back truncates the log to the mark.
 *   - Several tabs: a write (a transaction's begin, or a write outside one)
 *     takes the Web Lock "dal-idb:NAME" until it is written, then compares the
 *     database's generation (bumped by every commit, in the same IndexedDB
 *     transaction) with the one its working set was loaded at, and reloads
 *     when another tab committed in between. So a claim is atomic across tabs.
 *     Reads outside a transaction reload when a BroadcastChannel message said
 *     another tab committed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <emscripten.h>

#include "dal_backend.h"
#include "dal_memory.h"
#include "idb_js.h"

/* The working set's backend, called through its table as the facade does. */
extern const dal_backend dal_memory_backend;
#define MEM (&dal_memory_backend)

typedef struct idb_state {
    dal_db *mem;            /* the working set */
    int conn;               /* JavaScript connection id */
    char *name;             /* IndexedDB database name */
    bool tx_open;           /* a top-level transaction holds the working set */
} idb_state;

typedef struct idb_tx {
    dal_tx *mtx;            /* the working set's transaction (or savepoint) */
    int mark;               /* change log length at begin */
} idb_tx;

static idb_state *state_of(dal_db *h)
{
    return h->root->state;
}

/* The working-set handle the call runs on. */
static dal_db *inner(dal_db *h)
{
    if (h->tx != NULL)
        return dal_tx_db(((idb_tx *)h->tx->bstate)->mtx);
    return state_of(h)->mem;
}

static dal_code js_error(dal_error *err, dal_code code, const char *what)
{
    char msg[400];
    dal_idb_js_error(msg, (int)sizeof msg);
    return dal_set_error(err, code, "%s: %s", what, msg);
}

/* ------------------------------------------------------------------------ */
/* Schema -> stores                                                          */
/* ------------------------------------------------------------------------ */

static cJSON *key_path(const dal_model *m, size_t n, const unsigned *fields, const dal_index_part *parts)
{
    if (n == 1)
        return cJSON_CreateString(m->fields[fields ? fields[0] : parts[0].field].name);
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a != NULL && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(m->fields[fields ? fields[i] : parts[i].field].name));
    return a;
}

/* [{"name": table, "keyPath": ..., "indexes": [{"name", "keyPath", "unique"}]}] */
static char *stores_spec(const dal_schema *s)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr != NULL && i < s->n_models; i++) {
        const dal_model *m = s->models[i];
        if (m->table == NULL)
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(arr, o);
        cJSON_AddStringToObject(o, "name", m->table);
        cJSON_AddItemToObject(o, "keyPath", key_path(m, m->n_pk, m->pk, NULL));
        cJSON *ix = cJSON_AddArrayToObject(o, "indexes");
        for (size_t k = 0; k < m->n_indexes; k++) {
            const dal_index *x = &m->indexes[k];
            cJSON *io = cJSON_CreateObject();
            cJSON_AddItemToArray(ix, io);
            cJSON_AddStringToObject(io, "name", x->name);
            cJSON_AddItemToObject(io, "keyPath", key_path(m, x->n_parts, NULL, x->parts));
            cJSON_AddBoolToObject(io, "unique", x->unique);
        }
    }
    char *text = arr ? cJSON_PrintUnformatted(arr) : NULL;
    cJSON_Delete(arr);
    return text;
}

static bool has_sequence(const dal_model *m)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (m->fields[i].flags & DAL_F_SEQUENCE)
            return true;
    return false;
}

/* ------------------------------------------------------------------------ */
/* Loading the working set                                                   */
/* ------------------------------------------------------------------------ */

static dal_code load_model(idb_state *st, const dal_model *m, dal_error *err)
{
    char *text = dal_idb_js_get_all(st->conn, m->table);
    if (text == NULL)
        return js_error(err, DAL_ERR_DATABASE, m->table);
    cJSON *arr = NULL;
    dal_code rc = dal_json_parse(text, strlen(text), &arr, err);
    free(text);
    if (rc != DAL_OK)
        return dal_error_prefix(err, "idb: reading %s", m->table);
    size_t n = (size_t)cJSON_GetArraySize(arr);
    char *rows = calloc(n ? n : 1, m->size);
    if (rows == NULL) {
        cJSON_Delete(arr);
        return dal_set_error(err, DAL_ERR_NOMEM, "idb: out of memory reading %s", m->table);
    }
    size_t i = 0;
    for (cJSON *it = arr->child; it != NULL && rc == DAL_OK; it = it->next, i++) {
        rc = dal_record_from_cjson(m, rows + i * m->size, it, err);
        if (rc != DAL_OK)
            dal_error_prefix(err, "idb: row %zu of %s", i + 1, m->table);
    }
    cJSON_Delete(arr);
    if (rc == DAL_OK)
        rc = dal_memory_load(st->mem, m, rows, n, err);
    for (size_t k = 0; k < n; k++)
        dal_record_clear(m, rows + k * m->size);
    free(rows);
    if (rc != DAL_OK)
        return rc;
    /* @sequence counters as they were (numbers are never given out twice) */
    if (has_sequence(m)) {
        for (unsigned f = 0; f < m->n_fields; f++) {
            if (!(m->fields[f].flags & DAL_F_SEQUENCE))
                continue;
            double v = dal_idb_js_seq(st->conn, m->table, m->fields[f].name);
            uint64_t u = v > 0 ? (uint64_t)v : 0;
            if ((rc = dal_memory_sequence(st->mem, m, f, &u, true, err)) != DAL_OK)
                return rc;
        }
    }
    return DAL_OK;
}

/* A fresh working set with every row of the database. */
static dal_code load_all(idb_state *st, const dal_schema *s, dal_error *err)
{
    dal_db *mem = dal_open(s, "memory:", NULL, err);
    if (mem == NULL)
        return dal_error_prefix(err, "idb: working set");
    if (dal_idb_js_snapshot(st->conn) != 0) {
        dal_close(mem);
        return js_error(err, DAL_ERR_DATABASE, "idb: reading the database");
    }
    dal_db *old = st->mem;
    st->mem = mem;
    dal_code rc = DAL_OK;
    for (size_t i = 0; i < s->n_models && rc == DAL_OK; i++)
        if (s->models[i]->table != NULL)
            rc = load_model(st, s->models[i], err);
    dal_idb_js_snapshot_done(st->conn);
    if (rc != DAL_OK) {
        st->mem = old;
        dal_close(mem);
        return rc;
    }
    dal_close(old);
    return DAL_OK;
}

/* Another tab committed since the working set was loaded: load it again. */
static dal_code refresh(dal_db *db, bool locked, dal_error *err)
{
    idb_state *st = state_of(db);
    int r = locked ? dal_idb_js_generation_moved(st->conn) : dal_idb_js_stale(st->conn);
    if (r < 0)
        return js_error(err, DAL_ERR_DATABASE, "idb: reading the generation");
    return r == 0 ? DAL_OK : load_all(st, db->schema, err);
}

/* ------------------------------------------------------------------------ */
/* Open, close                                                               */
/* ------------------------------------------------------------------------ */

static void state_free(idb_state *st)
{
    if (st == NULL)
        return;
    if (st->conn > 0)
        dal_idb_js_close(st->conn);
    dal_close(st->mem);
    free(st->name);
    free(st);
}

static dal_code idb_open(dal_db *db, dal_error *err)
{
    const char *name = db->path != NULL ? db->path : "";
    if (name[0] == '\0')
        return dal_set_error(err, DAL_ERR_INVALID, "idb: a database name is required (idb:NAME)");
    idb_state *st = calloc(1, sizeof *st);
    char *spec = stores_spec(db->schema);
    if (st == NULL || spec == NULL || (st->name = strdup(name)) == NULL) {
        free(st ? st->name : NULL);
        free(st);
        free(spec);
        return dal_set_error(err, DAL_ERR_NOMEM, "idb: out of memory opening %s", name);
    }
    st->conn = dal_idb_js_open(name, spec, db->schema->ns, db->schema->version);
    free(spec);
    if (st->conn <= 0) {
        int code = -st->conn;
        st->conn = 0;
        dal_code rc = js_error(err, code == 2 ? DAL_ERR_MIGRATION : DAL_ERR_DATABASE, "idb: opening database");
        dal_error_prefix(err, "%s", name);
        state_free(st);
        return rc;
    }
    db->state = st;
    dal_code rc = load_all(st, db->schema, err);
    if (rc != DAL_OK) {
        dal_error_prefix(err, "idb:%s", name);
        state_free(st);
        db->state = NULL;
        return rc;
    }
    return DAL_OK;
}

static void idb_close(dal_db *db)
{
    state_free(db->state);
    db->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* The change log                                                            */
/* ------------------------------------------------------------------------ */

/* n rows (an array of m's struct) put by one log call: one JSON text, parsed
 * once on the JavaScript side. final: part of a store's rewrite. */
static dal_code log_put(dal_db *h, const dal_model *m, const void *objs, size_t n, bool final, dal_error *err)
{
    if (n == 0)
        return DAL_OK;
    cJSON *arr = cJSON_CreateArray();
    bool ok = arr != NULL;
    for (size_t i = 0; ok && i < n; i++) {
        cJSON *o = dal_record_to_cjson(m, (const char *)objs + i * m->size);
        ok = o != NULL && cJSON_AddItemToArray(arr, o);
    }
    char *json = ok ? dal_json_print(arr) : NULL;
    cJSON_Delete(arr);
    if (json == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "idb: out of memory writing %s", m->table);
    int r = dal_idb_js_put(state_of(h)->conn, m->table, json, final ? 1 : 0);
    free(json);
    return r == 0 ? DAL_OK : js_error(err, DAL_ERR_SERIALIZATION, m->table);
}

static dal_code log_rewrite(dal_db *h, const dal_model *m, dal_error *err)
{
    (void)err;
    dal_idb_js_rewrite(state_of(h)->conn, m->table);
    return DAL_OK;
}

/* m and every model whose rows a delete of m's rows may change (cascade, set null). */
static dal_code log_rewrite_deleted(dal_db *h, const dal_model *m, dal_error *err)
{
    const dal_schema *s = h->schema;
    bool *mark = calloc(s->n_models ? s->n_models : 1, sizeof *mark);
    if (mark == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "idb: out of memory");
    for (size_t i = 0; i < s->n_models; i++)
        mark[i] = s->models[i] == m;
    for (bool grew = true; grew;) {
        grew = false;
        for (size_t i = 0; i < s->n_models; i++) {
            const dal_model *c = s->models[i];
            if (mark[i] || c->table == NULL)
                continue;
            for (size_t f = 0; f < c->n_fields && !mark[i]; f++) {
                const dal_ref *r = c->fields[f].ref;
                if (r == NULL || r->on_delete == DAL_ON_DELETE_RESTRICT)
                    continue;
                for (size_t j = 0; j < s->n_models; j++)
                    if (mark[j] && s->models[j] == r->model)
                        mark[i] = grew = true;
            }
        }
    }
    for (size_t i = 0; i < s->n_models; i++)
        if (mark[i])
            dal_idb_js_rewrite(state_of(h)->conn, s->models[i]->table);
    free(mark);
    return DAL_OK;
}

static dal_code log_delete(dal_db *h, const dal_model *m, const dal_value *key, dal_error *err)
{
    const dal_schema *s = h->schema;
    for (size_t i = 0; i < s->n_models; i++)
        for (size_t f = 0; f < s->models[i]->n_fields; f++) {
            const dal_ref *r = s->models[i]->fields[f].ref;
            if (r != NULL && r->model == m && r->on_delete != DAL_ON_DELETE_RESTRICT)
                return log_rewrite_deleted(h, m, err);
        }
    /* the key as IndexedDB keys it: the fields' JSON values */
    void *tmp = calloc(1, m->size);
    if (tmp == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "idb: out of memory");
    dal_code rc = DAL_OK;
    for (size_t i = 0; i < m->n_pk && rc == DAL_OK; i++)
        rc = dal_field_set(&m->fields[m->pk[i]], tmp, &key[i], err);
    cJSON *rec = rc == DAL_OK ? dal_record_to_cjson(m, tmp) : NULL;
    cJSON *k = NULL;
    if (rec != NULL) {
        if (m->n_pk == 1) {
            k = cJSON_DetachItemFromObjectCaseSensitive(rec, m->fields[m->pk[0]].name);
        } else {
            k = cJSON_CreateArray();
            for (size_t i = 0; k != NULL && i < m->n_pk; i++)
                cJSON_AddItemToArray(k, cJSON_DetachItemFromObjectCaseSensitive(rec, m->fields[m->pk[i]].name));
        }
    }
    char *text = k != NULL ? dal_json_print(k) : NULL;
    cJSON_Delete(k);
    cJSON_Delete(rec);
    dal_record_clear(m, tmp);
    free(tmp);
    if (rc != DAL_OK)
        return rc;
    if (text == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "idb: out of memory deleting from %s", m->table);
    int r = dal_idb_js_del(state_of(h)->conn, m->table, text);
    free(text);
    return r == 0 ? DAL_OK : js_error(err, DAL_ERR_SERIALIZATION, m->table);
}

/* Adds the rewrites and the @sequence counters, then writes the log in one
 * IndexedDB transaction. wh: the working-set handle that sees the changes. */
static dal_code flush(dal_db *h, dal_db *wh, bool *conflict, dal_error *err)
{
    *conflict = false;
    idb_state *st = state_of(h);
    const dal_schema *s = h->schema;
    if (dal_idb_js_log_size(st->conn) == 0)
        return DAL_OK;
    for (size_t i = 0; i < s->n_models; i++) {
        const dal_model *m = s->models[i];
        if (m->table == NULL)
            continue;
        if (dal_idb_js_rewrite_pending(st->conn, m->table)) {
            dal_list all = {0, NULL};
            dal_code rc = MEM->list_all(wh, m, &all, err);
            if (rc != DAL_OK)
                return rc;
            rc = log_put(h, m, all.v, all.n, true, err);
            dal_record_list_free(m, &all);
            if (rc != DAL_OK)
                return rc;
        }
        if (has_sequence(m) && dal_idb_js_touched(st->conn, m->table)) {
            for (unsigned f = 0; f < m->n_fields; f++) {
                if (!(m->fields[f].flags & DAL_F_SEQUENCE))
                    continue;
                uint64_t v = 0;
                dal_code rc = dal_memory_sequence(wh, m, f, &v, false, err);
                if (rc != DAL_OK)
                    return rc;
                dal_idb_js_set_seq(st->conn, m->table, m->fields[f].name, (double)v);
            }
        }
    }
    int r = dal_idb_js_flush(st->conn);
    *conflict = r == -2;
    if (r != 0)
        return js_error(err, DAL_ERR_DATABASE, "idb: writing");
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Writes outside a transaction: an implicit one                             */
/* ------------------------------------------------------------------------ */

typedef struct wcall {
    dal_db *h;
    dal_tx *mtx;    /* implicit working-set transaction, or NULL inside one */
    dal_db *wh;     /* the working-set handle to run on */
    bool locked;
    int attempt;    /* 0, then 1 after a conflict */
    bool retry;     /* wend: run the operation again (another tab had committed) */
} wcall;

/* A write outside a transaction takes the tabs' lock. Its first attempt
 * trusts the working set unless a message said another tab committed; the
 * commit itself checks the generation inside the IndexedDB transaction and
 * reports a conflict when it moved, and the second attempt reads the
 * generation first (reloading when needed), as a transaction's begin does. */
static dal_code wbegin(wcall *w, dal_db *h, int attempt, dal_error *err)
{
    memset(w, 0, sizeof *w);
    w->h = h;
    w->attempt = attempt;
    if (h->tx != NULL) {
        w->wh = inner(h);
        return DAL_OK;
    }
    idb_state *st = state_of(h);
    if (st->tx_open) {
        /* this thread's transaction holds the store: the working set refuses
         * the call as the memory backend does */
        w->wh = st->mem;
        return DAL_OK;
    }
    if (dal_idb_js_lock(st->conn, (int)h->opts.busy_timeout_ms) != 0)
        return js_error(err, DAL_ERR_DATABASE, "idb: waiting for the database lock");
    w->locked = true;
    dal_code rc = attempt == 0 ? refresh(h, false, err) : refresh(h, true, err);
    if (rc == DAL_OK && (w->mtx = dal_begin(st->mem, err)) == NULL)
        rc = err != NULL ? err->code : DAL_ERR_OTHER;
    if (rc != DAL_OK) {
        dal_idb_js_unlock(st->conn);
        w->locked = false;
        return rc;
    }
    w->wh = dal_tx_db(w->mtx);
    return DAL_OK;
}

/* rc: the operation's result (and its log entries, when it succeeded). */
static dal_code wend(wcall *w, dal_code rc, dal_error *err)
{
    idb_state *st = state_of(w->h);
    if (w->mtx == NULL)
        return rc; /* inside a transaction: its commit writes */
    bool conflict = false;
    if (rc == DAL_OK) {
        rc = flush(w->h, w->wh, &conflict, err);
    } else if (w->attempt == 0 && dal_idb_js_generation_moved(st->conn) == 1) {
        /* the operation failed on a working set another tab has since
         * changed (a row it inserted, a key it freed): try again on the
         * current one before answering */
        conflict = true;
    }
    if (rc != DAL_OK && conflict && w->attempt == 0)
        w->retry = true;
    if (rc == DAL_OK) {
        rc = dal_commit(w->mtx, err);
    } else {
        dal_idb_js_log_truncate(st->conn, 0);
        dal_rollback(w->mtx, NULL);
    }
    dal_tx_free(w->mtx);
    if (w->locked)
        dal_idb_js_unlock(st->conn);
    return rc;
}

/* A log mark for a statement inside a transaction: a failing statement leaves
 * nothing in the log. */
static int stmt_mark(dal_db *h)
{
    return dal_idb_js_log_size(state_of(h)->conn);
}

static dal_code stmt_done(dal_db *h, int mark, dal_code rc)
{
    if (rc != DAL_OK)
        dal_idb_js_log_truncate(state_of(h)->conn, mark);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Operations                                                                */
/* ------------------------------------------------------------------------ */

static dal_code idb_insert(dal_db *h, const dal_model *m, void *objs, size_t n, dal_error *err)
{
    wcall w = {0};
    dal_code rc;
    int attempt = 0;
    do {
        if ((rc = wbegin(&w, h, attempt++, err)) != DAL_OK)
            return rc;
        int mark = stmt_mark(h);
        rc = MEM->insert(w.wh, m, objs, n, err);
        if (rc == DAL_OK)
            rc = log_put(h, m, objs, n, false, err);
        rc = wend(&w, stmt_done(h, mark, rc), err);
    } while (w.retry);
    return rc;
}

static dal_code write_one(dal_db *h, const dal_model *m, void *obj, bool upsert, dal_error *err)
{
    wcall w = {0};
    dal_code rc;
    int attempt = 0;
    do {
        if ((rc = wbegin(&w, h, attempt++, err)) != DAL_OK)
            return rc;
        int mark = stmt_mark(h);
        rc = upsert ? MEM->upsert(w.wh, m, obj, err) : MEM->update(w.wh, m, obj, err);
        if (rc == DAL_OK)
            rc = log_put(h, m, obj, 1, false, err);
        rc = wend(&w, stmt_done(h, mark, rc), err);
    } while (w.retry);
    return rc;
}

static dal_code idb_update(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    return write_one(h, m, obj, false, err);
}

static dal_code idb_upsert(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    return write_one(h, m, obj, true, err);
}

static dal_code idb_remove(dal_db *h, const dal_model *m, const dal_value *key, bool *deleted, dal_error *err)
{
    wcall w = {0};
    dal_code rc;
    int attempt = 0;
    bool gone = false;
    do {
        if ((rc = wbegin(&w, h, attempt++, err)) != DAL_OK)
            return rc;
        int mark = stmt_mark(h);
        gone = false;
        rc = MEM->remove(w.wh, m, key, &gone, err);
        if (rc == DAL_OK && gone)
            rc = log_delete(h, m, key, err);
        rc = wend(&w, stmt_done(h, mark, rc), err);
    } while (w.retry);
    if (rc == DAL_OK && deleted != NULL)
        *deleted = gone;
    return rc;
}

static dal_code idb_exec(dal_db *h, const dal_query *q, const dal_value *args, int64_t *changed, dal_error *err)
{
    wcall w = {0};
    dal_code rc;
    int attempt = 0;
    int64_t n = 0;
    do {
        if ((rc = wbegin(&w, h, attempt++, err)) != DAL_OK)
            return rc;
        int mark = stmt_mark(h);
        n = 0;
        rc = MEM->exec(w.wh, q, args, &n, err);
        if (rc == DAL_OK && n > 0)
            rc = q->kind == DAL_Q_DELETE ? log_rewrite_deleted(h, q->model, err) : log_rewrite(h, q->model, err);
        rc = wend(&w, stmt_done(h, mark, rc), err);
    } while (w.retry);
    if (rc == DAL_OK && changed != NULL)
        *changed = n;
    return rc;
}

/* Reads: outside a transaction, first catch up with other tabs' commits. */
static dal_code rbegin(dal_db *h, dal_error *err)
{
    return h->tx != NULL || state_of(h)->tx_open ? DAL_OK : refresh(h, false, err);
}

static dal_code idb_get(dal_db *h, const dal_model *m, const dal_value *key, void *out, bool *found,
                        dal_error *err)
{
    dal_code rc = rbegin(h, err);
    return rc != DAL_OK ? rc : MEM->get(inner(h), m, key, out, found, err);
}

static dal_code idb_list_all(dal_db *h, const dal_model *m, dal_list *out, dal_error *err)
{
    dal_code rc = rbegin(h, err);
    return rc != DAL_OK ? rc : MEM->list_all(inner(h), m, out, err);
}

static dal_code idb_count(dal_db *h, const dal_model *m, int64_t *n, dal_error *err)
{
    dal_code rc = rbegin(h, err);
    return rc != DAL_OK ? rc : MEM->count(inner(h), m, n, err);
}

static dal_code idb_select(dal_db *h, const dal_query *q, const dal_value *args, size_t max_rows, dal_list *out,
                           dal_error *err)
{
    dal_code rc = rbegin(h, err);
    return rc != DAL_OK ? rc : MEM->select(inner(h), q, args, max_rows, out, err);
}

static dal_code idb_count_query(dal_db *h, const dal_query *q, const dal_value *args, int64_t *n, dal_error *err)
{
    dal_code rc = rbegin(h, err);
    return rc != DAL_OK ? rc : MEM->count_query(inner(h), q, args, n, err);
}

static dal_code idb_aggregate(dal_db *h, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err)
{
    dal_code rc = rbegin(h, err);
    return rc != DAL_OK ? rc : MEM->aggregate(inner(h), q, args, out, err);
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

static dal_code idb_begin(dal_tx *tx, dal_error *err)
{
    dal_db *h = &tx->handle;
    idb_state *st = state_of(h);
    idb_tx *ts = calloc(1, sizeof *ts);
    if (ts == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "begin: out of memory");
    dal_code rc = DAL_OK;
    if (tx->parent == NULL) {
        if (dal_idb_js_lock(st->conn, (int)h->opts.busy_timeout_ms) != 0) {
            free(ts);
            return js_error(err, DAL_ERR_DATABASE, "begin: waiting for the database lock");
        }
        rc = refresh(h, true, err);
        if (rc == DAL_OK && (ts->mtx = dal_begin(st->mem, err)) == NULL)
            rc = err != NULL ? err->code : DAL_ERR_OTHER;
        if (rc != DAL_OK)
            dal_idb_js_unlock(st->conn);
        else
            st->tx_open = true;
    } else {
        idb_tx *ps = tx->parent->bstate;
        if ((ts->mtx = dal_begin(dal_tx_db(ps->mtx), err)) == NULL)
            rc = err != NULL ? err->code : DAL_ERR_OTHER;
    }
    if (rc != DAL_OK) {
        free(ts);
        return dal_error_prefix(err, "begin");
    }
    ts->mark = dal_idb_js_log_size(st->conn);
    tx->bstate = ts;
    return DAL_OK;
}

static dal_code tx_end(dal_tx *tx, bool commit, dal_error *err)
{
    dal_db *h = &tx->handle;
    idb_state *st = state_of(h);
    idb_tx *ts = tx->bstate;
    if (ts == NULL)
        return DAL_OK;
    dal_code rc = DAL_OK;
    if (tx->parent != NULL) {
        if (commit) {
            rc = dal_commit(ts->mtx, err);
        } else {
            dal_idb_js_log_truncate(st->conn, ts->mark);
            dal_rollback(ts->mtx, NULL);
        }
    } else {
        bool conflict = false;
        if (commit)
            rc = flush(h, dal_tx_db(ts->mtx), &conflict, err);
        if (commit && rc == DAL_OK) {
            rc = dal_commit(ts->mtx, err);
        } else {
            dal_idb_js_log_truncate(st->conn, 0);
            dal_rollback(ts->mtx, NULL);
        }
        st->tx_open = false;
        dal_idb_js_unlock(st->conn);
    }
    dal_tx_free(ts->mtx);
    free(ts);
    tx->bstate = NULL;
    return rc;
}

static dal_code idb_commit(dal_tx *tx, dal_error *err)
{
    return tx_end(tx, true, err);
}

static dal_code idb_rollback(dal_tx *tx, dal_error *err)
{
    return tx_end(tx, false, err);
}

/* ------------------------------------------------------------------------ */
/* Maintenance                                                               */
/* ------------------------------------------------------------------------ */

static dal_code idb_vacuum(dal_db *db, dal_error *err)
{
    (void)db;
    (void)err;
    return DAL_OK; /* the browser compacts IndexedDB itself */
}

static dal_code idb_checkpoint(dal_db *db, dal_error *err)
{
    (void)db;
    (void)err;
    return DAL_OK; /* every commit is already written */
}

static dal_code idb_storage_size(dal_db *db, uint64_t *bytes, dal_error *err)
{
    return MEM->storage_size(inner(db), bytes, err);
}

static dal_code idb_pool_status(dal_db *db, dal_pool_status *st, dal_error *err)
{
    return MEM->pool_status(inner(db), st, err);
}

const dal_backend dal_idb_backend = {
    .version = DAL_BACKEND_VERSION,
    .scheme = "idb",
    .open = idb_open,
    .close = idb_close,
    .begin = idb_begin,
    .commit = idb_commit,
    .rollback = idb_rollback,
    .insert = idb_insert,
    .get = idb_get,
    .update = idb_update,
    .upsert = idb_upsert,
    .remove = idb_remove,
    .list_all = idb_list_all,
    .count = idb_count,
    .select = idb_select,
    .exec = idb_exec,
    .aggregate = idb_aggregate,
    .vacuum = idb_vacuum,
    .checkpoint = idb_checkpoint,
    .storage_size = idb_storage_size,
    .pool_status = idb_pool_status,
    .count_query = idb_count_query,
};
