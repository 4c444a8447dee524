/*
 * test_model.h - the model the runtime tests use, as dalc emits it from
 * thing.dal (built by dal_generate into <build>/.../t/t.h): one field of every
 * type, optional variants, every list type, a text enum and an
 * integer-valued enum, every default kind, and the aggregate row
 * t_thing_summary_row. The tests read the descriptors (t_thing_model,
 * t_color_enum ...) and the field numbers (T_THING_F_*).
 */
#ifndef TEST_MODEL_H
#define TEST_MODEL_H

#include "t/t.h"

#endif /* TEST_MODEL_H */
