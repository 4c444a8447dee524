/*
 * idb_js.h - the JavaScript half of the idb backend (idb_js.c, EM_JS). One
 * connection per open database, by id. The change log lives on the JS side.
 * Functions marked async suspend the C caller (Asyncify) until IndexedDB
 * answers. Failing calls leave a message for dal_idb_js_error.
 */
#ifndef DAL_IDB_JS_H
#define DAL_IDB_JS_H

/* async. Opens (creates, upgrades to add missing stores and indexes) database
 * name for the stores in spec (JSON). > 0: connection id; -1 failure;
 * -2 made by another schema version. */
int dal_idb_js_open(const char *name, const char *spec, const char *ns, const char *version);
void dal_idb_js_close(int conn);
/* Copies the last failure's message (NUL-terminated) into buf. */
void dal_idb_js_error(char *buf, int size);

/* async. Reads every store (and the meta store) in one transaction. 0 ok. */
int dal_idb_js_snapshot(int conn);
/* Every row of a store in the snapshot as a JSON array (malloc'd), or NULL. */
char *dal_idb_js_get_all(int conn, const char *store);
/* A @sequence counter in the snapshot (0 when none). */
double dal_idb_js_seq(int conn, const char *store, const char *field);
void dal_idb_js_snapshot_done(int conn);

/* Whether another tab committed (a message said so): 1 yes, 0 no. */
int dal_idb_js_stale(int conn);
/* async. Whether the stored generation differs from the loaded one; -1 failure. */
int dal_idb_js_generation_moved(int conn);

/* async. Takes the database's Web Lock (waits up to timeout_ms). 0 ok. */
int dal_idb_js_lock(int conn, int timeout_ms);
void dal_idb_js_unlock(int conn);

/* The change log. put: a JSON array of rows (final: part of a store's rewrite). */
int dal_idb_js_put(int conn, const char *store, const char *json, int final);
int dal_idb_js_del(int conn, const char *store, const char *key_json);
void dal_idb_js_rewrite(int conn, const char *store);
int dal_idb_js_rewrite_pending(int conn, const char *store);
int dal_idb_js_touched(int conn, const char *store);
void dal_idb_js_set_seq(int conn, const char *store, const char *field, double value);
int dal_idb_js_log_size(int conn);
void dal_idb_js_log_truncate(int conn, int n);
/* async. Writes the log in one read-write transaction (and bumps the
 * generation); the log is emptied either way. 0 ok; -2 when the stored
 * generation is not the loaded one (another tab committed): nothing written. */
int dal_idb_js_flush(int conn);

#endif /* DAL_IDB_JS_H */
