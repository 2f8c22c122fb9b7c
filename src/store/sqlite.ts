// The incident history in one SQLite file (better-sqlite3 12, WAL): one row per incident id with the
// item's JSON, the columns the contract's filters need (indexed), the non-ruled-out causes in a side
// table for the `cause` filter, node limit readings, a schema version in PRAGMA user_version with
// forward-only migrations, and retention by age and by size. Every call is synchronous and short:
// the agent's event loop never waits on a lock for long (busy_timeout bounds it).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { decodeCursor, encodeCursor, pageSize, timeOf } from './paging.js';
import { dayCountsOf, dayCountsSql, keyCountsOf, keyCountsSql } from './stats.js';
import { workloadOf } from './workload.js';
import {
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
     id TEXT PRIMARY KEY,
     at INTEGER NOT NULL,            -- the exit's finish time (ms), else the recording time
     recorded_at INTEGER NOT NULL,
     node TEXT NOT NULL,
     cluster TEXT NOT NULL,
     namespace TEXT NOT NULL,
     pod TEXT NOT NULL,
     container TEXT NOT NULL,
     workload TEXT NOT NULL,
     top_cause TEXT,
     top_verdict TEXT,
     body TEXT NOT NULL,
     size INTEGER NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX incidents_at ON incidents (at DESC, id DESC);
   CREATE INDEX incidents_namespace ON incidents (namespace, at DESC);
   CREATE INDEX incidents_workload ON incidents (workload, at DESC);
   CREATE INDEX incidents_node ON incidents (node, at DESC);
   CREATE INDEX incidents_verdict ON incidents (top_verdict, at DESC);
   CREATE INDEX incidents_recorded ON incidents (recorded_at);
   CREATE TABLE incident_causes (
     id TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
     cause TEXT NOT NULL,
     verdict TEXT NOT NULL,
     PRIMARY KEY (cause, id)
   ) WITHOUT ROWID;
   CREATE INDEX incident_causes_id ON incident_causes (id);
   CREATE TABLE node_limits (
     node TEXT NOT NULL,
     recorded_at INTEGER NOT NULL,
     body TEXT NOT NULL,
     PRIMARY KEY (node, recorded_at)
   ) WITHOUT ROWID;`,
  // The web UI filters by cluster (a server on SQLite may hold several), and its per-day chart by
  // cause reads (at, top_cause) from an index alone instead of every row's JSON.
  `CREATE INDEX incidents_cluster ON incidents (cluster, at DESC);
   CREATE INDEX incidents_at_cause ON incidents (at, top_cause);`,
  // 3: the exit time in each cause row, so the `cause` filter walks one index in the list's order
  // instead of every incident newest first (as in PostgreSQL's migration 2; bench/server-scale.mjs).
  `ALTER TABLE incident_causes ADD COLUMN at INTEGER;
   UPDATE incident_causes SET at = (SELECT i.at FROM incidents i WHERE i.id = incident_causes.id);
   CREATE INDEX incident_causes_at ON incident_causes (cause, at DESC, id DESC);
   CREATE INDEX incident_causes_verdict_at ON incident_causes (cause, verdict, at DESC, id DESC);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export interface Retention {
  /** Incidents older than this (by recording time) are deleted; default 30 days. */
  maxAgeMs?: number;
  /** Total stored JSON above this deletes the oldest incidents; default 256 MiB. */
  maxBytes?: number;
  /** Limit readings kept per node; default 2880 (10 days at one every 5 minutes). */
  maxLimitReadings?: number;
}

const DEFAULT_RETENTION: Required<Retention> = {
  maxAgeMs: 30 * 24 * 3600_000,
  maxBytes: 256 << 20,
  maxLimitReadings: 2880,
};

interface Row {
  body: string;
  at: number;
  id: string;
}

export class SqliteStore implements IncidentStore {
  private readonly db: Database.Database;
  private readonly retention: Required<Retention>;

  /** Opens (creating when missing) and migrates; throws on a file that is not a database, locked or unwritable. */
  constructor(
    readonly path: string,
    retention: Retention = {},
  ) {
    this.retention = { ...DEFAULT_RETENTION, ...retention };
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path, { timeout: 2000 });
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('foreign_keys = ON');
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version > SCHEMA_VERSION)
      throw new Error(
        `schema version ${version} is newer than this podmortem knows (${SCHEMA_VERSION}); upgrade podmortem`,
      );
    for (let v = version; v < SCHEMA_VERSION; v++)
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
  }

  put(items: IncidentItem[]): PutResult {
    const insert = this.db.prepare(
      `INSERT OR IGNORE INTO incidents (id, at, recorded_at, node, cluster, namespace, pod, container, workload, top_cause, top_verdict, body, size)
       VALUES (@id, @at, @recordedAt, @node, @cluster, @namespace, @pod, @container, @workload, @topCause, @topVerdict, @body, @size)`,
    );
    const cause = this.db.prepare(
      'INSERT OR IGNORE INTO incident_causes (id, cause, verdict, at) VALUES (?, ?, ?, ?)',
    );
    const out: PutResult = { accepted: 0, duplicates: 0 };
    this.db.transaction(() => {
      for (const item of items) {
        const body = JSON.stringify(item);
        const s = item.subject;
        const recordedAt = Date.parse(item.recordedAt) || Date.now();
        const top = item.causes[0];
        const at = (s.finishedAt ? Date.parse(s.finishedAt) : NaN) || recordedAt;
        const r = insert.run({
          id: item.id,
          at,
          recordedAt,
          node: item.node,
          cluster: item.cluster,
          namespace: s.namespace ?? '',
          pod: s.pod ?? '',
          container: s.container ?? '',
          workload: workloadOf(s),
          topCause: top?.id ?? null,
          topVerdict: top?.verdict ?? null,
          body,
          size: Buffer.byteLength(body),
        });
        if (r.changes === 0) {
          out.duplicates++;
          continue;
        }
        out.accepted++;
        for (const c of item.causes) if (c.verdict !== 'ruled-out') cause.run(item.id, c.id, c.verdict, at);
      }
    })();
    return out;
  }

  has(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM incidents WHERE id = ?').get(id) !== undefined;
  }

  get(id: string): IncidentItem | undefined {
    const row = this.db.prepare('SELECT body FROM incidents WHERE id = ?').get(id) as
      { body: string } | undefined;
    return row ? (JSON.parse(row.body) as IncidentItem) : undefined;
  }

  query(q: IncidentQuery): IncidentPage {
    const where: string[] = [];
    const args: (string | number)[] = [];
    // A cause alone walks that cause's own index, joined to its incidents; with a namespace,
    // workload or node as well, that column's index leads (as in the PostgreSQL store).
    const viaCause =
      q.cause !== undefined && q.namespace === undefined && q.workload === undefined && q.node === undefined;
    const t = viaCause ? 'c' : 'i';
    for (const col of ['cluster', 'namespace', 'workload', 'node'] as const) {
      const v = q[col];
      if (v !== undefined) {
        where.push(`i.${col} = ?`);
        args.push(v);
      }
    }
    if (viaCause) {
      where.push('c.cause = ?');
      args.push(q.cause!);
      if (q.verdict !== undefined) {
        where.push('c.verdict = ?');
        args.push(q.verdict);
      }
    } else if (q.cause !== undefined) {
      where.push(
        `EXISTS (SELECT 1 FROM incident_causes c WHERE c.cause = ? AND c.id = i.id${q.verdict !== undefined ? ' AND c.verdict = ?' : ''})`,
      );
      args.push(q.cause, ...(q.verdict !== undefined ? [q.verdict] : []));
    } else if (q.verdict !== undefined) {
      // `+` keeps SQLite off the verdict index (four values) when a namespace, workload or node
      // index can lead: without statistics it chose the verdict and sorted a fifth of the table
      // (bench/server-scale.mjs, workload+verdict at 200,000 incidents).
      const led = q.namespace !== undefined || q.workload !== undefined || q.node !== undefined;
      where.push(`${led ? '+' : ''}i.top_verdict = ?`);
      args.push(q.verdict);
    }
    if (q.since !== undefined) {
      where.push(`${t}.at >= ?`);
      args.push(timeOf(q.since, 'since'));
    }
    if (q.until !== undefined) {
      where.push(`${t}.at < ?`);
      args.push(timeOf(q.until, 'until'));
    }
    if (q.cursor !== undefined) {
      // A row value: SQLite turns it into one range of the index, where the OR form scanned.
      const [at, id] = decodeCursor(q.cursor);
      where.push(`(${t}.at, ${t}.id) < (?, ?)`);
      args.push(at, id);
    }
    const limit = pageSize(q.limit);
    const from = q.cause !== undefined ? 'incident_causes c JOIN incidents i ON i.id = c.id' : 'incidents i';
    const rows = this.db
      .prepare(
        `SELECT i.body, ${t}.at AS at, ${t}.id AS id FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY ${t}.at DESC, ${t}.id DESC LIMIT ?`,
      )
      .all(...args, limit + 1) as Row[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return {
      items: page.map((r) => JSON.parse(r.body) as IncidentItem),
      next: rows.length > limit && last ? encodeCursor(last.at, last.id) : null,
    };
  }

  countsByDay(q: IncidentQuery): DayCount[] {
    const args: (string | number)[] = [];
    const sql = dayCountsSql(q, (v) => (args.push(v), '?'));
    return dayCountsOf(this.db.prepare(sql).all(...args) as { d: number; k: string; n: number }[]);
  }

  countBy(q: IncidentQuery, key: CountKey, limit = 50): KeyCount[] {
    const args: (string | number)[] = [];
    const sql = keyCountsSql(q, key, limit, (v) => (args.push(v), '?'));
    return keyCountsOf(this.db.prepare(sql).all(...args) as { k: string; n: number; last: number }[]);
  }

  putLimits(reading: NodeLimits): void {
    this.db
      .prepare('INSERT OR REPLACE INTO node_limits (node, recorded_at, body) VALUES (?, ?, ?)')
      .run(reading.node, Date.parse(reading.recordedAt) || Date.now(), JSON.stringify(reading));
  }

  limits(node: string, limit = 1): NodeLimits[] {
    const rows = this.db
      .prepare('SELECT body FROM node_limits WHERE node = ? ORDER BY recorded_at DESC LIMIT ?')
      .all(node, Math.max(1, Math.min(limit, 10_000))) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as NodeLimits);
  }

  /** Deletes what retention no longer keeps; returns how many incidents went. */
  prune(now = Date.now()): number {
    const { maxAgeMs, maxBytes, maxLimitReadings } = this.retention;
    return this.db.transaction(() => {
      let removed = this.db
        .prepare('DELETE FROM incidents WHERE recorded_at < ?')
        .run(now - maxAgeMs).changes;
      const total = (
        this.db.prepare('SELECT COALESCE(SUM(size), 0) AS n FROM incidents').get() as { n: number }
      ).n;
      if (total > maxBytes) {
        // The oldest first, until the rest fits.
        let excess = total - maxBytes;
        const oldest = this.db
          .prepare('SELECT id, size FROM incidents ORDER BY recorded_at ASC, at ASC, id ASC')
          .iterate() as IterableIterator<{ id: string; size: number }>;
        const doomed: string[] = [];
        for (const r of oldest) {
          if (excess <= 0) break;
          doomed.push(r.id);
          excess -= r.size;
        }
        const del = this.db.prepare('DELETE FROM incidents WHERE id = ?');
        for (const id of doomed) removed += del.run(id).changes;
      }
      this.db
        .prepare(
          `DELETE FROM node_limits WHERE (node, recorded_at) IN (
               SELECT node, recorded_at FROM (
                 SELECT node, recorded_at, ROW_NUMBER() OVER (PARTITION BY node ORDER BY recorded_at DESC) AS n
                 FROM node_limits) WHERE n > ?)`,
        )
        .run(maxLimitReadings);
      this.db.prepare('DELETE FROM node_limits WHERE recorded_at < ?').run(now - maxAgeMs);
      return removed;
    })();
  }

  count(): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM incidents').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
