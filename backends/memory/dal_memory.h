/*
 * dal_memory.h - what the memory backend ("memory:" URLs) offers beyond the
 * dal_backend table: counters that show how much work a query did.
 *
 * The counters belong to a root handle (the one dal_open returned) and count
 * every call made through it or through its transactions since it was opened
 * (or since the last reset). They count work, not time, so a test can check
 * that a query over an index reads O(log n + k) entries:
 *
 *   entries_read  index entries visited by a scan (each one is a row looked at)
 *                 plus rows examined by a hash lookup on a key. The O(log n)
 *                 comparisons of descending a tree to the first entry are NOT
 *                 in here; they are in seeks / seek_steps.
 *   seeks         descents into an ordered index (each positions a scan).
 *   seek_steps    tree levels walked by those descents (about log2 n each).
 *   rows          rows currently stored in the whole store (every table).
 */
#ifndef DAL_MEMORY_H
#define DAL_MEMORY_H

#include <stdint.h>

#include "dal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A struct tag only (no typedef): the function below has the same name. */
struct dal_memory_stats {
    uint64_t entries_read;
    uint64_t seeks;
    uint64_t seek_steps;
    uint64_t rows;
};

/* Fills *st with the counters of db's root handle. DAL_ERR_INVALID when db is
 * not a memory database. */
dal_code dal_memory_stats(dal_db *db, struct dal_memory_stats *st, dal_error *err);

/* Sets the counters of db's root handle back to zero (rows is not a counter
 * and is unaffected). A non-memory or NULL db is ignored. */
void dal_memory_stats_reset(dal_db *db);

/* For a backend that keeps a memory store as its working set (idb:): inserts
 * rows read back from elsewhere. Unlike insert, @sequence values are kept as
 * given (the model's counters move past them) and references are not checked
 * (rows of a consistent store arrive in any order); unique keys are. All or
 * none, outside a transaction (db is a root or a transaction handle). */
dal_code dal_memory_load(dal_db *db, const dal_model *m, void *objs, size_t n, dal_error *err);

/* The last @sequence value handed out for field `field` of m, in *value; with
 * raise, the counter first moves up to *value when it is below. */
dal_code dal_memory_sequence(dal_db *db, const dal_model *m, unsigned field, uint64_t *value, bool raise,
                             dal_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DAL_MEMORY_H */
