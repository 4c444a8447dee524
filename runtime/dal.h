/*
 * dal.h - the runtime every generated data-access library links against.
 *
 * Generated code (see generated/swarm/swarm.h) is mostly static tables that
 * describe the schema (dal_model, dal_field, dal_query ...) plus thin typed
 * wrappers that call the generic functions declared here. The hard logic
 * (JSON, defaults, storage, transactions) lives once, in runtime/ and backends/.
 *
 * Conventions:
 *   - every function that can fail returns a dal_code and fills a caller-owned
 *     dal_error (which may be NULL when the caller does not want the message);
 *   - a failed call leaves its inputs and outputs as they were;
 *   - results are owned by the caller and released with the matching
 *     _clear / _free function; every _clear / _free accepts NULL;
 *   - names start with dal_ (functions, types) or DAL_ (macros, enumerators).
 */
#ifndef DAL_H
#define DAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Generated code checks DAL_ABI_VERSION at compile time: a generated file made
 * by a dalc of another ABI fails to compile with "regenerate" in the message. */
#define DAL_ABI_VERSION 1
#define DAL_VERSION_STRING "0.1.0"

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

typedef enum dal_code {
    DAL_OK = 0,
    DAL_ERR_DATABASE,      /* the storage engine failed (I/O, a file that is not a database, ...) */
    DAL_ERR_SERIALIZATION, /* a value could not be encoded or decoded (JSON, enum member) */
    DAL_ERR_NOT_FOUND,     /* a row that had to exist does not */
    DAL_ERR_TRANSACTION,   /* misuse of a transaction (finished, wrong handle) */
    DAL_ERR_MIGRATION,     /* the database was made by another schema version */
    DAL_ERR_POOL,          /* no connection became free within the connection timeout */
    DAL_ERR_CONSTRAINT,    /* duplicate key, foreign key, NOT NULL */
    DAL_ERR_INVALID,       /* bad argument: URL, option, NULL where a value is needed */
    DAL_ERR_NOMEM,         /* out of memory */
    DAL_ERR_OTHER,
    DAL_ERR_BUSY           /* another connection or process held a lock past busy_timeout_ms; nothing
                            * was changed, so retrying the call (or the whole transaction) is safe */
} dal_code;

#define DAL_ERROR_MESSAGE_SIZE 512

typedef struct dal_error {
    dal_code code;
    char message[DAL_ERROR_MESSAGE_SIZE]; /* names what failed: table, key, column, cause */
} dal_error;

/* "ok", "database", "serialization", "not_found", ..., "busy" */
const char *dal_code_name(dal_code code);

/* Sets err (when not NULL) to code and a printf-style message; returns code. */
dal_code dal_set_error(dal_error *err, dal_code code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefixes the existing message of err with a printf-style context:
 * "<context>: <old message>". Returns err->code (DAL_OK when err is NULL). */
dal_code dal_error_prefix(dal_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void dal_error_clear(dal_error *err);

/* ------------------------------------------------------------------------ */
/* Values: time, UUIDs, strings, lists                                      */
/* ------------------------------------------------------------------------ */

/* Microseconds since 1970-01-01T00:00:00Z, UTC. */
int64_t dal_now_us(void);

/* RFC 3339 in UTC with exactly six fractional digits and a Z:
 * "2026-11-29T05:33:30.123456Z". Works for years 0000..9999 (before 1970 too).
 * out must have room for DAL_TIME_SIZE bytes. Returns false for a year out of range. */
#define DAL_TIME_SIZE 32
bool dal_time_format(int64_t us, char out[DAL_TIME_SIZE]);

/* Parses RFC 3339: date 'T' (or 't' or ' ') time, optional fraction of any number
 * of digits (truncated to microseconds), then 'Z', 'z' or +hh:mm / -hh:mm.
 * Returns false (and leaves *us unchanged) on anything else. */
bool dal_time_parse(const char *text, int64_t *us);

/* UUIDs as 36-character canonical lower-case text plus NUL. */
#define DAL_UUID_SIZE 37
void dal_uuid4(char out[DAL_UUID_SIZE]);
/* RFC 9562 version 7: 48-bit millisecond time, then a 12-bit counter seeded
 * from the sub-millisecond clock so that ids made in one process are strictly
 * increasing (monotonic), then random bits. Thread-safe. */
void dal_uuid7(char out[DAL_UUID_SIZE]);
/* True when text is a canonical 8-4-4-4-12 hex UUID (either case). */
bool dal_uuid_valid(const char *text);

/* Replaces *dst with a malloc'd copy of src (NULL src frees and sets NULL).
 * Returns false on allocation failure, leaving *dst unchanged. */
bool dal_strset(char **dst, const char *src);
/* Copies a UUID string into a fixed field (truncates to 36 characters). */
void dal_uuidset(char dst[DAL_UUID_SIZE], const char *src);

/* Every list in generated code has this layout: a count, then a pointer to
 * n elements. Typed lists below; generated enum lists and model lists follow
 * the same layout, so generic code views any of them as a dal_list. */
typedef struct dal_list {
    size_t n;
    void *v;
} dal_list;

typedef struct dal_uuid { char s[DAL_UUID_SIZE]; } dal_uuid;

typedef struct dal_text_list { size_t n; char **v; } dal_text_list;
typedef struct dal_int_list { size_t n; int64_t *v; } dal_int_list;      /* int and timestamp */
typedef struct dal_i32_list { size_t n; int32_t *v; } dal_i32_list;
typedef struct dal_u32_list { size_t n; uint32_t *v; } dal_u32_list;
typedef struct dal_u64_list { size_t n; uint64_t *v; } dal_u64_list;
typedef struct dal_real_list { size_t n; double *v; } dal_real_list;
typedef struct dal_bool_list { size_t n; bool *v; } dal_bool_list;
typedef struct dal_uuid_list { size_t n; dal_uuid *v; } dal_uuid_list;
typedef dal_int_list dal_timestamp_list;

/* Appends a copy of s. Returns false on allocation failure (list unchanged). */
bool dal_text_list_push(dal_text_list *list, const char *s);
void dal_text_list_clear(dal_text_list *list);

/* ------------------------------------------------------------------------ */
/* Schema descriptors (emitted by dalc as static const tables)              */
/* ------------------------------------------------------------------------ */

typedef enum dal_type {
    DAL_TEXT,      /* char *                                     */
    DAL_INT,       /* int64_t                                    */
    DAL_I32,       /* int32_t                                    */
    DAL_U32,       /* uint32_t                                   */
    DAL_U64,       /* uint64_t                                   */
    DAL_REAL,      /* double                                     */
    DAL_BOOL,      /* bool                                       */
    DAL_TIMESTAMP, /* int64_t microseconds since the epoch, UTC  */
    DAL_UUID,      /* char[DAL_UUID_SIZE]; "" means unset        */
    DAL_JSON,      /* cJSON * (any value; NULL = JSON null)      */
    DAL_MAP_TEXT,  /* cJSON * object whose values are strings    */
    DAL_MAP_JSON,  /* cJSON * object of any values               */
    DAL_ENUM       /* the generated C enum (int-sized)           */
} dal_type;

/* Size in bytes of one value of type t inside a struct (or list element). */
size_t dal_type_size(dal_type t);
/* "text", "int", ..., "enum" */
const char *dal_type_name(dal_type t);

typedef struct dal_enum {
    const char *name;          /* schema name, "AgentStatus" */
    size_t n;
    const char *const *names;  /* member names as serialized, in declaration order */
    const int64_t *values;     /* integer-valued enums: the stored values; NULL when text-valued */
} dal_enum;
/* The C enumerator of member i is values[i] for integer-valued enums, i otherwise. */

/* Member index of a C enum value, or -1. */
int dal_enum_index(const dal_enum *e, int value);
/* C enum value of a member name; false when unknown. */
bool dal_enum_from_name(const dal_enum *e, const char *name, int *value);
/* Member name of a C enum value, or NULL when out of range. */
const char *dal_enum_name(const dal_enum *e, int value);

enum {
    DAL_F_OPTIONAL    = 1u << 0, /* nullable: pointer NULL, or has_<name> false */
    DAL_F_LIST        = 1u << 1, /* T[]: a dal_*_list / generated enum list */
    DAL_F_ID          = 1u << 2, /* part of the primary key */
    DAL_F_UNIQUE      = 1u << 3,
    DAL_F_SEQUENCE    = 1u << 4, /* assigned by storage on insert: 1, 2, 3 ... */
    DAL_F_UPDATED_NOW = 1u << 5  /* set to the current time by every update */
};

typedef enum dal_default_kind {
    DAL_DEF_NONE = 0,
    DAL_DEF_NULL,        /* optional: absent */
    DAL_DEF_NOW,
    DAL_DEF_UUID7,
    DAL_DEF_UUID4,
    DAL_DEF_EMPTY_LIST,  /* [] */
    DAL_DEF_EMPTY_MAP,   /* {} */
    DAL_DEF_INT,         /* i */
    DAL_DEF_REAL,        /* d */
    DAL_DEF_BOOL,        /* i (0 or 1) */
    DAL_DEF_TEXT,        /* s */
    DAL_DEF_ENUM         /* i: the C enum value */
} dal_default_kind;

typedef struct dal_default {
    dal_default_kind kind;
    int64_t i;
    double d;
    const char *s;
} dal_default;

typedef enum dal_on_delete {
    DAL_ON_DELETE_RESTRICT = 0, /* the default when @ref names none */
    DAL_ON_DELETE_CASCADE,
    DAL_ON_DELETE_SET_NULL
} dal_on_delete;

struct dal_model;

typedef struct dal_ref {
    const struct dal_model *model; /* referenced model */
    unsigned field;                /* index of the referenced field in it */
    dal_on_delete on_delete;
} dal_ref;

typedef struct dal_field {
    const char *name;      /* field name; also the JSON key */
    const char *column;    /* storage column name */
    dal_type type;
    const dal_enum *enumt; /* DAL_ENUM only */
    unsigned flags;        /* DAL_F_* */
    size_t offset;         /* offsetof the value (or the list) in the struct */
    size_t has_offset;     /* offsetof the bool has_<name>, for optional scalars; DAL_NO_OFFSET otherwise */
    dal_default def;
    const dal_ref *ref;    /* foreign key, or NULL */
} dal_field;

#define DAL_NO_OFFSET ((size_t)-1)

typedef struct dal_index_part {
    unsigned field;
    bool desc;
} dal_index_part;

typedef struct dal_index {
    const char *name;      /* unique within the schema: "tasks_status_priority_idx" */
    size_t n_parts;
    const dal_index_part *parts;
    bool unique;           /* @unique / @@unique */
    bool derived;          /* derived by dalc from a query (not declared) */
} dal_index;

typedef struct dal_model {
    const char *name;      /* "Agent"; aggregate rows: "Metric.summary" */
    const char *table;     /* "agents"; NULL for aggregate row records */
    size_t size;           /* sizeof the generated struct */
    size_t n_fields;
    const dal_field *fields;
    size_t n_pk;
    const unsigned *pk;    /* field indexes of the primary key, in key order */
    size_t n_indexes;
    const dal_index *indexes;
} dal_model;

/* Queries: the where tree, orders, sets and aggregates of a declared query (or
 * of one built at run time) in a form every backend executes. */

typedef enum dal_op {
    DAL_OP_EQ, DAL_OP_NE, DAL_OP_LT, DAL_OP_LE, DAL_OP_GT, DAL_OP_GE,
    DAL_OP_LIKE,        /* text only; SQL LIKE semantics: % and _, ASCII case-insensitive */
    DAL_OP_IN,          /* rhs is a list */
    DAL_OP_IS_NULL, DAL_OP_IS_NOT_NULL,
    DAL_OP_AND, DAL_OP_OR, DAL_OP_NOT
} dal_op;

/* A value handed to a backend: a parameter or a literal. For lists (DAL_OP_IN)
 * is_list is set and as.list views the typed list. */
typedef struct dal_value {
    dal_type type;
    bool is_null;
    bool is_list;
    union {
        int64_t i;          /* INT, I32, TIMESTAMP, ENUM (C value), BOOL (0/1) */
        uint64_t u;         /* U32, U64 */
        double d;           /* REAL */
        const char *s;      /* TEXT, UUID */
        const cJSON *json;  /* JSON, MAP_* */
        dal_list list;      /* is_list */
    } as;
} dal_value;

typedef enum dal_operand_kind {
    DAL_ARG_NONE = 0,
    DAL_ARG_PARAM,   /* args[param] */
    DAL_ARG_VALUE,   /* value */
    DAL_ARG_NOW      /* the current time, taken once per call */
} dal_operand_kind;

typedef struct dal_operand {
    dal_operand_kind kind;
    unsigned param;
    dal_value value;
} dal_operand;

typedef struct dal_expr {
    dal_op op;
    unsigned field;              /* comparisons: the model field on the left */
    dal_operand rhs;             /* comparisons except IS_NULL / IS_NOT_NULL */
    const struct dal_expr *a;    /* AND, OR: left; NOT: operand */
    const struct dal_expr *b;    /* AND, OR: right */
} dal_expr;

/* field: a model field; for aggregates, a field of the row record. */
typedef struct dal_order {
    unsigned field;
    bool desc;
} dal_order;

typedef enum dal_set_op {
    DAL_SET_ASSIGN = 0, /* field = value */
    DAL_SET_ADD,        /* field = field + value (integer fields; the result must fit the field) */
    DAL_SET_SUB         /* field = field - value */
} dal_set_op;

typedef struct dal_set {
    unsigned field;
    dal_operand value;
    dal_set_op op;
} dal_set;

typedef enum dal_agg_fn {
    DAL_AGG_GROUP = 0, /* the row field is a group-by field */
    DAL_AGG_COUNT, DAL_AGG_SUM, DAL_AGG_AVG, DAL_AGG_MIN, DAL_AGG_MAX
} dal_agg_fn;

/* One field of an aggregate row: row->fields[i] is filled from items[i]. */
typedef struct dal_agg_item {
    dal_agg_fn fn;
    int field;          /* source field in the model; -1 for count() */
} dal_agg_item;

typedef enum dal_query_kind {
    DAL_Q_SELECT, DAL_Q_UPDATE, DAL_Q_DELETE, DAL_Q_AGGREGATE
} dal_query_kind;

typedef enum dal_result_kind {
    DAL_R_MANY,   /* select: a list;            aggregate: always MANY */
    DAL_R_ONE,    /* select: at most one row (more is an error); update: exactly one row must change */
    DAL_R_COUNT,  /* update, delete: rows changed */
    DAL_R_BOOL,   /* update: whether any row changed */
    DAL_R_FIRST   /* update: changes the first row of its order (if any) and returns it */
} dal_result_kind;
/* An update whose result is DAL_R_MANY or DAL_R_FIRST returns the rows it
 * changed (their new values): run it with dal_query_many / dal_query_one. Its
 * order and limit pick the rows (ties by primary key), in one atomic step. */

typedef struct dal_param {
    const char *name;
    dal_type type;
    const dal_enum *enumt;
    unsigned flags;     /* DAL_F_OPTIONAL, DAL_F_LIST */
} dal_param;

typedef struct dal_query {
    const char *name;          /* "pending" (declared) or "" (built at run time) */
    const dal_model *model;
    dal_query_kind kind;
    dal_result_kind result;
    size_t n_params;
    const dal_param *params;
    const dal_expr *where;     /* NULL: every row */
    size_t n_order;
    const dal_order *order;    /* ties broken by the primary key ascending (aggregates: by the group fields) */
    dal_operand limit;         /* DAL_ARG_NONE when absent */
    dal_operand offset;
    size_t n_set;              /* update: assignments (the checker adds @updated_now fields) */
    const dal_set *set;
    size_t n_group;            /* aggregate */
    const unsigned *group;
    size_t n_items;
    const dal_agg_item *items; /* aggregate: one per field of row */
    const dal_model *row;      /* aggregate: the row record (table == NULL) */
    int id;                    /* index in dal_schema.queries, -1 when built at run time */
} dal_query;

typedef struct dal_schema {
    const char *ns;                /* "swarm" */
    const char *version;           /* hex digest of the schema's storage shape */
    size_t n_enums;
    const dal_enum *const *enums;
    size_t n_models;
    const dal_model *const *models;
    size_t n_queries;
    const dal_query *const *queries;
} dal_schema;

/* ------------------------------------------------------------------------ */
/* Records: generic operations over a struct described by a dal_model       */
/* ------------------------------------------------------------------------ */

/* Zeroes obj and applies the schema defaults (uuid7, now, literals, enum
 * members, [], {}). */
void dal_record_init(const dal_model *m, void *obj);
/* Frees everything obj owns and zeroes it. NULL obj is fine. */
void dal_record_clear(const dal_model *m, void *obj);
/* Deep copy: dst (whose old contents are cleared on success) becomes equal to src.
 * Buffers of dst the new values fit (texts, same-shaped JSON, plain lists) are
 * overwritten in place rather than freed and allocated again, so pointers
 * taken into dst's old values must not be kept. On failure dst is unchanged.
 * dst == src is a no-op. */
dal_code dal_record_copy(const dal_model *m, void *dst, const void *src, dal_error *err);
/* Deep equality (JSON values compared structurally). */
bool dal_record_equal(const dal_model *m, const void *a, const void *b);

/* JSON: keys are field names; enums as member names; timestamps RFC 3339 UTC
 * with microseconds; absent optionals as null; lists as arrays; maps as objects;
 * 64-bit integers exactly (never through a double). */
cJSON *dal_record_to_cjson(const dal_model *m, const void *obj);     /* NULL on OOM */
char *dal_record_to_json(const dal_model *m, const void *obj);       /* malloc'd; NULL on OOM */
/* Accepts what dal_record_to_json writes and the original crate's serde output
 * (timestamps with any number of fractional digits and Z or +hh:mm). A wrong
 * type, an unknown enum member, a missing required field or a bad timestamp is
 * DAL_ERR_SERIALIZATION naming the field. Unknown keys are ignored. Fields with
 * @default may be missing (the default applies). obj is unchanged on failure;
 * on success its old contents are freed. */
dal_code dal_record_from_cjson(const dal_model *m, void *obj, const cJSON *json, dal_error *err);
dal_code dal_record_from_json(const dal_model *m, void *obj, const char *text, dal_error *err);

/* Frees every element of a list of records and the array; leaves {0, NULL}. */
void dal_record_list_free(const dal_model *m, dal_list *list);

/* Field access helpers used by backends and generated code. */
bool dal_field_present(const dal_field *f, const void *obj);   /* false for absent optionals */
void *dal_field_ptr(const dal_field *f, void *obj);
const void *dal_field_cptr(const dal_field *f, const void *obj);
/* A dal_value viewing field f of obj (no copy: valid while obj is). */
dal_value dal_field_value(const dal_field *f, const void *obj);
/* Stores a copy of v into field f of obj (freeing the old value). */
dal_code dal_field_set(const dal_field *f, void *obj, const dal_value *v, dal_error *err);

/* ------------------------------------------------------------------------ */
/* JSON helpers                                                              */
/* ------------------------------------------------------------------------ */

/* Parses JSON text into a cJSON tree. Unlike cJSON_Parse, number nodes keep
 * their exact source text in valuestring, so 64-bit integers survive.
 * Errors name the byte offset. */
dal_code dal_json_parse(const char *text, size_t len, cJSON **out, dal_error *err);
/* Exact integer value of a number node (made by dal_json_parse or cJSON). */
bool dal_json_int64(const cJSON *item, int64_t *out);
bool dal_json_uint64(const cJSON *item, uint64_t *out);
/* Compact text of any cJSON value (numbers exact); malloc'd. */
char *dal_json_print(const cJSON *item);
/* Structural equality, numbers compared exactly where both carry text. */
bool dal_json_equal(const cJSON *a, const cJSON *b);

/* ------------------------------------------------------------------------ */
/* Databases and transactions                                                */
/* ------------------------------------------------------------------------ */

typedef struct dal_db dal_db;
typedef struct dal_tx dal_tx;

typedef struct dal_options {
    unsigned max_connections;        /* default 16 */
    unsigned min_idle;               /* default 2 (at most max_connections when a URL sets only that) */
    unsigned connection_timeout_ms;  /* default 30000 */
    unsigned idle_timeout_ms;        /* default 300000 */
    unsigned busy_timeout_ms;        /* default 30000 */
} dal_options;

/* Fills o with the defaults above. */
void dal_options_default(dal_options *o);

typedef struct dal_pool_status {
    unsigned active;   /* connections handed out */
    unsigned idle;     /* open connections waiting in the pool */
    unsigned max;
    uint64_t waits;    /* acquisitions that had to wait */
    uint64_t timeouts; /* acquisitions that gave up */
} dal_pool_status;

/* Opens a database for schema s. url: "sqlite:PATH[?opt=v&...]", "memory:" or
 * "memory:NAME"; NULL means "sqlite:<ns>.db". Options in the URL override
 * those in opts (which may be NULL for the defaults). */
dal_db *dal_open(const dal_schema *s, const char *url, const dal_options *opts, dal_error *err);
/* Closes the database; transactions still open are rolled back. NULL is fine. */
void dal_close(dal_db *db);
const dal_schema *dal_db_schema(const dal_db *db);

/* Begins a transaction. On a handle from dal_tx_db this begins a nested one
 * (a savepoint). Every operation through dal_tx_db(tx) runs inside it. */
dal_tx *dal_begin(dal_db *db, dal_error *err);
dal_db *dal_tx_db(dal_tx *tx);
/* Finish the transaction (the dal_tx stays allocated until dal_tx_free; using
 * its handle afterwards is DAL_ERR_TRANSACTION). */
dal_code dal_commit(dal_tx *tx, dal_error *err);
dal_code dal_rollback(dal_tx *tx, dal_error *err);
/* Rolls back when still active, then frees. NULL is fine. */
void dal_tx_free(dal_tx *tx);

/* Per-model operations. obj / objs are in-out: defaults, @sequence and
 * @updated_now values the storage assigned are written back on success.
 * Insert fills a field from its @default only when the field is empty: an
 * absent optional, a NULL text or map, an empty uuid. Numbers, bools, enums,
 * required timestamps and json (NULL is JSON null) always hold a value; the
 * generated _init gives them their defaults. A required text left NULL or a
 * required uuid left empty is DAL_ERR_INVALID naming the field. */
dal_code dal_insert(dal_db *db, const dal_model *m, void *obj, dal_error *err);
dal_code dal_insert_many(dal_db *db, const dal_model *m, void *objs, size_t n, dal_error *err);
/* key: one dal_value per primary-key field. *found false (and out unchanged)
 * when absent: that is not an error. */
dal_code dal_get(dal_db *db, const dal_model *m, const dal_value *key, void *out, bool *found, dal_error *err);
/* Replaces the row with obj's primary key; DAL_ERR_NOT_FOUND when absent. */
dal_code dal_update(dal_db *db, const dal_model *m, void *obj, dal_error *err);
/* Inserts or replaces (on the primary key). */
dal_code dal_upsert(dal_db *db, const dal_model *m, void *obj, dal_error *err);
/* Idempotent; *deleted (may be NULL) tells whether a row went. */
dal_code dal_delete(dal_db *db, const dal_model *m, const dal_value *key, bool *deleted, dal_error *err);
/* Every row in primary-key order; out (a list of m's struct) is replaced on success. */
dal_code dal_list_all(dal_db *db, const dal_model *m, dal_list *out, dal_error *err);
dal_code dal_count(dal_db *db, const dal_model *m, int64_t *n, dal_error *err);

/* Declared (or built) queries. args: q->n_params values. */
dal_code dal_query_many(dal_db *db, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err);
dal_code dal_query_one(dal_db *db, const dal_query *q, const dal_value *args, void *out, bool *found, dal_error *err);
/* select: *n = rows dal_query_many would return (limit and offset apply). */
dal_code dal_count_query(dal_db *db, const dal_query *q, const dal_value *args, int64_t *n, dal_error *err);
/* update / delete: *changed rows (may be NULL). For DAL_R_ONE updates, no
 * changed row is DAL_ERR_NOT_FOUND. */
dal_code dal_exec(dal_db *db, const dal_query *q, const dal_value *args, int64_t *changed, dal_error *err);
/* aggregate: out is a list of q->row records. */
dal_code dal_aggregate(dal_db *db, const dal_query *q, const dal_value *args, dal_list *out, dal_error *err);

/* Maintenance. */
dal_code dal_vacuum(dal_db *db, dal_error *err);
/* Copies the write-ahead log into the database and truncates it, retrying
 * within busy_timeout_ms while readers hold it (then DAL_ERR_BUSY). */
dal_code dal_checkpoint(dal_db *db, dal_error *err);

/* What a checkpoint did. Backends without a log (memory) report zeros. */
typedef struct dal_checkpoint_info {
    int64_t log_frames;          /* frames (pages) in the write-ahead log when it began */
    int64_t checkpointed_frames; /* of those, copied into the database file */
    bool busy;                   /* readers kept it from finishing within busy_timeout_ms: the
                                  * log was not truncated (not an error here; retry later) */
    uint64_t log_bytes;          /* size of the log file afterwards (0 once truncated) */
} dal_checkpoint_info;
/* dal_checkpoint that reports what it did into *info (which may be NULL);
 * busy readers are reported in info->busy rather than as an error. */
dal_code dal_checkpoint_report(dal_db *db, dal_checkpoint_info *info, dal_error *err);
dal_code dal_storage_size(dal_db *db, uint64_t *bytes, dal_error *err);
dal_code dal_pool_status_get(dal_db *db, dal_pool_status *st, dal_error *err);

#ifdef __cplusplus
}
#endif

#endif /* DAL_H */
