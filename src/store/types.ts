// What the incident history stores and answers, whatever keeps it (the agent's SQLite file, a fleet
// server's database): items are the contract's incidents plus where and when they were recorded.
import type { Incident, LimitUsage } from '../evidence/types.js';

/** One stored incident: the JSON report's incident plus `id`, `node`, `cluster`, `recordedAt` (the contract's API item). */
export type IncidentItem = Incident & {
  id: string;
  node: string;
  cluster: string;
  /** RFC 3339, when the recorder stored it. */
  recordedAt: string;
};

/** The contract's filters of GET /api/v1/incidents. */
export interface IncidentQuery {
  /** Not a filter of the contract's API: the web UI's (a fleet server holds several clusters). */
  cluster?: string;
  namespace?: string;
  workload?: string;
  node?: string;
  /** Incidents with this cause among their candidates (not ruled out). */
  cause?: string;
  /** The incident's top verdict; with `cause`, that cause's verdict. */
  verdict?: string;
  /** RFC 3339: exits at or after (finish time, else the recording time). */
  since?: string;
  /** RFC 3339: exits before. */
  until?: string;
  /** Page size, 1..500 (default 50). */
  limit?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

export interface IncidentPage {
  items: IncidentItem[];
  /** The cursor of the next page; null at the end. */
  next: string | null;
}

export interface PutResult {
  accepted: number;
  duplicates: number;
}

/** One reading of a node's limits. */
export interface NodeLimits {
  node: string;
  recordedAt: string;
  limits: LimitUsage[];
}

/** A value now (the agent's SQLite answers synchronously) or later (PostgreSQL answers over a socket). */
export type Awaitable<T> = T | Promise<T>;

/** Incidents of one UTC day whose top cause is `cause` ('' when none was recognized). */
export interface DayCount {
  /** YYYY-MM-DD, UTC. */
  day: string;
  cause: string;
  count: number;
}

/** What incidents can be counted by: their node, top cause ('' for none), workload, namespace or cluster. */
export type CountKey = 'node' | 'cause' | 'workload' | 'namespace' | 'cluster';

export interface KeyCount {
  key: string;
  count: number;
  /** RFC 3339: the latest exit counted. */
  last: string;
}

/**
 * The web UI's summaries, over the list's filters within a bounded time window (stats.ts: since/until,
 * 30 days by default, at most 92): the work is bounded by the window and the output by a LIMIT.
 */
export interface IncidentStats {
  /** Incidents per UTC day and top cause, oldest day first. */
  countsByDay(q: IncidentQuery): Awaitable<DayCount[]>;
  /** Incidents grouped by `key`, most first, at most `limit` groups. */
  countBy(q: IncidentQuery, key: CountKey, limit?: number): Awaitable<KeyCount[]>;
}

/** What the HTTP API and the web UI read, from any store. */
export interface IncidentReader extends IncidentStats {
  get(id: string): Awaitable<IncidentItem | undefined>;
  query(q: IncidentQuery): Awaitable<IncidentPage>;
  /** The newest reading first, at most `limit`. */
  limits(node: string, limit?: number): Awaitable<NodeLimits[]>;
}

/**
 * Every store: SQLite implements it synchronously, PostgreSQL with promises; callers `await` either.
 */
export interface IncidentStore extends IncidentReader {
  /** Stores items idempotently by id: an id already stored counts as a duplicate and changes nothing. */
  put(items: IncidentItem[]): Awaitable<PutResult>;
  has(id: string): Awaitable<boolean>;
  putLimits(reading: NodeLimits): Awaitable<void>;
  close(): Awaitable<void>;
}

/** A query parameter that is not acceptable: one sentence for a 400 answer. */
export class QueryError extends Error {}

/** The store cannot answer now (a database down, unreachable, full): one sentence for a 503 answer. */
export class StoreUnavailable extends Error {}
