/*
 * bench_pg_baseline.h - the hand-written PostgreSQL baseline: plain libpq C
 * with prepared statements on the tables swarm_open created, reading rows
 * into the same generated structs (see bench_baseline.h for SQLite's).
 */
#ifndef BENCH_PG_BASELINE_H
#define BENCH_PG_BASELINE_H

#include <stdbool.h>

#include "swarm/swarm.h"

typedef struct pbl_db pbl_db;

/* Connects to url (a libpq URL or conninfo whose search_path finds the
 * tables); NULL on error, with the cause on stderr. */
pbl_db *pbl_open(const char *url);
void pbl_close(pbl_db *b);

/* Each returns 0 on success, -1 on error (the cause on stderr). */
int pbl_exec(pbl_db *b, const char *sql);
int pbl_begin(pbl_db *b);
int pbl_commit(pbl_db *b);
int pbl_agent_insert(pbl_db *b, swarm_agent *a);
int pbl_task_get(pbl_db *b, const char *id, swarm_task *out, bool *found);
/* The sequence value comes from events_sequence_seq (RETURNING). */
int pbl_event_insert(pbl_db *b, swarm_event *e);
int pbl_task_claim(pbl_db *b, const char *id, const char *agent_id, bool *changed);

#endif
