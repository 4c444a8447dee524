/* test_schemas.c - whole schemas through dalc_frontend: every example of
 * DSL.md (tests/schemas/dsl_examples.dal), schema/swarm.dal and
 * tests/schemas/features.dal resolve, and resolve to what the language says:
 * types, keys, defaults, references, queries, sets, aggregates, indexes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "frontend.h"

/* Reads and resolves a schema of the source tree; fails on any diagnostic. */
static m_schema *load(const char *relative)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DAL_SOURCE_DIR, relative);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[1 << 16];
    size_t len = fread(text, 1, sizeof text, f);
    fclose(f);
    assert_true(len < sizeof text);
    char *diags = NULL;
    unsigned n = 0;
    m_schema *s = dalc_frontend(relative, text, len, &diags, &n);
    if (!s)
        fail_msg("%s: %u errors:\n%s", relative, n, diags);
    assert_int_equal(n, 0);
    assert_null(diags);
    return s;
}

static const m_model *model(const m_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_models; i++)
        if (strcmp(s->models[i].name, name) == 0)
            return &s->models[i];
    fail_msg("no model %s", name);
    return NULL;
}

static size_t field(const m_model *m, const char *name)
{
    for (size_t i = 0; i < m->n_fields; i++)
        if (strcmp(m->fields[i].name, name) == 0)
            return i;
    fail_msg("no field %s.%s", m->name, name);
    return 0;
}

static const m_field *fld(const m_model *m, const char *name)
{
    return &m->fields[field(m, name)];
}

static const m_query *query(const m_schema *s, const char *model_name, const char *name)
{
    for (size_t i = 0; i < s->n_queries; i++)
        if (strcmp(s->queries[i].model->name, model_name) == 0 && strcmp(s->queries[i].name, name) == 0)
            return &s->queries[i];
    fail_msg("no query %s.%s", model_name, name);
    return NULL;
}

static const m_enum *enm(const m_schema *s, const char *name)
{
    for (size_t i = 0; i < s->n_enums; i++)
        if (strcmp(s->enums[i].name, name) == 0)
            return &s->enums[i];
    fail_msg("no enum %s", name);
    return NULL;
}

/* The indexes of a model as text, one per line: "name [unique] [derived]:
 * field field desc ...". */
static void indexes_text(const m_model *m, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t i = 0; i < m->n_indexes; i++) {
        const m_index *x = &m->indexes[i];
        n += (size_t)snprintf(out + n, size - n, "%s%s%s:", x->name, x->unique ? " unique" : "",
                              x->derived ? " derived" : "");
        for (size_t k = 0; k < x->n; k++)
            n += (size_t)snprintf(out + n, size - n, " %s%s", m->fields[x->parts[k].field].name,
                                  x->parts[k].desc ? " desc" : "");
        n += (size_t)snprintf(out + n, size - n, "\n");
    }
}

static void assert_indexes(const m_model *m, const char *expected)
{
    char text[2048];
    indexes_text(m, text, sizeof text);
    assert_string_equal(text, expected);
}

static void assert_type(m_type t, m_kind kind, bool optional, bool list)
{
    assert_int_equal(t.kind, kind);
    assert_int_equal(t.optional, optional);
    assert_int_equal(t.list, list);
}

/* ------------------------------------------------------------ DSL.md */

static void test_dsl_examples(void **state)
{
    (void)state;
    m_schema *s = load("tests/schemas/dsl_examples.dal");
    assert_string_equal(s->ns, "swarm");
    assert_string_equal(s->source, "tests/schemas/dsl_examples.dal");
    assert_int_equal(s->n_enums, 3);
    assert_int_equal(s->n_models, 4);
    assert_int_equal(s->n_queries, 6);

    const m_enum *st = enm(s, "AgentStatus");
    assert_string_equal(st->snake, "agent_status");
    assert_int_equal(st->n, 7);
    assert_string_equal(st->members[0], "initializing");
    assert_string_equal(st->members[6], "shutdown");
    assert_null(st->values);
    const m_enum *pr = enm(s, "TaskPriority");
    assert_int_equal(pr->n, 4);
    assert_non_null(pr->values);
    assert_int_equal(pr->values[3], 3);

    const m_model *a = model(s, "Agent");
    assert_string_equal(a->snake, "agent");
    assert_string_equal(a->table, "agents");
    assert_int_equal(a->n_fields, 8);
    assert_int_equal(a->n_pk, 1);
    assert_int_equal(a->pk[0], field(a, "id"));
    assert_true(fld(a, "id")->is_id);
    assert_int_equal(fld(a, "id")->def.kind, ML_UUID7);
    assert_type(fld(a, "status")->type, MK_ENUM, false, false);
    assert_ptr_equal(fld(a, "status")->type.enumt, st);
    assert_int_equal(fld(a, "status")->def.kind, ML_ENUM);
    assert_int_equal(fld(a, "status")->def.i, 0);
    assert_type(fld(a, "capabilities")->type, MK_TEXT, false, true);
    assert_int_equal(fld(a, "capabilities")->def.kind, ML_NONE);
    assert_type(fld(a, "metadata")->type, MK_MAP_JSON, false, false);
    assert_int_equal(fld(a, "heartbeat")->def.kind, ML_NOW);
    assert_true(fld(a, "updated_at")->updated_now);
    assert_false(fld(a, "created_at")->updated_now);
    assert_string_equal(fld(a, "created_at")->column, "created_at");
    assert_indexes(a, "agents_status_idx: status\n"
                      "agents_status_created_at_idx: status created_at desc\n"
                      "agents_name_idx derived: name id\n");

    const m_query *q = query(s, "Task", "pending");
    assert_int_equal(q->kind, MQ_SELECT);
    assert_int_equal(q->result, MR_MANY);
    assert_int_equal(q->where->op, MO_EQ);
    assert_int_equal(q->where->field, field(q->model, "status"));
    assert_int_equal(q->where->rhs.kind, MA_LIT);
    assert_int_equal(q->where->rhs.lit.kind, ML_ENUM);
    assert_int_equal(q->where->rhs.lit.i, 0);               /* pending */
    assert_int_equal(q->n_order, 2);
    assert_int_equal(q->order[0].field, field(q->model, "priority"));
    assert_true(q->order[0].desc);
    assert_false(q->order[1].desc);

    q = query(s, "Event", "by_agent");
    assert_int_equal(q->n_params, 2);
    assert_string_equal(q->params[1].name, "limit");
    assert_type(q->params[1].type, MK_INT, false, false);
    assert_int_equal(q->limit.kind, MA_PARAM);
    assert_int_equal(q->limit.param, 1);
    assert_int_equal(q->offset.kind, MA_NONE);

    q = query(s, "Agent", "by_name");
    assert_int_equal(q->result, MR_ONE);
    assert_int_equal(q->where->rhs.kind, MA_PARAM);

    q = query(s, "Task", "claim");
    assert_int_equal(q->kind, MQ_UPDATE);
    assert_int_equal(q->result, MR_BOOL);
    assert_int_equal(q->n_set, 3);                          /* updated_at is named */
    assert_int_equal(q->set[0].field, field(q->model, "assigned_to"));
    assert_int_equal(q->set[0].value.kind, MA_PARAM);
    assert_int_equal(q->set[0].value.param, 1);
    assert_int_equal(q->set[1].value.kind, MA_LIT);
    assert_int_equal(q->set[1].value.lit.kind, ML_ENUM);
    assert_int_equal(q->set[1].value.lit.i, 1);             /* assigned */
    assert_int_equal(q->set[2].field, field(q->model, "updated_at"));
    assert_int_equal(q->set[2].value.kind, MA_NOW);
    assert_int_equal(q->where->op, MO_AND);
    assert_int_equal(q->where->a->field, field(q->model, "id"));

    q = query(s, "Event", "before");
    assert_int_equal(q->kind, MQ_DELETE);
    assert_int_equal(q->result, MR_COUNT);
    assert_int_equal(q->where->op, MO_LT);
    assert_type(q->params[0].type, MK_TIMESTAMP, false, false);

    q = query(s, "Metric", "summary");
    assert_int_equal(q->kind, MQ_AGGREGATE);
    assert_int_equal(q->result, MR_MANY);
    assert_int_equal(q->n_group, 2);
    assert_int_equal(q->n_items, 6);
    assert_int_equal(q->items[0].fn, MAGG_GROUP);
    assert_string_equal(q->items[0].name, "metric_type");
    assert_string_equal(q->items[1].name, "agent_id");
    assert_type(q->items[1].type, MK_UUID, true, false);
    assert_int_equal(q->items[2].fn, MAGG_AVG);
    assert_string_equal(q->items[2].name, "value");
    assert_type(q->items[2].type, MK_REAL, false, false);
    assert_int_equal(q->items[3].fn, MAGG_MIN);
    assert_type(q->items[3].type, MK_TIMESTAMP, false, false);
    assert_int_equal(q->items[4].fn, MAGG_COUNT);
    assert_int_equal(q->items[4].field, -1);
    assert_type(q->items[4].type, MK_INT, false, false);
    assert_int_equal(q->items[5].fn, MAGG_MAX);
    assert_type(q->items[5].type, MK_TEXT, false, false);
    assert_int_equal(q->n_order, 1);
    assert_int_equal(q->order[0].field, 1);                 /* agent_id: a row field */

    assert_indexes(model(s, "Task"), "tasks_status_priority_created_at_idx derived: status "
                                     "priority desc created_at id\n"
                                     "tasks_assigned_to_idx derived: assigned_to id\n");
    assert_indexes(model(s, "Event"), "events_agent_id_timestamp_id_idx derived: agent_id "
                                      "timestamp desc id desc\n"
                                      "events_timestamp_idx derived: timestamp id\n");
    assert_indexes(model(s, "Metric"), "metrics_metric_type_agent_id_idx derived: metric_type "
                                       "agent_id id\n"
                                       "metrics_agent_id_idx derived: agent_id id\n");
    m_schema_free(s);
}

/* ------------------------------------------------------------ swarm.dal */

static void test_swarm(void **state)
{
    (void)state;
    m_schema *s = load("schema/swarm.dal");
    assert_string_equal(s->ns, "swarm");
    assert_int_equal(s->n_enums, 4);
    assert_int_equal(s->n_models, 5);
    static const char *const names[] = {"Agent", "Task", "Event", "Message", "Metric"};
    static const char *const tables[] = {"agents", "tasks", "events", "messages", "metrics"};
    static const size_t n_fields[] = {9, 15, 8, 9, 7};
    for (size_t i = 0; i < 5; i++) {
        assert_string_equal(s->models[i].name, names[i]);
        assert_string_equal(s->models[i].table, tables[i]);
        assert_int_equal(s->models[i].n_fields, n_fields[i]);
        assert_int_equal(s->models[i].n_pk, 1);
        assert_string_equal(s->models[i].fields[s->models[i].pk[0]].name, "id");
        assert_int_equal(s->models[i].fields[0].def.kind, ML_UUID7);
    }
    const m_enum *mp = enm(s, "MessagePriority");
    assert_null(mp->values);
    assert_string_equal(mp->members[3], "urgent");

    const m_model *task = model(s, "Task");
    const m_field *f = fld(task, "assigned_to");
    assert_type(f->type, MK_UUID, true, false);
    assert_ptr_equal(f->ref_model, model(s, "Agent"));
    assert_int_equal(f->ref_field, 0);
    assert_int_equal(f->on_delete, MOD_SET_NULL);
    assert_int_equal(fld(task, "priority")->def.kind, ML_ENUM);
    assert_int_equal(fld(task, "priority")->def.i, 1);      /* medium */
    assert_int_equal(fld(task, "retry_count")->def.kind, ML_INT);
    assert_int_equal(fld(task, "max_retries")->def.i, 3);
    assert_type(fld(task, "max_retries")->type, MK_U32, false, false);
    assert_int_equal(fld(task, "payload")->def.kind, ML_EMPTY_MAP);
    assert_int_equal(fld(task, "dependencies")->def.kind, ML_EMPTY_LIST);
    assert_type(fld(task, "result")->type, MK_JSON, true, false);
    assert_int_equal(fld(task, "result")->def.kind, ML_NONE);

    const m_model *ev = model(s, "Event");
    assert_true(fld(ev, "sequence")->sequence);
    assert_true(fld(ev, "sequence")->unique);
    assert_type(fld(ev, "sequence")->type, MK_U64, false, false);
    const m_model *msg = model(s, "Message");
    assert_int_equal(fld(msg, "from_agent")->on_delete, MOD_CASCADE);
    assert_int_equal(fld(msg, "read")->def.kind, ML_BOOL);
    assert_false(fld(msg, "read")->def.b);
    assert_int_equal(fld(model(s, "Metric"), "tags")->type.kind, MK_MAP_TEXT);

    /* updates: the @updated_now fields not named are appended, as now() */
    const m_query *q = query(s, "Agent", "heartbeat");
    assert_int_equal(q->result, MR_ONE);
    assert_int_equal(q->n_set, 2);
    assert_int_equal(q->set[0].field, field(q->model, "heartbeat"));
    assert_int_equal(q->set[0].value.kind, MA_NOW);
    assert_int_equal(q->set[1].field, field(q->model, "updated_at"));
    assert_int_equal(q->set[1].value.kind, MA_NOW);
    q = query(s, "Task", "claim");
    assert_int_equal(q->n_set, 3);                          /* updated_at named: not twice */
    q = query(s, "Message", "mark_read");
    assert_int_equal(q->n_set, 2);                          /* Message has no @updated_now */
    assert_int_equal(q->set[0].value.lit.kind, ML_BOOL);
    assert_true(q->set[0].value.lit.b);

    q = query(s, "Task", "next");
    assert_int_equal(q->limit.kind, MA_PARAM);
    q = query(s, "Task", "status_counts");
    assert_int_equal(q->n_items, 2);
    assert_string_equal(q->items[0].name, "status");
    assert_string_equal(q->items[1].name, "tasks");
    assert_int_equal(q->order[0].field, 0);
    q = query(s, "Message", "between");
    assert_int_equal(q->where->op, MO_OR);
    assert_int_equal(q->n_params, 3);
    q = query(s, "Message", "unread");
    assert_int_equal(q->where->b->rhs.lit.kind, ML_BOOL);

    assert_indexes(model(s, "Agent"), "agents_status_created_at_idx derived: status created_at desc id\n");
    assert_indexes(task, "tasks_status_priority_created_at_idx derived: status priority desc "
                         "created_at id\n"
                         "tasks_assigned_to_priority_created_at_idx derived: assigned_to "
                         "priority desc created_at id\n");
    assert_indexes(ev, "events_sequence_key unique: sequence\n"
                       "events_agent_id_timestamp_id_idx derived: agent_id timestamp desc id desc\n"
                       "events_event_type_timestamp_id_idx derived: event_type timestamp desc "
                       "id desc\n"
                       "events_timestamp_id_idx derived: timestamp id\n"
                       "events_task_id_idx derived: task_id id\n");
    assert_indexes(msg, "messages_from_agent_to_agent_created_at_idx derived: from_agent "
                        "to_agent created_at desc id\n"
                        "messages_to_agent_read_created_at_idx derived: to_agent read "
                        "created_at id\n");
    assert_indexes(model(s, "Metric"), "metrics_agent_id_metric_type_timestamp_idx derived: "
                                       "agent_id metric_type timestamp desc id\n"
                                       "metrics_metric_type_agent_id_idx derived: metric_type "
                                       "agent_id id\n");
    m_schema_free(s);
}

/* ------------------------------------------------------------ features.dal */

static void test_features_models(void **state)
{
    (void)state;
    m_schema *s = load("tests/schemas/features.dal");
    const m_enum *color = enm(s, "Color");
    assert_string_equal(color->members[0], "red");
    assert_string_equal(color->members[1], "dark_blue");
    assert_string_equal(color->members[2], "http_green");
    const m_enum *level = enm(s, "Level");
    assert_int_equal(level->values[0], -1);
    assert_int_equal(level->values[2], 10);

    const m_model *owner = model(s, "Owner");
    assert_string_equal(owner->table, "people");
    assert_string_equal(fld(owner, "email")->column, "mail");
    assert_ptr_equal(fld(owner, "self")->ref_model, owner);     /* refers to itself */
    assert_int_equal(fld(model(s, "Thing"), "email")->ref_field, 1);   /* a @unique field */
    assert_int_equal(fld(model(s, "Thing"), "email")->on_delete, MOD_RESTRICT);

    const m_model *t = model(s, "Thing");
    assert_int_equal(fld(t, "id")->def.kind, ML_UUID4);
    assert_int_equal(fld(t, "n")->def.kind, ML_INT);
    assert_int_equal(fld(t, "n")->def.i, -42);
    assert_type(fld(t, "small")->type, MK_I32, false, false);
    assert_int_equal(fld(t, "count32")->type.kind, MK_U32);
    assert_true(fld(t, "big")->sequence);
    assert_int_equal(fld(t, "big")->def.kind, ML_NONE);
    assert_int_equal(fld(t, "ratio")->def.kind, ML_REAL);        /* an int for a real */
    assert_true(fld(t, "ratio")->def.d == 2.0);
    assert_true(fld(t, "exact")->def.d == -2.5e-3);
    assert_int_equal(fld(t, "flag")->def.kind, ML_BOOL);
    assert_true(fld(t, "flag")->def.b);
    assert_false(fld(t, "off")->def.b);
    assert_int_equal(fld(t, "label")->def.kind, ML_TEXT);
    assert_string_equal(fld(t, "label")->def.s, "a \"quoted\"\tline\n");
    assert_int_equal(fld(t, "note")->def.kind, ML_NULL);
    assert_int_equal(fld(t, "when")->def.kind, ML_NOW);
    assert_int_equal(fld(t, "at")->def.kind, ML_INT);
    assert_int_equal(fld(t, "at")->def.i, 1700000000000000);
    assert_type(fld(t, "maybe")->type, MK_TIMESTAMP, true, false);
    assert_string_equal(fld(t, "ref_id")->def.s, "01890a5d-ac96-774b-bcce-b302099a8057");
    assert_int_equal(fld(t, "color")->def.i, 1);
    assert_int_equal(fld(t, "level")->def.kind, ML_ENUM);
    assert_int_equal(fld(t, "level")->def.i, 2);                 /* the index, not the value */
    assert_type(fld(t, "colors")->type, MK_ENUM, false, true);
    assert_int_equal(fld(t, "colors")->def.kind, ML_EMPTY_LIST);
    assert_int_equal(fld(t, "data")->def.kind, ML_EMPTY_MAP);
    assert_int_equal(fld(t, "tags")->def.kind, ML_EMPTY_MAP);
    assert_type(fld(t, "meta")->type, MK_MAP_JSON, false, false);
    assert_int_equal(fld(t, "owner")->on_delete, MOD_CASCADE);

    const m_model *pair = model(s, "Pair");
    assert_int_equal(pair->n_pk, 2);
    assert_int_equal(pair->pk[0], field(pair, "b"));
    assert_int_equal(pair->pk[1], field(pair, "a"));
    assert_true(fld(pair, "a")->is_id);
    assert_false(fld(pair, "c")->is_id);
    assert_int_equal(pair->n_indexes, 0);

    assert_indexes(owner, "people_mail_key unique: email\n"
                          "people_self_idx derived: self key\n");
    assert_indexes(t, "things_small_idx: small desc\n"
                      "things_big_key unique: big\n"
                      "things_when_idx: when\n"
                      "things_color_when_idx: color when desc\n"
                      "things_owner_n_key unique: owner n\n"
                      "things_label_when_n_idx derived: label when desc n id\n"
                      "things_n_idx derived: n id\n"
                      "things_label_idx derived: label id\n"
                      "things_owner_when_idx derived: owner when id\n"
                      "things_owner_color_level_idx derived: owner color level id\n"
                      "things_email_idx derived: email id\n");
    m_schema_free(s);
}

/* The where clause of Thing.find, term by term (and-chains lean left). */
static void test_features_where(void **state)
{
    (void)state;
    m_schema *s = load("tests/schemas/features.dal");
    const m_query *q = query(s, "Thing", "find");
    const m_model *t = q->model;
    const m_expr *terms[16];
    size_t n = 0;
    const m_expr *e = q->where;
    while (e->op == MO_AND) {
        terms[n++] = e->b;
        e = e->a;
    }
    terms[n++] = e;
    assert_int_equal(n, 13);
    /* from the last term back to the first */
    assert_int_equal(terms[0]->op, MO_GE);                  /* changed >= now() */
    assert_int_equal(terms[0]->rhs.kind, MA_NOW);
    assert_int_equal(terms[1]->op, MO_EQ);                  /* label = $x (an optional param) */
    assert_int_equal(terms[1]->rhs.param, 5);
    assert_int_equal(terms[2]->op, MO_LE);                  /* exact <= 0.5 */
    assert_int_equal(terms[2]->rhs.lit.kind, ML_REAL);
    assert_int_equal(terms[3]->rhs.lit.kind, ML_REAL);      /* ratio < 1: an int made real */
    assert_true(terms[3]->rhs.lit.d == 1.0);
    assert_int_equal(terms[4]->op, MO_NE);                  /* n != -1 */
    assert_int_equal(terms[4]->rhs.lit.i, -1);
    assert_int_equal(terms[5]->op, MO_IS_NOT_NULL);
    assert_int_equal(terms[5]->field, field(t, "maybe"));
    assert_int_equal(terms[6]->op, MO_IS_NULL);
    assert_int_equal(terms[7]->op, MO_NOT);
    assert_int_equal(terms[7]->a->op, MO_EQ);
    assert_false(terms[7]->a->rhs.lit.b);
    assert_int_equal(terms[8]->op, MO_IN);
    assert_int_equal(terms[8]->rhs.kind, MA_PARAM);
    assert_int_equal(terms[8]->rhs.param, 4);
    assert_type(q->params[4].type, MK_UUID, false, true);
    assert_int_equal(terms[9]->op, MO_LIKE);
    assert_int_equal(terms[10]->op, MO_GT);
    assert_int_equal(terms[11]->op, MO_GE);                 /* level >= $lv */
    assert_int_equal(terms[12]->op, MO_OR);
    assert_int_equal(terms[12]->b->rhs.lit.kind, ML_ENUM);  /* color = Red */
    assert_int_equal(terms[12]->b->rhs.lit.i, 0);
    assert_type(q->params[5].type, MK_TEXT, true, false);
    assert_int_equal(q->limit.kind, MA_PARAM);
    assert_int_equal(q->offset.kind, MA_LIT);
    assert_int_equal(q->offset.lit.i, 5);
    assert_int_equal(query(s, "Thing", "first")->limit.lit.i, 1);
    m_schema_free(s);
}

static void test_features_updates_and_aggregates(void **state)
{
    (void)state;
    m_schema *s = load("tests/schemas/features.dal");
    const m_query *q = query(s, "Thing", "touch");
    const m_model *t = q->model;
    assert_int_equal(q->n_set, 7);                          /* six named, then changed */
    assert_int_equal(q->set[0].value.kind, MA_PARAM);       /* note = $note: optional to optional */
    assert_int_equal(q->set[2].value.lit.kind, ML_ENUM);
    assert_int_equal(q->set[3].value.kind, MA_NOW);
    assert_int_equal(q->set[4].value.lit.kind, ML_INT);
    assert_int_equal(q->set[5].field, field(t, "extra"));
    assert_int_equal(q->set[5].value.lit.kind, ML_NULL);
    assert_int_equal(q->set[6].field, field(t, "changed"));
    assert_int_equal(q->set[6].value.kind, MA_NOW);
    q = query(s, "Thing", "relabel");
    assert_int_equal(q->result, MR_COUNT);
    assert_int_equal(q->n_set, 2);
    assert_string_equal(q->set[0].value.lit.s, "x");
    q = query(s, "Thing", "stamp");
    assert_int_equal(q->n_set, 1);                          /* changed is named */

    q = query(s, "Thing", "stats");
    assert_int_equal(q->n_items, 8);
    static const char *const names[] = {"color", "level", "things", "total", "ratio_sum",
                                        "mean", "first", "last_label"};
    static const m_agg_fn fns[] = {MAGG_GROUP, MAGG_GROUP, MAGG_COUNT, MAGG_SUM, MAGG_SUM,
                                   MAGG_AVG, MAGG_MIN, MAGG_MAX};
    static const m_kind kinds[] = {MK_ENUM, MK_ENUM, MK_INT, MK_INT, MK_REAL, MK_REAL,
                                   MK_TIMESTAMP, MK_TEXT};
    for (size_t i = 0; i < 8; i++) {
        assert_string_equal(q->items[i].name, names[i]);
        assert_int_equal(q->items[i].fn, fns[i]);
        assert_int_equal(q->items[i].type.kind, kinds[i]);
    }
    assert_int_equal(q->items[3].field, (long)field(t, "n"));
    assert_int_equal(q->n_order, 2);
    assert_int_equal(q->order[0].field, 2);                 /* things desc */
    assert_true(q->order[0].desc);
    assert_int_equal(q->order[1].field, 0);                 /* color */
    assert_int_equal(q->limit.lit.i, 10);
    q = query(s, "Pair", "all_count");
    assert_int_equal(q->n_items, 1);
    assert_null(q->where);
    m_schema_free(s);
}

/* The schema of tests/user_project, which uses every construct too. */
static void test_library(void **state)
{
    (void)state;
    m_schema *s = load("tests/user_project/library.dal");
    assert_string_equal(s->ns, "lib");
    assert_int_equal(s->n_models, 5);
    assert_int_equal(enm(s, "Condition")->values[0], -1);
    const m_model *loan = model(s, "Loan");
    assert_int_equal(loan->n_pk, 2);
    assert_true(fld(loan, "seq")->sequence);
    assert_string_equal(fld(model(s, "Member"), "home")->column, "home_branch");
    assert_int_equal(fld(model(s, "Member"), "visits")->def.i, -7);
    m_schema_free(s);
}

/* Long and / or chains (they lean left) and deep parentheses: no recursion
 * that grows with them, the right answer. */
static void test_long_where(void **state)
{
    (void)state;
    enum { TERMS = 20000 };
    size_t size = TERMS * 40 + 400;
    char *text = malloc(size);
    size_t n = (size_t)snprintf(text, size, "namespace t;\nmodel A { id int @id  n int  s text }\n"
                                            "query A.q(x: int, y: text) -> many { where n = $x");
    for (int i = 0; i < TERMS; i++)
        n += (size_t)snprintf(text + n, size - n, i % 2 ? " and n < %d" : " and s != $y", i);
    n += (size_t)snprintf(text + n, size - n, " }\nquery A.r(x: int) -> many { where n = $x");
    for (int i = 0; i < TERMS; i++)
        n += (size_t)snprintf(text + n, size - n, " or n = %d", i);
    n += (size_t)snprintf(text + n, size - n, " }\n");
    char *diags = NULL;
    unsigned errors = 0;
    m_schema *s = dalc_frontend("t.dal", text, n, &diags, &errors);
    if (!s)
        fail_msg("%s", diags);
    const m_query *q = &s->queries[0];
    size_t count = 1;
    const m_expr *e = q->where;
    for (; e->op == MO_AND; e = e->a)
        count++;
    assert_int_equal(count, TERMS + 1);
    assert_int_equal(e->op, MO_EQ);
    assert_int_equal(e->rhs.kind, MA_PARAM);
    /* E = n; R = n again (skipped): the index is (n, id); the ORs give the same */
    assert_indexes(&s->models[0], "as_n_idx derived: n id\n");
    m_schema_free(s);
    free(text);
}

/* The same text twice gives the same model (no hidden state). */
static void test_deterministic(void **state)
{
    (void)state;
    m_schema *a = load("schema/swarm.dal");
    m_schema *b = load("schema/swarm.dal");
    for (size_t i = 0; i < a->n_models; i++) {
        char ta[2048], tb[2048];
        indexes_text(&a->models[i], ta, sizeof ta);
        indexes_text(&b->models[i], tb, sizeof tb);
        assert_string_equal(ta, tb);
    }
    m_schema_free(a);
    m_schema_free(b);
    m_schema_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsl_examples),
        cmocka_unit_test(test_swarm),
        cmocka_unit_test(test_features_models),
        cmocka_unit_test(test_features_where),
        cmocka_unit_test(test_features_updates_and_aggregates),
        cmocka_unit_test(test_library),
        cmocka_unit_test(test_long_where),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests_name("codegen schemas", tests, NULL, NULL);
}
