/*
 * memory_backend.c - the "memory" backend: stores, locking, transactions and
 * writes (the query engine is mem_query.c, the indexes mem_keys.c).
 *
 * URLs: "memory:" opens a private store; "memory:NAME" opens the store NAME,
 * shared by every handle opened with that name in this process (with the same
 * schema) and freed when the last of them closes.
 *
 * Storage: per model a table of rows, each row ONE malloc'd block holding a
 * copy of the generated struct and everything it points to, packed (see
 * mem_internal.h): one allocation per insert, contiguous reads. Per table:
 *   - hash indexes (open addressing, linear probing) on the primary key and on
 *     every unique index / @unique field: get by id, duplicate checks;
 *   - ordered indexes (intrusive red-black trees, nodes inside the row block):
 *     one in primary-key order, one per dal_index of the model (declared and
 *     derived from queries by dalc), and one per foreign-key field that no
 *     other index leads with (so ON DELETE actions find children without a
 *     scan). Each is keyed by its parts then the primary key, so keys are
 *     unique and ties come out in primary-key order. Why red-black trees:
 *     linking a row never allocates (its nodes are in its block), unlinking
 *     needs no key comparison, the worst case is O(log n), scans go both
 *     ways, and with subtree sizes in the nodes the planner counts the
 *     entries of a candidate range in O(log n). A B+tree would scan faster
 *     but would allocate nodes and copy keys.
 *
 * ISOLATION MODEL. Each store has one read-write lock (mem_lock).
 *   - A call on a database handle outside any transaction takes it shared
 *     (get, list, count, select, aggregate, storage_size) or exclusive
 *     (insert, update, upsert, delete, exec, vacuum) for the call only. Every
 *     call is atomic: a failing write is undone completely (a statement undo
 *     log), so a batch insert is all or none.
 *   - dal_begin (top level) takes the lock EXCLUSIVE and holds it until
 *     commit / rollback: transactions are serializable, because they run one
 *     at a time, and no other thread reads or writes the store while one is
 *     open (other threads' calls wait; nothing uncommitted is ever visible).
 *     Work done through the transaction's handle takes no lock (a mutex only
 *     serializes calls made through transaction handles).
 *   - Each change in a transaction appends to its undo log: inserted row,
 *     removed row (kept), replaced row (old version kept). Rollback walks the
 *     log backwards relinking old versions, so rows and every index return to
 *     exactly their previous content. A nested dal_begin is a savepoint: a mark
 *     in the log; rolling it back undoes down to the mark. @sequence counters
 *     are not rolled back by a transaction rollback (values are never reused);
 *     a single failing call does give back the values it took.
 *   - A call on the database handle (not the transaction's) from the thread
 *     that holds a transaction open on the same store would wait for itself
 *     forever; it fails at once with DAL_ERR_TRANSACTION instead ("this thread
 *     has an open transaction on memory store X; use its handle").
 *     storage_size and pool_status are allowed there (they only read).
 *   - The lock is not tied to a thread: a transaction may be ended (or rolled
 *     back by dal_close / dal_tx_free) from another thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem_internal.h"

/* ------------------------------------------------------------------------ */
/* Counters                                                                  */
/* ------------------------------------------------------------------------ */

void mem_count_flush(mem_handle *hs, const mem_count *c)
{
    if (c->reads)
        atomic_fetch_add_explicit(&hs->entries_read, c->reads, memory_order_relaxed);
    if (c->seeks)
        atomic_fetch_add_explicit(&hs->seeks, c->seeks, memory_order_relaxed);
    if (c->steps)
        atomic_fetch_add_explicit(&hs->seek_steps, c->steps, memory_order_relaxed);
}

/* ------------------------------------------------------------------------ */
/* The store lock                                                            */
/* ------------------------------------------------------------------------ */

static const char *store_name(const mem_store *st)
{
    return st->name != NULL ? st->name : "(private)";
}

static void lock_init(mem_lock *l)
{
    atomic_init(&l->state, 0u);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->writers_waiting = 0;
    l->writer = false;
    atomic_init(&l->tx_owner, NULL);
}

static void lock_destroy(mem_lock *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
}

/* The calling thread's token: the address of a thread-local object, unique
 * among live threads. */
static const void *my_token(void)
{
    static _Thread_local char token;
    return &token;
}

/* Whether this thread holds the lock for a transaction. Only the holder
 * stores its own token, so reading our token back cannot be a race. */
static bool held_by_my_tx(mem_lock *l)
{
    return atomic_load_explicit(&l->tx_owner, memory_order_relaxed) == my_token();
}

static dal_code self_deadlock(const mem_store *st, dal_error *err)
{
    return dal_set_error(err, DAL_ERR_TRANSACTION,
                         "this thread has an open transaction on memory store '%s'; use its handle (dal_tx_db)",
                         store_name(st));
}

/*
 * The protocol. Readers: one compare-and-swap adds a reader while
 * MEM_LOCK_WRITER is clear; otherwise they wait under mu until a writer
 * clears it. Leaving is one subtraction; the last reader out while
 * MEM_LOCK_WRITER is set wakes the writer (under mu, so the wake-up cannot
 * slip between the writer's check and its wait). Writers: one at a time
 * under mu; the holder sets MEM_LOCK_WRITER, then waits for the readers
 * inside to leave. The bit stays set from one writer to the next while
 * writers wait (writers first), and is cleared when the last one leaves.
 */
static dal_code lock_shared(mem_store *st, dal_error *err)
{
    mem_lock *l = &st->lock;
    if (held_by_my_tx(l))
        return self_deadlock(st, err);
    unsigned s = atomic_load_explicit(&l->state, memory_order_relaxed);
    for (;;) {
        if (!(s & MEM_LOCK_WRITER)) {
            if (atomic_compare_exchange_weak_explicit(&l->state, &s, s + 1, memory_order_acquire,
                                                      memory_order_relaxed))
                return DAL_OK;
            continue; /* s reloaded */
        }
        pthread_mutex_lock(&l->mu);
        while (atomic_load_explicit(&l->state, memory_order_relaxed) & MEM_LOCK_WRITER)
            pthread_cond_wait(&l->cv, &l->mu);
        pthread_mutex_unlock(&l->mu);
        s = atomic_load_explicit(&l->state, memory_order_relaxed);
    }
}

static void unlock_shared(mem_store *st)
{
    mem_lock *l = &st->lock;
    unsigned left = atomic_fetch_sub_explicit(&l->state, 1u, memory_order_release) - 1u;
    if (left == MEM_LOCK_WRITER) { /* the last reader, and a writer is waiting */
        pthread_mutex_lock(&l->mu);
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
    }
}

static dal_code lock_exclusive(mem_store *st, bool for_tx, dal_error *err)
{
    mem_lock *l = &st->lock;
    if (held_by_my_tx(l))
        return self_deadlock(st, err);
    pthread_mutex_lock(&l->mu);
    l->writers_waiting++;
    while (l->writer)
        pthread_cond_wait(&l->cv, &l->mu);
    l->writers_waiting--;
    l->writer = true;
    atomic_fetch_or_explicit(&l->state, MEM_LOCK_WRITER, memory_order_relaxed);
    while (atomic_load_explicit(&l->state, memory_order_acquire) != MEM_LOCK_WRITER)
        pthread_cond_wait(&l->cv, &l->mu); /* readers still inside */
    if (for_tx)
        atomic_store_explicit(&l->tx_owner, my_token(), memory_order_relaxed);
    pthread_mutex_unlock(&l->mu);
    return DAL_OK;
}

static void unlock_exclusive(mem_store *st)
{
    mem_lock *l = &st->lock;
    pthread_mutex_lock(&l->mu);
    atomic_store_explicit(&l->tx_owner, NULL, memory_order_relaxed);
    l->writer = false;
    if (l->writers_waiting == 0)
        atomic_fetch_and_explicit(&l->state, ~MEM_LOCK_WRITER, memory_order_release);
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

/* ------------------------------------------------------------------------ */
/* Entering a call                                                           */
/* ------------------------------------------------------------------------ */

enum { ACC_SHARED = 1, ACC_EXCLUSIVE, ACC_TX };

typedef struct access {
    mem_handle *hs;
    mem_store *st;
    int mode;
} access;

static dal_code enter(dal_db *h, bool write, access *a, dal_error *err)
{
    a->hs = h->state;
    a->st = a->hs->st;
    if (h->tx != NULL) {
        pthread_mutex_lock(&a->st->tx_mu);
        a->mode = ACC_TX;
        return DAL_OK;
    }
    a->mode = write ? ACC_EXCLUSIVE : ACC_SHARED;
    return write ? lock_exclusive(a->st, false, err) : lock_shared(a->st, err);
}

/* For read-only maintenance from any thread, the transaction's own included. */
static void enter_maintenance(dal_db *h, access *a)
{
    a->hs = h->state;
    a->st = a->hs->st;
    if (held_by_my_tx(&a->st->lock) || h->tx != NULL) {
        pthread_mutex_lock(&a->st->tx_mu);
        a->mode = ACC_TX;
    } else {
        (void)lock_shared(a->st, NULL);
        a->mode = ACC_SHARED;
    }
}

static void leave(access *a, const mem_count *c)
{
    if (c != NULL)
        mem_count_flush(a->hs, c);
    switch (a->mode) {
    case ACC_SHARED: unlock_shared(a->st); break;
    case ACC_EXCLUSIVE: unlock_exclusive(a->st); break;
    case ACC_TX: pthread_mutex_unlock(&a->st->tx_mu); break;
    default: break;
    }
    a->mode = 0;
}

static mem_table *table_of(mem_store *st, const dal_model *m)
{
    for (size_t i = 0; i < st->n_tables; i++)
        if (st->tables[i].m == m)
            return &st->tables[i];
    return NULL;
}

static dal_code no_table(const dal_model *m, const char *what, dal_error *err)
{
    return dal_set_error(err, DAL_ERR_INVALID, "%s %s: the model has no table in this store", what,
                         m != NULL ? m->name : "?");
}

/* ------------------------------------------------------------------------ */
/* Rows and the undo log                                                     */
/* ------------------------------------------------------------------------ */

/* A new row block holding a packed copy of src (a caller's struct, or the
 * data of a row), not linked anywhere; NULL when out of memory. */
static mem_row *row_pack(const mem_table *t, const void *src)
{
    size_t bytes = t->extra_off + mem_packed_extra(t->m, src);
    mem_row *r = malloc(bytes);
    if (r == NULL)
        return NULL;
    memset(r, 0, t->data_off);
    r->bytes = bytes;
    mem_pack_record(t->m, mem_data(t, r), src, (char *)r + t->extra_off);
    return r;
}

static void row_free(const mem_table *t, mem_row *r)
{
    (void)t; /* everything the row holds is inside its block */
    free(r);
}

static bool table_reserve(mem_table *t, size_t more)
{
    for (size_t i = 0; i < t->n_hidx; i++)
        if (!mem_hidx_reserve(&t->hidx[i], more))
            return false;
    return true;
}

/* Links r into every index (room in the hash indexes was reserved). */
static void row_link(mem_table *t, mem_row *r)
{
    const void *d = mem_data(t, r);
    for (size_t i = 0; i < t->n_hidx; i++) {
        bool has_null;
        uint64_t h = mem_hash_row(&t->hidx[i], d, &has_null);
        if (!has_null)
            mem_hidx_put(&t->hidx[i], h, r);
    }
    for (size_t i = 0; i < t->n_oidx; i++)
        mem_oidx_insert(&t->oidx[i], t, r);
    r->live = true;
    t->nrows++;
}

static void row_unlink(mem_table *t, mem_row *r)
{
    const void *d = mem_data(t, r);
    for (size_t i = 0; i < t->n_hidx; i++) {
        bool has_null;
        uint64_t h = mem_hash_row(&t->hidx[i], d, &has_null);
        if (!has_null)
            mem_hidx_remove(&t->hidx[i], h, r);
    }
    for (size_t i = 0; i < t->n_oidx; i++)
        mem_rb_erase(&t->oidx[i].tree, &r->node[t->oidx[i].slot]);
    r->live = false;
    t->nrows--;
}

/* Puts fresh where old is: in place where the key did not change. */
static void row_swap(mem_table *t, mem_row *old, mem_row *fresh)
{
    const void *od = mem_data(t, old), *fd = mem_data(t, fresh);
    for (size_t i = 0; i < t->n_hidx; i++) {
        mem_hidx *h = &t->hidx[i];
        bool on, fn;
        uint64_t oh = mem_hash_row(h, od, &on), fh = mem_hash_row(h, fd, &fn);
        if (!on && !fn && oh == fh && mem_cmp_parts(h->kp, h->nkp, od, fd) == 0) {
            mem_hidx_swap(h, oh, old, fresh);
            continue;
        }
        if (!on)
            mem_hidx_remove(h, oh, old);
        if (!fn)
            mem_hidx_put(h, fh, fresh);
    }
    for (size_t i = 0; i < t->n_oidx; i++) {
        mem_oidx *x = &t->oidx[i];
        if (mem_cmp_parts(x->kp, x->nkp, od, fd) == 0) {
            mem_rb_replace(&x->tree, &old->node[x->slot], &fresh->node[x->slot]);
        } else {
            mem_rb_erase(&x->tree, &old->node[x->slot]);
            mem_oidx_insert(x, t, fresh);
        }
    }
    old->live = false;
    fresh->live = true;
    old->newer = fresh;
}

static bool undo_reserve(mem_undo *u, size_t more)
{
    if (u->n + more <= u->cap)
        return true;
    size_t cap = u->cap ? u->cap * 2 : 16;
    while (cap < u->n + more)
        cap *= 2;
    mem_undo_entry *v = realloc(u->v, cap * sizeof *v);
    if (v == NULL)
        return false;
    u->v = v;
    u->cap = cap;
    return true;
}

static void undo_push(mem_undo *u, int kind, mem_table *t, mem_row *a, mem_row *b)
{
    mem_undo_entry *e = &u->v[u->n++];
    e->kind = kind;
    e->t = t;
    e->a = a;
    e->b = b;
}

/* Undoes the entries after mark, newest first. Never allocates: every hash
 * index had room for the rows it held at each earlier point. */
static void undo_to(mem_undo *u, size_t mark)
{
    while (u->n > mark) {
        mem_undo_entry *e = &u->v[--u->n];
        switch (e->kind) {
        case MEM_U_INSERT:
            row_unlink(e->t, e->a);
            row_free(e->t, e->a);
            break;
        case MEM_U_DELETE:
            row_link(e->t, e->a);
            break;
        case MEM_U_REPLACE:
            row_swap(e->t, e->b, e->a);
            e->a->newer = NULL;
            row_free(e->t, e->b);
            break;
        default: break;
        }
    }
}

/* Makes the logged changes permanent: frees the versions they replaced. */
static void undo_commit(mem_undo *u)
{
    for (size_t i = 0; i < u->n; i++) {
        mem_undo_entry *e = &u->v[i];
        if (e->kind == MEM_U_DELETE || e->kind == MEM_U_REPLACE)
            row_free(e->t, e->a);
    }
    u->n = 0;
}

/* ------------------------------------------------------------------------ */
/* Statements                                                                */
/* ------------------------------------------------------------------------ */

typedef struct mem_txstate {
    mem_undo *log;  /* the top-level transaction's */
    size_t mark;    /* savepoint: where it began */
    mem_undo own;   /* top level: the log */
} mem_txstate;

typedef struct wctx {
    mem_store *st;
    mem_undo *log;
    size_t mark;
    bool in_tx;
    mem_count cnt;
    const char *what;  /* "insert", "delete", "Task.claim" ... for messages */
    dal_error *err;
    bool load;         /* dal_memory_load: keep @sequence values, references unchecked */
} wctx;

static void stmt_begin(wctx *w, dal_db *h, mem_store *st, const char *what, dal_error *err)
{
    memset(w, 0, sizeof *w);
    w->st = st;
    w->in_tx = h->tx != NULL;
    w->log = w->in_tx ? ((mem_txstate *)h->tx->bstate)->log : &st->scratch;
    w->mark = w->log->n;
    w->what = what;
    w->err = err;
}

static dal_code stmt_end(wctx *w, dal_code rc)
{
    if (rc != DAL_OK)
        undo_to(w->log, w->mark);
    if (!w->in_tx)
        undo_commit(w->log);
    return rc;
}

static dal_code w_nomem(wctx *w, const mem_table *t)
{
    return dal_set_error(w->err, DAL_ERR_NOMEM, "%s %s: out of memory", w->what, t->m->name);
}

/* "a, b": the column names of a key */
static void columns_of(const mem_table *t, const mem_kpart *kp, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        int k = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", t->m->fields[kp[i].field].column);
        if (k < 0)
            break;
        used += (size_t)k;
    }
}

/* No row other than except has the key of data in a unique index. */
static dal_code check_unique(wctx *w, mem_table *t, const void *data, const mem_row *except)
{
    for (size_t i = 0; i < t->n_hidx; i++) {
        const mem_hidx *h = &t->hidx[i];
        bool has_null;
        uint64_t hash = mem_hash_row(h, data, &has_null);
        if (has_null || mem_hidx_find_row(h, t, hash, data, except, &w->cnt) == NULL)
            continue;
        char cols[256];
        columns_of(t, h->kp, h->nkp, cols, sizeof cols);
        return dal_constraint_fail(w->err, DAL_CONSTRAINT_UNIQUE, t->m->table, cols, NULL, NULL);
    }
    return DAL_OK;
}

/* Every reference data makes (that changed from old, when given) exists. */
static dal_code check_parents(wctx *w, mem_table *t, const void *data, const void *old)
{
    for (size_t i = 0; i < t->n_out; i++) {
        const mem_ref *r = t->out[i];
        const mem_kpart *kp = &t->fkp[r->child_field];
        if (!mem_present(kp, data) || (old != NULL && mem_cmp_part(kp, data, old) == 0))
            continue;
        mem_cval v = mem_field_cval(kp, data);
        if (mem_any_equal(r->parent, r->parent_field, r->parent_hidx, r->parent_oidx, &v, &w->cnt))
            continue;
        return dal_constraint_fail(w->err, DAL_CONSTRAINT_FOREIGN_KEY, t->m->table,
                                   t->m->fields[r->child_field].column, r->parent->m->table,
                                   r->parent->m->fields[r->parent_field].column);
    }
    return DAL_OK;
}

/* A referenced value that changes from old to data must not be referenced. */
static dal_code check_children_kept(wctx *w, mem_table *t, const void *old, const void *data, const mem_row *self)
{
    for (size_t i = 0; i < t->n_in; i++) {
        const mem_ref *r = t->in[i];
        const mem_kpart *kp = &t->fkp[r->parent_field];
        if (!mem_present(kp, old) || mem_cmp_part(kp, old, data) == 0)
            continue;
        mem_cval v = mem_field_cval(kp, old);
        mem_rowvec kids;
        mem_rowvec_init(&kids);
        dal_code rc = mem_rows_equal(r->child, r->child_oidx, &v, &kids, &w->cnt, w->err);
        bool referenced = false;
        for (size_t k = 0; k < kids.n; k++)
            referenced = referenced || kids.v[k] != self;
        mem_rowvec_free(&kids);
        if (rc != DAL_OK)
            return rc;
        if (referenced)
            return dal_constraint_fail(w->err, DAL_CONSTRAINT_RESTRICT, r->child->m->table,
                                       r->child->m->fields[r->child_field].column, t->m->table,
                                       t->m->fields[r->parent_field].column);
    }
    return DAL_OK;
}

/* Replaces old by fresh (a new block) after the constraint checks; frees
 * fresh on failure. */
static dal_code replace_row(wctx *w, mem_table *t, mem_row *old, mem_row *fresh)
{
    const void *od = mem_data(t, old), *fd = mem_data(t, fresh);
    dal_code rc = check_unique(w, t, fd, old);
    if (rc == DAL_OK)
        rc = check_parents(w, t, fd, od);
    if (rc == DAL_OK)
        rc = check_children_kept(w, t, od, fd, old);
    if (rc == DAL_OK && (!table_reserve(t, 1) || !undo_reserve(w->log, 1)))
        rc = w_nomem(w, t);
    if (rc != DAL_OK) {
        row_free(t, fresh);
        return rc;
    }
    row_swap(t, old, fresh);
    undo_push(w->log, MEM_U_REPLACE, t, old, fresh);
    return DAL_OK;
}

/* The version of r that is linked now (NULL when it was deleted). */
static mem_row *current(mem_row *r)
{
    while (r != NULL && !r->live)
        r = r->newer;
    return r;
}

/* A new block holding a packed copy of the row data (or of a caller's struct). */
static dal_code row_copy(wctx *w, const mem_table *t, const void *src, mem_row **out)
{
    if ((*out = row_pack(t, src)) == NULL)
        return dal_set_error(w->err, DAL_ERR_NOMEM, "%s %s: out of memory", w->what, t->m->name);
    return DAL_OK;
}

/* A struct of t's model that owns its values (dal_record_clear frees them):
 * a copy of row r, for dal_field_set to change before it is packed again. */
typedef struct scratch_rec {
    void *p;
    union {
        max_align_t align;
        char bytes[1024];
    } local;
} scratch_rec;

static dal_code scratch_from_row(wctx *w, const mem_table *t, const mem_row *r, scratch_rec *s)
{
    const dal_model *m = t->m;
    s->p = m->size <= sizeof s->local.bytes ? s->local.bytes : malloc(m->size);
    if (s->p == NULL)
        return dal_set_error(w->err, DAL_ERR_NOMEM, "%s %s: out of memory", w->what, m->name);
    dal_code rc = dal_record_copy_fresh(m, s->p, mem_data(t, r), w->err);
    if (rc != DAL_OK && s->p != s->local.bytes)
        free(s->p);
    return rc;
}

static void scratch_free(const mem_table *t, scratch_rec *s)
{
    dal_record_clear(t->m, s->p);
    if (s->p != s->local.bytes)
        free(s->p);
}

static dal_code set_null_child(wctx *w, mem_table *t, mem_row *r, unsigned field)
{
    const dal_field *f = &t->m->fields[field];
    if (!(f->flags & DAL_F_OPTIONAL))
        return dal_constraint_fail(w->err, DAL_CONSTRAINT_NOT_NULL, t->m->table, f->column, NULL, NULL);
    scratch_rec s;
    dal_code rc = scratch_from_row(w, t, r, &s);
    if (rc != DAL_OK)
        return rc;
    dal_value null_value;
    memset(&null_value, 0, sizeof null_value);
    null_value.type = f->type;
    null_value.is_null = true;
    mem_row *fresh = NULL;
    if ((rc = dal_field_set(f, s.p, &null_value, w->err)) == DAL_OK)
        rc = row_copy(w, t, s.p, &fresh);
    scratch_free(t, &s);
    return rc == DAL_OK ? replace_row(w, t, r, fresh) : rc;
}

static dal_code delete_row(wctx *w, mem_table *t, mem_row *r);

/* Applies the ON DELETE action of ref to the children of the removed row d. */
static dal_code delete_action(wctx *w, const mem_ref *ref, const void *d)
{
    mem_cval v = mem_field_cval(&ref->parent->fkp[ref->parent_field], d);
    if (v.kind == CV_NULL)
        return DAL_OK;
    mem_rowvec kids;
    mem_rowvec_init(&kids);
    dal_code rc = mem_rows_equal(ref->child, ref->child_oidx, &v, &kids, &w->cnt, w->err);
    mem_table *ct = ref->child;
    for (size_t k = 0; k < kids.n && rc == DAL_OK; k++) {
        mem_row *kid = current(kids.v[k]);
        if (kid == NULL || mem_cmp_value(&ct->fkp[ref->child_field], mem_data(ct, kid), &v) != 0)
            continue;
        if (ref->on_delete == DAL_ON_DELETE_CASCADE)
            rc = delete_row(w, ct, kid);
        else
            rc = set_null_child(w, ct, kid, ref->child_field);
    }
    mem_rowvec_free(&kids);
    return rc;
}

/* Removes r (kept by the undo log) after checking restrict references, then
 * cascades / sets null in the rows that referenced it. */
static dal_code delete_row(wctx *w, mem_table *t, mem_row *r)
{
    const void *d = mem_data(t, r);
    for (size_t i = 0; i < t->n_in; i++) {
        const mem_ref *ref = t->in[i];
        if (ref->on_delete != DAL_ON_DELETE_RESTRICT)
            continue;
        mem_cval v = mem_field_cval(&t->fkp[ref->parent_field], d);
        if (v.kind == CV_NULL)
            continue;
        mem_rowvec kids;
        mem_rowvec_init(&kids);
        dal_code rc = mem_rows_equal(ref->child, ref->child_oidx, &v, &kids, &w->cnt, w->err);
        bool referenced = false;
        for (size_t k = 0; k < kids.n; k++)
            referenced = referenced || kids.v[k] != r; /* a row may reference itself */
        mem_rowvec_free(&kids);
        if (rc != DAL_OK)
            return rc;
        if (referenced)
            return dal_constraint_fail(w->err, DAL_CONSTRAINT_RESTRICT, ref->child->m->table,
                                       ref->child->m->fields[ref->child_field].column, t->m->table,
                                       t->m->fields[ref->parent_field].column);
    }
    if (!undo_reserve(w->log, 1))
        return w_nomem(w, t);
    row_unlink(t, r);
    undo_push(w->log, MEM_U_DELETE, t, r, NULL);
    for (size_t i = 0; i < t->n_in; i++) {
        if (t->in[i]->on_delete == DAL_ON_DELETE_RESTRICT)
            continue;
        dal_code rc = delete_action(w, t->in[i], d);
        if (rc != DAL_OK)
            return rc;
    }
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* @sequence                                                                 */
/* ------------------------------------------------------------------------ */

static void put_uint(dal_type t, void *p, uint64_t v)
{
    switch (t) {
    case DAL_INT:
    case DAL_TIMESTAMP: *(int64_t *)p = (int64_t)v; break;
    case DAL_I32: *(int32_t *)p = (int32_t)v; break;
    case DAL_U32: *(uint32_t *)p = (uint32_t)v; break;
    case DAL_U64: *(uint64_t *)p = v; break;
    case DAL_REAL: *(double *)p = (double)v; break;
    default: break;
    }
}

static void mark_present(const dal_field *f, void *obj)
{
    if (f->has_offset != DAL_NO_OFFSET)
        *(bool *)(void *)((char *)obj + f->has_offset) = true;
}

/* Gives every @sequence field of the new row (and of obj) the next value. */
static void assign_sequences(mem_table *t, void *data, void *obj)
{
    const dal_model *m = t->m;
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        if (!(f->flags & DAL_F_SEQUENCE))
            continue;
        uint64_t v = ++t->seq[i];
        put_uint(f->type, (char *)data + f->offset, v);
        put_uint(f->type, (char *)obj + f->offset, v);
        mark_present(f, data);
        mark_present(f, obj);
    }
}

static uint64_t get_uint(dal_type t, const void *p)
{
    switch (t) {
    case DAL_INT:
    case DAL_TIMESTAMP: return (uint64_t)*(const int64_t *)p;
    case DAL_I32: return (uint64_t)(int64_t)*(const int32_t *)p;
    case DAL_U32: return *(const uint32_t *)p;
    case DAL_U64: return *(const uint64_t *)p;
    case DAL_REAL: return *(const double *)p >= 0 ? (uint64_t)*(const double *)p : 0;
    default: return 0;
    }
}

/* dal_memory_load: the row keeps its @sequence values; counters move past them. */
static void raise_sequences(mem_table *t, const void *data)
{
    const dal_model *m = t->m;
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        if (!(f->flags & DAL_F_SEQUENCE) || !dal_field_present(f, data))
            continue;
        uint64_t v = get_uint(f->type, (const char *)data + f->offset);
        if (v > t->seq[i])
            t->seq[i] = v;
    }
}

/* Copies the stored @sequence values of old into the new row and obj. */
static void keep_sequences(const mem_table *t, const void *old, void *data, void *obj)
{
    const dal_model *m = t->m;
    for (size_t i = 0; i < m->n_fields; i++) {
        const dal_field *f = &m->fields[i];
        if (!(f->flags & DAL_F_SEQUENCE))
            continue;
        size_t sz = dal_type_size(f->type);
        memcpy((char *)data + f->offset, (const char *)old + f->offset, sz);
        memcpy((char *)obj + f->offset, (const char *)old + f->offset, sz);
        if (f->has_offset != DAL_NO_OFFSET) {
            bool has = *(const bool *)(const void *)((const char *)old + f->has_offset);
            *(bool *)(void *)((char *)data + f->has_offset) = has;
            *(bool *)(void *)((char *)obj + f->has_offset) = has;
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Writes                                                                    */
/* ------------------------------------------------------------------------ */

/* How rows come in: new rows get @sequence numbers; imported rows
 * (dal_copy_all) and loaded rows (dal_memory_load) keep theirs and move the
 * counters past them; loaded rows also skip the reference checks. */
typedef enum ins_mode { INS_NEW, INS_IMPORT, INS_LOAD } ins_mode;

static dal_code insert_one(wctx *w, mem_table *t, void *obj, ins_mode mode)
{
    mem_row *r;
    if (!undo_reserve(w->log, 1))
        return w_nomem(w, t);
    dal_code rc = row_copy(w, t, obj, &r);
    if (rc != DAL_OK)
        return rc;
    void *d = mem_data(t, r);
    if (mode != INS_NEW)
        raise_sequences(t, d);
    else
        assign_sequences(t, d, obj);
    if ((rc = check_unique(w, t, d, NULL)) != DAL_OK) {
        row_free(t, r);
        return rc;
    }
    row_link(t, r);
    /* parents after linking: a row may reference itself */
    if (!w->load && (rc = check_parents(w, t, d, NULL)) != DAL_OK) {
        row_unlink(t, r);
        row_free(t, r);
        return rc;
    }
    undo_push(w->log, MEM_U_INSERT, t, r, NULL);
    return DAL_OK;
}

/* The stored row with obj's primary key, or NULL. */
static mem_row *find_by_obj(wctx *w, mem_table *t, const void *obj)
{
    bool has_null;
    uint64_t h = mem_hash_row(&t->hidx[0], obj, &has_null);
    return mem_hidx_find_row(&t->hidx[0], t, h, obj, NULL, &w->cnt);
}

static dal_code update_existing(wctx *w, mem_table *t, mem_row *old, void *obj)
{
    mem_row *fresh;
    dal_code rc = row_copy(w, t, obj, &fresh);
    if (rc != DAL_OK)
        return rc;
    keep_sequences(t, mem_data(t, old), mem_data(t, fresh), obj);
    return replace_row(w, t, old, fresh);
}

typedef struct seq_saved {
    uint64_t *seq;
    size_t n;
    uint64_t local[16];
} seq_saved;

/* A failing call gives back the @sequence values it took. */
static void seq_save(seq_saved *s, const mem_table *t)
{
    s->n = t->m->n_fields <= 16 ? t->m->n_fields : 0;
    s->seq = t->seq;
    memcpy(s->local, t->seq, s->n * sizeof *t->seq);
}

static void seq_restore(const seq_saved *s)
{
    memcpy(s->seq, s->local, s->n * sizeof *s->seq);
}

static dal_code insert_rows(dal_db *h, const dal_model *m, void *objs, size_t n, ins_mode mode, dal_error *err)
{
    access a;
    dal_code rc = enter(h, true, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, m);
    if (t == NULL) {
        leave(&a, NULL);
        return no_table(m, "insert", err);
    }
    wctx w;
    stmt_begin(&w, h, a.st, mode == INS_LOAD ? "load" : "insert", err);
    w.load = mode == INS_LOAD;
    seq_saved saved;
    seq_save(&saved, t);
    if (!table_reserve(t, n))
        rc = w_nomem(&w, t);
    for (size_t i = 0; i < n && rc == DAL_OK; i++) {
        rc = insert_one(&w, t, (char *)objs + i * m->size, mode);
        if (rc != DAL_OK && n > 1)
            dal_error_prefix(err, "row %zu of %zu", i + 1, n);
    }
    if (rc != DAL_OK)
        seq_restore(&saved);
    rc = stmt_end(&w, rc);
    leave(&a, &w.cnt);
    return rc;
}

static dal_code mem_insert(dal_db *h, const dal_model *m, void *objs, size_t n, dal_error *err)
{
    return insert_rows(h, m, objs, n, INS_NEW, err);
}

static dal_code mem_import(dal_db *h, const dal_model *m, void *objs, size_t n, dal_error *err)
{
    return insert_rows(h, m, objs, n, INS_IMPORT, err);
}

/* The row with the given key values, or NULL. */
static mem_row *find_by_key(mem_table *t, const dal_value *key, mem_count *c)
{
    const mem_hidx *h = &t->hidx[0];
    mem_cval v[16];
    if (h->nkp > 16)
        return NULL;
    for (size_t i = 0; i < h->nkp; i++) {
        v[i] = mem_value_cval(&key[i]);
        if (v[i].kind == CV_NULL || !mem_cval_fits(&h->kp[i], &v[i]))
            return NULL;
    }
    return mem_hidx_find_vals(h, t, mem_hash_vals(h, v), v, c);
}

static dal_code mem_get(dal_db *h, const dal_model *m, const dal_value *key, void *out, bool *found,
                        dal_error *err)
{
    access a;
    dal_code rc = enter(h, false, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, m);
    mem_count c = {0, 0, 0};
    if (t == NULL) {
        rc = no_table(m, "get", err);
    } else {
        mem_row *r = find_by_key(t, key, &c);
        if (r != NULL)
            rc = dal_record_copy(m, out, mem_data(t, r), err);
        if (rc == DAL_OK)
            *found = r != NULL;
    }
    leave(&a, &c);
    return rc;
}

static dal_code not_found(wctx *w, const mem_table *t, const void *obj)
{
    char key[256];
    mem_describe_key(t, t->hidx[0].kp, t->hidx[0].nkp, obj, key, sizeof key);
    return dal_set_error(w->err, DAL_ERR_NOT_FOUND, "%s %s: no row in %s with %s", w->what, t->m->name, t->m->table,
                         key);
}

static dal_code write_one(dal_db *h, const dal_model *m, void *obj, bool upsert, dal_error *err)
{
    const char *what = upsert ? "upsert" : "update";
    access a;
    dal_code rc = enter(h, true, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, m);
    if (t == NULL) {
        leave(&a, NULL);
        return no_table(m, what, err);
    }
    wctx w;
    stmt_begin(&w, h, a.st, what, err);
    seq_saved saved;
    seq_save(&saved, t);
    mem_row *old = find_by_obj(&w, t, obj);
    if (old != NULL)
        rc = update_existing(&w, t, old, obj);
    else if (!upsert)
        rc = not_found(&w, t, obj);
    else if (!table_reserve(t, 1))
        rc = w_nomem(&w, t);
    else
        rc = insert_one(&w, t, obj, false);
    if (rc != DAL_OK)
        seq_restore(&saved);
    rc = stmt_end(&w, rc);
    leave(&a, &w.cnt);
    return rc;
}

static dal_code mem_update(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    return write_one(h, m, obj, false, err);
}

static dal_code mem_upsert(dal_db *h, const dal_model *m, void *obj, dal_error *err)
{
    return write_one(h, m, obj, true, err);
}

static dal_code mem_remove(dal_db *h, const dal_model *m, const dal_value *key, bool *deleted, dal_error *err)
{
    access a;
    dal_code rc = enter(h, true, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, m);
    if (t == NULL) {
        leave(&a, NULL);
        return no_table(m, "delete", err);
    }
    wctx w;
    stmt_begin(&w, h, a.st, "delete", err);
    mem_row *r = find_by_key(t, key, &w.cnt);
    *deleted = false;
    if (r != NULL && (rc = delete_row(&w, t, r)) == DAL_OK)
        *deleted = true;
    rc = stmt_end(&w, rc);
    if (rc != DAL_OK)
        *deleted = false;
    leave(&a, &w.cnt);
    return rc;
}

static dal_code mem_list_all(dal_db *h, const dal_model *m, dal_list *out, dal_error *err)
{
    access a;
    dal_code rc = enter(h, false, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, m);
    mem_count c = {0, 0, 0};
    if (t == NULL) {
        leave(&a, NULL);
        return no_table(m, "list", err);
    }
    char *v = t->nrows ? calloc(t->nrows, m->size) : NULL;
    size_t n = 0;
    if (t->nrows && v == NULL)
        rc = dal_set_error(err, DAL_ERR_NOMEM, "list %s: out of memory for %zu rows", m->name, t->nrows);
    const mem_oidx *x = &t->oidx[0];
    for (mem_rbnode *nd = mem_rb_first(&x->tree); nd != NULL && rc == DAL_OK; nd = mem_rb_next(nd)) {
        c.reads++;
        rc = dal_record_copy_fresh(m, v + n * m->size, mem_data(t, mem_node_row(x, nd)), err);
        if (rc == DAL_OK)
            n++;
    }
    if (rc == DAL_OK) {
        out->n = n;
        out->v = v;
    } else {
        dal_list partial = {n, v};
        dal_record_list_free(m, &partial);
    }
    leave(&a, &c);
    return rc;
}

static dal_code mem_count_rows(dal_db *h, const dal_model *m, int64_t *n, dal_error *err)
{
    access a;
    dal_code rc = enter(h, false, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, m);
    if (t == NULL)
        rc = no_table(m, "count", err);
    else
        *n = (int64_t)t->nrows;
    leave(&a, NULL);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

static dal_code exec_rows(dal_db *h, const dal_query *q, const dal_value *args, int64_t *changed, dal_list *out,
                          dal_error *err);

static dal_code mem_select_call(dal_db *h, const dal_query *q, const dal_value *args, size_t max_rows,
                                dal_list *out, dal_error *err)
{
    if (q->kind == DAL_Q_UPDATE) /* an update that returns its rows */
        return exec_rows(h, q, args, NULL, out, err);
    access a;
    dal_code rc = enter(h, false, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, q->model);
    mem_count c = {0, 0, 0};
    rc = t == NULL ? no_table(q->model, q->name, err) : mem_select(a.st, t, q, args, max_rows, out, &c, err);
    leave(&a, &c);
    return rc;
}

static dal_code mem_count_query_call(dal_db *h, const dal_query *q, const dal_value *args, int64_t *n,
                                    dal_error *err)
{
    access a;
    dal_code rc = enter(h, false, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, q->model);
    mem_count c = {0, 0, 0};
    rc = t == NULL ? no_table(q->model, q->name, err) : mem_count_select(a.st, t, q, args, n, &c, err);
    leave(&a, &c);
    return rc;
}

static dal_code mem_aggregate_call(dal_db *h, const dal_query *q, const dal_value *args, dal_list *out,
                                   dal_error *err)
{
    access a;
    dal_code rc = enter(h, false, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, q->model);
    mem_count c = {0, 0, 0};
    rc = t == NULL ? no_table(q->model, q->name, err) : mem_aggregate(a.st, t, q, args, out, &c, err);
    leave(&a, &c);
    return rc;
}

/* The value an update sets (operands as in the where). */
static const dal_value *set_value(const dal_operand *o, const dal_value *args, int64_t now, dal_value *tmp)
{
    memset(tmp, 0, sizeof *tmp);
    switch (o->kind) {
    case DAL_ARG_PARAM: return &args[o->param];
    case DAL_ARG_VALUE: return &o->value;
    case DAL_ARG_NOW:
        tmp->type = DAL_TIMESTAMP;
        tmp->as.i = now;
        return tmp;
    default:
        tmp->is_null = true;
        return tmp;
    }
}

/* field = field + / - amount, within the field's range (the same answer
 * and message as SQLite). */
static dal_code arith_value(wctx *w, const dal_query *q, const dal_set *set, const void *rec, const dal_value *amount,
                            dal_value *out)
{
    const dal_field *f = &q->model->fields[set->field];
    dal_value cur = dal_field_value(f, rec);
    bool cur_u = f->type == DAL_U32 || f->type == DAL_U64, amt_u = amount->type == DAL_U32 || amount->type == DAL_U64;
    int64_t lo = f->type == DAL_I32 ? INT32_MIN : cur_u ? 0 : INT64_MIN;
    int64_t hi = f->type == DAL_I32 ? INT32_MAX : f->type == DAL_U32 ? (int64_t)UINT32_MAX : INT64_MAX;
    int64_t a = cur_u ? (int64_t)cur.as.u : cur.as.i, b = amt_u ? (int64_t)amount->as.u : amount->as.i, v = 0;
    bool bad = (cur_u && cur.as.u > INT64_MAX) || (amt_u && amount->as.u > INT64_MAX) || amount->is_null;
    if (!bad)
        bad = set->op == DAL_SET_ADD ? __builtin_add_overflow(a, b, &v) : __builtin_sub_overflow(a, b, &v);
    if (bad || v < lo || v > hi)
        return dal_set_error(w->err, DAL_ERR_CONSTRAINT,
                             "%s.%s: the new %s.%s (%s %c the amount) is out of range for %s; nothing was changed",
                             q->model->name, q->name[0] ? q->name : "query", q->model->table, f->column, f->column,
                             set->op == DAL_SET_ADD ? '+' : '-', dal_type_name(f->type));
    memset(out, 0, sizeof *out);
    out->type = f->type;
    if (cur_u)
        out->as.u = (uint64_t)v;
    else
        out->as.i = v;
    return DAL_OK;
}

static dal_code update_matched(wctx *w, mem_table *t, const dal_query *q, const dal_value *args, int64_t now,
                               mem_row *r)
{
    scratch_rec s;
    dal_code rc = scratch_from_row(w, t, r, &s);
    if (rc != DAL_OK)
        return rc;
    for (size_t i = 0; i < q->n_set && rc == DAL_OK; i++) {
        dal_value tmp, sum;
        const dal_field *f = &t->m->fields[q->set[i].field];
        const dal_value *v = set_value(&q->set[i].value, args, now, &tmp);
        if (q->set[i].op != DAL_SET_ASSIGN) {
            if ((rc = arith_value(w, q, &q->set[i], s.p, v, &sum)) != DAL_OK)
                break;
            v = &sum;
        }
        rc = dal_field_set(f, s.p, v, w->err);
        if (rc != DAL_OK)
            dal_error_prefix(w->err, "%s: setting %s.%s", w->what, t->m->table, f->column);
    }
    mem_row *fresh = NULL;
    if (rc == DAL_OK)
        rc = row_copy(w, t, s.p, &fresh);
    scratch_free(t, &s);
    return rc == DAL_OK ? replace_row(w, t, r, fresh) : rc;
}

/* Update or delete; with out, the changed rows (new values) are copied into
 * it in the query's order, under the same lock (an update that returns rows). */
static dal_code exec_rows(dal_db *h, const dal_query *q, const dal_value *args, int64_t *changed, dal_list *out,
                          dal_error *err)
{
    access a;
    dal_code rc = enter(h, true, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, q->model);
    if (t == NULL) {
        leave(&a, NULL);
        return no_table(q->model, q->name, err);
    }
    char what[160];
    snprintf(what, sizeof what, "%s.%s", q->model->name, q->name[0] ? q->name : "query");
    wctx w;
    stmt_begin(&w, h, a.st, what, err);
    int64_t now = dal_now_us(), n = 0;
    mem_rowvec rows;
    mem_rowvec_init(&rows);
    rc = mem_match(a.st, t, q, args, now, &rows, &w.cnt, err);
    for (size_t i = 0; i < rows.n && rc == DAL_OK; i++) {
        mem_row *r = current(rows.v[i]);
        if (r == NULL)
            continue; /* removed by an ON DELETE CASCADE of an earlier row */
        rc = q->kind == DAL_Q_DELETE ? delete_row(&w, t, r) : update_matched(&w, t, q, args, now, r);
        n++;
    }
    if (rc == DAL_OK && out != NULL) {
        size_t k = 0;
        for (size_t i = 0; i < rows.n; i++)
            if ((rows.v[k] = current(rows.v[i])) != NULL)
                k++;
        rc = mem_copy_rows(t, rows.v, k, out, err);
    }
    mem_rowvec_free(&rows);
    rc = stmt_end(&w, rc);
    if (rc == DAL_OK && changed != NULL)
        *changed = n;
    if (rc != DAL_OK && out != NULL)
        dal_record_list_free(q->model, out);
    leave(&a, &w.cnt);
    return rc;
}

static dal_code mem_exec(dal_db *h, const dal_query *q, const dal_value *args, int64_t *changed, dal_error *err)
{
    return exec_rows(h, q, args, changed, NULL, err);
}

/* ------------------------------------------------------------------------ */
/* Transactions                                                              */
/* ------------------------------------------------------------------------ */

static dal_code mem_begin(dal_tx *tx, dal_error *err)
{
    mem_handle *hs = tx->handle.state;
    mem_store *st = hs->st;
    mem_txstate *ts = calloc(1, sizeof *ts);
    if (ts == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "begin: out of memory");
    if (tx->parent == NULL) {
        dal_code rc = lock_exclusive(st, true, err);
        if (rc != DAL_OK) {
            free(ts);
            return dal_error_prefix(err, "begin");
        }
        ts->log = &ts->own;
        st->tx_log = ts->log;
    } else {
        pthread_mutex_lock(&st->tx_mu);
        ts->log = ((mem_txstate *)tx->parent->bstate)->log;
        ts->mark = ts->log->n;
        pthread_mutex_unlock(&st->tx_mu);
    }
    tx->bstate = ts;
    return DAL_OK;
}

static void tx_end(dal_tx *tx, bool commit)
{
    mem_handle *hs = tx->handle.state;
    mem_store *st = hs->st;
    mem_txstate *ts = tx->bstate;
    if (ts == NULL)
        return;
    pthread_mutex_lock(&st->tx_mu);
    if (tx->parent == NULL) {
        if (commit)
            undo_commit(ts->log);
        else
            undo_to(ts->log, 0);
        free(ts->own.v);
        st->tx_log = NULL;
    } else if (!commit) {
        undo_to(ts->log, ts->mark);
    }
    pthread_mutex_unlock(&st->tx_mu);
    if (tx->parent == NULL)
        unlock_exclusive(st);
    free(ts);
    tx->bstate = NULL;
}

static dal_code mem_commit(dal_tx *tx, dal_error *err)
{
    (void)err;
    tx_end(tx, true);
    return DAL_OK;
}

static dal_code mem_rollback(dal_tx *tx, dal_error *err)
{
    (void)err;
    tx_end(tx, false);
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Maintenance                                                               */
/* ------------------------------------------------------------------------ */

static dal_code mem_vacuum(dal_db *db, dal_error *err)
{
    access a;
    dal_code rc = enter(db, true, &a, err);
    if (rc != DAL_OK)
        return rc;
    for (size_t i = 0; i < a.st->n_tables && rc == DAL_OK; i++)
        for (size_t k = 0; k < a.st->tables[i].n_hidx && rc == DAL_OK; k++)
            if (!mem_hidx_fit(&a.st->tables[i].hidx[k]))
                rc = dal_set_error(err, DAL_ERR_NOMEM, "vacuum: out of memory resizing %s",
                                   a.st->tables[i].hidx[k].name);
    if (a.mode != ACC_TX) {
        free(a.st->scratch.v);
        a.st->scratch = (mem_undo){NULL, 0, 0};
    }
    leave(&a, NULL);
    return rc;
}

static dal_code mem_checkpoint(dal_db *db, dal_error *err)
{
    (void)db;
    (void)err;
    return DAL_OK; /* nothing is written anywhere */
}

static uint64_t table_bytes(const mem_table *t)
{
    uint64_t n = sizeof *t + t->n_oidx * sizeof *t->oidx + t->n_hidx * sizeof *t->hidx;
    for (size_t i = 0; i < t->n_hidx; i++)
        n += t->hidx[i].cap * sizeof(mem_hslot) + t->hidx[i].nkp * sizeof(mem_kpart);
    for (size_t i = 0; i < t->n_oidx; i++)
        n += t->oidx[i].nkp * sizeof(mem_kpart);
    const mem_oidx *x = &t->oidx[0];
    for (mem_rbnode *nd = mem_rb_first(&x->tree); nd != NULL; nd = mem_rb_next(nd))
        n += mem_node_row(x, nd)->bytes;
    return n;
}

static uint64_t log_bytes(const mem_undo *u)
{
    uint64_t n = u->cap * sizeof *u->v;
    for (size_t i = 0; i < u->n; i++) {
        const mem_undo_entry *e = &u->v[i];
        if (e->kind != MEM_U_INSERT)
            n += e->a->bytes;
    }
    return n;
}

/* Bytes the store holds, exactly as allocated (allocator overhead aside):
 * the store and its tables, every row block (header, tree nodes, struct, and
 * the strings / JSON nodes / list arrays packed after it), the hash tables'
 * slots, the undo log arrays and the old versions they keep. */
static dal_code mem_storage_size(dal_db *db, uint64_t *bytes, dal_error *err)
{
    (void)err;
    access a;
    enter_maintenance(db, &a);
    const mem_store *st = a.st;
    uint64_t n = sizeof *st + st->n_refs * sizeof *st->refs + log_bytes(&st->scratch);
    for (size_t i = 0; i < st->n_tables; i++)
        if (st->tables[i].m != NULL)
            n += table_bytes(&st->tables[i]);
    if (st->tx_log != NULL) /* only seen by the transaction's own thread */
        n += log_bytes(st->tx_log);
    *bytes = n;
    leave(&a, NULL);
    return DAL_OK;
}

static dal_code mem_pool_status(dal_db *db, dal_pool_status *st, dal_error *err)
{
    (void)db;
    (void)err;
    memset(st, 0, sizeof *st); /* no connections: max 0 says "no pool" */
    return DAL_OK;
}

/* ------------------------------------------------------------------------ */
/* Building a store from the schema                                          */
/* ------------------------------------------------------------------------ */

const int *mem_store_rank(const mem_store *st, const dal_enum *e)
{
    for (size_t i = 0; e != NULL && i < st->n_ranks; i++)
        if (st->ranks[i].e == e)
            return st->ranks[i].rank;
    return NULL;
}

/* Adds the name ranks of text-valued enum e (once). */
static bool add_rank(mem_store *st, const dal_enum *e, size_t *cap)
{
    if (e == NULL || e->values != NULL || e->n == 0 || mem_store_rank(st, e) != NULL)
        return true;
    if (st->n_ranks == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        mem_enum_rank *v = realloc(st->ranks, nc * sizeof *v);
        if (v == NULL)
            return false;
        st->ranks = v;
        *cap = nc;
    }
    int *order = malloc(e->n * sizeof *order), *rank = malloc(e->n * sizeof *rank);
    if (order == NULL || rank == NULL) {
        free(order);
        free(rank);
        return false;
    }
    for (size_t i = 0; i < e->n; i++) {
        /* insertion sort of member indexes by name, bytewise */
        size_t j = i;
        while (j > 0 && strcmp(e->names[order[j - 1]], e->names[i]) > 0) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = (int)i;
    }
    for (size_t i = 0; i < e->n; i++)
        rank[order[i]] = (int)i;
    free(order);
    st->ranks[st->n_ranks].e = e;
    st->ranks[st->n_ranks].rank = rank;
    st->n_ranks++;
    return true;
}

static bool model_ranks(mem_store *st, const dal_model *m, size_t *cap)
{
    for (size_t i = 0; m != NULL && i < m->n_fields; i++)
        if (m->fields[i].type == DAL_ENUM && !add_rank(st, m->fields[i].enumt, cap))
            return false;
    return true;
}

static bool build_ranks(mem_store *st)
{
    const dal_schema *s = st->schema;
    size_t cap = 0;
    for (size_t i = 0; i < s->n_enums; i++)
        if (!add_rank(st, s->enums[i], &cap))
            return false;
    for (size_t i = 0; i < s->n_models; i++)
        if (!model_ranks(st, s->models[i], &cap))
            return false;
    for (size_t i = 0; i < s->n_queries; i++)
        if (!model_ranks(st, s->queries[i]->row, &cap))
            return false;
    return true;
}

/* Whether the ordered index x already has exactly these parts. */
static bool same_parts(const mem_kpart *a, size_t na, const mem_kpart *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (a[i].field != b[i].field || a[i].desc != b[i].desc)
            return false;
    return true;
}

static bool in_parts(const mem_kpart *kp, size_t n, unsigned field)
{
    for (size_t i = 0; i < n; i++)
        if (kp[i].field == field)
            return true;
    return false;
}

/* Adds an ordered index over parts (then the pk fields it lacks) unless an
 * identical one exists. */
static bool add_oidx(mem_store *st, mem_table *t, const char *name, const dal_index_part *parts, size_t n)
{
    const dal_model *m = t->m;
    mem_kpart *kp = malloc((n + m->n_pk) * sizeof *kp);
    if (kp == NULL)
        return false;
    size_t nkp = 0;
    for (size_t i = 0; i < n; i++) {
        const dal_field *f = &m->fields[parts[i].field];
        if (!in_parts(kp, nkp, parts[i].field))
            mem_kpart_init(&kp[nkp++], f, parts[i].field, parts[i].desc, mem_store_rank(st, f->enumt));
    }
    size_t n_user = nkp;
    for (size_t k = 0; k < m->n_pk; k++)
        if (!in_parts(kp, nkp, m->pk[k]))
            kp[nkp++] = t->fkp[m->pk[k]];
    for (size_t i = 0; i < t->n_oidx; i++) {
        if (same_parts(t->oidx[i].kp, t->oidx[i].nkp, kp, nkp)) {
            free(kp);
            return true;
        }
    }
    mem_oidx *x = &t->oidx[t->n_oidx];
    memset(x, 0, sizeof *x);
    x->name = name;
    x->slot = (unsigned)t->n_oidx;
    x->kp = kp;
    x->nkp = nkp;
    x->n_user = n_user;
    t->n_oidx++;
    return true;
}

/* Adds a hash index over the fields of parts unless one has them already. */
static bool add_hidx(mem_table *t, const char *name, const unsigned *fields, size_t n, bool is_pk)
{
    mem_kpart *kp = malloc((n ? n : 1) * sizeof *kp);
    if (kp == NULL)
        return false;
    for (size_t i = 0; i < n; i++) {
        kp[i] = t->fkp[fields[i]];
        kp[i].desc = false;
    }
    for (size_t i = 0; i < t->n_hidx; i++) {
        if (same_parts(t->hidx[i].kp, t->hidx[i].nkp, kp, n)) {
            free(kp);
            return true;
        }
    }
    mem_hidx *h = &t->hidx[t->n_hidx++];
    memset(h, 0, sizeof *h);
    h->name = name;
    h->kp = kp;
    h->nkp = n;
    h->is_pk = is_pk;
    return true;
}

static dal_code table_init(mem_store *st, mem_table *t, const dal_model *m, dal_error *err)
{
    t->m = m;
    size_t n_ref_fields = 0;
    for (size_t i = 0; i < m->n_fields; i++)
        n_ref_fields += m->fields[i].ref != NULL;
    t->fkp = calloc(m->n_fields ? m->n_fields : 1, sizeof *t->fkp);
    t->seq = calloc(m->n_fields ? m->n_fields : 1, sizeof *t->seq);
    t->oidx = calloc(1 + m->n_indexes + n_ref_fields, sizeof *t->oidx);
    t->hidx = calloc(1 + m->n_indexes + m->n_fields, sizeof *t->hidx);
    if (t->fkp == NULL || t->seq == NULL || t->oidx == NULL || t->hidx == NULL)
        goto oom;
    for (size_t i = 0; i < m->n_fields; i++)
        mem_kpart_init(&t->fkp[i], &m->fields[i], (unsigned)i, false, mem_store_rank(st, m->fields[i].enumt));
    if (m->n_pk == 0 || m->n_pk > 16)
        return dal_set_error(err, DAL_ERR_INVALID, "model %s: a primary key of %zu fields is not supported", m->name,
                             m->n_pk);
    /* ordered: primary key, the model's indexes, foreign-key fields */
    dal_index_part pkparts[16];
    for (size_t k = 0; k < m->n_pk; k++)
        pkparts[k] = (dal_index_part){m->pk[k], false};
    if (!add_oidx(st, t, "primary key", pkparts, m->n_pk))
        goto oom;
    for (size_t i = 0; i < m->n_indexes; i++)
        if (!add_oidx(st, t, m->indexes[i].name, m->indexes[i].parts, m->indexes[i].n_parts))
            goto oom;
    for (size_t i = 0; i < m->n_fields; i++) {
        bool led = false;
        for (size_t x = 0; x < t->n_oidx; x++)
            led = led || t->oidx[x].kp[0].field == i;
        dal_index_part p = {(unsigned)i, false};
        if (m->fields[i].ref != NULL && !led && !add_oidx(st, t, m->fields[i].name, &p, 1))
            goto oom;
    }
    t->data_off = offsetof(mem_row, node) + t->n_oidx * sizeof(mem_rbnode);
    t->data_off = (t->data_off + 15) & ~(size_t)15;
    t->extra_off = (t->data_off + m->size + 15) & ~(size_t)15;
    /* hash: primary key, unique indexes, @unique fields */
    if (!add_hidx(t, "primary key", m->pk, m->n_pk, true))
        goto oom;
    for (size_t i = 0; i < m->n_indexes; i++) {
        const dal_index *x = &m->indexes[i];
        unsigned fields[64];
        if (!x->unique || x->n_parts > 64)
            continue;
        for (size_t p = 0; p < x->n_parts; p++)
            fields[p] = x->parts[p].field;
        if (!add_hidx(t, x->name, fields, x->n_parts, false))
            goto oom;
    }
    for (size_t i = 0; i < m->n_fields; i++) {
        unsigned f = (unsigned)i;
        if ((m->fields[i].flags & DAL_F_UNIQUE) && !add_hidx(t, m->fields[i].name, &f, 1, false))
            goto oom;
    }
    return DAL_OK;
oom:
    return dal_set_error(err, DAL_ERR_NOMEM, "out of memory building table %s", m->table);
}

static int find_oidx_leading(const mem_table *t, unsigned field)
{
    for (size_t i = 0; i < t->n_oidx; i++)
        if (t->oidx[i].kp[0].field == field)
            return (int)i;
    return -1;
}

static int find_hidx_single(const mem_table *t, unsigned field)
{
    for (size_t i = 0; i < t->n_hidx; i++)
        if (t->hidx[i].nkp == 1 && t->hidx[i].kp[0].field == field)
            return (int)i;
    return -1;
}

static dal_code build_refs(mem_store *st, dal_error *err)
{
    for (size_t i = 0; i < st->n_tables; i++) {
        const dal_model *m = st->tables[i].m;
        for (size_t f = 0; m != NULL && f < m->n_fields; f++)
            st->n_refs += m->fields[f].ref != NULL;
    }
    if (st->n_refs == 0)
        return DAL_OK;
    if ((st->refs = calloc(st->n_refs, sizeof *st->refs)) == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a memory store");
    size_t k = 0;
    for (size_t i = 0; i < st->n_tables; i++) {
        mem_table *t = &st->tables[i];
        for (size_t f = 0; t->m != NULL && f < t->m->n_fields; f++) {
            const dal_ref *ref = t->m->fields[f].ref;
            if (ref == NULL)
                continue;
            mem_table *p = table_of(st, ref->model);
            if (p == NULL)
                return dal_set_error(err, DAL_ERR_INVALID, "%s.%s references %s, which has no table in schema %s",
                                     t->m->name, t->m->fields[f].name, ref->model ? ref->model->name : "?",
                                     st->schema->ns);
            mem_ref *r = &st->refs[k++];
            r->child = t;
            r->parent = p;
            r->child_field = (unsigned)f;
            r->parent_field = ref->field;
            r->on_delete = ref->on_delete;
            r->child_oidx = find_oidx_leading(t, (unsigned)f);
            r->parent_hidx = find_hidx_single(p, ref->field);
            r->parent_oidx = find_oidx_leading(p, ref->field);
            t->n_out++;
            p->n_in++;
        }
    }
    for (size_t i = 0; i < st->n_tables; i++) {
        mem_table *t = &st->tables[i];
        t->out = calloc(t->n_out ? t->n_out : 1, sizeof *t->out);
        t->in = calloc(t->n_in ? t->n_in : 1, sizeof *t->in);
        if (t->out == NULL || t->in == NULL)
            return dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a memory store");
        t->n_out = t->n_in = 0;
    }
    for (size_t i = 0; i < st->n_refs; i++) {
        mem_ref *r = &st->refs[i];
        r->child->out[r->child->n_out++] = r;
        r->parent->in[r->parent->n_in++] = r;
    }
    return DAL_OK;
}

static void table_free(mem_table *t)
{
    if (t->oidx != NULL && t->n_oidx > 0) {
        /* post-order through the primary-key tree, cutting leaves off */
        const mem_oidx *x = &t->oidx[0];
        mem_rbnode *nd = x->tree.root;
        while (nd != NULL) {
            if (nd->left != NULL) {
                nd = nd->left;
            } else if (nd->right != NULL) {
                nd = nd->right;
            } else {
                mem_rbnode *up = nd->parent;
                if (up != NULL && up->left == nd)
                    up->left = NULL;
                else if (up != NULL)
                    up->right = NULL;
                row_free(t, mem_node_row(x, nd));
                nd = up;
            }
        }
    }
    for (size_t i = 0; i < t->n_oidx; i++)
        free(t->oidx[i].kp);
    for (size_t i = 0; i < t->n_hidx; i++) {
        free(t->hidx[i].kp);
        free(t->hidx[i].slots);
    }
    free(t->oidx);
    free(t->hidx);
    free(t->fkp);
    free(t->seq);
    free(t->out);
    free(t->in);
}

static void store_free(mem_store *st)
{
    if (st == NULL)
        return;
    undo_commit(&st->scratch);
    free(st->scratch.v);
    for (size_t i = 0; i < st->n_tables; i++)
        table_free(&st->tables[i]);
    free(st->tables);
    free(st->refs);
    for (size_t i = 0; i < st->n_ranks; i++)
        free(st->ranks[i].rank);
    free(st->ranks);
    free(st->name);
    lock_destroy(&st->lock);
    pthread_mutex_destroy(&st->tx_mu);
    free(st);
}

static mem_store *store_create(const dal_schema *s, const char *name, dal_error *err)
{
    mem_store *st = calloc(1, sizeof *st);
    if (st == NULL) {
        dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a memory store");
        return NULL;
    }
    lock_init(&st->lock);
    pthread_mutex_init(&st->tx_mu, NULL);
    st->schema = s;
    dal_code rc = DAL_OK;
    if (name != NULL && (st->name = malloc(strlen(name) + 1)) != NULL)
        strcpy(st->name, name);
    if ((name != NULL && st->name == NULL) || !build_ranks(st) ||
        (st->tables = calloc(s->n_models ? s->n_models : 1, sizeof *st->tables)) == NULL)
        rc = dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a memory store");
    for (size_t i = 0; i < s->n_models && rc == DAL_OK; i++) {
        if (s->models[i]->table == NULL)
            continue;
        rc = table_init(st, &st->tables[i], s->models[i], err);
    }
    st->n_tables = s->n_models;
    if (rc == DAL_OK)
        rc = build_refs(st, err);
    if (rc != DAL_OK) {
        store_free(st);
        return NULL;
    }
    return st;
}

/* ------------------------------------------------------------------------ */
/* Open and close                                                            */
/* ------------------------------------------------------------------------ */

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static mem_store *registry; /* named stores, open */

static mem_store *named_store(const dal_schema *s, const char *name, dal_error *err)
{
    pthread_mutex_lock(&registry_mu);
    mem_store *st = registry;
    while (st != NULL && strcmp(st->name, name) != 0)
        st = st->next;
    if (st != NULL && st->schema != s) {
        /* an in-process store holds the structs of the schema that made it:
         * it is never migrated while open (docs/migrations.md) */
        dal_set_error(err, DAL_ERR_MIGRATION,
                      "memory store '%s' is open with schema '%s@%s', this program's schema is '%s@%s': an "
                      "in-process store is not migrated; close every handle of it first (it then starts empty "
                      "with this schema)",
                      name, st->schema->ns, st->schema->version ? st->schema->version : "", s->ns,
                      s->version ? s->version : "");
        st = NULL;
    } else if (st != NULL) {
        st->handles++;
    } else if ((st = store_create(s, name, err)) != NULL) {
        st->handles = 1;
        st->next = registry;
        registry = st;
    }
    pthread_mutex_unlock(&registry_mu);
    return st;
}

static void release_store(mem_store *st)
{
    if (st->name == NULL) {
        store_free(st);
        return;
    }
    pthread_mutex_lock(&registry_mu);
    bool last = --st->handles == 0;
    if (last) {
        mem_store **p = &registry;
        while (*p != st)
            p = &(*p)->next;
        *p = st->next;
    }
    pthread_mutex_unlock(&registry_mu);
    if (last)
        store_free(st);
}

static dal_code mem_open(dal_db *db, dal_error *err)
{
    mem_handle *hs = calloc(1, sizeof *hs);
    if (hs == NULL)
        return dal_set_error(err, DAL_ERR_NOMEM, "out of memory opening a memory store");
    const char *name = db->path != NULL ? db->path : "";
    hs->st = name[0] == '\0' ? store_create(db->schema, NULL, err) : named_store(db->schema, name, err);
    if (hs->st == NULL) {
        free(hs);
        return err != NULL ? err->code : DAL_ERR_OTHER;
    }
    atomic_init(&hs->entries_read, 0);
    atomic_init(&hs->seeks, 0);
    atomic_init(&hs->seek_steps, 0);
    db->state = hs;
    return DAL_OK;
}

static void mem_close(dal_db *db)
{
    mem_handle *hs = db->state;
    if (hs == NULL)
        return;
    release_store(hs->st);
    free(hs);
    db->state = NULL;
}

/* ------------------------------------------------------------------------ */
/* dal_memory.h                                                              */
/* ------------------------------------------------------------------------ */

const dal_backend dal_memory_backend;

dal_code dal_memory_stats(dal_db *db, struct dal_memory_stats *out, dal_error *err)
{
    if (db == NULL || out == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_memory_stats: handle and output are required");
    if (db->vt != &dal_memory_backend || db->root == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_memory_stats: not a memory database");
    mem_handle *hs = db->root->state;
    access a;
    enter_maintenance(db, &a);
    uint64_t rows = 0;
    for (size_t i = 0; i < a.st->n_tables; i++)
        rows += a.st->tables[i].nrows;
    leave(&a, NULL);
    out->entries_read = atomic_load(&hs->entries_read);
    out->seeks = atomic_load(&hs->seeks);
    out->seek_steps = atomic_load(&hs->seek_steps);
    out->rows = rows;
    return DAL_OK;
}

dal_code dal_memory_load(dal_db *db, const dal_model *m, void *objs, size_t n, dal_error *err)
{
    if (db == NULL || m == NULL || (objs == NULL && n > 0))
        return dal_set_error(err, DAL_ERR_INVALID, "dal_memory_load: handle, model and rows are required");
    if (db->vt != &dal_memory_backend || db->root == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_memory_load: not a memory database");
    return insert_rows(db, m, objs, n, INS_LOAD, err);
}

dal_code dal_memory_sequence(dal_db *db, const dal_model *m, unsigned field, uint64_t *value, bool raise,
                             dal_error *err)
{
    if (db == NULL || m == NULL || value == NULL || field >= m->n_fields)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_memory_sequence: handle, model, field and value are required");
    if (db->vt != &dal_memory_backend || db->root == NULL)
        return dal_set_error(err, DAL_ERR_INVALID, "dal_memory_sequence: not a memory database");
    access a;
    dal_code rc = enter(db, raise, &a, err);
    if (rc != DAL_OK)
        return rc;
    mem_table *t = table_of(a.st, m);
    if (t == NULL) {
        leave(&a, NULL);
        return no_table(m, "sequence", err);
    }
    if (raise && *value > t->seq[field])
        t->seq[field] = *value;
    *value = t->seq[field];
    leave(&a, NULL);
    return DAL_OK;
}

void dal_memory_stats_reset(dal_db *db)
{
    if (db == NULL || db->vt != &dal_memory_backend || db->root == NULL)
        return;
    mem_handle *hs = db->root->state;
    atomic_store(&hs->entries_read, 0);
    atomic_store(&hs->seeks, 0);
    atomic_store(&hs->seek_steps, 0);
}

/* ------------------------------------------------------------------------ */
/* The table                                                                 */
/* ------------------------------------------------------------------------ */

const dal_backend dal_memory_backend = {
    .version = DAL_BACKEND_VERSION,
    .scheme = "memory",
    .open = mem_open,
    .close = mem_close,
    .begin = mem_begin,
    .commit = mem_commit,
    .rollback = mem_rollback,
    .insert = mem_insert,
    .get = mem_get,
    .update = mem_update,
    .upsert = mem_upsert,
    .remove = mem_remove,
    .list_all = mem_list_all,
    .count = mem_count_rows,
    .select = mem_select_call,
    .exec = mem_exec,
    .aggregate = mem_aggregate_call,
    .vacuum = mem_vacuum,
    .checkpoint = mem_checkpoint,
    .storage_size = mem_storage_size,
    .pool_status = mem_pool_status,
    .count_query = mem_count_query_call,
    .import = mem_import,
};
