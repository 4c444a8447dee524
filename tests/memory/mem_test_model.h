/*
 * mem_test_model.h - a schema written by hand as descriptors (what dalc would
 * emit), so the memory backend is tested on something that is not the swarm
 * schema (which proves it generic over the descriptors):
 *
 *   enum Status { todo, doing, done }            (text-valued: ordered by name)
 *   enum Prio { low = 0, mid = 1, high = 2 }      (integer-valued)
 *   model Owner { id uuid @id  name text @unique  rank i32 }
 *   model Task {
 *     id uuid @id           title text           status Status
 *     prio Prio             owner uuid? @ref(Owner.id, on_delete: set_null)
 *     ts timestamp          score real?          seq u64 @sequence @unique
 *     payload json          tags text[]          flag bool
 *     @@index([status, prio desc, ts])          (derived from "open")
 *     @@index([owner, ts desc, id desc])        (derived from "by_owner")
 *     @@index([ts, id])                         (derived from "since")
 *   }
 *   model Note {           (composite key)
 *     task uuid @ref(Task.id, on_delete: cascade)   n i32   body text?
 *     author uuid? @ref(Owner.id)                   (restrict)
 *     @@id([task, n])
 *   }
 *
 * and the queries listed with their descriptors below.
 */
#ifndef MEM_TEST_MODEL_H
#define MEM_TEST_MODEL_H

#include <stddef.h>

#include "dal.h"

enum { ST_TODO, ST_DOING, ST_DONE };
enum { PR_LOW = 0, PR_MID = 1, PR_HIGH = 2 };

typedef struct m_status_list {
    size_t n;
    int *v;
} m_status_list;

typedef struct m_owner {
    char id[DAL_UUID_SIZE];
    char *name;
    int32_t rank;
} m_owner;

typedef struct m_task {
    char id[DAL_UUID_SIZE];
    char *title;
    int status;
    int prio;
    char owner[DAL_UUID_SIZE];
    int64_t ts;
    bool has_score;
    double score;
    uint64_t seq;
    cJSON *payload;
    dal_text_list tags;
    bool flag;
} m_task;

typedef struct m_note {
    char task[DAL_UUID_SIZE];
    int32_t n;
    char *body;
    char author[DAL_UUID_SIZE];
} m_note;

typedef struct m_stats {
    int status;
    int64_t n;
    bool has_avg_score;
    double avg_score;
    int64_t first;
    char *top;
    bool has_total;
    int64_t total;
} m_stats;

static const char *const m_status_names[] = {"todo", "doing", "done"};
static const dal_enum m_status_enum = {"Status", 3, m_status_names, NULL};
static const char *const m_prio_names[] = {"low", "mid", "high"};
static const int64_t m_prio_values[] = {0, 1, 2};
static const dal_enum m_prio_enum = {"Prio", 3, m_prio_names, m_prio_values};

#define M_NOH DAL_NO_OFFSET
#define M_NODEF {DAL_DEF_NONE, 0, 0, NULL}

/* ---- Owner ---- */
static const dal_field m_owner_fields[] = {
    {"id", "id", DAL_UUID, NULL, DAL_F_ID, offsetof(m_owner, id), M_NOH, M_NODEF, NULL},
    {"name", "name", DAL_TEXT, NULL, DAL_F_UNIQUE, offsetof(m_owner, name), M_NOH, M_NODEF, NULL},
    {"rank", "rank", DAL_I32, NULL, 0, offsetof(m_owner, rank), M_NOH, M_NODEF, NULL},
};
static const unsigned m_owner_pk[] = {0};
static const dal_index_part m_owner_idx0[] = {{1, false}};
static const dal_index m_owner_indexes[] = {{"owners_name_key", 1, m_owner_idx0, true, false}};
static const dal_model m_owner_model = {"Owner", "owners", sizeof(m_owner), 3, m_owner_fields, 1, m_owner_pk, 1,
                                        m_owner_indexes};

/* ---- Task ---- */
enum { TF_ID, TF_TITLE, TF_STATUS, TF_PRIO, TF_OWNER, TF_TS, TF_SCORE, TF_SEQ, TF_PAYLOAD, TF_TAGS, TF_FLAG };
static const dal_ref m_task_owner_ref = {&m_owner_model, 0, DAL_ON_DELETE_SET_NULL};
static const dal_field m_task_fields[] = {
    {"id", "id", DAL_UUID, NULL, DAL_F_ID, offsetof(m_task, id), M_NOH, {DAL_DEF_UUID7, 0, 0, NULL}, NULL},
    {"title", "title", DAL_TEXT, NULL, 0, offsetof(m_task, title), M_NOH, M_NODEF, NULL},
    {"status", "status", DAL_ENUM, &m_status_enum, 0, offsetof(m_task, status), M_NOH, M_NODEF, NULL},
    {"prio", "prio", DAL_ENUM, &m_prio_enum, 0, offsetof(m_task, prio), M_NOH, M_NODEF, NULL},
    {"owner", "owner_id", DAL_UUID, NULL, DAL_F_OPTIONAL, offsetof(m_task, owner), M_NOH, M_NODEF,
     &m_task_owner_ref},
    {"ts", "ts", DAL_TIMESTAMP, NULL, 0, offsetof(m_task, ts), M_NOH, M_NODEF, NULL},
    {"score", "score", DAL_REAL, NULL, DAL_F_OPTIONAL, offsetof(m_task, score), offsetof(m_task, has_score),
     M_NODEF, NULL},
    {"seq", "seq", DAL_U64, NULL, DAL_F_SEQUENCE | DAL_F_UNIQUE, offsetof(m_task, seq), M_NOH, M_NODEF, NULL},
    {"payload", "payload", DAL_JSON, NULL, 0, offsetof(m_task, payload), M_NOH, M_NODEF, NULL},
    {"tags", "tags", DAL_TEXT, NULL, DAL_F_LIST, offsetof(m_task, tags), M_NOH, M_NODEF, NULL},
    {"flag", "flag", DAL_BOOL, NULL, 0, offsetof(m_task, flag), M_NOH, M_NODEF, NULL},
};
static const unsigned m_task_pk[] = {TF_ID};
static const dal_index_part m_task_idx0[] = {{TF_SEQ, false}};
static const dal_index_part m_task_idx1[] = {{TF_STATUS, false}, {TF_PRIO, true}, {TF_TS, false}, {TF_ID, false}};
static const dal_index_part m_task_idx2[] = {{TF_OWNER, false}, {TF_TS, true}, {TF_ID, true}};
static const dal_index_part m_task_idx3[] = {{TF_TS, false}, {TF_ID, false}};
static const dal_index m_task_indexes[] = {
    {"tasks_seq_key", 1, m_task_idx0, true, false},
    {"tasks_status_prio_ts_id_idx", 4, m_task_idx1, false, true},
    {"tasks_owner_ts_id_idx", 3, m_task_idx2, false, true},
    {"tasks_ts_id_idx", 2, m_task_idx3, false, true},
};
static const dal_model m_task_model = {"Task", "tasks", sizeof(m_task), 11, m_task_fields, 1, m_task_pk, 4,
                                       m_task_indexes};

/* ---- Note ---- */
static const dal_ref m_note_task_ref = {&m_task_model, TF_ID, DAL_ON_DELETE_CASCADE};
static const dal_ref m_note_author_ref = {&m_owner_model, 0, DAL_ON_DELETE_RESTRICT};
static const dal_field m_note_fields[] = {
    {"task", "task_id", DAL_UUID, NULL, DAL_F_ID, offsetof(m_note, task), M_NOH, M_NODEF, &m_note_task_ref},
    {"n", "n", DAL_I32, NULL, DAL_F_ID, offsetof(m_note, n), M_NOH, M_NODEF, NULL},
    {"body", "body", DAL_TEXT, NULL, DAL_F_OPTIONAL, offsetof(m_note, body), M_NOH, M_NODEF, NULL},
    {"author", "author", DAL_UUID, NULL, DAL_F_OPTIONAL, offsetof(m_note, author), M_NOH, M_NODEF,
     &m_note_author_ref},
};
static const unsigned m_note_pk[] = {0, 1};
static const dal_model m_note_model = {"Note", "notes", sizeof(m_note), 4, m_note_fields, 2, m_note_pk, 0, NULL};

/* ---- aggregate row of Task.stats ---- */
static const dal_field m_stats_fields[] = {
    {"status", "status", DAL_ENUM, &m_status_enum, 0, offsetof(m_stats, status), M_NOH, M_NODEF, NULL},
    {"n", "n", DAL_INT, NULL, 0, offsetof(m_stats, n), M_NOH, M_NODEF, NULL},
    {"avg_score", "avg_score", DAL_REAL, NULL, DAL_F_OPTIONAL, offsetof(m_stats, avg_score),
     offsetof(m_stats, has_avg_score), M_NODEF, NULL},
    {"first", "first", DAL_TIMESTAMP, NULL, 0, offsetof(m_stats, first), M_NOH, M_NODEF, NULL},
    {"top", "top", DAL_TEXT, NULL, 0, offsetof(m_stats, top), M_NOH, M_NODEF, NULL},
    {"total", "total", DAL_INT, NULL, DAL_F_OPTIONAL, offsetof(m_stats, total), offsetof(m_stats, has_total),
     M_NODEF, NULL},
};
static const dal_model m_stats_model = {"Task.stats", NULL, sizeof(m_stats), 6, m_stats_fields, 0, NULL, 0, NULL};

/* ------------------------------------------------------------------------ */
/* Queries                                                                   */
/* ------------------------------------------------------------------------ */

#define P(i) {DAL_ARG_PARAM, i, {0}}
#define NOARG {DAL_ARG_NONE, 0, {0}}
#define ENUMV(x) {DAL_ARG_VALUE, 0, {.type = DAL_ENUM, .as.i = x}}

/* query Task.open() -> many { where status = todo order by prio desc, ts asc } */
static const dal_expr q_open_where = {DAL_OP_EQ, TF_STATUS, ENUMV(ST_TODO), NULL, NULL};
static const dal_order q_open_order[] = {{TF_PRIO, true}, {TF_TS, false}};
static const dal_query q_open = {"open", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 0, NULL, &q_open_where,
                                 2, q_open_order, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 0};

/* query Task.by_owner(owner: uuid, lim: int) -> many
 *   { where owner = $owner order by ts desc, id desc limit $lim } */
static const dal_param q_by_owner_params[] = {{"owner", DAL_UUID, NULL, 0}, {"lim", DAL_INT, NULL, 0}};
static const dal_expr q_by_owner_where = {DAL_OP_EQ, TF_OWNER, P(0), NULL, NULL};
static const dal_order q_by_owner_order[] = {{TF_TS, true}, {TF_ID, true}};
static const dal_query q_by_owner = {"by_owner", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 2, q_by_owner_params,
                                     &q_by_owner_where, 2, q_by_owner_order, P(1), NOARG, 0, NULL, 0, NULL, 0,
                                     NULL, NULL, 1};

/* query Task.since(ts: timestamp) -> many { where ts >= $ts order by ts asc, id asc } */
static const dal_param q_since_params[] = {{"ts", DAL_TIMESTAMP, NULL, 0}};
static const dal_expr q_since_where = {DAL_OP_GE, TF_TS, P(0), NULL, NULL};
static const dal_order q_since_order[] = {{TF_TS, false}, {TF_ID, false}};
static const dal_query q_since = {"since", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 1, q_since_params,
                                  &q_since_where, 2, q_since_order, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL,
                                  2};

/* query Task.window(a: timestamp, b: timestamp, lim: int, off: int) -> many
 *   { where ts > $a and ts <= $b order by ts desc limit $lim offset $off } */
static const dal_param q_window_params[] = {
    {"a", DAL_TIMESTAMP, NULL, 0}, {"b", DAL_TIMESTAMP, NULL, 0}, {"lim", DAL_INT, NULL, 0}, {"off", DAL_INT, NULL, 0}};
static const dal_expr q_window_a = {DAL_OP_GT, TF_TS, P(0), NULL, NULL};
static const dal_expr q_window_b = {DAL_OP_LE, TF_TS, P(1), NULL, NULL};
static const dal_expr q_window_where = {DAL_OP_AND, 0, NOARG, &q_window_a, &q_window_b};
static const dal_order q_window_order[] = {{TF_TS, true}};
static const dal_query q_window = {"window", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 4, q_window_params,
                                   &q_window_where, 1, q_window_order, P(2), P(3), 0, NULL, 0, NULL, 0, NULL, NULL,
                                   3};

/* query Task.titled(p: text) -> many { where title like $p order by title asc } */
static const dal_param q_titled_params[] = {{"p", DAL_TEXT, NULL, 0}};
static const dal_expr q_titled_where = {DAL_OP_LIKE, TF_TITLE, P(0), NULL, NULL};
static const dal_order q_titled_order[] = {{TF_TITLE, false}};
static const dal_query q_titled = {"titled", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 1, q_titled_params,
                                   &q_titled_where, 1, q_titled_order, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL,
                                   4};

/* query Task.either(a: uuid, b: uuid, lim: int) -> many
 *   { where (owner = $a and status = todo) or (owner = $b and status = done)
 *     order by ts desc limit $lim } */
static const dal_param q_either_params[] = {{"a", DAL_UUID, NULL, 0}, {"b", DAL_UUID, NULL, 0},
                                            {"lim", DAL_INT, NULL, 0}};
static const dal_expr q_either_oa = {DAL_OP_EQ, TF_OWNER, P(0), NULL, NULL};
static const dal_expr q_either_sa = {DAL_OP_EQ, TF_STATUS, ENUMV(ST_TODO), NULL, NULL};
static const dal_expr q_either_ob = {DAL_OP_EQ, TF_OWNER, P(1), NULL, NULL};
static const dal_expr q_either_sb = {DAL_OP_EQ, TF_STATUS, ENUMV(ST_DONE), NULL, NULL};
static const dal_expr q_either_l = {DAL_OP_AND, 0, NOARG, &q_either_oa, &q_either_sa};
static const dal_expr q_either_r = {DAL_OP_AND, 0, NOARG, &q_either_ob, &q_either_sb};
static const dal_expr q_either_where = {DAL_OP_OR, 0, NOARG, &q_either_l, &q_either_r};
static const dal_order q_either_order[] = {{TF_TS, true}};
static const dal_query q_either = {"either", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 3, q_either_params,
                                   &q_either_where, 1, q_either_order, P(2), NOARG, 0, NULL, 0, NULL, 0, NULL, NULL,
                                   5};

/* query Task.in_status(s: Status[]) -> many { where status in $s order by status asc } */
static const dal_param q_in_status_params[] = {{"s", DAL_ENUM, &m_status_enum, DAL_F_LIST}};
static const dal_expr q_in_status_where = {DAL_OP_IN, TF_STATUS, P(0), NULL, NULL};
static const dal_order q_in_status_order[] = {{TF_STATUS, false}};
static const dal_query q_in_status = {"in_status", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 1, q_in_status_params,
                                      &q_in_status_where, 1, q_in_status_order, NOARG, NOARG, 0, NULL, 0, NULL, 0,
                                      NULL, NULL, 6};

/* query Task.of_owner(o: uuid?) -> many { where owner = $o }   (IS semantics) */
static const dal_param q_of_owner_params[] = {{"o", DAL_UUID, NULL, DAL_F_OPTIONAL}};
static const dal_expr q_of_owner_where = {DAL_OP_EQ, TF_OWNER, P(0), NULL, NULL};
static const dal_query q_of_owner = {"of_owner", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 1, q_of_owner_params,
                                     &q_of_owner_where, 0, NULL, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 7};

/* query Task.not_above(x: real) -> many { where not (score > $x) } */
static const dal_param q_not_above_params[] = {{"x", DAL_REAL, NULL, 0}};
static const dal_expr q_not_above_gt = {DAL_OP_GT, TF_SCORE, P(0), NULL, NULL};
static const dal_expr q_not_above_where = {DAL_OP_NOT, 0, NOARG, &q_not_above_gt, NULL};
static const dal_query q_not_above = {"not_above", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 1, q_not_above_params,
                                      &q_not_above_where, 0, NULL, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 8};

/* query Task.score_ne(x: real) -> many { where score != $x } */
static const dal_expr q_score_ne_where = {DAL_OP_NE, TF_SCORE, P(0), NULL, NULL};
static const dal_query q_score_ne = {"score_ne", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 1, q_not_above_params,
                                     &q_score_ne_where, 0, NULL, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 9};

/* query Task.by_prio() -> many { order by prio asc, status desc }  (no where) */
static const dal_order q_by_prio_order[] = {{TF_PRIO, false}, {TF_STATUS, true}};
static const dal_query q_by_prio = {"by_prio", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 0, NULL, NULL, 2,
                                    q_by_prio_order, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 10};

/* query Task.flagged_or_titled(p: text) -> many { where flag = true or title like $p order by score desc } */
static const dal_expr q_fot_flag = {DAL_OP_EQ, TF_FLAG, {DAL_ARG_VALUE, 0, {.type = DAL_BOOL, .as.i = 1}}, NULL,
                                    NULL};
static const dal_expr q_fot_like = {DAL_OP_LIKE, TF_TITLE, P(0), NULL, NULL};
static const dal_expr q_fot_where = {DAL_OP_OR, 0, NOARG, &q_fot_flag, &q_fot_like};
static const dal_order q_fot_order[] = {{TF_SCORE, true}};
static const dal_query q_fot = {"flagged_or_titled", &m_task_model, DAL_Q_SELECT, DAL_R_MANY, 1, q_titled_params,
                                &q_fot_where, 1, q_fot_order, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 11};

/* query Task.one_by_seq(s: u64) -> one { where seq = $s } */
static const dal_param q_by_seq_params[] = {{"s", DAL_U64, NULL, 0}};
static const dal_expr q_by_seq_where = {DAL_OP_EQ, TF_SEQ, P(0), NULL, NULL};
static const dal_query q_by_seq = {"one_by_seq", &m_task_model, DAL_Q_SELECT, DAL_R_ONE, 1, q_by_seq_params,
                                   &q_by_seq_where, 0, NULL, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 12};

/* update Task.finish(id: uuid) -> bool { set status = done, ts = now() where id = $id and status = todo } */
static const dal_param q_finish_params[] = {{"id", DAL_UUID, NULL, 0}};
static const dal_expr q_finish_id = {DAL_OP_EQ, TF_ID, P(0), NULL, NULL};
static const dal_expr q_finish_todo = {DAL_OP_EQ, TF_STATUS, ENUMV(ST_TODO), NULL, NULL};
static const dal_expr q_finish_where = {DAL_OP_AND, 0, NOARG, &q_finish_id, &q_finish_todo};
static const dal_set q_finish_set[] = {{TF_STATUS, ENUMV(ST_DONE), DAL_SET_ASSIGN}, {TF_TS, {DAL_ARG_NOW, 0, {0}}, DAL_SET_ASSIGN}};
static const dal_query q_finish = {"finish", &m_task_model, DAL_Q_UPDATE, DAL_R_BOOL, 1, q_finish_params,
                                   &q_finish_where, 0, NULL, NOARG, NOARG, 2, q_finish_set, 0, NULL, 0, NULL, NULL,
                                   13};

/* update Task.reassign(from: uuid?, to: uuid?) -> count { set owner = $to where owner = $from } */
static const dal_param q_reassign_params[] = {{"from", DAL_UUID, NULL, DAL_F_OPTIONAL},
                                              {"to", DAL_UUID, NULL, DAL_F_OPTIONAL}};
static const dal_expr q_reassign_where = {DAL_OP_EQ, TF_OWNER, P(0), NULL, NULL};
static const dal_set q_reassign_set[] = {{TF_OWNER, P(1), DAL_SET_ASSIGN}};
static const dal_query q_reassign = {"reassign", &m_task_model, DAL_Q_UPDATE, DAL_R_COUNT, 2, q_reassign_params,
                                     &q_reassign_where, 0, NULL, NOARG, NOARG, 1, q_reassign_set, 0, NULL, 0, NULL,
                                     NULL, 14};

/* delete Task.older(ts: timestamp) -> count { where ts < $ts } */
static const dal_expr q_older_where = {DAL_OP_LT, TF_TS, P(0), NULL, NULL};
static const dal_query q_older = {"older", &m_task_model, DAL_Q_DELETE, DAL_R_COUNT, 1, q_since_params,
                                  &q_older_where, 0, NULL, NOARG, NOARG, 0, NULL, 0, NULL, 0, NULL, NULL, 15};

/* aggregate Task.stats(min: timestamp) { where ts >= $min group by status
 *   select count() as n, avg(score) as avg_score, min(ts) as first, max(title) as top, sum(seq) as total
 *   order by n desc } */
static const unsigned q_stats_group[] = {TF_STATUS};
static const dal_agg_item q_stats_items[] = {
    {DAL_AGG_GROUP, TF_STATUS}, {DAL_AGG_COUNT, -1}, {DAL_AGG_AVG, TF_SCORE},
    {DAL_AGG_MIN, TF_TS},       {DAL_AGG_MAX, TF_TITLE}, {DAL_AGG_SUM, TF_SEQ},
};
static const dal_order q_stats_order[] = {{1, true}};
static const dal_query q_stats = {"stats", &m_task_model, DAL_Q_AGGREGATE, DAL_R_MANY, 1, q_since_params,
                                  &q_since_where, 1, q_stats_order, NOARG, NOARG, 0, NULL, 1, q_stats_group, 6,
                                  q_stats_items, &m_stats_model, 16};

static const dal_enum *const m_enums[] = {&m_status_enum, &m_prio_enum};
static const dal_model *const m_models[] = {&m_owner_model, &m_task_model, &m_note_model};
static const dal_query *const m_queries[] = {&q_open,     &q_by_owner,  &q_since,     &q_window,   &q_titled,
                                             &q_either,   &q_in_status, &q_of_owner,  &q_not_above, &q_score_ne,
                                             &q_by_prio,  &q_fot,       &q_by_seq,    &q_finish,   &q_reassign,
                                             &q_older,    &q_stats};
static const dal_schema m_schema = {"memtest", "0", 2, m_enums, 3, m_models, 17, m_queries};

#endif /* MEM_TEST_MODEL_H */
