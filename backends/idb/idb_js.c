/*
 * idb_js.c - the JavaScript half of the idb backend (see idb_js.h).
 *
 * Records are stored as the structured form of their JSON (dal_record_to_json):
 * objects keyed by field name, enums as member names, timestamps as RFC 3339
 * text (which sorts as time does), absent optionals as null. Integers beyond
 * 2^53 become BigInt, so they stay exact (JSON.parse's source text access
 * reads them; JSON.rawJSON writes them back).
 * Meta store "_dal": "schema" -> {ns, version}, "gen" -> commits so far,
 * "seq:<store>.<field>" -> the last @sequence value handed out.
 */
#include <emscripten.h>

#include "idb_js.h"

EM_JS(void, dal_idb_js_init, (void), {
    if (Module.dalIdb) return;
    var D = Module.dalIdb = { conns: {}, next: 1, error: "" };
    D.req = function(r) {
        return new Promise(function(res, rej) {
            r.onsuccess = function() { res(r.result); };
            r.onerror = function() { rej(r.error); };
        });
    };
    D.done = function(tx) {
        return new Promise(function(res, rej) {
            tx.oncomplete = function() { res(); };
            tx.onabort = function() { rej(tx.error || new Error("transaction aborted")); };
            tx.onerror = function() {};
        });
    };
    D.parse = function(text) {
        return JSON.parse(text, function(k, v, ctx) {
            if (typeof v === "number" && !Number.isSafeInteger(v) && Number.isInteger(v) && ctx &&
                !/[^0-9-]/.test(ctx.source))
                return BigInt(ctx.source);
            return v;
        });
    };
    D.stringify = function(v) {
        return JSON.stringify(v, function(k, x) {
            return typeof x === "bigint" ? JSON.rawJSON(x.toString()) : x;
        });
    };
    D.fail = function(e) {
        D.error = (e && e.name ? e.name + ": " : "") + (e && e.message !== undefined ? e.message : String(e));
    };
    D.cstr = function(s) {
        var n = lengthBytesUTF8(s) + 1;
        var p = _malloc(n);
        if (p) stringToUTF8(s, p, n);
        return p;
    };
})

EM_ASYNC_JS(int, dal_idb_js_open_impl, (const char *name_p, const char *spec_p, const char *ns_p, const char *ver_p), {
    var D = Module.dalIdb;
    var name = UTF8ToString(name_p), spec = JSON.parse(UTF8ToString(spec_p));
    var ns = UTF8ToString(ns_p), version = UTF8ToString(ver_p);
    try {
        var db = await D.req(indexedDB.open(name));
        /* a database of another schema is refused before anything changes */
        if (db.objectStoreNames.contains("_dal")) {
            var t = db.transaction("_dal", "readonly");
            var meta = await D.req(t.objectStore("_dal").get("schema"));
            if (meta && meta.version !== version) {
                db.close();
                D.error = "made by schema " + meta.ns + " version " + meta.version + ", this is " + ns +
                          " version " + version + " (migrations are not supported yet)";
                return -2;
            }
        }
        var missing = function(db) {
            if (!db.objectStoreNames.contains("_dal")) return true;
            var names = spec.map(function(s) { return s.name; });
            for (var i = 0; i < spec.length; i++)
                if (!db.objectStoreNames.contains(spec[i].name)) return true;
            var t = db.transaction(names, "readonly");
            for (var i = 0; i < spec.length; i++) {
                var st = t.objectStore(spec[i].name);
                for (var k = 0; k < spec[i].indexes.length; k++)
                    if (!st.indexNames.contains(spec[i].indexes[k].name)) return true;
            }
            return false;
        };
        if (missing(db)) {
            var v = db.version + 1;
            db.close();
            var r = indexedDB.open(name, v);
            r.onupgradeneeded = function() {
                var udb = r.result, tx = r.transaction;
                if (!udb.objectStoreNames.contains("_dal")) udb.createObjectStore("_dal");
                for (var i = 0; i < spec.length; i++) {
                    var s = spec[i];
                    var st = udb.objectStoreNames.contains(s.name) ? tx.objectStore(s.name)
                                                                   : udb.createObjectStore(s.name, { keyPath: s.keyPath });
                    for (var k = 0; k < s.indexes.length; k++)
                        if (!st.indexNames.contains(s.indexes[k].name))
                            st.createIndex(s.indexes[k].name, s.indexes[k].keyPath, { unique: s.indexes[k].unique });
                }
            };
            db = await D.req(r);
        }
        var tw = db.transaction("_dal", "readwrite");
        var ms = tw.objectStore("_dal");
        var cur = await D.req(ms.get("schema"));
        if (!cur) ms.put({ ns: ns, version: version }, "schema");
        await D.done(tw);
        var id = D.next++;
        var c = { id: id, name: name, db: db, stores: spec.map(function(s) { return s.name; }), log: [],
                  seq: {}, gen: 0, stale: false, release: null, snap: null };
        db.onversionchange = function() { db.close(); };
        if (typeof BroadcastChannel !== "undefined") {
            c.bc = new BroadcastChannel("dal-idb:" + name);
            c.bc.onmessage = function(ev) { if (ev.data && ev.data.gen !== c.gen) c.stale = true; };
        }
        D.conns[id] = c;
        return id;
    } catch (e) {
        D.fail(e);
        return -1;
    }
})

int dal_idb_js_open(const char *name, const char *spec, const char *ns, const char *version)
{
    dal_idb_js_init();
    return dal_idb_js_open_impl(name, spec, ns, version);
}

EM_JS(void, dal_idb_js_close, (int conn), {
    var D = Module.dalIdb, c = D.conns[conn];
    if (!c) return;
    if (c.release) { c.release(); c.release = null; }
    if (c.bc) c.bc.close();
    c.db.close();
    delete D.conns[conn];
})

EM_JS(void, dal_idb_js_error, (char *buf, int size), {
    var D = Module.dalIdb;
    stringToUTF8(D ? D.error : "IndexedDB backend not initialized", buf, size);
})

EM_ASYNC_JS(int, dal_idb_js_snapshot_impl, (int conn), {
    var D = Module.dalIdb, c = D.conns[conn];
    try {
        var names = c.stores.concat(["_dal"]);
        var t = c.db.transaction(names, "readonly");
        var snap = { rows: {}, meta: {} };
        var ps = c.stores.map(function(s) {
            return D.req(t.objectStore(s).getAll()).then(function(v) { snap.rows[s] = v; });
        });
        var ms = t.objectStore("_dal");
        ps.push(D.req(ms.getAllKeys()).then(function(keys) {
            return D.req(ms.getAll()).then(function(vals) {
                for (var i = 0; i < keys.length; i++) snap.meta[keys[i]] = vals[i];
            });
        }));
        await Promise.all(ps);
        c.snap = snap;
        c.gen = snap.meta.gen || 0;
        c.stale = false;
        return 0;
    } catch (e) {
        D.fail(e);
        return -1;
    }
})

EM_JS(char *, dal_idb_js_get_all, (int conn, const char *store), {
    var D = Module.dalIdb, c = D.conns[conn];
    var s = UTF8ToString(store);
    try {
        return D.cstr(D.stringify(c.snap.rows[s] || []));
    } catch (e) {
        D.fail(e);
        return 0;
    }
})

EM_JS(double, dal_idb_js_seq, (int conn, const char *store, const char *field), {
    var c = Module.dalIdb.conns[conn];
    var v = c.snap.meta["seq:" + UTF8ToString(store) + "." + UTF8ToString(field)];
    return typeof v === "number" ? v : 0;
})

EM_JS(void, dal_idb_js_snapshot_done, (int conn), {
    Module.dalIdb.conns[conn].snap = null;
})

EM_JS(int, dal_idb_js_stale, (int conn), {
    return Module.dalIdb.conns[conn].stale ? 1 : 0;
})

EM_ASYNC_JS(int, dal_idb_js_generation_moved_impl, (int conn), {
    var D = Module.dalIdb, c = D.conns[conn];
    try {
        var t = c.db.transaction("_dal", "readonly");
        var g = (await D.req(t.objectStore("_dal").get("gen"))) || 0;
        return g !== c.gen ? 1 : 0;
    } catch (e) {
        D.fail(e);
        return -1;
    }
})

EM_ASYNC_JS(int, dal_idb_js_lock_impl, (int conn, int timeout_ms), {
    var D = Module.dalIdb, c = D.conns[conn];
    if (typeof navigator === "undefined" || !navigator.locks) return 0; /* one context only */
    try {
        await new Promise(function(acquired, failed) {
            var opts = { mode: "exclusive" };
            if (timeout_ms > 0 && typeof AbortSignal.timeout === "function") opts.signal = AbortSignal.timeout(timeout_ms);
            navigator.locks.request("dal-idb:" + c.name, opts, function() {
                return new Promise(function(release) { c.release = release; acquired(); });
            }).catch(failed);
        });
        return 0;
    } catch (e) {
        D.fail(e);
        return -1;
    }
})

EM_JS(void, dal_idb_js_unlock, (int conn), {
    var c = Module.dalIdb.conns[conn];
    if (c && c.release) { var r = c.release; c.release = null; r(); }
})

EM_JS(int, dal_idb_js_put, (int conn, const char *store, const char *json, int final), {
    var D = Module.dalIdb, c = D.conns[conn];
    try {
        var s = UTF8ToString(store), op = final ? "final" : "put";
        var rows = D.parse(UTF8ToString(json));
        for (var i = 0; i < rows.length; i++) c.log.push({ store: s, op: op, value: rows[i] });
        return 0;
    } catch (e) {
        D.fail(e);
        return -1;
    }
})

EM_JS(int, dal_idb_js_del, (int conn, const char *store, const char *key_json), {
    var D = Module.dalIdb, c = D.conns[conn];
    try {
        c.log.push({ store: UTF8ToString(store), op: "del", key: D.parse(UTF8ToString(key_json)) });
        return 0;
    } catch (e) {
        D.fail(e);
        return -1;
    }
})

EM_JS(void, dal_idb_js_rewrite, (int conn, const char *store), {
    Module.dalIdb.conns[conn].log.push({ store: UTF8ToString(store), op: "clear" });
})

EM_JS(int, dal_idb_js_rewrite_pending, (int conn, const char *store), {
    var s = UTF8ToString(store);
    return Module.dalIdb.conns[conn].log.some(function(e) { return e.store === s && e.op === "clear"; }) ? 1 : 0;
})

EM_JS(int, dal_idb_js_touched, (int conn, const char *store), {
    var s = UTF8ToString(store);
    return Module.dalIdb.conns[conn].log.some(function(e) { return e.store === s; }) ? 1 : 0;
})

EM_JS(void, dal_idb_js_set_seq, (int conn, const char *store, const char *field, double value), {
    Module.dalIdb.conns[conn].seq["seq:" + UTF8ToString(store) + "." + UTF8ToString(field)] = value;
})

EM_JS(int, dal_idb_js_log_size, (int conn), {
    return Module.dalIdb.conns[conn].log.length;
})

EM_JS(void, dal_idb_js_log_truncate, (int conn, int n), {
    var c = Module.dalIdb.conns[conn];
    c.log.length = n;
    if (n === 0) c.seq = {};
})

EM_ASYNC_JS(int, dal_idb_js_flush_impl, (int conn), {
    var D = Module.dalIdb, c = D.conns[conn];
    var log = c.log, seq = c.seq;
    c.log = [];
    c.seq = {};
    if (log.length === 0) return 0;
    var t = null;
    try {
        var rewrite = {}, names = { _dal: true };
        log.forEach(function(e) { names[e.store] = true; if (e.op === "clear") rewrite[e.store] = true; });
        t = c.db.transaction(Object.keys(names), "readwrite", { durability: "strict" });
        var finished = D.done(t);
        finished.catch(function() {});
        var ms = t.objectStore("_dal");
        /* the generation this working set was loaded at must still be the
         * stored one: checked first, inside this transaction (requests run
         * in order; aborting in its callback discards everything below) */
        var conflict = false;
        ms.get("gen").onsuccess = function(ev) {
            if ((ev.target.result || 0) !== c.gen) { conflict = true; try { t.abort(); } catch (ignored) {} }
        };
        Object.keys(rewrite).forEach(function(s) { t.objectStore(s).clear(); });
        log.forEach(function(e) {
            if (rewrite[e.store]) {
                if (e.op === "final") t.objectStore(e.store).put(e.value);
            } else if (e.op === "put") {
                t.objectStore(e.store).put(e.value);
            } else if (e.op === "del") {
                t.objectStore(e.store).delete(e.key);
            }
        });
        Object.keys(seq).forEach(function(k) { ms.put(seq[k], k); });
        var gen = c.gen + 1;
        ms.put(gen, "gen");
        try {
            await finished;
        } catch (e) {
            if (conflict) {
                t = null;
                D.error = "another tab committed since this one read the database";
                return -2;
            }
            throw e;
        }
        c.gen = gen;
        if (c.bc) c.bc.postMessage({ gen: gen });
        return 0;
    } catch (e) {
        if (t) try { t.abort(); } catch (ignored) {}
        D.fail(e);
        return -1;
    }
})

/* Callers in other files see plain functions (an EM_ASYNC_JS import is named
 * for Asyncify, so it can only be called from this file). */

int dal_idb_js_snapshot(int conn)
{
    return dal_idb_js_snapshot_impl(conn);
}

int dal_idb_js_generation_moved(int conn)
{
    return dal_idb_js_generation_moved_impl(conn);
}

int dal_idb_js_lock(int conn, int timeout_ms)
{
    return dal_idb_js_lock_impl(conn, timeout_ms);
}

int dal_idb_js_flush(int conn)
{
    return dal_idb_js_flush_impl(conn);
}
