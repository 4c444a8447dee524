/* Must compile: the same calls as the bad_*.c files, with the right types. */
#include "swarm/swarm.h"

void use(void);

void use(void)
{
    swarm_task_query *q = swarm_task_query_new();
    swarm_task_query_where(q, swarm_task_retry_count_is(DAL_OP_GT, 2));
    swarm_task_query_where(q, swarm_task_task_type_like("a%"));
    swarm_task_query_free(q);
}
