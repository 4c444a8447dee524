/*
 * JSON of every generated swarm model (and aggregate row) through the
 * generated wrappers: canonical text -> from_json -> to_json gives the same
 * text; copies and re-reads are equal; serde-style input (the original
 * crate's chrono timestamps) is accepted and normalized; bad values name the
 * model and field and leave the target unchanged. Edge values: empty strings,
 * nulls, unicode, the largest u64 in Event.sequence, int64 extremes inside
 * json, timestamps at 0000, before 1970 and after 2100.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "swarm/swarm.h"

#define ID1 "0190a6b2-7c1e-7abc-8def-0123456789ab"
#define ID2 "0190a6b2-7c1e-7abc-8def-0123456789ac"
#define ID3 "5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
#define T_MIN "0000-01-01T00:00:00.000000Z"
#define T_BEFORE "1969-12-31T23:59:59.999999Z"
#define T_AFTER "2100-02-28T23:59:59.000001Z"
#define T_MAX "9999-12-31T23:59:59.999999Z"

/* Round trip of one canonical text for model type T (prefix P). */
#define DEFINE_ROUND_TRIP(P, T)                                                        \
    static void P##_round_trip(const char *text)                                       \
    {                                                                                  \
        T a, b;                                                                        \
        dal_error err = {0};                                                  \
        P##_init(&a);                                                                  \
        if (P##_from_json(&a, text, &err) != DAL_OK)                                   \
            fail_msg(#P ": from_json failed: %s\n  input: %s", err.message, text);    \
        char *out = P##_to_json(&a);                                                   \
        assert_non_null(out);                                                          \
        assert_string_equal(out, text);                                                \
        P##_init(&b);                                                                  \
        assert_int_equal(P##_copy(&b, &a, &err), DAL_OK);                              \
        assert_true(P##_equal(&a, &b));                                                \
        P##_clear(&b);                                                                 \
        P##_init(&b);                                                                  \
        assert_int_equal(P##_from_json(&b, out, &err), DAL_OK);                        \
        assert_true(P##_equal(&a, &b));                                                \
        cJSON *tree = P##_to_cjson(&a);                                                \
        assert_non_null(tree);                                                         \
        P##_clear(&b);                                                                 \
        P##_init(&b);                                                                  \
        assert_int_equal(P##_from_cjson(&b, tree, &err), DAL_OK);                      \
        assert_true(P##_equal(&a, &b));                                                \
        cJSON_Delete(tree);                                                            \
        free(out);                                                                     \
        P##_clear(&b);                                                                 \
        P##_clear(&a);                                                                 \
    }                                                                                  \
    /* a fresh record (defaults) survives its own JSON */                              \
    static void P##_defaults_round_trip(void)                                          \
    {                                                                                  \
        T a, b;                                                                        \
        P##_init(&a);                                                                  \
        char *out = P##_to_json(&a);                                                   \
        assert_non_null(out);                                                          \
        P##_init(&b);                                                                  \
        assert_int_equal(P##_from_json(&b, out, NULL), DAL_OK);                        \
        assert_true(P##_equal(&a, &b));                                                \
        free(out);                                                                     \
        P##_clear(&a);                                                                 \
        P##_clear(&b);                                                                 \
    }                                                                                  \
    /* input -> expected canonical text */                                             \
    static void P##_normalizes(const char *input, const char *expected)                \
    {                                                                                  \
        T a;                                                                           \
        dal_error err = {0};                                                  \
        P##_init(&a);                                                                  \
        if (P##_from_json(&a, input, &err) != DAL_OK)                                  \
            fail_msg(#P ": from_json failed: %s", err.message);                        \
        char *out = P##_to_json(&a);                                                   \
        assert_string_equal(out, expected);                                            \
        free(out);                                                                     \
        P##_clear(&a);                                                                 \
    }                                                                                  \
    /* a bad input fails with message and leaves the target as it was */              \
    static void P##_rejects(const char *input, const char *message)                   \
    {                                                                                  \
        T target, snapshot;                                                            \
        dal_error err = {0};                                                  \
        P##_init(&target);                                                             \
        P##_init(&snapshot);                                                           \
        assert_int_equal(P##_copy(&snapshot, &target, NULL), DAL_OK);                  \
        assert_int_equal(P##_from_json(&target, input, &err), DAL_ERR_SERIALIZATION);  \
        assert_string_equal(err.message, message);                                     \
        assert_true(P##_equal(&target, &snapshot));                                    \
        P##_clear(&target);                                                            \
        P##_clear(&snapshot);                                                          \
    }

DEFINE_ROUND_TRIP(swarm_agent, swarm_agent)
DEFINE_ROUND_TRIP(swarm_task, swarm_task)
DEFINE_ROUND_TRIP(swarm_event, swarm_event)
DEFINE_ROUND_TRIP(swarm_message, swarm_message)
DEFINE_ROUND_TRIP(swarm_metric, swarm_metric)
DEFINE_ROUND_TRIP(swarm_metric_summary_row, swarm_metric_summary_row)
DEFINE_ROUND_TRIP(swarm_task_status_counts_row, swarm_task_status_counts_row)

static void test_agent(void **state)
{
    (void)state;
    swarm_agent_defaults_round_trip();
    swarm_agent_round_trip("{\"id\":\"" ID1 "\",\"name\":\"\",\"agent_type\":\"\",\"status\":\"initializing\","
                           "\"capabilities\":[],\"metadata\":{},\"heartbeat\":\"" T_BEFORE "\","
                           "\"created_at\":\"" T_MIN "\",\"updated_at\":\"" T_MAX "\"}");
    swarm_agent_round_trip("{\"id\":\"" ID2 "\",\"name\":\"żółw 🐢\",\"agent_type\":\"researcher \\\"q\\\"\\n\\u0001\","
                           "\"status\":\"shutdown\",\"capabilities\":[\"\",\"ünï\",\"🐢\"],"
                           "\"metadata\":{\"nested\":{\"a\":[1,2.5,null,true]},\"big\":18446744073709551615,"
                           "\"neg\":-9223372036854775808,\"s\":\"\"},"
                           "\"heartbeat\":\"" T_AFTER "\",\"created_at\":\"1970-01-01T00:00:00.000000Z\","
                           "\"updated_at\":\"2000-02-29T12:00:00.500000Z\"}");
    /* the original crate's serde output: v4 ids, chrono timestamps */
    swarm_agent_normalizes(
        "{\"id\":\"" ID3 "\",\"name\":\"worker-1\",\"agent_type\":\"coder\",\"status\":\"busy\","
        "\"capabilities\":[\"rust\",\"c\"],\"metadata\":{\"k\":1},"
        "\"heartbeat\":\"2024-03-10T12:34:56.789Z\",\"created_at\":\"2024-03-10T12:34:56.123456789+00:00\","
        "\"updated_at\":\"2024-03-10T14:34:56+02:00\"}",
        "{\"id\":\"" ID3 "\",\"name\":\"worker-1\",\"agent_type\":\"coder\",\"status\":\"busy\","
        "\"capabilities\":[\"rust\",\"c\"],\"metadata\":{\"k\":1},"
        "\"heartbeat\":\"2024-03-10T12:34:56.789000Z\",\"created_at\":\"2024-03-10T12:34:56.123456Z\","
        "\"updated_at\":\"2024-03-10T12:34:56.000000Z\"}");
    swarm_agent_rejects("{\"id\":\"" ID1 "\",\"name\":\"a\",\"agent_type\":\"b\",\"status\":\"bogus\"}",
                        "Agent.status: unknown AgentStatus member \"bogus\"");
    swarm_agent_rejects("{\"id\":\"" ID1 "\",\"agent_type\":\"b\"}", "Agent.name: missing required field");
    swarm_agent_rejects("{\"id\":\"" ID1 "\",\"name\":\"a\",\"agent_type\":\"b\",\"capabilities\":[1]}",
                        "Agent.capabilities[0]: expected a string, got 1");
    swarm_agent_rejects("{\"id\":\"" ID1 "\",\"name\":\"a\",\"agent_type\":\"b\",\"metadata\":[]}",
                        "Agent.metadata: expected an object, got an array");
    swarm_agent_rejects("{\"id\":\"not-a-uuid\",\"name\":\"a\",\"agent_type\":\"b\"}",
                        "Agent.id: not a canonical uuid: \"not-a-uuid\"");
}

static void test_task(void **state)
{
    (void)state;
    swarm_task_defaults_round_trip();
    swarm_task_round_trip("{\"id\":\"" ID1 "\",\"task_type\":\"\",\"priority\":\"low\",\"status\":\"pending\","
                          "\"assigned_to\":null,\"payload\":null,\"result\":null,\"error\":null,"
                          "\"retry_count\":0,\"max_retries\":0,\"dependencies\":[],"
                          "\"created_at\":\"" T_MIN "\",\"updated_at\":\"" T_BEFORE "\","
                          "\"started_at\":null,\"completed_at\":null}");
    swarm_task_round_trip("{\"id\":\"" ID2 "\",\"task_type\":\"analyse ż\",\"priority\":\"critical\","
                          "\"status\":\"cancelled\",\"assigned_to\":\"" ID3 "\","
                          "\"payload\":{\"x\":\"ż\",\"n\":[18446744073709551615]},"
                          "\"result\":[1,\"two\",{\"three\":3.25}],\"error\":\"boom 💥\","
                          "\"retry_count\":4294967295,\"max_retries\":3,\"dependencies\":[\"" ID1 "\",\"" ID3 "\"],"
                          "\"created_at\":\"" T_AFTER "\",\"updated_at\":\"" T_MAX "\","
                          "\"started_at\":\"1969-07-20T20:17:40.000000Z\",\"completed_at\":\"" T_AFTER "\"}");
    swarm_task_round_trip("{\"id\":\"" ID3 "\",\"task_type\":\"t\",\"priority\":\"medium\",\"status\":\"failed\","
                          "\"assigned_to\":null,\"payload\":\"just a string\",\"result\":null,\"error\":\"\","
                          "\"retry_count\":1,\"max_retries\":4294967295,\"dependencies\":[],"
                          "\"created_at\":\"" T_BEFORE "\",\"updated_at\":\"" T_BEFORE "\","
                          "\"started_at\":null,\"completed_at\":null}");
    /* serde: key order of the struct, chrono fractions, options as null */
    swarm_task_normalizes(
        "{\"id\":\"" ID3 "\",\"task_type\":\"build\",\"priority\":\"high\",\"status\":\"running\","
        "\"assigned_to\":\"" ID1 "\",\"payload\":{\"cmd\":\"make\"},\"result\":null,\"error\":null,"
        "\"retry_count\":2,\"max_retries\":3,\"dependencies\":[],"
        "\"created_at\":\"2024-03-10T12:00:00.000000001Z\",\"updated_at\":\"2024-03-10T12:00:01.5+00:00\","
        "\"started_at\":\"2024-03-10T07:00:01-05:00\",\"completed_at\":null}",
        "{\"id\":\"" ID3 "\",\"task_type\":\"build\",\"priority\":\"high\",\"status\":\"running\","
        "\"assigned_to\":\"" ID1 "\",\"payload\":{\"cmd\":\"make\"},\"result\":null,\"error\":null,"
        "\"retry_count\":2,\"max_retries\":3,\"dependencies\":[],"
        "\"created_at\":\"2024-03-10T12:00:00.000000Z\",\"updated_at\":\"2024-03-10T12:00:01.500000Z\","
        "\"started_at\":\"2024-03-10T12:00:01.000000Z\",\"completed_at\":null}");
    swarm_task_rejects("{\"id\":\"" ID1 "\",\"task_type\":\"t\",\"retry_count\":-1}",
                       "Task.retry_count: expected an integer in 0..4294967295, got -1");
    swarm_task_rejects("{\"id\":\"" ID1 "\",\"task_type\":\"t\",\"max_retries\":4294967296}",
                       "Task.max_retries: expected an integer in 0..4294967295, got 4294967296");
    swarm_task_rejects("{\"id\":\"" ID1 "\",\"task_type\":\"t\",\"priority\":2}",
                       "Task.priority: expected a TaskPriority member name, got 2");
    swarm_task_rejects("{\"id\":\"" ID1 "\",\"task_type\":\"t\",\"started_at\":\"2024-02-30T00:00:00Z\"}",
                       "Task.started_at: bad timestamp \"2024-02-30T00:00:00Z\" (expected RFC 3339 such as "
                       "2026-11-29T05:33:30.123456Z)");
    swarm_task_rejects("{\"id\":\"" ID1 "\",\"task_type\":\"t\",\"dependencies\":[\"" ID1 "\",\"x\"]}",
                       "Task.dependencies[1]: not a canonical uuid: \"x\"");

    /* priorities are integer-valued in C and named in JSON */
    swarm_task t;
    swarm_task_init(&t);
    assert_int_equal(swarm_task_from_json(&t, "{\"id\":\"" ID1 "\",\"task_type\":\"t\",\"priority\":\"high\"}", NULL),
                     DAL_OK);
    assert_int_equal(t.priority, SWARM_TASK_PRIORITY_HIGH);
    assert_int_equal(t.max_retries, 3);
    swarm_task_clear(&t);
}

static void test_event(void **state)
{
    (void)state;
    swarm_event_defaults_round_trip();
    swarm_event_round_trip("{\"id\":\"" ID1 "\",\"event_type\":\"\",\"agent_id\":null,\"task_id\":null,"
                           "\"payload\":null,\"metadata\":{},\"timestamp\":\"" T_BEFORE "\","
                           "\"sequence\":18446744073709551615}");
    swarm_event_round_trip("{\"id\":\"" ID2 "\",\"event_type\":\"agent.spawned 🐢\",\"agent_id\":\"" ID3 "\","
                           "\"task_id\":\"" ID1 "\",\"payload\":[\"x\",{\"y\":-9223372036854775808}],"
                           "\"metadata\":{\"źródło\":\"test\",\"n\":null},\"timestamp\":\"" T_AFTER "\","
                           "\"sequence\":0}");
    swarm_event e;
    swarm_event_init(&e);
    assert_int_equal(swarm_event_from_json(&e, "{\"id\":\"" ID1 "\",\"event_type\":\"x\","
                                                "\"sequence\":18446744073709551615}", NULL),
                     DAL_OK);
    assert_true(e.sequence == UINT64_MAX);
    swarm_event_clear(&e);
    /* @sequence may be missing: storage assigns it */
    swarm_event_init(&e);
    assert_int_equal(swarm_event_from_json(&e, "{\"id\":\"" ID1 "\",\"event_type\":\"x\"}", NULL), DAL_OK);
    assert_true(e.sequence == 0);
    swarm_event_clear(&e);
    swarm_event_normalizes(
        "{\"sequence\":42,\"timestamp\":\"2024-03-10T12:00:00.123Z\",\"metadata\":{},\"payload\":{},"
        "\"task_id\":null,\"agent_id\":\"" ID3 "\",\"event_type\":\"spawn\",\"id\":\"" ID2 "\"}",
        "{\"id\":\"" ID2 "\",\"event_type\":\"spawn\",\"agent_id\":\"" ID3 "\",\"task_id\":null,"
        "\"payload\":{},\"metadata\":{},\"timestamp\":\"2024-03-10T12:00:00.123000Z\",\"sequence\":42}");
    swarm_event_rejects("{\"id\":\"" ID1 "\",\"event_type\":\"x\",\"sequence\":-1}",
                        "Event.sequence: expected an integer in 0..18446744073709551615, got -1");
    swarm_event_rejects("{\"id\":\"" ID1 "\",\"event_type\":\"x\",\"sequence\":18446744073709551616}",
                        "Event.sequence: expected an integer in 0..18446744073709551615, got 18446744073709551616");
    swarm_event_rejects("{\"id\":\"" ID1 "\",\"event_type\":\"x\",\"sequence\":1.5}",
                        "Event.sequence: expected an integer in 0..18446744073709551615, got 1.5");
}

static void test_message(void **state)
{
    (void)state;
    swarm_message_defaults_round_trip();
    swarm_message_round_trip("{\"id\":\"" ID1 "\",\"from_agent\":\"" ID2 "\",\"to_agent\":\"" ID3 "\","
                             "\"message_type\":\"\",\"content\":null,\"priority\":\"urgent\",\"read\":false,"
                             "\"created_at\":\"" T_MIN "\",\"read_at\":null}");
    swarm_message_round_trip("{\"id\":\"" ID2 "\",\"from_agent\":\"" ID1 "\",\"to_agent\":\"" ID1 "\","
                             "\"message_type\":\"chat ✉\",\"content\":{\"text\":\"cześć 👋\",\"n\":[]},"
                             "\"priority\":\"low\",\"read\":true,\"created_at\":\"" T_BEFORE "\","
                             "\"read_at\":\"" T_AFTER "\"}");
    swarm_message m;
    swarm_message_init(&m);
    assert_int_equal(swarm_message_from_json(&m, "{\"id\":\"" ID1 "\",\"from_agent\":\"" ID2 "\",\"to_agent\":\"" ID3
                                                 "\",\"message_type\":\"x\"}", NULL),
                     DAL_OK);
    assert_int_equal(m.priority, SWARM_MESSAGE_PRIORITY_NORMAL);
    assert_false(m.read);
    assert_false(m.has_read_at);
    swarm_message_clear(&m);
    swarm_message_normalizes(
        "{\"id\":\"" ID1 "\",\"from_agent\":\"" ID2 "\",\"to_agent\":\"" ID3 "\",\"message_type\":\"m\","
        "\"content\":\"hi\",\"priority\":\"high\",\"read\":true,"
        "\"created_at\":\"2024-03-10T12:00:00+00:00\",\"read_at\":\"2024-03-10T12:00:00.999999999Z\"}",
        "{\"id\":\"" ID1 "\",\"from_agent\":\"" ID2 "\",\"to_agent\":\"" ID3 "\",\"message_type\":\"m\","
        "\"content\":\"hi\",\"priority\":\"high\",\"read\":true,"
        "\"created_at\":\"2024-03-10T12:00:00.000000Z\",\"read_at\":\"2024-03-10T12:00:00.999999Z\"}");
    swarm_message_rejects("{\"id\":\"" ID1 "\",\"from_agent\":\"" ID2 "\",\"to_agent\":\"" ID3
                          "\",\"message_type\":\"x\",\"read\":\"yes\"}",
                          "Message.read: expected true or false, got a string");
    swarm_message_rejects("{\"id\":\"" ID1 "\",\"to_agent\":\"" ID3 "\",\"message_type\":\"x\"}",
                          "Message.from_agent: missing required field");
}

static void test_metric(void **state)
{
    (void)state;
    swarm_metric_defaults_round_trip();
    swarm_metric_round_trip("{\"id\":\"" ID1 "\",\"metric_type\":\"\",\"agent_id\":null,\"value\":0,"
                            "\"unit\":\"\",\"tags\":{},\"timestamp\":\"" T_BEFORE "\"}");
    swarm_metric_round_trip("{\"id\":\"" ID2 "\",\"metric_type\":\"latency µs\",\"agent_id\":\"" ID3 "\","
                            "\"value\":0.1,\"unit\":\"ms\",\"tags\":{\"k\":\"v\",\"ü\":\"\"},"
                            "\"timestamp\":\"" T_AFTER "\"}");
    swarm_metric_round_trip("{\"id\":\"" ID3 "\",\"metric_type\":\"m\",\"agent_id\":null,"
                            "\"value\":-1.7976931348623157e+308,\"unit\":\"u\",\"tags\":{},"
                            "\"timestamp\":\"" T_MAX "\"}");
    swarm_metric_round_trip("{\"id\":\"" ID3 "\",\"metric_type\":\"m\",\"agent_id\":null,"
                            "\"value\":4.94065645841247e-324,\"unit\":\"u\",\"tags\":{},"
                            "\"timestamp\":\"" T_MIN "\"}");
    swarm_metric_normalizes(
        "{\"id\":\"" ID1 "\",\"metric_type\":\"cpu\",\"agent_id\":null,\"value\":12.50,\"unit\":\"%\","
        "\"tags\":{\"host\":\"a\"},\"timestamp\":\"2024-03-10T12:00:00.5Z\",\"extra\":1}",
        "{\"id\":\"" ID1 "\",\"metric_type\":\"cpu\",\"agent_id\":null,\"value\":12.5,\"unit\":\"%\","
        "\"tags\":{\"host\":\"a\"},\"timestamp\":\"2024-03-10T12:00:00.500000Z\"}");
    swarm_metric_rejects("{\"id\":\"" ID1 "\",\"metric_type\":\"m\",\"value\":1,\"unit\":\"u\",\"tags\":{\"k\":2}}",
                         "Metric.tags[\"k\"]: expected a string, got 2");
    swarm_metric_rejects("{\"id\":\"" ID1 "\",\"metric_type\":\"m\",\"unit\":\"u\"}",
                         "Metric.value: missing required field");
    swarm_metric_rejects("{\"id\":\"" ID1 "\",\"metric_type\":\"m\",\"value\":null,\"unit\":\"u\"}",
                         "Metric.value: expected a finite number, got null");
}

static void test_rows(void **state)
{
    (void)state;
    swarm_metric_summary_row_defaults_round_trip();
    swarm_metric_summary_row_round_trip("{\"metric_type\":\"cpu\",\"agent_id\":null,\"value\":0.5,"
                                        "\"first_seen\":\"" T_BEFORE "\",\"samples\":9223372036854775807,"
                                        "\"unit\":\"%\"}");
    swarm_metric_summary_row_round_trip("{\"metric_type\":\"\",\"agent_id\":\"" ID1 "\",\"value\":-2,"
                                        "\"first_seen\":\"" T_AFTER "\",\"samples\":0,\"unit\":\"ż\"}");
    swarm_task_status_counts_row_defaults_round_trip();
    swarm_metric_summary_row_normalizes(
        "{\"unit\":\"u\",\"samples\":2,\"first_seen\":\"2024-01-01T00:00:00+01:00\",\"value\":1e0,"
        "\"agent_id\":null,\"metric_type\":\"m\"}",
        "{\"metric_type\":\"m\",\"agent_id\":null,\"value\":1,\"first_seen\":\"2023-12-31T23:00:00.000000Z\","
        "\"samples\":2,\"unit\":\"u\"}");
    swarm_metric_summary_row_rejects(
        "{\"metric_type\":\"m\",\"value\":1,\"first_seen\":\"" T_MIN "\",\"samples\":1.5,\"unit\":\"u\"}",
        "Metric.summary.samples: expected an integer in -9223372036854775808..9223372036854775807, got 1.5");
    swarm_task_status_counts_row_round_trip("{\"status\":\"running\",\"tasks\":-9223372036854775808}");
    swarm_task_status_counts_row_normalizes("{\"tasks\":1e2,\"status\":\"completed\"}",
                                            "{\"status\":\"completed\",\"tasks\":100}");
    swarm_task_status_counts_row_rejects("{\"status\":\"done\",\"tasks\":1}",
                                         "Task.status_counts.status: unknown TaskStatus member \"done\"");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent),   cmocka_unit_test(test_task),   cmocka_unit_test(test_event),
        cmocka_unit_test(test_message), cmocka_unit_test(test_metric), cmocka_unit_test(test_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
