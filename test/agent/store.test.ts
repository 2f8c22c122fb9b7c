// The incident history on a real SQLite file: idempotent puts by incident id, the contract's filters
// and paging, limits history, retention by age and size, migrations recorded in user_version, and a
// file that is not a database or cannot be written giving one sentence while incidents wait in memory.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../src/evidence/types.js';
import { finishSecond, incidentId } from '../../src/store/id.js';
import { ResilientStore } from '../../src/store/resilient.js';
import { SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite.js';
import type { IncidentItem } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'podmortem-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function item(
  n: number,
  over: Partial<Incident['subject']> = {},
  cause = 'rlimit.nofile',
  verdict = 'confirmed',
): IncidentItem {
  const subject = {
    namespace: n % 2 ? 'shop' : 'jobs',
    pod: `checkout-7d9f8c6b5-x${String(n).padStart(4, '0')}`,
    container: 'app',
    podUid: `uid-${n}`,
    finishedAt: new Date(Date.UTC(2026, 10, 29, 3, 0, n)).toISOString(),
    ...over,
  };
  return {
    id: incidentId(subject.podUid, subject.container, subject.finishedAt),
    node: 'node-a',
    cluster: '',
    recordedAt: new Date().toISOString(),
    subject,
    signatures: [],
    causes: [
      { id: cause, verdict, summary: 's', reasons: [], evidence: [], missing: [], remediation: [] },
      {
        id: 'kernel.pid_max',
        verdict: 'ruled-out',
        summary: 's',
        reasons: [],
        evidence: [],
        missing: [],
        remediation: [],
      },
    ],
    notes: [],
  } as unknown as IncidentItem;
}

describe('incident id', () => {
  it('is the same for one exit whatever the precision of its finish time, and differs between exits', () => {
    const a = incidentId('u', 'c', '2026-11-29T03:14:15.123456789Z');
    expect(incidentId('u', 'c', '2026-11-29T03:14:15Z')).toBe(a);
    expect(incidentId('u', 'c', '2026-11-29T04:14:15.9+01:00')).toBe(a);
    expect(incidentId('u', 'c', '2026-11-29T03:14:16Z')).not.toBe(a);
    expect(incidentId('u', 'd', '2026-11-29T03:14:15Z')).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(finishSecond('yesterday')).toBeUndefined();
  });
});

describe('SQLite store', () => {
  const path = join(dir, 'a.db');
  const store = new SqliteStore(path);
  afterAll(() => store.close());

  it('stores each incident once: a second put of the same id is a duplicate', () => {
    expect(store.put([item(1), item(2)])).toEqual({ accepted: 2, duplicates: 0 });
    expect(store.put([item(2), item(3)])).toEqual({ accepted: 1, duplicates: 1 });
    expect(store.get(item(1).id)?.subject.pod).toBe('checkout-7d9f8c6b5-x0001');
    expect(store.get('nope')).toBeUndefined();
  });

  it('uses WAL and records its schema version', () => {
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  it('filters by namespace, workload, cause, verdict and time, newest first, in pages', () => {
    for (let n = 10; n < 40; n++)
      store.put([item(n, {}, n < 20 ? 'cgroup.pids' : 'rlimit.nofile', n < 30 ? 'confirmed' : 'likely')]);
    expect(
      store.query({ namespace: 'shop', limit: 500 }).items.every((i) => i.subject.namespace === 'shop'),
    ).toBe(true);
    expect(store.query({ workload: 'checkout', limit: 500 }).items).toHaveLength(33);
    expect(store.query({ cause: 'cgroup.pids', limit: 500 }).items).toHaveLength(10);
    expect(store.query({ cause: 'kernel.pid_max' }).items).toHaveLength(0); // ruled out everywhere
    expect(store.query({ cause: 'rlimit.nofile', verdict: 'likely', limit: 500 }).items).toHaveLength(10);
    expect(store.query({ since: '2026-11-29T03:00:35Z', limit: 500 }).items).toHaveLength(5);
    expect(store.query({ until: '2026-11-29T03:00:03Z', limit: 500 }).items).toHaveLength(2);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = store.query({ limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((i) => i.subject.finishedAt!));
      cursor = page.next ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(33);
    expect([...seen].sort().reverse()).toEqual(seen);
  });

  it('migrates a file made before the cause index in place: the cause filter answers as before, by its new index', () => {
    const file = join(dir, 'v1.db');
    const first = new SqliteStore(file);
    first.put(
      Array.from({ length: 12 }, (_, n) => item(100 + n, {}, n % 3 ? 'cgroup.pids' : 'rlimit.nofile')),
    );
    first.close();
    // Back to the schema before the cause index: incident_causes without the exit time.
    const raw = new Database(file);
    raw.exec(
      'DROP INDEX incident_causes_at; DROP INDEX incident_causes_verdict_at; ALTER TABLE incident_causes DROP COLUMN at;',
    );
    raw.pragma(`user_version = ${SCHEMA_VERSION - 1}`);
    raw.close();
    const upgraded = new SqliteStore(file);
    try {
      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = upgraded.query({ cause: 'cgroup.pids', limit: 3, ...(cursor ? { cursor } : {}) });
        ids.push(...page.items.map((i) => i.id));
        cursor = page.next ?? undefined;
      } while (cursor);
      const want = Array.from({ length: 12 }, (_, n) => n)
        .filter((n) => n % 3)
        .reverse()
        .map((n) => item(100 + n).id);
      expect(ids).toEqual(want);
      const check = new Database(file, { readonly: true });
      expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const plan = check
        .prepare(
          "EXPLAIN QUERY PLAN SELECT c.id FROM incident_causes c WHERE c.cause = 'x' ORDER BY c.at DESC, c.id DESC LIMIT 5",
        )
        .all() as { detail: string }[];
      check.close();
      expect(plan.map((p) => p.detail).join(' ')).toMatch(/incident_causes_at/);
    } finally {
      upgraded.close();
    }
  });

  it('refuses bad filters with a sentence', () => {
    expect(() => store.query({ since: 'last week' })).toThrow(/RFC 3339/);
    expect(() => store.query({ limit: 0 })).toThrow(/1 to 500/);
    expect(() => store.query({ cursor: 'garbage' })).toThrow(/cursor/);
  });

  it('keeps node limit readings, newest first', () => {
    store.putLimits({ node: 'node-a', recordedAt: '2026-11-29T03:00:00Z', limits: [] });
    store.putLimits({
      node: 'node-a',
      recordedAt: '2026-11-29T03:05:00Z',
      limits: [{ id: 'kernel.pid_max', scope: 'node', used: 10, max: 100, ratio: 0.1, evidence: [] }],
    });
    expect(store.limits('node-a')[0]!.limits[0]!.id).toBe('kernel.pid_max');
    expect(store.limits('node-a', 10)).toHaveLength(2);
    expect(store.limits('node-b')).toEqual([]);
  });

  it('prunes by age and by size, oldest first', () => {
    const small = new SqliteStore(join(dir, 'small.db'), { maxBytes: 3000, maxAgeMs: 3600_000 });
    const old = { ...item(100), recordedAt: new Date(Date.now() - 2 * 3600_000).toISOString() };
    small.put([old, ...Array.from({ length: 10 }, (_, i) => item(200 + i))]);
    small.prune();
    expect(small.has(old.id)).toBe(false);
    expect(small.count()).toBeGreaterThan(0);
    expect(small.count()).toBeLessThan(10);
    expect(small.has(item(209).id)).toBe(true);
    small.close();
  });
});

describe('a database that cannot be used', () => {
  it('a file that is not SQLite: one sentence, incidents wait in memory, and are stored once it is replaced', async () => {
    const path = join(dir, 'corrupt.db');
    writeFileSync(path, 'this is not a database, just text that fills the header page '.repeat(100));
    const problems: (string | undefined)[] = [];
    const store = new ResilientStore(path, {}, 50, (p) => problems.push(p));
    expect(store.up).toBe(false);
    expect(store.problem).toMatch(/corrupt\.db is not a usable SQLite database/);
    expect(store.put([item(1)])).toEqual({ accepted: 1, duplicates: 0 });
    expect(store.has(item(1).id)).toBe(true);
    expect(() => store.query({})).toThrow(/not a usable SQLite database/);
    rmSync(path);
    for (let i = 0; i < 100 && !store.up; i++) await new Promise((r) => setTimeout(r, 20));
    expect(store.up).toBe(true);
    expect(store.problem).toBeUndefined();
    expect(store.query({}).items.map((i) => i.id)).toEqual([item(1).id]);
    expect(problems.at(-1)).toBeUndefined();
    store.close();
  });
});
