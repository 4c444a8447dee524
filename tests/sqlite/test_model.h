/*
 * test_model.h - the schema the SQLite backend's tests use besides swarm, as
 * dalc emits it from items.dal (built by dal_generate into <build>/.../t/t.h):
 * every field type, an integer-valued enum, a composite key, @sequence,
 * optional scalars, lists, refs with each on_delete, and queries using every
 * operator, limits/offsets, sets with now() and an aggregate.
 *
 * t_schema_v2 is the same storage under another version (a "different
 * schema"), made by test_model_init from t_schema.
 */
#ifndef TEST_MODEL_H
#define TEST_MODEL_H

#include "t/t.h"

static dal_schema t_schema_v2;

static inline void test_model_init(void)
{
    t_schema_v2 = t_schema;
    t_schema_v2.version = "v2";
}

#endif /* TEST_MODEL_H */
