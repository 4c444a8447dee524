/*
 * mem_test_model.h - the schema the memory backend's tests use besides swarm
 * (which shows the backend is generic over the descriptors), as dalc emits
 * it from tasks.dal (built by dal_generate into <build>/.../m/m.h): Owner,
 * Task and Note, the enums Status and Prio, and the queries the tests run
 * through the runtime (m_task_<query>_query).
 */
#ifndef MEM_TEST_MODEL_H
#define MEM_TEST_MODEL_H

#include "m/m.h"

#endif /* MEM_TEST_MODEL_H */
