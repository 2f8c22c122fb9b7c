#!/usr/bin/env node
// `podmortem server` at fleet scale, on a real PostgreSQL (and on SQLite): the built server in a
// child process, as users run it. For each store it measures
//   (a) ingest: agents pushing batches of 100 through POST /api/v1/incidents (8 at once), the same
//       batches pushed again (all duplicates), and the store's own bulk put() in batches of 1000;
//   (b) the fill to --rows incidents (default one million) through that bulk put();
//   (c) GET /api/v1/incidents with each filter combination the web UI sends: the first page and
//       pages followed by cursor, p50/p99 over --requests requests (values picked uniformly, so the
//       rare namespace, the cause nobody has and the empty combination are as frequent as the
//       popular ones: the worst case for a LIMIT plan);
//   (d) the server's RSS (VmRSS, and VmHWM its peak).
// Never fails on a time. Prints the load average: the machine is shared.
//
//   node bench/server-scale.mjs [--rows 1000000] [--sqlite-rows 1000000] [--requests 200]
//                               [--http-items 20000] [--only postgres|sqlite] [--keep DIR] [--no-build]
// --keep DIR keeps the PostgreSQL cluster and the SQLite file in DIR: a second run reuses the rows
// (and exercises the migrations on an existing database).
/* global process, console, fetch, setTimeout, performance */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CAUSE_IDS, DAY_MS, NAMESPACES, NODES, VERDICTS, WORKLOADS, fleetItem, rng } from './fleet-items.mjs';
import { postgresBin, startPostgres } from './postgres-cluster.mjs';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'dist/cli/main.js');

function parseArgs(argv) {
  const o = { rows: 1_000_000, sqliteRows: 1_000_000, requests: 200, httpItems: 20_000, build: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--rows') o.rows = Number(argv[++i]);
    else if (a === '--sqlite-rows') o.sqliteRows = Number(argv[++i]);
    else if (a === '--requests') o.requests = Number(argv[++i]);
    else if (a === '--http-items') o.httpItems = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i];
    else if (a === '--keep') o.keep = resolve(argv[++i]);
    else if (a === '--no-build') o.build = false;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => (Number.isNaN(x) ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(1));
const fmt = (n) => Math.round(n).toLocaleString('en-US');
const NOW = Date.now();

function procStatus(pid) {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(text)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

async function startServer(store, tokenFile) {
  const proc = spawn(
    process.execPath,
    [CLI, 'server', '--listen', '127.0.0.1:0', '--store', store, '--token-file', tokenFile],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (c) => (err += c));
  const end = Date.now() + 120_000;
  let port;
  while (!port && Date.now() < end && proc.exitCode === null) {
    port = /serving on [^\s]+:(\d+),/.exec(err)?.[1];
    await sleep(50);
  }
  if (!port) {
    proc.kill('SIGKILL');
    throw new Error(`the server did not start: ${err}`);
  }
  const exited = new Promise((r) => proc.once('exit', r));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: proc.pid,
    stderr: () => err,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}

/** (a) agents pushing: `agents` at once, each sending its share in batches of `batch`. */
async function pushOverHttp(url, token, items, { agents = 8, batch = 100 } = {}) {
  const batches = [];
  for (let i = 0; i < items.length; i += batch) batches.push(items.slice(i, i + batch));
  const latencies = [];
  let accepted = 0;
  let duplicates = 0;
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: agents }, async () => {
      while (next < batches.length) {
        const b = batches[next++];
        const s = performance.now();
        const res = await fetch(`${url}/api/v1/incidents`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ items: b }),
        });
        const body = await res.json();
        if (res.status !== 200) throw new Error(`push answered ${res.status}: ${JSON.stringify(body)}`);
        latencies.push(performance.now() - s);
        accepted += body.accepted;
        duplicates += body.duplicates;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    rate: items.length / seconds,
    seconds,
    accepted,
    duplicates,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
  };
}

/** (b) the store's own put() in batches of 1000, from item `from` to `to`; the rate per 100k for the log. */
async function bulkPut(store, from, to, label) {
  const t0 = performance.now();
  let mark = t0;
  for (let n = from; n < to; n += 1000) {
    const items = [];
    for (let k = n; k < Math.min(to, n + 1000); k++) items.push(fleetItem(k, NOW));
    await store.put(items);
    if ((n + 1000 - from) % 100_000 === 0) {
      const now = performance.now();
      process.stdout.write(
        `  ${label}: ${fmt(n + 1000)} rows, ${fmt(100_000 / ((now - mark) / 1000))}/s (load ${load()})\n`,
      );
      mark = now;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return { rate: (to - from) / seconds, seconds };
}

/** (c) the web UI's filter combinations; values picked uniformly so rare and empty ones count as much as popular ones. */
function scenarios() {
  const any = (r, xs) => xs[Math.floor(r() * xs.length)];
  const workload = (r) => any(r, WORKLOADS).split('/')[1];
  const day = (r, days = 1) => {
    const start = NOW - Math.floor(r() * 30 * DAY_MS);
    return `since=${new Date(start).toISOString()}&until=${new Date(start + days * DAY_MS).toISOString()}`;
  };
  return [
    ['no filter', () => ''],
    ['namespace', (r) => `namespace=${any(r, NAMESPACES)}`],
    ['workload', (r) => `workload=${workload(r)}`],
    ['node', (r) => `node=${any(r, NODES)}`],
    ['cause', (r) => `cause=${any(r, CAUSE_IDS)}`],
    ['verdict', (r) => `verdict=${any(r, VERDICTS)}`],
    ['since+until (1 day)', (r) => day(r)],
    ['namespace+cause', (r) => `namespace=${any(r, NAMESPACES)}&cause=${any(r, CAUSE_IDS)}`],
    ['cause+verdict', (r) => `cause=${any(r, CAUSE_IDS)}&verdict=${any(r, VERDICTS)}`],
    ['workload+verdict', (r) => `workload=${workload(r)}&verdict=${any(r, VERDICTS)}`],
    ['node+since+until', (r) => `node=${any(r, NODES)}&${day(r, 7)}`],
    ['cause+since+until', (r) => `cause=${any(r, CAUSE_IDS)}&${day(r)}`],
    [
      'ns+workload+cause+verdict+time',
      (r) => {
        const [ns, w] = any(r, WORKLOADS).split('/');
        return `namespace=${ns}&workload=${w}&cause=${any(r, CAUSE_IDS)}&verdict=${any(r, VERDICTS)}&${day(r, 7)}`;
      },
    ],
  ];
}

async function timedGet(url) {
  const s = performance.now();
  const res = await fetch(url);
  const body = await res.json();
  const t = performance.now() - s;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${JSON.stringify(body)}`);
  return { t, body };
}

/** Page 1 `requests` times; for a quarter of them, three more pages by cursor. At most 120 s a scenario. */
async function measureQueries(url, requests) {
  const rows = [];
  for (const [name, make] of scenarios()) {
    const r = rng(name.length * 7919 + 17);
    const first = [];
    const paged = [];
    let found = 0;
    const deadline = Date.now() + 120_000;
    for (let i = 0; i < requests && Date.now() < deadline; i++) {
      const q = make(r);
      const base = `${url}/api/v1/incidents?limit=50${q ? `&${q}` : ''}`;
      const p1 = await timedGet(base);
      first.push(p1.t);
      found += p1.body.items.length;
      let next = p1.body.next;
      for (let page = 2; i % 4 === 0 && next && page <= 4 && Date.now() < deadline; page++) {
        const p = await timedGet(`${base}&cursor=${encodeURIComponent(next)}`);
        paged.push(p.t);
        next = p.body.next;
      }
    }
    rows.push({
      name,
      n: first.length,
      p50: pct(first, 50),
      p99: pct(first, 99),
      cn: paged.length,
      cp50: pct(paged, 50),
      cp99: pct(paged, 99),
      avgItems: found / Math.max(1, first.length),
    });
    process.stdout.write(
      `  ${name.padEnd(32)} page 1: p50 ${ms(pct(first, 50)).padStart(7)} ms  p99 ${ms(pct(first, 99)).padStart(7)} ms   by cursor: p50 ${ms(pct(paged, 50)).padStart(7)} ms  p99 ${ms(pct(paged, 99)).padStart(7)} ms   (load ${load()})\n`,
    );
  }
  return rows;
}

/** Every node's index names in an EXPLAIN (FORMAT JSON) plan. */
function indexesOf(node, out = new Set()) {
  if (node['Index Name']) out.add(node['Index Name']);
  for (const child of node.Plans ?? []) indexesOf(child, out);
  return out;
}

/**
 * (c, store side) the same filter picks through the store's query() in this process: no HTTP, no
 * server. For PostgreSQL each query is run again under EXPLAIN ANALYZE, for the database's own
 * execution time and the indexes it used (of the slowest pick).
 */
async function measureStore(store, kind, requests) {
  const rows = [];
  let last;
  let explain;
  if (kind === 'postgres') {
    const pool = store.pool;
    const query = pool.query.bind(pool);
    pool.query = (text, args) => {
      if (typeof text === 'string' && text.startsWith('SELECT i.body')) last = { text, args };
      return query(text, args);
    };
    explain = async () => {
      const r = await query(`EXPLAIN (ANALYZE, FORMAT JSON) ${last.text}`, last.args);
      const plan = r.rows[0]['QUERY PLAN'][0];
      return { ms: plan['Execution Time'], indexes: [...indexesOf(plan.Plan)] };
    };
  }
  for (const [name, make] of scenarios()) {
    const r = rng(name.length * 7919 + 17);
    const wall = [];
    const db = [];
    let slowest = { ms: -1, indexes: [] };
    for (let i = 0; i < requests; i++) {
      const q = { limit: 50, ...Object.fromEntries(new globalThis.URLSearchParams(make(r))) };
      const s0 = performance.now();
      await store.query(q);
      wall.push(performance.now() - s0);
      if (explain) {
        const e = await explain();
        db.push(e.ms);
        if (e.ms > slowest.ms) slowest = e;
      }
    }
    rows.push({
      name,
      p50: pct(wall, 50),
      p99: pct(wall, 99),
      db50: pct(db, 50),
      db99: pct(db, 99),
      slowest,
    });
    process.stdout.write(
      `  in-process ${name.padEnd(32)} query(): p50 ${ms(pct(wall, 50)).padStart(7)} ms  p99 ${ms(pct(wall, 99)).padStart(7)} ms${explain ? `   database: p50 ${ms(pct(db, 50)).padStart(6)} ms  p99 ${ms(pct(db, 99)).padStart(6)} ms  (${slowest.indexes.join(', ')})` : ''}   (load ${load()})\n`,
    );
  }
  return rows;
}

async function benchStore(kind, rowsWanted, dir, tokenFile) {
  console.log(`\n## ${kind}: ${fmt(rowsWanted)} incidents (load average ${load()})`);
  let pg;
  let storeUrl;
  let store;
  const out = { kind, rows: rowsWanted };
  try {
    if (kind === 'postgres') {
      pg = await startPostgres(opts.keep ? { dir: join(opts.keep, 'pg') } : {});
      storeUrl = pg.url;
      console.log(`  ${pg.version}${pg.reused ? ', reusing the kept cluster' : ''}`);
      const { PgStore } = await import(join(REPO, 'dist/store/postgres.js'));
      const t0 = performance.now();
      store = await PgStore.open(storeUrl);
      out.openSeconds = (performance.now() - t0) / 1000;
      // A kept database made by an older build migrates here: at a million rows that is worth a line.
      if (out.openSeconds > 1) console.log(`  opening (migrations) took ${out.openSeconds.toFixed(1)} s`);
    } else {
      const file = join(dir, 'server.db');
      storeUrl = `sqlite://${file}`;
      const { SqliteStore } = await import(join(REPO, 'dist/store/sqlite.js'));
      const t0 = performance.now();
      store = new SqliteStore(file, { maxBytes: 4 * 2 ** 30, maxAgeMs: 90 * DAY_MS });
      out.openSeconds = (performance.now() - t0) / 1000;
      if (out.openSeconds > 1) console.log(`  opening (migrations) took ${out.openSeconds.toFixed(1)} s`);
    }
    const count = async () =>
      kind === 'postgres' ? Number(pg.psql('SELECT count(*) FROM incidents').trim()) : store.count();
    let have = await count();
    // (b) first, when the store is empty: the direct bulk rate on an empty table, then the fill.
    if (have < rowsWanted) {
      console.log(`  filling from ${fmt(have)} to ${fmt(rowsWanted)} rows with put() in batches of 1000 …`);
      const first = Math.min(rowsWanted, have + 100_000);
      out.bulkEmpty = await bulkPut(store, have, first, 'bulk');
      out.fill = await bulkPut(store, first, rowsWanted, 'fill');
      out.fill.rate = (rowsWanted - have) / (out.bulkEmpty.seconds + out.fill.seconds);
      out.fill.seconds += out.bulkEmpty.seconds;
    }
    // A fleet's database is analyzed by autovacuum soon after a load; the figures are for that state.
    if (kind === 'postgres') pg.psql('VACUUM ANALYZE');
    have = await count();
    out.rows = have;
    // Bulk put() into the full store, on fresh items (a different seed: new ids).
    const extra = Array.from({ length: 10_000 }, (_, k) => fleetItem(k, NOW, (NOW % 1e6) + 3));
    const t0 = performance.now();
    for (let i = 0; i < extra.length; i += 1000) await store.put(extra.slice(i, i + 1000));
    out.bulkFull = { rate: extra.length / ((performance.now() - t0) / 1000) };
    out.inproc = await measureStore(store, kind, opts.requests);
    await store.close();

    const token = readFileSync(tokenFile, 'utf8').trim();
    const server = await startServer(storeUrl, tokenFile);
    try {
      await sleep(1000);
      out.rssStart = procStatus(server.pid);
      // (a) agents over HTTP, into the full store: new items, then the same again (duplicates).
      const items = Array.from({ length: opts.httpItems }, (_, k) => fleetItem(k, NOW, (NOW % 1e6) + 5));
      out.http = await pushOverHttp(server.url, token, items);
      out.httpDup = await pushOverHttp(server.url, token, items);
      console.log(
        `  HTTP push (8 agents, batches of 100): ${fmt(out.http.rate)} incidents/s, batch p50 ${ms(out.http.p50)} ms p99 ${ms(out.http.p99)} ms; again (all duplicates): ${fmt(out.httpDup.rate)}/s`,
      );
      out.rssIngest = procStatus(server.pid);
      out.queries = await measureQueries(server.url, opts.requests);
      out.rssEnd = procStatus(server.pid);
    } finally {
      await server.stop();
    }
    if (kind === 'postgres') {
      out.size = pg.psql("SELECT pg_size_pretty(pg_database_size('postgres'))").trim();
    } else {
      const f = storeUrl.slice('sqlite://'.length);
      const bytes = statSync(f).size + (existsSync(`${f}-wal`) ? statSync(`${f}-wal`).size : 0);
      out.size = `${(bytes / 2 ** 20).toFixed(0)} MB`;
    }
  } finally {
    pg?.stop();
  }
  return out;
}

function printTable(results) {
  console.log(
    `\n# podmortem server at scale (${new Date().toISOString()}, load average now ${load()}, ${process.version})\n`,
  );
  console.log(
    '| store | rows | size | bulk put() empty → full | fill | HTTP push (8 agents × 100) | batch p50/p99 | duplicates again | server RSS start / after ingest / after queries (peak) |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const bulk = r.bulkEmpty
      ? `${fmt(r.bulkEmpty.rate)}/s → ${fmt(r.bulkFull.rate)}/s`
      : `(reused) → ${fmt(r.bulkFull.rate)}/s`;
    const fill = r.fill ? `${fmt(r.fill.seconds)} s (${fmt(r.fill.rate)}/s)` : 'reused';
    console.log(
      `| ${r.kind} | ${fmt(r.rows)} | ${r.size} | ${bulk} | ${fill} | ${fmt(r.http.rate)}/s | ${ms(r.http.p50)} / ${ms(r.http.p99)} ms | ${fmt(r.httpDup.rate)}/s | ${r.rssStart.rss.toFixed(0)} / ${r.rssIngest.rss.toFixed(0)} / ${r.rssEnd.rss.toFixed(0)} MiB (${r.rssEnd.hwm.toFixed(0)}) |`,
    );
  }
  for (const r of results) {
    console.log(`\n${r.kind}, ${fmt(r.rows)} incidents, the store's query() in-process, limit 50 (ms):\n`);
    console.log(
      '| filter | query() p50 | query() p99 | database p50 | database p99 | indexes (slowest pick) |',
    );
    console.log('|---|---:|---:|---:|---:|---|');
    for (const q of r.inproc)
      console.log(
        `| ${q.name} | ${ms(q.p50)} | ${ms(q.p99)} | ${ms(q.db50)} | ${ms(q.db99)} | ${q.slowest.indexes.join(', ')} |`,
      );
  }
  for (const r of results) {
    console.log(`\n${r.kind}, ${fmt(r.rows)} incidents, GET /api/v1/incidents?limit=50 (ms):\n`);
    console.log(
      '| filter | page 1 p50 | page 1 p99 | by cursor p50 | by cursor p99 | requests (page 1 + cursor) | items per page 1 |',
    );
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const q of r.queries)
      console.log(
        `| ${q.name} | ${ms(q.p50)} | ${ms(q.p99)} | ${ms(q.cp50)} | ${ms(q.cp99)} | ${q.n} + ${q.cn} | ${q.avgItems.toFixed(1)} |`,
      );
  }
}

if (opts.build) {
  const b = spawnSync('npm', ['run', '--silent', 'build'], { cwd: REPO, stdio: 'inherit' });
  if (b.status !== 0) process.exit(1);
}
if (!existsSync(CLI)) {
  console.log('bench skipped: dist/ is missing (npm run build)');
  process.exit(0);
}
const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'podmortem-scale-'));
mkdirSync(dir, { recursive: true });
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'bench-agents-token-0123456789\n');
console.log(`load average at start: ${load()} (2 cores, shared with other work)`);
const results = [];
try {
  if (opts.only !== 'sqlite') {
    if (!postgresBin()) console.log('PostgreSQL skipped: /usr/lib/postgresql/*/bin/pg_ctl is missing');
    else results.push(await benchStore('postgres', opts.rows, dir, tokenFile));
  }
  if (opts.only !== 'postgres') results.push(await benchStore('sqlite', opts.sqliteRows, dir, tokenFile));
} finally {
  if (!opts.keep) rmSync(dir, { recursive: true, force: true });
}
printTable(results);
