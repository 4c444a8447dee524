#!/usr/bin/env node
// Runs dal's WebAssembly programs in headless Chromium (Debian's chromium,
// driven by playwright-core) against pages served on 127.0.0.1.
//
//   node run.mjs DIR program ARG...   one program; exit status = the program's
//   node run.mjs DIR --persist        write, reload, check; a second browser
//                                     process on the same profile checks again
//   node run.mjs DIR --cross-tab      two tabs claim the same tasks at once
//   node run.mjs DIR --bench [N]      bench.c on idb: and memory:, and a hand-written
//                                     IndexedDB baseline of the same operations
//
// DIR holds page.html and the programs' .js/.wasm. Every run uses a fresh
// browser profile (a new IndexedDB), removed at the end.
import { chromium } from 'playwright-core';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [dirArg, ...rest] = process.argv.slice(2);
const dir = dirArg && path.resolve(dirArg);
if (!dirArg || rest.length === 0) {
  console.error('usage: run.mjs DIR program ARG... | --persist | --cross-tab');
  process.exit(2);
}
const browserPath = process.env.DAL_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(browserPath)) {
  console.error(`run.mjs: ${browserPath} not found (apt-get install chromium)`);
  process.exit(2);
}
const timeoutMs = Number(process.env.DAL_PAGE_TIMEOUT_MS || 300000);

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.png': 'image/png' };
const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://127.0.0.1');
  const file = path.join(dir, path.normalize(decodeURIComponent(u.pathname)).replace(/^([/\\])+/, ''));
  if (!file.startsWith(path.resolve(dir)) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
    res.writeHead(404); res.end(); return;
  }
  res.writeHead(200, { 'Content-Type': types[path.extname(file)] || 'application/octet-stream', 'Cache-Control': 'no-store' });
  fs.createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'dal-chromium-'));

const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows'];
const launch = () => chromium.launchPersistentContext(profile, {
  executablePath: browserPath, headless: true, args, chromiumSandbox: false });

function url(prog, progArgs) {
  const q = new URLSearchParams({ prog });
  for (const a of progArgs) q.append('arg', a);
  return `${base}/page.html?${q}`;
}

// Loads the program in page, waits for its exit; returns the status.
// cmocka's lines for a failure count too, whatever the status says.
const failureLine = /^\[  (FAILED|ERROR)  ? *\]/;
async function runIn(page, tag, prog, progArgs, onLine) {
  let sawFailure = false;
  page.removeAllListeners('console');
  page.on('console', (m) => {
    if (failureLine.test(m.text())) sawFailure = true;
    if (onLine) onLine(m.text());
    console.log(tag ? `${tag} ${m.text()}` : m.text());
  });
  page.removeAllListeners('pageerror');
  page.on('pageerror', (e) => console.log(`${tag} page error: ${e.message}`));
  await page.goto(url(prog, progArgs));
  await page.waitForFunction(() => window.dalExit !== undefined, null, { timeout: timeoutMs, polling: 50 });
  let status = await page.evaluate(() => window.dalExit);
  if (status === 0 && sawFailure) status = 'a test failed';
  if (status !== 0) console.log(`${tag || prog}: exit ${status}`);
  return status;
}

// The baseline: the same four operations written by hand against IndexedDB
// (records shaped as dal stores them), run inside the page.
async function baseline({ n, round }) {
  const req = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const done = (t) => new Promise((res, rej) => { t.oncomplete = res; t.onabort = () => rej(t.error); });
  const id = (kind, i) => `00000000-0000-7000-800${kind}-${String(i).padStart(12, '0')}`;
  // the same layout as dal's: stores, key paths and indexes copied from the
  // database bench.c just filled (every IndexedDB index costs on each put)
  const dalDb = await req(indexedDB.open(`bench${round}`));
  const layout = {};
  const lt = dalDb.transaction(['agents', 'tasks', 'events']);
  for (const name of ['agents', 'tasks', 'events']) {
    const st = lt.objectStore(name);
    layout[name] = { keyPath: st.keyPath, indexes: [...st.indexNames].map((i) => {
      const ix = st.index(i);
      return { name: i, keyPath: ix.keyPath, unique: ix.unique };
    }) };
  }
  dalDb.close();
  const pendingIndex = layout.tasks.indexes.find((i) => Array.isArray(i.keyPath) && i.keyPath[0] === 'status');
  const open = indexedDB.open(`baseline${round}`, 1);
  open.onupgradeneeded = () => {
    for (const [name, l] of Object.entries(layout)) {
      const st = open.result.createObjectStore(name, { keyPath: l.keyPath });
      for (const i of l.indexes) st.createIndex(i.name, i.keyPath, { unique: i.unique });
    }
  };
  const db = await req(open);
  const now = () => new Date().toISOString().replace('Z', '000Z');
  const agent = (i) => ({ id: id(1, i), name: 'bench', agent_type: 'worker', status: 'idle', capabilities: [],
    metadata: {}, heartbeat: now(), created_at: now(), updated_at: now() });
  const out = [];
  let t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const t = db.transaction('agents', 'readwrite', { durability: 'strict' });
    t.objectStore('agents').put(agent(i));
    await done(t);
  }
  out.push({ op: 'agent_insert', n, ms: performance.now() - t0 });
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const got = await req(db.transaction('agents').objectStore('agents').get(id(1, (i * 7919) % n)));
    if (!got) throw new Error('missing');
  }
  out.push({ op: 'agent_get', n, ms: performance.now() - t0 });
  let t = db.transaction('tasks', 'readwrite');
  for (let i = 0; i < n; i++)
    t.objectStore('tasks').put({ id: id(2, i), task_type: 'bench', priority: 'medium', status: i < 10 ? 'pending' : 'completed',
      assigned_to: null, payload: {}, result: null, error: null, retry_count: 0, max_retries: 3,
      dependencies: [], created_at: now(), updated_at: now(), started_at: null, completed_at: null });
  await done(t);
  const q = Math.max(1, Math.floor(n / 10));
  t0 = performance.now();
  for (let i = 0; i < q; i++) {
    const ix = db.transaction('tasks').objectStore('tasks').index(pendingIndex.name);
    const rows = await req(ix.getAll(IDBKeyRange.bound(['pending'], ['pending', []])));
    if (rows.length !== 10) throw new Error('pending: ' + rows.length);
  }
  out.push({ op: 'task_pending', n: q, ms: performance.now() - t0 });
  let seq = 0;
  t0 = performance.now();
  for (let b = 0; b < 3; b++) {
    t = db.transaction('events', 'readwrite', { durability: 'strict' });
    for (let i = 0; i < 1000; i++)
      t.objectStore('events').put({ id: id(3, b * 1000 + i), event_type: 'tick', agent_id: null, task_id: null,
          payload: {}, metadata: {}, timestamp: now(), sequence: ++seq });
    await done(t);
  }
  out.push({ op: 'event_batch_1000', n: 3000, ms: performance.now() - t0 });
  db.close();
  return out.map((o) => ({ ...o, per_s: o.n * 1000 / o.ms }));
}

let failed = false;
let ctx;
try {
  ctx = await launch();
  const page = ctx.pages()[0] || await ctx.newPage();
  if (rest[0] === '--persist') {
    failed ||= (await runIn(page, '[write]', 'persist', ['write'])) !== 0;
    failed ||= (await runIn(page, '[check in a new page]', 'persist', ['check'])) !== 0;
    await page.reload(); // the same page again, as a user would
    await page.waitForFunction(() => window.dalExit !== undefined, null, { timeout: timeoutMs, polling: 50 });
    const again = await page.evaluate(() => window.dalExit);
    console.log(`[check after reload] exit ${again}`);
    failed ||= again !== 0;
    await ctx.close();
    ctx = await launch(); // a second browser process on the same profile
    const p2 = ctx.pages()[0] || await ctx.newPage();
    failed ||= (await runIn(p2, '[check in a new browser]', 'persist', ['check'])) !== 0;
  } else if (rest[0] === '--cross-tab') {
    failed ||= (await runIn(page, '[seed]', 'cross_tab', ['seed'])) !== 0;
    const tabs = [page, await ctx.newPage()];
    // each tab prints "won W of N": the wins must add up to N (two tabs that
    // both believed they won a task would add up to more)
    let wins = 0, of = 0;
    const count = (text) => { const m = /won (\d+) of (\d+)/.exec(text); if (m) { wins += Number(m[1]); of = Number(m[2]); } };
    const running = tabs.map((p, k) => runIn(p, `[tab ${k}]`, 'cross_tab', ['claim', String(k)], count));
    // both tabs are loaded and waiting: let them go at once
    await Promise.all(tabs.map((p) => p.waitForFunction(() => window.dalReady === true, null, { timeout: timeoutMs, polling: 20 })));
    await Promise.all(tabs.map((p) => p.evaluate(() => window.dalGo())));
    const st = await Promise.all(running);
    failed ||= st.some((s) => s !== 0);
    console.log(`[runner] wins of both tabs: ${wins} of ${of}`);
    if (of === 0 || wins !== of) { console.log('[runner] a task was won twice or not at all'); failed = true; }
    failed ||= (await runIn(page, '[verify]', 'cross_tab', ['verify'])) !== 0;
  } else if (rest[0] === '--bench') {
    const n = Number(rest[1] || 1000);
    const rounds = Number(rest[2] || 3);
    const rows = [];
    for (let r = 0; r < rounds; r++) {
      for (const u of [`idb:bench${r}`, 'memory:']) {
        const lines = [];
        const onLine = (text) => { if (text.startsWith('{')) lines.push(JSON.parse(text)); };
        failed ||= (await runIn(page, '', 'bench', [u, String(n)], onLine)) !== 0;
        rows.push(...lines.map((l) => ({ ...l, url: u.replace(/[0-9]+$/, '') })));
      }
      await page.goto(`${base}/page.html`);
      const b = await page.evaluate(baseline, { n, round: r });
      rows.push(...b.map((l) => ({ ...l, url: 'hand-written IndexedDB' })));
      for (const l of b) console.log(JSON.stringify({ ...l, url: 'hand-written IndexedDB' }));
    }
    const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
    const ops = [...new Set(rows.map((r) => r.op))];
    const urls = ['idb:bench', 'memory:', 'hand-written IndexedDB'];
    console.log(`\nmedians of ${rounds} rounds, n = ${n} (per second)`);
    console.log(['operation', ...urls, 'idb / hand-written'].join(' | '));
    for (const op of ops) {
      const m = urls.map((u) => median(rows.filter((r) => r.op === op && r.url === u).map((r) => r.per_s)));
      console.log([op, ...m.map((v) => Math.round(v)), (m[0] / m[2]).toFixed(2)].join(' | '));
    }
  } else {
    failed = (await runIn(page, '', rest[0], rest.slice(1))) !== 0;
  }
} catch (e) {
  console.log(`run.mjs: ${e.message}`);
  failed = true;
} finally {
  if (ctx) await ctx.close().catch(() => {});
  server.close();
  fs.rmSync(profile, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
