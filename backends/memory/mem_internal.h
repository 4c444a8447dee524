/*
 * mem_internal.h - the memory backend's private types, shared by its files:
 *   mem_keys.c       key parts: comparing, hashing, the hash and tree indexes
 *   mem_query.c      where-expressions, the planner, select / exec / aggregate
 *   memory_backend.c stores, locks, transactions (undo log), writes, the vtable
 *
 * A stored row is ONE malloc'd block: a mem_row header, one mem_rbnode per
 * ordered index of its table, then (at table->data_off) a copy of the
 * generated struct, then everything that struct points to (strings, list
 * arrays, cJSON nodes and their strings), packed: one allocation per stored
 * row, and a read touches contiguous memory. Row data is therefore never
 * given to dal_record_clear / dal_field_set (it does not own its pointers);
 * it is read, copied out, or repacked. Row blocks are immutable once linked: an update links a
 * new block in place of the old one (which the undo log keeps until the
 * statement or transaction ends), so rolling back is relinking old blocks.
 */
#ifndef MEM_INTERNAL_H
#define MEM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dal_backend.h"
#include "dal_memory.h"
#include "mem_rbtree.h"

/* ------------------------------------------------------------------------ */
/* Key parts                                                                 */
/* ------------------------------------------------------------------------ */

enum { MEM_NULL_NEVER, MEM_NULL_HAS, MEM_NULL_PTR, MEM_NULL_UUID };

/* One field of a key, compiled from a dal_field: where its value is in the
 * struct and how to compare it. */
typedef struct mem_kpart {
    size_t off;          /* the value */
    size_t has_off;      /* MEM_NULL_HAS: the bool has_<name> */
    dal_type type;
    unsigned char nullk; /* MEM_NULL_* */
    bool desc;
    unsigned field;      /* index in the model (or row) fields */
    const int *rank;     /* text-valued enums: sort rank of each C value (member names sorted bytewise) */
    const dal_enum *enumt;
} mem_kpart;

/* A value to compare a field with (a query operand or a key), typed by its
 * family: SQLite's order is NULL < numbers < text < JSON text. */
enum { CV_NULL, CV_INT, CV_REAL, CV_TEXT, CV_JSON };

typedef struct mem_cval {
    int kind;
    int64_t i;
    double d;
    const char *s;
    const cJSON *j;
} mem_cval;

/* ------------------------------------------------------------------------ */
/* Rows and indexes                                                          */
/* ------------------------------------------------------------------------ */

typedef struct mem_row {
    struct mem_row *newer; /* the version that replaced this one (while kept by an undo log) */
    size_t bytes;          /* of the whole block */
    bool live;             /* linked into its table's indexes */
    mem_rbnode node[];     /* one per ordered index */
} mem_row;

typedef struct mem_hslot {
    uint64_t h;
    mem_row *row;          /* NULL: empty */
} mem_hslot;

/* Open addressing with linear probing, at most 5/8 full (see load_ok). */
typedef struct mem_hidx {
    const char *name;
    mem_hslot *slots;
    size_t cap, n;         /* cap: a power of two (or 0) */
    mem_kpart *kp;
    size_t nkp;
    bool is_pk;
} mem_hidx;

typedef struct mem_oidx {
    const char *name;
    mem_rbtree tree;
    unsigned slot;         /* row->node[slot] */
    mem_kpart *kp;         /* the index's parts, then the primary key fields it lacks (asc) */
    size_t nkp;
    size_t n_user;         /* parts that came from the dal_index (the rest is the pk tail) */
} mem_oidx;

struct mem_table;

/* A foreign key: child.field references parent.field. */
typedef struct mem_ref {
    struct mem_table *child, *parent;
    unsigned child_field, parent_field;
    dal_on_delete on_delete;
    int child_oidx;        /* ordered index of child leading with child_field */
    int parent_hidx;       /* hash index of parent keyed by exactly parent_field, or -1 */
    int parent_oidx;       /* ordered index of parent leading with parent_field, or -1 */
} mem_ref;

typedef struct mem_table {
    const dal_model *m;
    size_t data_off;       /* the struct inside a row block */
    size_t extra_off;      /* what the struct points to, packed after it */
    size_t n_oidx;
    mem_oidx *oidx;        /* oidx[0]: primary key order */
    size_t n_hidx;
    mem_hidx *hidx;        /* hidx[0]: primary key */
    mem_kpart *fkp;        /* one per model field, ascending: for filters and sorts */
    size_t n_out, n_in;
    mem_ref **out;         /* references this table's rows make */
    mem_ref **in;          /* references to this table's rows */
    uint64_t *seq;         /* per field: the last @sequence value handed out */
    size_t nrows;
} mem_table;

/* ------------------------------------------------------------------------ */
/* Undo log                                                                  */
/* ------------------------------------------------------------------------ */

enum { MEM_U_INSERT, MEM_U_DELETE, MEM_U_REPLACE };

typedef struct mem_undo_entry {
    int kind;
    mem_table *t;
    mem_row *a;            /* INSERT: the new row; DELETE: the removed row; REPLACE: the old version */
    mem_row *b;            /* REPLACE: the new version */
} mem_undo_entry;

typedef struct mem_undo {
    mem_undo_entry *v;
    size_t n, cap;
} mem_undo;

/* ------------------------------------------------------------------------ */
/* Stores and handles                                                        */
/* ------------------------------------------------------------------------ */

/* A read-write lock whose exclusive side can be held by a transaction across
 * calls and released from any thread (pthread_rwlock allows neither), and
 * which knows the thread that took it for a transaction. Readers take and
 * leave it with one atomic operation each while no writer holds or waits for
 * it; writers and blocked readers meet under mu (see memory_backend.c). */
typedef struct mem_lock {
    _Atomic unsigned state;    /* readers inside, | MEM_LOCK_WRITER */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned writers_waiting;  /* under mu */
    bool writer;               /* under mu: a writer holds it */
    _Atomic(const void *) tx_owner; /* the holding transaction's thread token, or NULL */
} mem_lock;

/* Set in mem_lock.state while a writer holds the lock or waits to: new
 * readers wait. */
#define MEM_LOCK_WRITER 0x80000000u

typedef struct mem_enum_rank {
    const dal_enum *e;
    int *rank;
} mem_enum_rank;

typedef struct mem_store {
    char *name;            /* "NAME" of memory:NAME; NULL for a private store */
    unsigned handles;      /* handles open on it (named stores) */
    struct mem_store *next;
    const dal_schema *schema;
    mem_lock lock;
    pthread_mutex_t tx_mu; /* serializes calls made through transaction handles */
    size_t n_tables;
    mem_table *tables;
    size_t n_refs;
    mem_ref *refs;
    size_t n_ranks;
    mem_enum_rank *ranks;
    mem_undo scratch;      /* the undo log of a statement outside any transaction */
    mem_undo *tx_log;      /* the open transaction's log, if any */
} mem_store;

/* db->state of a root handle (transaction handles share it). */
typedef struct mem_handle {
    mem_store *st;
    atomic_uint_least64_t entries_read, seeks, seek_steps;
} mem_handle;

/* Per-call work counters, added to the handle's at the end of the call. */
typedef struct mem_count {
    uint64_t reads, seeks, steps;
} mem_count;

void mem_count_flush(mem_handle *hs, const mem_count *c);

/* ------------------------------------------------------------------------ */
/* mem_keys.c                                                                */
/* ------------------------------------------------------------------------ */

static inline void *mem_data(const mem_table *t, const mem_row *r)
{
    return (char *)r + t->data_off;
}

static inline mem_row *mem_node_row(const mem_oidx *x, const mem_rbnode *n)
{
    return (mem_row *)(void *)((char *)(n - x->slot) - offsetof(mem_row, node));
}

void mem_kpart_init(mem_kpart *kp, const dal_field *f, unsigned field, bool desc, const int *rank);
bool mem_present(const mem_kpart *kp, const void *data);
/* Field of a vs field of b (NULL first), inverted for a desc part. */
int mem_cmp_part(const mem_kpart *kp, const void *a, const void *b);
/* Parts 0..n-1 of two rows' data. */
int mem_cmp_parts(const mem_kpart *kp, size_t n, const void *a, const void *b);
/* A field (NULL first) vs a value, NOT inverted for desc. */
int mem_cmp_value(const mem_kpart *kp, const void *data, const mem_cval *v);
/* Parts 0..n-1 of a row vs n values, desc parts inverted (the tree's order). */
int mem_cmp_probe(const mem_kpart *kp, size_t n, const void *data, const mem_cval *v);
/* A field as a value (CV_NULL when absent). */
mem_cval mem_field_cval(const mem_kpart *kp, const void *data);
/* A dal_value (not a list) as a value. */
mem_cval mem_value_cval(const dal_value *v);
/* Whether v can position an index on this part (same family of types). */
bool mem_cval_fits(const mem_kpart *kp, const mem_cval *v);
/* Element i of a list value. */
mem_cval mem_list_cval(const dal_value *v, size_t i);

uint64_t mem_hash_row(const mem_hidx *h, const void *data, bool *has_null);
uint64_t mem_hash_vals(const mem_hidx *h, const mem_cval *v);
/* Makes room for n more entries (grows to keep the load factor). */
bool mem_hidx_reserve(mem_hidx *h, size_t more);
/* Inserts without growing (room was reserved). */
void mem_hidx_put(mem_hidx *h, uint64_t hash, mem_row *row);
/* Removes row (found by its hash and pointer); false when absent. */
bool mem_hidx_remove(mem_hidx *h, uint64_t hash, const mem_row *row);
/* Replaces the pointer old by fresh (same hash). */
void mem_hidx_swap(mem_hidx *h, uint64_t hash, const mem_row *old, mem_row *fresh);
/* The row whose key equals the data's key (ignoring except), or NULL. */
mem_row *mem_hidx_find_row(const mem_hidx *h, const mem_table *t, uint64_t hash, const void *data,
                           const mem_row *except, mem_count *c);
/* The row whose key equals v[0..nkp-1], or NULL. */
mem_row *mem_hidx_find_vals(const mem_hidx *h, const mem_table *t, uint64_t hash, const mem_cval *v,
                            mem_count *c);
/* Shrinks (or grows) to the smallest table that keeps the load factor. */
bool mem_hidx_fit(mem_hidx *h);

void mem_oidx_insert(mem_oidx *x, const mem_table *t, mem_row *row);
/* First entry whose first n parts are >= v (strict: >), or NULL. */
mem_rbnode *mem_oidx_seek_ge(const mem_oidx *x, const mem_table *t, const mem_cval *v, size_t n, bool strict,
                             mem_count *c);
/* Last entry whose first n parts are <= v (strict: <), or NULL. */
mem_rbnode *mem_oidx_seek_le(const mem_oidx *x, const mem_table *t, const mem_cval *v, size_t n, bool strict,
                             mem_count *c);

/* Text of a key for messages: "id = '0193…'" (into buf). */
void mem_describe_key(const mem_table *t, const mem_kpart *kp, size_t n, const void *data, char *buf, size_t size);
void mem_describe_vals(const mem_table *t, const mem_kpart *kp, size_t n, const mem_cval *v, char *buf, size_t size);

/* Packing a struct into a row block: the bytes its pointers need after the
 * struct, then the copy (dst: the block's struct, extra: the bytes after). */
size_t mem_packed_extra(const dal_model *m, const void *src);
void mem_pack_record(const dal_model *m, void *dst, const void *src, char *extra);

/* ------------------------------------------------------------------------ */
/* mem_query.c                                                               */
/* ------------------------------------------------------------------------ */

/* The facade's entry points for queries, called with the store locked. */
dal_code mem_select(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, size_t max_rows,
                    dal_list *out, mem_count *c, dal_error *err);
dal_code mem_aggregate(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, dal_list *out,
                       mem_count *c, dal_error *err);

/* A growable array of row pointers, with room for a few on the stack. */
typedef struct mem_rowvec {
    mem_row **v;
    size_t n, cap;
    mem_row *local[32];
} mem_rowvec;

void mem_rowvec_init(mem_rowvec *rv);
bool mem_rowvec_push(mem_rowvec *rv, mem_row *r);
void mem_rowvec_free(mem_rowvec *rv);

/* The rows an update / delete query matches, in no particular order. */
/* A fresh list of copies of rows (dal_record_copy_fresh). */
dal_code mem_copy_rows(const mem_table *t, mem_row *const *rows, size_t n, dal_list *out, dal_error *err);
dal_code mem_match(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, int64_t now,
                   mem_rowvec *out, mem_count *c, dal_error *err);

/* Rows a select query would return, counted (its where, limit and offset). */
dal_code mem_count_select(mem_store *st, mem_table *t, const dal_query *q, const dal_value *args, int64_t *n,
                          mem_count *c, dal_error *err);

/* Rows of child whose field (the leading part of index oidx) equals v. */
dal_code mem_rows_equal(const mem_table *t, int oidx, const mem_cval *v, mem_rowvec *out, mem_count *c,
                        dal_error *err);
/* Whether some row of t has field == v (any index, or a scan). */
bool mem_any_equal(const mem_table *t, unsigned field, int hidx, int oidx, const mem_cval *v, mem_count *c);

/* Sort rank table of a text-valued enum (NULL for integer-valued ones). */
const int *mem_store_rank(const mem_store *st, const dal_enum *e);

#endif /* MEM_INTERNAL_H */
