/* Must not compile: Task has no field "nickname". */
#include "swarm/swarm.h"

void use(void);

void use(void)
{
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_nickname_is(DAL_OP_EQ, "x"));
    swarm_task_query_free(q);
}
