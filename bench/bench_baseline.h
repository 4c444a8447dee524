/*
 * bench_baseline.h - the hand-written baseline: plain sqlite3 C with prepared
 * statements on the tables swarm_open created, reading rows into the same
 * generated structs. It is what a careful programmer would write by hand for
 * the four benchmarked operations, and nothing more.
 */
#ifndef BENCH_BASELINE_H
#define BENCH_BASELINE_H

#include <stdbool.h>

#include "swarm/swarm.h"

typedef struct bl_db bl_db;

/* Opens path (a database swarm_open made) with the backend's pragmas; NULL
 * on error, with the cause on stderr. */
bl_db *bl_open(const char *path);
void bl_close(bl_db *b);

/* Each returns 0 on success, -1 on error (the cause on stderr). */
int bl_begin(bl_db *b);
/* A RESTART checkpoint: the log is copied into the database and the next
 * write starts the log from its beginning (the file keeps its size). */
int bl_checkpoint(bl_db *b);
int bl_commit(bl_db *b);
/* Fills id and timestamps like the schema's defaults, then inserts. */
int bl_agent_insert(bl_db *b, swarm_agent *a);
/* out is cleared first; *found false when there is no such task. */
int bl_task_get(bl_db *b, const char *id, swarm_task *out, bool *found);
/* Takes the next value of events.sequence (the dal_sequences row the
 * backend uses), fills the defaults and inserts. */
int bl_event_insert(bl_db *b, swarm_event *e);
/* pending -> assigned to agent_id; *changed tells whether it was pending. */
int bl_task_claim(bl_db *b, const char *id, const char *agent_id, bool *changed);

/* Claims the next pending task (priority desc, created_at asc, id) for
 * agent_id in one UPDATE ... RETURNING, into out; *found false when none. */
int bl_task_claim_next(bl_db *b, const char *agent_id, swarm_task *out, bool *found);

#endif
