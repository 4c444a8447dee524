/*
 * agent_json.c - the generated types without a database: build a swarm
 * agent, print its JSON, read it back, and compare.
 */
#include <stdio.h>
#include <stdlib.h>

#include "swarm/swarm.h"

int main(void)
{
    swarm_agent a, back;
    dal_error err = {0};
    swarm_agent_init(&a); /* defaults: uuid7 id, status initializing, now ... */
    swarm_agent_init(&back);
    dal_strset(&a.name, "worker-1");
    dal_strset(&a.agent_type, "researcher");
    a.status = SWARM_AGENT_STATUS_ACTIVE;
    dal_text_list_push(&a.capabilities, "search");
    dal_text_list_push(&a.capabilities, "summarize");
    cJSON_AddStringToObject(a.metadata, "region", "eu-west");

    char *json = swarm_agent_to_json(&a);
    if (json == NULL) {
        fprintf(stderr, "agent_json: out of memory\n");
        return 1;
    }
    printf("%s\n", json);
    int status = 0;
    if (swarm_agent_from_json(&back, json, &err) != DAL_OK) {
        fprintf(stderr, "agent_json: %s\n", err.message);
        status = 1;
    } else {
        printf("read back: %s\n", swarm_agent_equal(&a, &back) ? "equal" : "DIFFERENT");
        status = swarm_agent_equal(&a, &back) ? 0 : 1;
    }
    /* a bad document is an error naming the field, and leaves back as it was */
    if (swarm_agent_from_json(&back, "{\"name\": \"x\", \"agent_type\": \"y\", \"status\": \"dancing\"}", &err) != DAL_OK)
        printf("bad input: %s\n", err.message);
    free(json);
    swarm_agent_clear(&a);
    swarm_agent_clear(&back);
    return status;
}
