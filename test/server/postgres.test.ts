// The fleet store on a real PostgreSQL 15 (Debian's, started here as nobody): migrations that two
// replicas run at once, idempotent inserts that two replicas race on, and the contract's filters and
// paging answering exactly what the agent's SQLite store answers for the same incidents.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { PG_SCHEMA_VERSION, PgStore } from '../../src/store/postgres.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import {
  QueryError,
  StoreUnavailable,
  type IncidentQuery,
  type IncidentStore,
} from '../../src/store/types.js';
import { item } from './items.js';
import { IN_CI, postgresMissing, startPostgres, type RunningPostgres } from './pg-harness.js';

const why = postgresMissing();
if (why && IN_CI) {
  describe('PostgreSQL store', () => {
    it('has PostgreSQL on this machine', () => {
      throw new Error(`CI=true and this machine lacks ${why}: .ci/run must install it.`);
    });
  });
} else
  (why ? describe.skip : describe)('PostgreSQL store', () => {
    let server: RunningPostgres;
    let a: PgStore;
    let b: PgStore;
    beforeAll(async () => {
      server = await startPostgres();
      // Two replicas starting at once: one migrates, the other waits on the advisory lock.
      [a, b] = await Promise.all([PgStore.open(server.url), PgStore.open(server.url)]);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
      server?.stop();
    });

    it('records its schema version once, whichever replica migrated', async () => {
      const c = new pg.Client({ connectionString: server.url });
      await c.connect();
      const r = await c.query('SELECT version FROM podmortem_schema');
      const idx = await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 'incidents'");
      await c.end();
      expect(r.rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
      expect(idx.rows.map((x: { indexname: string }) => x.indexname)).toEqual(
        expect.arrayContaining([
          'incidents_at',
          'incidents_namespace',
          'incidents_node',
          'incidents_workload',
        ]),
      );
    });

    it('stores each incident once when two replicas receive the same batches at once', async () => {
      const batch = Array.from({ length: 60 }, (_, n) => item(n));
      const [r1, r2] = await Promise.all([a.put(batch), b.put([...batch].reverse())]);
      expect(r1.accepted + r2.accepted).toBe(60);
      expect(r1.duplicates + r2.duplicates).toBe(60);
      expect(await a.put([item(3), item(3), item(60)])).toEqual({ accepted: 1, duplicates: 2 });
      expect(await b.has(item(60).id)).toBe(true);
      expect(await b.get(item(7).id)).toEqual(item(7));
      expect(await a.get('0123456789abcdef01234567')).toBeUndefined();
    });

    it('answers every filter and page as the SQLite store does for the same incidents', async () => {
      const lite = new SqliteStore(':memory:');
      lite.put(Array.from({ length: 61 }, (_, n) => item(n)));
      const queries: IncidentQuery[] = [
        {},
        { namespace: 'shop' },
        { node: 'node-1', limit: 7 },
        { workload: 'checkout' },
        { cause: 'kernel.pid_max' },
        { cause: 'kernel.pid_max', verdict: 'confirmed' },
        { cause: 'memory.cgroup_oom' }, // ruled out everywhere: nothing
        { verdict: 'confirmed', since: '2026-11-29T03:00:10Z', until: '2026-11-29T03:00:40Z' },
        // A cause with other filters: rows walk the cause's own index, joined to their incidents.
        { cause: 'rlimit.nofile', since: '2026-11-29T03:00:10Z', until: '2026-11-29T03:00:50Z' },
        { cause: 'rlimit.nofile', verdict: 'confirmed', namespace: 'shop', node: 'node-2' },
        { cause: 'kernel.pid_max', workload: 'checkout', limit: 3 },
      ];
      const all = async (s: IncidentStore, q: IncidentQuery) => {
        const ids: string[] = [];
        let cursor: string | undefined;
        for (let i = 0; i < 100; i++) {
          const page = await s.query({ limit: 5, ...q, ...(cursor ? { cursor } : {}) });
          ids.push(...page.items.map((x) => x.id));
          if (!page.next) break;
          cursor = page.next;
        }
        return ids;
      };
      for (const q of queries) {
        const fromPg = await all(a, q);
        expect(fromPg, JSON.stringify(q)).toEqual(await all(lite, q));
      }
      expect(await all(a, { namespace: 'shop' })).toHaveLength(30);
      expect(await all(a, { cause: 'memory.cgroup_oom' })).toEqual([]);
      lite.close();
    });

    it('refuses a bad query with one sentence, as the API answers 400', async () => {
      await expect(a.query({ cursor: 'not-ours' })).rejects.toThrow(QueryError);
      await expect(a.query({ since: 'yesterday' })).rejects.toThrow('since must be an RFC 3339 time');
      await expect(a.query({ limit: 501 })).rejects.toThrow('limit must be a whole number from 1 to 500.');
    });

    it('keeps node limit readings, newest first', async () => {
      const reading = (t: string, used: number) => ({
        node: 'node-1',
        recordedAt: t,
        limits: [{ limit: 'kernel.pid_max', scope: 'node', used, max: 4194304 }],
      });
      await a.putLimits(reading('2026-11-29T03:00:00Z', 10) as never);
      await b.putLimits(reading('2026-11-29T03:05:00Z', 20) as never);
      const got = await a.limits('node-1', 5);
      expect(got.map((r) => r.limits[0]!.used)).toEqual([20, 10]);
      expect(await a.limits('node-9')).toEqual([]);
    });

    it('deletes incidents older than the retention, and their causes with them', async () => {
      const old = { ...item(500), recordedAt: '2020-01-01T00:00:00Z' };
      await a.put([old]);
      expect(await a.prune({ maxAgeMs: 365 * 24 * 3600_000 }, Date.parse('2026-12-01T00:00:00Z'))).toBe(1);
      expect(await a.has(old.id)).toBe(false);
      expect(await a.has(item(1).id)).toBe(true);
    });

    it('migrates a database of schema version 1 in place: the cause filter answers as before, by its new index', async () => {
      // A database as podmortem's first schema left it: incident_causes without the exit time.
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      await admin.query('CREATE DATABASE v1');
      await admin.end();
      const url = server.url.replace(/\/postgres$/, '/v1');
      const old = await PgStore.open(url);
      const items = Array.from({ length: 24 }, (_, n) => item(n));
      await old.put(items);
      await old.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`DROP INDEX incident_causes_at; DROP INDEX incident_causes_verdict_at;
                     ALTER TABLE incident_causes DROP COLUMN at; UPDATE podmortem_schema SET version = 1`);
      const upgraded = await PgStore.open(url);
      try {
        const version = await c.query('SELECT version FROM podmortem_schema');
        expect(version.rows).toEqual([{ version: PG_SCHEMA_VERSION }]);
        const idx = await c.query("SELECT indexname FROM pg_indexes WHERE tablename = 'incident_causes'");
        expect(idx.rows.map((x: { indexname: string }) => x.indexname)).toEqual(
          expect.arrayContaining(['incident_causes_at', 'incident_causes_verdict_at']),
        );
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await upgraded.query({
            cause: 'kernel.pid_max',
            limit: 2,
            ...(cursor ? { cursor } : {}),
          });
          ids.push(...page.items.map((i) => i.id));
          cursor = page.next ?? undefined;
        } while (cursor);
        const want = items
          .filter((_, n) => n % 4 === 0)
          .sort((x, y) => y.subject.finishedAt!.localeCompare(x.subject.finishedAt!))
          .map((i) => i.id);
        expect(ids).toEqual(want);
      } finally {
        await c.end();
        await upgraded.close();
      }
    });

    it('says in one sentence, without the password, that a database cannot be reached', async () => {
      const url = server.url.replace('podmortem@', 'podmortem:s3cret@').replace(/:\d+\//, ':1/');
      const err = await PgStore.open(url).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreUnavailable);
      expect((err as Error).message).toMatch(
        /^PostgreSQL at postgres:\/\/podmortem:\*\*\*@127\.0\.0\.1:1\/postgres: .+\.$/,
      );
      expect((err as Error).message).not.toContain('s3cret');
    });
  });
