/*
 * dal_validate.h - the one place values are checked before a backend sees
 * them (runtime-internal; the facade and the builder call it).
 *
 * The rules (docs/dsl.md, "Values every backend accepts"):
 *   - a required field, key part or parameter is never NULL / empty;
 *   - a uuid is 8-4-4-4-12 hex digits, stored and looked up in lower case
 *     (the check lowers it in place in rows, and in a copy for parameters);
 *   - an enum value is one of the enum's members;
 *   - a `real` (field, list element or parameter) is finite: NaN and
 *     infinities are refused;
 *   - json and map values are trees without non-finite numbers, at most
 *     DAL_VALIDATE_MAX_DEPTH arrays/objects deep; a map is an object whose
 *     values are strings (map<text>) or any JSON (map<json>);
 *   - a list of n > 0 values has an array, and no NULL text in it.
 * Every refusal is DAL_ERR_INVALID naming the model, field or parameter.
 */
#ifndef DAL_VALIDATE_H
#define DAL_VALIDATE_H

#include "dal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The depth dal_json_parse accepts: deeper trees could be written but not read. */
#define DAL_VALIDATE_MAX_DEPTH 512

/* Checks every field of obj, a row of m about to be written (defaults
 * already applied), and lowers its uuids in place. what: "insert", ... */
dal_code dal_validate_row(const dal_model *m, void *obj, const char *what, dal_error *err);

/* Values handed to a backend with a copy where normalising was needed. */
typedef struct dal_checked_args {
    const dal_value *args; /* the caller's array, or the normalised copy */
    dal_value *copy;       /* owned: NULL when nothing needed a change */
    size_t n;
    void **bufs;           /* owned uuid buffers of the copy */
    size_t n_bufs;
} dal_checked_args;

void dal_checked_args_free(dal_checked_args *c);

/* The primary-key values of m (one per key field). */
dal_code dal_validate_key(const dal_model *m, const dal_value *key, const char *what, dal_checked_args *out,
                          dal_error *err);
/* q's parameters, then (for queries built at run time, q->id < 0) the
 * literal values of its conditions and assignments. */
dal_code dal_validate_args(const dal_query *q, const dal_value *args, dal_checked_args *out, dal_error *err);

/* Lowers the hex digits of a uuid text in place. */
void dal_uuid_lower(char *s);

#ifdef __cplusplus
}
#endif

#endif /* DAL_VALIDATE_H */
