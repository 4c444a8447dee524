/* Must not compile: an Agent condition given to a Task query. */
#include "swarm/swarm.h"

void use(void);

void use(void)
{
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_agent_name_is(DAL_OP_EQ, "x"));
    swarm_task_query_free(q);
}
