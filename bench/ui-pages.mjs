#!/usr/bin/env node
// Benchmark: what the web UI's pages cost on a large history. It fills a SQLite store (and, with
// --pg URL, a PostgreSQL one) with N incidents spread over 90 days, 40 nodes, 200 workloads and 12
// causes, then times each page's store queries as the pages run them: the list (a page of 50 and the
// per-day chart, unfiltered and filtered), the node page and the workload page (chart, counts and
// incidents). Prints p50 and p99 per page and the load average (the machine is shared).
//   node bench/ui-pages.mjs [--incidents 200000] [--runs 30] [--pg postgres://...]
/* global process, console */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const { SqliteStore } = await import(join(REPO, 'dist/store/sqlite.js'));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const N = Number(arg('incidents', 200_000));
const RUNS = Number(arg('runs', 30));
const PG = arg('pg', undefined);
const DAY = 86_400_000;
const CAUSES = [
  'kernel.pid_max',
  'rlimit.nofile',
  'memory.cgroup_oom',
  'cgroup.pids',
  'rlimit.nproc',
  'app.panic',
  'go.newosproc',
  'jvm.oom',
  'disk.full',
  'dns.failure',
  'probe.liveness',
  'exit.nonzero',
];

function item(k, now) {
  const finishedAt = new Date(now - ((k * 7919) % (90 * DAY))).toISOString();
  const workload = `app-${k % 200}`;
  const cause = CAUSES[(k * 31) % CAUSES.length];
  return {
    id: k.toString(16).padStart(24, '0'),
    node: `node-${k % 40}`,
    cluster: k % 7 === 0 ? 'staging' : 'prod',
    recordedAt: finishedAt,
    subject: {
      namespace: `ns-${k % 20}`,
      pod: `${workload}-7d9f8c6b5-${(k % 99999).toString(36).padStart(5, 'a')}`,
      container: 'app',
      finishedAt,
    },
    signatures: [],
    causes: [
      {
        id: cause,
        verdict: 'confirmed',
        summary: 'x',
        reasons: [],
        evidence: [],
        missing: [],
        remediation: [],
      },
    ],
    notes: [],
  };
}

async function fill(store) {
  const now = Date.now();
  for (let k = 0; k < N; k += 1000)
    await store.put(Array.from({ length: Math.min(1000, N - k) }, (_, j) => item(k + j, now)));
}

const PAGES = {
  'list (50 + chart)': (s) => [s.query({ limit: 50 }), s.countsByDay({})],
  'list, namespace + cause': (s) => [
    s.query({ namespace: 'ns-3', cause: 'rlimit.nofile', limit: 50 }),
    s.countsByDay({ namespace: 'ns-3', cause: 'rlimit.nofile' }),
  ],
  'list, last 24 h': (s) => {
    const since = new Date(Date.now() - DAY).toISOString();
    return [s.query({ since, limit: 50 }), s.countsByDay({ since })];
  },
  'node page': (s) => [
    s.limits('node-7', 1),
    s.countBy({ node: 'node-7' }, 'workload', 20),
    s.countsByDay({ node: 'node-7' }),
    s.query({ node: 'node-7', limit: 50 }),
  ],
  'workload page': (s) => [
    s.countBy({ workload: 'app-42' }, 'cause', 20),
    s.countBy({ workload: 'app-42' }, 'node', 20),
    s.countsByDay({ workload: 'app-42' }),
    s.query({ workload: 'app-42', limit: 50 }),
  ],
};

async function time(store, name) {
  const ms = [];
  for (let r = 0; r < RUNS; r++) {
    const t = process.hrtime.bigint();
    await Promise.all(PAGES[name](store));
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const q = (p) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(1);
  return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms`;
}

const dir = mkdtempSync(join(tmpdir(), 'podmortem-ui-bench-'));
try {
  const stores = [
    ['SQLite', new SqliteStore(join(dir, 'bench.db'), { maxBytes: 8 * 1024 ** 3, maxAgeMs: 365 * DAY })],
  ];
  if (PG) {
    const { PgStore } = await import(join(REPO, 'dist/store/postgres.js'));
    stores.push(['PostgreSQL', await PgStore.open(PG)]);
  }
  console.log(
    `${N} incidents over 90 days, ${RUNS} runs per page; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const [name, store] of stores) {
    const t = Date.now();
    await fill(store);
    console.log(`${name}: filled in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    for (const page of Object.keys(PAGES)) console.log(`  ${page.padEnd(26)} ${await time(store, page)}`);
    await store.close();
  }
  console.log(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
