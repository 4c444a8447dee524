/* Must not compile: a text value for the u32 field retry_count. */
#include "swarm/swarm.h"

void use(void);

void use(void)
{
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_EQ, "2"));
    swarm_task_query_free(q);
}
