/*
 * mem_test_util.h - helpers shared by the memory backend tests: rows of the
 * hand-written schema (mem_test_model.h), argument values, and a check of
 * every index of a store against its rows (through the backend's internals).
 * Include after <cmocka.h>.
 */
#ifndef MEM_TEST_UTIL_H
#define MEM_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dal_backend.h"
#include "dal_memory.h"
#include "mem_internal.h"
#include "mem_test_model.h"
#include "test_util.h"

/* A fixed uuid whose text order follows n. */
static inline void uuid_n(char out[DAL_UUID_SIZE], unsigned n)
{
    snprintf(out, DAL_UUID_SIZE, "00000000-0000-7000-8000-%012u", n);
}

static inline dal_db *open_db(const char *url)
{
    dal_error err = {0};
    dal_db *db = dal_open(&m_schema, url, NULL, &err);
    if (db == NULL)
        fail_msg("dal_open(%s): %s", url, err.message);
    return db;
}

static inline void owner_make(m_owner *o, unsigned n, const char *name)
{
    memset(o, 0, sizeof *o);
    uuid_n(o->id, 100000000u + n);
    o->name = strdup(name);
    o->rank = (int32_t)n;
}

/* Task n: id from n, the given status / priority / owner (0: none) / time. */
static inline void task_make(m_task *t, unsigned n, int status, int prio, unsigned owner, int64_t ts)
{
    char title[64];
    memset(t, 0, sizeof *t);
    uuid_n(t->id, n);
    snprintf(title, sizeof title, "task %u", n);
    t->title = strdup(title);
    t->status = status;
    t->prio = prio;
    if (owner != 0) {
        uuid_n(t->owner, 100000000u + owner);
        t->has_owner = true;
    }
    t->ts = ts;
}

static inline void insert_owner(dal_db *db, unsigned n, const char *name)
{
    m_owner o;
    owner_make(&o, n, name);
    OK(dal_insert(db, &m_owner_model, &o, err));
    dal_record_clear(&m_owner_model, &o);
}

static inline void insert_task(dal_db *db, unsigned n, int status, int prio, unsigned owner, int64_t ts)
{
    m_task t;
    task_make(&t, n, status, prio, owner, ts);
    OK(dal_insert(db, &m_task_model, &t, err));
    dal_record_clear(&m_task_model, &t);
}

static inline dal_value v_uuid(const char *s)
{
    dal_value v;
    memset(&v, 0, sizeof v);
    v.type = DAL_UUID;
    v.as.s = s;
    return v;
}

static inline dal_value v_int(dal_type t, int64_t i)
{
    dal_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.as.i = i;
    return v;
}

static inline dal_value v_real(double d)
{
    dal_value v;
    memset(&v, 0, sizeof v);
    v.type = DAL_REAL;
    v.as.d = d;
    return v;
}

static inline dal_value v_text(const char *s)
{
    dal_value v;
    memset(&v, 0, sizeof v);
    v.type = DAL_TEXT;
    v.as.s = s;
    return v;
}

static inline dal_value v_null(dal_type t)
{
    dal_value v;
    memset(&v, 0, sizeof v);
    v.type = t;
    v.is_null = true;
    return v;
}

/* Ids (their last 12 digits as numbers) of a list of tasks. */
static inline void ids_of(const dal_list *l, unsigned *out, size_t cap)
{
    const m_task *t = l->v;
    for (size_t i = 0; i < l->n && i < cap; i++)
        out[i] = (unsigned)strtoul(t[i].id + 24, NULL, 10);
}

static inline void assert_ids(const dal_list *l, const unsigned *want, size_t n)
{
    unsigned got[256];
    if (l->n != n)
        fail_msg("got %zu rows, want %zu", l->n, n);
    ids_of(l, got, 256);
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            fail_msg("row %zu is task %u, want %u", i, got[i], want[i]);
}

static inline struct dal_memory_stats stats_of(dal_db *db)
{
    struct dal_memory_stats s;
    OK(dal_memory_stats(db, &s, err));
    return s;
}

/* Every index of every table holds exactly the table's rows, in key order,
 * and every red-black tree is valid. */
static inline void check_store(dal_db *db)
{
    mem_handle *hs = db->root->state;
    mem_store *st = hs->st;
    for (size_t i = 0; i < st->n_tables; i++) {
        mem_table *t = &st->tables[i];
        if (t->m == NULL)
            continue;
        for (size_t x = 0; x < t->n_oidx; x++) {
            mem_oidx *o = &t->oidx[x];
            if (o->tree.n != t->nrows)
                fail_msg("%s index %s has %zu entries for %zu rows", t->m->table, o->name, o->tree.n, t->nrows);
            if (mem_rb_check(&o->tree) < 0)
                fail_msg("%s index %s: broken tree", t->m->table, o->name);
            const mem_row *prev = NULL;
            for (mem_rbnode *nd = mem_rb_first(&o->tree); nd != NULL; nd = mem_rb_next(nd)) {
                const mem_row *r = mem_node_row(o, nd);
                if (!r->live)
                    fail_msg("%s index %s holds a dead row", t->m->table, o->name);
                if (prev != NULL && mem_cmp_parts(o->kp, o->nkp, mem_data(t, prev), mem_data(t, r)) >= 0)
                    fail_msg("%s index %s out of order", t->m->table, o->name);
                prev = r;
            }
        }
        for (size_t x = 0; x < t->n_hidx; x++) {
            mem_hidx *h = &t->hidx[x];
            size_t want = 0;
            mem_oidx *o = &t->oidx[0];
            for (mem_rbnode *nd = mem_rb_first(&o->tree); nd != NULL; nd = mem_rb_next(nd)) {
                const mem_row *r = mem_node_row(o, nd);
                bool has_null;
                uint64_t hv = mem_hash_row(h, mem_data(t, r), &has_null);
                if (has_null)
                    continue;
                want++;
                mem_count c = {0, 0, 0};
                if (mem_hidx_find_row(h, t, hv, mem_data(t, r), NULL, &c) != r)
                    fail_msg("%s hash %s does not find a row", t->m->table, h->name);
            }
            if (h->n != want)
                fail_msg("%s hash %s has %zu entries, want %zu", t->m->table, h->name, h->n, want);
        }
    }
}

#endif /* MEM_TEST_UTIL_H */
