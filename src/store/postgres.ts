// The fleet's incident history in PostgreSQL (the `pg` client, a small pool): the same rows, filters
// and cursor as the agent's SQLite store, so the HTTP API answers alike whichever keeps the history.
// Several server replicas share one database and need no leader: migrations run under an advisory
// lock (the first replica migrates, the others wait and find the work done), and inserts are
// idempotent by incident id (ON CONFLICT DO NOTHING), so two replicas receiving the same push agree.
import pg from 'pg';
import { decodeCursor, encodeCursor, pageSize, timeOf } from './paging.js';
import { dayCountsOf, dayCountsSql, keyCountsOf, keyCountsSql } from './stats.js';
import { workloadOf } from './workload.js';
import {
  QueryError,
  StoreUnavailable,
  type CountKey,
  type DayCount,
  type IncidentItem,
  type IncidentPage,
  type IncidentQuery,
  type IncidentStore,
  type KeyCount,
  type NodeLimits,
  type PutResult,
} from './types.js';

/** Each entry upgrades the schema from its index to index + 1; never edit one that shipped. */
const MIGRATIONS: string[] = [
  `CREATE TABLE incidents (
     id text PRIMARY KEY,
     at bigint NOT NULL,            -- the exit's finish time (ms), else the recording time
     recorded_at bigint NOT NULL,
     node text NOT NULL,
     cluster text NOT NULL,
     namespace text NOT NULL,
     pod text NOT NULL,
     container text NOT NULL,
     workload text NOT NULL,
     top_cause text,
     top_verdict text,
     body text NOT NULL,            -- the item's JSON as pushed (text: jsonb would refuse \\u0000)
     size integer NOT NULL
   );
   CREATE INDEX incidents_at ON incidents (at DESC, id DESC);
   CREATE INDEX incidents_namespace ON incidents (namespace, at DESC, id DESC);
   CREATE INDEX incidents_workload ON incidents (workload, at DESC, id DESC);
   CREATE INDEX incidents_node ON incidents (node, at DESC, id DESC);
   CREATE INDEX incidents_cluster ON incidents (cluster, at DESC, id DESC);
   CREATE INDEX incidents_verdict ON incidents (top_verdict, at DESC, id DESC);
   CREATE INDEX incidents_recorded ON incidents (recorded_at);
   CREATE TABLE incident_causes (
     id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
     cause text NOT NULL,
     verdict text NOT NULL,
     PRIMARY KEY (cause, id)
   );
   CREATE INDEX incident_causes_id ON incident_causes (id);
   CREATE TABLE node_limits (
     node text NOT NULL,
     recorded_at bigint NOT NULL,
     body text NOT NULL,
     PRIMARY KEY (node, recorded_at)
   );`,
  // 2: the `cause` filter walks incident_causes in the list's order. With only (cause, id) it had to
  // walk every incident newest first and probe its causes: 260 ms at a million incidents for a
  // cause+verdict pair that few incidents have (bench/server-scale.mjs). The exit time is copied
  // into each cause row so one index answers cause [+ verdict] [+ time range] [+ cursor] in order.
  `ALTER TABLE incident_causes ADD COLUMN at bigint;
   UPDATE incident_causes c SET at = i.at FROM incidents i WHERE i.id = c.id;
   ALTER TABLE incident_causes ALTER COLUMN at SET NOT NULL;
   CREATE INDEX incident_causes_at ON incident_causes (cause, at DESC, id DESC);
   CREATE INDEX incident_causes_verdict_at ON incident_causes (cause, verdict, at DESC, id DESC);`,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** Any fixed number: every replica takes the same advisory lock around migrations. */
const MIGRATION_LOCK = 0x706d6d67;

export interface PgRetention {
  /** Incidents older than this (by recording time) are deleted; default 90 days. */
  maxAgeMs?: number;
  /** Limit readings kept per node; default 2880. */
  maxLimitReadings?: number;
}

/** The URL without its password, for sentences. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*):[^@]*@/, '$1:***@');
}

export class PgStore implements IncidentStore {
  private readonly pool: pg.Pool;
  private readonly where: string;

  private constructor(url: string) {
    this.where = redactUrl(url);
    this.pool = new pg.Pool({
      connectionString: url,
      max: 8,
      connectionTimeoutMillis: 5000,
      idleTimeoutMillis: 30_000,
      statement_timeout: 15_000,
      application_name: 'podmortem-server',
    });
    // An idle client whose server went away: the pool drops it; the next query reconnects.
    this.pool.on('error', () => undefined);
  }

  /** Connects and migrates; throws one sentence when the database cannot be reached or is newer. */
  static async open(url: string): Promise<PgStore> {
    const store = new PgStore(url);
    try {
      await store.migrate();
    } catch (err) {
      await store.pool.end().catch(() => undefined);
      throw new StoreUnavailable(store.sentence(err));
    }
    return store;
  }

  private sentence(err: unknown): string {
    const msg = err instanceof Error ? err.message : String(err);
    return `PostgreSQL at ${this.where}: ${msg.replace(/\.$/, '')}.`;
  }

  private async migrate(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // No statement timeout here: a migration that rewrites a million rows takes minutes (a 15 s
      // limit failed the upgrade of bench/server-scale.mjs's database on every start), and the
      // other replicas must wait for it on the lock however long it takes.
      await c.query('SET LOCAL statement_timeout = 0');
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query('CREATE TABLE IF NOT EXISTS podmortem_schema (version integer NOT NULL)');
      const r = await c.query<{ version: number }>('SELECT version FROM podmortem_schema');
      const version = r.rows[0]?.version ?? 0;
      if (version > PG_SCHEMA_VERSION)
        throw new Error(
          `schema version ${version} is newer than this podmortem knows (${PG_SCHEMA_VERSION}); upgrade podmortem`,
        );
      for (let v = version; v < PG_SCHEMA_VERSION; v++) await c.query(MIGRATIONS[v]!);
      if (r.rows.length === 0)
        await c.query('INSERT INTO podmortem_schema (version) VALUES ($1)', [PG_SCHEMA_VERSION]);
      else await c.query('UPDATE podmortem_schema SET version = $1', [PG_SCHEMA_VERSION]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /** Runs `f`; a database failure becomes StoreUnavailable (503), a bad query stays a QueryError (400). */
  private async run<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if (err instanceof QueryError || err instanceof StoreUnavailable) throw err;
      throw new StoreUnavailable(this.sentence(err));
    }
  }

  async put(items: IncidentItem[]): Promise<PutResult> {
    if (items.length === 0) return { accepted: 0, duplicates: 0 };
    const cols = {
      id: [] as string[],
      at: [] as number[],
      recorded: [] as number[],
      node: [] as string[],
      cluster: [] as string[],
      namespace: [] as string[],
      pod: [] as string[],
      container: [] as string[],
      workload: [] as string[],
      topCause: [] as (string | null)[],
      topVerdict: [] as (string | null)[],
      body: [] as string[],
      size: [] as number[],
    };
    // Rows in id order: two replicas inserting overlapping batches then lock the same keys in the
    // same order and wait for each other instead of deadlocking.
    const sorted = [...items].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    for (const item of sorted) {
      const body = JSON.stringify(item);
      const s = item.subject;
      const recordedAt = Date.parse(item.recordedAt) || Date.now();
      const top = item.causes[0];
      cols.id.push(item.id);
      cols.at.push((s.finishedAt ? Date.parse(s.finishedAt) : NaN) || recordedAt);
      cols.recorded.push(recordedAt);
      cols.node.push(item.node);
      cols.cluster.push(item.cluster);
      cols.namespace.push(s.namespace ?? '');
      cols.pod.push(s.pod ?? '');
      cols.container.push(s.container ?? '');
      cols.workload.push(workloadOf(s));
      cols.topCause.push(top?.id ?? null);
      cols.topVerdict.push(top?.verdict ?? null);
      cols.body.push(body);
      cols.size.push(Buffer.byteLength(body));
    }
    return this.run(() => this.retryDeadlock(() => this.insert(items, cols)));
  }

  /** A deadlock PostgreSQL broke (40P01) rolled the whole batch back: it is safe to run again. */
  private async retryDeadlock<T>(f: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await f();
      } catch (err) {
        if ((err as { code?: string }).code !== '40P01' || attempt >= 3) throw err;
      }
    }
  }

  private async insert(items: IncidentItem[], cols: Record<string, unknown[]>): Promise<PutResult> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const inserted = await c.query<{ id: string }>(
        `INSERT INTO incidents (id, at, recorded_at, node, cluster, namespace, pod, container, workload, top_cause, top_verdict, body, size)
           SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[],
                                $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::integer[])
           ON CONFLICT (id) DO NOTHING RETURNING id`,
        Object.values(cols),
      );
      const fresh = new Set(inserted.rows.map((r) => r.id));
      const causes: [string[], string[], string[], number[]] = [[], [], [], []];
      const atOf = new Map((cols.id as string[]).map((id, n) => [id, (cols.at as number[])[n]!]));
      for (const item of items) {
        if (!fresh.delete(item.id)) continue; // a duplicate, or the same id twice in this batch
        for (const cause of item.causes)
          if (cause.verdict !== 'ruled-out') {
            causes[0].push(item.id);
            causes[1].push(cause.id);
            causes[2].push(cause.verdict);
            causes[3].push(atOf.get(item.id)!);
          }
      }
      if (causes[0].length)
        await c.query(
          `INSERT INTO incident_causes (id, cause, verdict, at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[]) ON CONFLICT DO NOTHING`,
          causes,
        );
      await c.query('COMMIT');
      const accepted = inserted.rowCount ?? 0;
      return { accepted, duplicates: items.length - accepted };
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  async has(id: string): Promise<boolean> {
    return this.run(async () => {
      const r = await this.pool.query('SELECT 1 FROM incidents WHERE id = $1', [id]);
      return (r.rowCount ?? 0) > 0;
    });
  }

  async get(id: string): Promise<IncidentItem | undefined> {
    return this.run(async () => {
      const r = await this.pool.query<{ body: string }>('SELECT body FROM incidents WHERE id = $1', [id]);
      return r.rows[0] ? (JSON.parse(r.rows[0].body) as IncidentItem) : undefined;
    });
  }

  async query(q: IncidentQuery): Promise<IncidentPage> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const arg = (v: string | number) => (args.push(v), `$${args.length}`);
    // A cause alone (with a verdict or a time range) walks that cause's own index in the list's
    // order, joined to its incidents. With a namespace, workload or node as well, the incidents'
    // index of that column leads and each row's cause is one primary-key probe: led by the cause,
    // a small namespace made PostgreSQL walk a whole cause (p50 324 ms at a million incidents).
    // A cluster (a handful of values) never leads.
    const viaCause =
      q.cause !== undefined && q.namespace === undefined && q.workload === undefined && q.node === undefined;
    const t = viaCause ? 'c' : 'i';
    for (const col of ['cluster', 'namespace', 'workload', 'node'] as const) {
      const v = q[col];
      if (v !== undefined) where.push(`i.${col} = ${arg(v)}`);
    }
    if (viaCause) {
      where.push(`c.cause = ${arg(q.cause!)}`);
      if (q.verdict !== undefined) where.push(`c.verdict = ${arg(q.verdict)}`);
    } else if (q.cause !== undefined)
      where.push(
        `EXISTS (SELECT 1 FROM incident_causes c WHERE c.cause = ${arg(q.cause)} AND c.id = i.id${q.verdict !== undefined ? ` AND c.verdict = ${arg(q.verdict)}` : ''})`,
      );
    else if (q.verdict !== undefined) where.push(`i.top_verdict = ${arg(q.verdict)}`);
    if (q.since !== undefined) where.push(`${t}.at >= ${arg(timeOf(q.since, 'since'))}`);
    if (q.until !== undefined) where.push(`${t}.at < ${arg(timeOf(q.until, 'until'))}`);
    if (q.cursor !== undefined) {
      const [at, id] = decodeCursor(q.cursor);
      where.push(`(${t}.at, ${t}.id) < (${arg(at)}, ${arg(id)})`);
    }
    const limit = pageSize(q.limit);
    const from = q.cause !== undefined ? 'incident_causes c JOIN incidents i ON i.id = c.id' : 'incidents i';
    return this.run(async () => {
      const r = await this.pool.query<{ body: string; at: string; id: string }>(
        `SELECT i.body, ${t}.at, ${t}.id FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${t}.at DESC, ${t}.id DESC LIMIT ${arg(limit + 1)}`,
        args,
      );
      const page = r.rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map((row) => JSON.parse(row.body) as IncidentItem),
        next: r.rows.length > limit && last ? encodeCursor(Number(last.at), last.id) : null,
      };
    });
  }

  async countsByDay(q: IncidentQuery): Promise<DayCount[]> {
    const args: (string | number)[] = [];
    const sql = dayCountsSql(q, (v) => (args.push(v), `$${args.length}`));
    return this.run(async () => dayCountsOf((await this.pool.query(sql, args)).rows));
  }

  async countBy(q: IncidentQuery, key: CountKey, limit = 50): Promise<KeyCount[]> {
    const args: (string | number)[] = [];
    const sql = keyCountsSql(q, key, limit, (v) => (args.push(v), `$${args.length}`));
    return this.run(async () => keyCountsOf((await this.pool.query(sql, args)).rows));
  }

  async putLimits(reading: NodeLimits): Promise<void> {
    await this.run(() =>
      this.pool.query(
        `INSERT INTO node_limits (node, recorded_at, body) VALUES ($1, $2, $3)
         ON CONFLICT (node, recorded_at) DO UPDATE SET body = EXCLUDED.body`,
        [reading.node, Date.parse(reading.recordedAt) || Date.now(), JSON.stringify(reading)],
      ),
    );
  }

  async limits(node: string, limit = 1): Promise<NodeLimits[]> {
    return this.run(async () => {
      const r = await this.pool.query<{ body: string }>(
        'SELECT body FROM node_limits WHERE node = $1 ORDER BY recorded_at DESC LIMIT $2',
        [node, Math.max(1, Math.min(limit, 10_000))],
      );
      return r.rows.map((row) => JSON.parse(row.body) as NodeLimits);
    });
  }

  /** Deletes what retention no longer keeps; returns how many incidents went. Safe on every replica at once. */
  async prune(retention: PgRetention = {}, now = Date.now()): Promise<number> {
    const maxAgeMs = retention.maxAgeMs ?? 90 * 24 * 3600_000;
    const keep = retention.maxLimitReadings ?? 2880;
    return this.run(async () => {
      const r = await this.pool.query('DELETE FROM incidents WHERE recorded_at < $1', [now - maxAgeMs]);
      await this.pool.query(
        `DELETE FROM node_limits l USING (
           SELECT node, recorded_at, ROW_NUMBER() OVER (PARTITION BY node ORDER BY recorded_at DESC) AS n
           FROM node_limits) o
         WHERE l.node = o.node AND l.recorded_at = o.recorded_at AND (o.n > $1 OR l.recorded_at < $2)`,
        [keep, now - maxAgeMs],
      );
      return r.rowCount ?? 0;
    });
  }

  /** undefined when the database answers; else one sentence (for /readyz). */
  async problem(): Promise<string | undefined> {
    try {
      await this.pool.query('SELECT 1');
      return undefined;
    } catch (err) {
      return this.sentence(err);
    }
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
