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

export interface IncidentStore {
  /** Stores items idempotently by id: an id already stored counts as a duplicate and changes nothing. */
  put(items: IncidentItem[]): PutResult;
  has(id: string): boolean;
  get(id: string): IncidentItem | undefined;
  query(q: IncidentQuery): IncidentPage;
  putLimits(reading: NodeLimits): void;
  /** The newest reading first, at most `limit`. */
  limits(node: string, limit?: number): NodeLimits[];
  close(): void;
}

/** A query parameter that is not acceptable: one sentence for a 400 answer. */
export class QueryError extends Error {}
