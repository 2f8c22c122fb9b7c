// The web UI's summaries (counts per day and cause, counts per node, cause, workload), written once
// for SQLite and PostgreSQL: the SQL differs only in how a parameter is written (? or $n), which the
// caller's `arg` decides. Every summary reads one bounded time window through the same indexes as the
// list ((column, at) and incident_causes' (cause, id)), and returns at most a LIMIT of rows.
import { timeOf } from './paging.js';
import { QueryError, type CountKey, type DayCount, type IncidentQuery, type KeyCount } from './types.js';

export const DAY_MS = 86_400_000;
/** The window when the query names none: the last 30 days. */
export const DEFAULT_DAYS = 30;
/** The widest window a summary reads, whatever since and until say. */
export const MAX_DAYS = 92;
/** Rows a per-day summary returns at most (92 days of 50 causes and more). */
const MAX_DAY_ROWS = 5000;

/** Appends a value to the statement's parameters and returns its placeholder. */
export type Arg = (v: string | number) => string;

/** [from, to) in ms: until (else now) back to since (else 30 days), never wider than 92 days. */
export function statsWindow(q: IncidentQuery, now = Date.now()): { from: number; to: number } {
  const to = q.until !== undefined ? timeOf(q.until, 'until') : now;
  let from = q.since !== undefined ? timeOf(q.since, 'since') : to - DEFAULT_DAYS * DAY_MS;
  if (from >= to) throw new QueryError('since must be before until.');
  from = Math.max(from, to - MAX_DAYS * DAY_MS);
  return { from, to };
}

/** The WHERE clauses of the list's filters (not its cursor) over `incidents i`, the window included. */
export function filterClauses(q: IncidentQuery, arg: Arg, now?: number): string[] {
  const where: string[] = [];
  for (const col of ['cluster', 'namespace', 'workload', 'node'] as const) {
    const v = q[col];
    if (v !== undefined) where.push(`i.${col} = ${arg(v)}`);
  }
  if (q.cause !== undefined)
    where.push(
      `EXISTS (SELECT 1 FROM incident_causes c WHERE c.cause = ${arg(q.cause)} AND c.id = i.id${q.verdict !== undefined ? ` AND c.verdict = ${arg(q.verdict)}` : ''})`,
    );
  else if (q.verdict !== undefined) where.push(`i.top_verdict = ${arg(q.verdict)}`);
  const { from, to } = statsWindow(q, now);
  where.push(`i.at >= ${arg(from)}`, `i.at < ${arg(to)}`);
  return where;
}

export function dayCountsSql(q: IncidentQuery, arg: Arg, now?: number): string {
  const where = filterClauses(q, arg, now);
  return `SELECT i.at / ${DAY_MS} AS d, COALESCE(i.top_cause, '') AS k, COUNT(*) AS n
          FROM incidents i WHERE ${where.join(' AND ')}
          GROUP BY i.at / ${DAY_MS}, COALESCE(i.top_cause, '') ORDER BY d, k LIMIT ${arg(MAX_DAY_ROWS)}`;
}

const COLUMN: Record<CountKey, string> = {
  node: 'i.node',
  cause: "COALESCE(i.top_cause, '')",
  workload: 'i.workload',
  namespace: 'i.namespace',
  cluster: 'i.cluster',
};

export function keyCountsSql(q: IncidentQuery, key: CountKey, limit: number, arg: Arg, now?: number): string {
  const where = filterClauses(q, arg, now);
  const col = COLUMN[key];
  return `SELECT ${col} AS k, COUNT(*) AS n, MAX(i.at) AS last
          FROM incidents i WHERE ${where.join(' AND ')}
          GROUP BY ${col} ORDER BY n DESC, k LIMIT ${arg(Math.max(1, Math.min(limit, 500)))}`;
}

/** Rows as either driver returns them (PostgreSQL's bigint and COUNT come back as strings). */
type Num = number | string | bigint;

export function dayCountsOf(rows: { d: Num; k: string; n: Num }[]): DayCount[] {
  return rows.map((r) => ({
    day: new Date(Number(r.d) * DAY_MS).toISOString().slice(0, 10),
    cause: r.k,
    count: Number(r.n),
  }));
}

export function keyCountsOf(rows: { k: string; n: Num; last: Num }[]): KeyCount[] {
  return rows.map((r) => ({ key: r.k, count: Number(r.n), last: new Date(Number(r.last)).toISOString() }));
}
