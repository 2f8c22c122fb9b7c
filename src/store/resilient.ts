// The agent's store as the agent needs it: a database that is corrupt, locked by another process,
// read-only or on a full disk gets one sentence (for the log, /readyz and a metric), the incidents
// recorded meanwhile wait in memory (bounded) and the file is reopened on a timer until it works.
// The agent keeps serving metrics and recording exits the whole time.
import { SqliteStore, type Retention } from './sqlite.js';
import {
  QueryError,
  StoreUnavailable,
  type CountKey,
  type DayCount,
  type IncidentItem,
  type IncidentPage,
  type IncidentQuery,
  type KeyCount,
  type NodeLimits,
  type PutResult,
} from './types.js';

/** Incidents held in memory while the database cannot be written (a few MiB at most). */
const MAX_PENDING = 1000;

export { StoreUnavailable };

/** One sentence for what went wrong with the database file. */
export function storeProblem(path: string, err: unknown): string {
  const code = (err as { code?: string }).code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (/CORRUPT|NOTADB/.test(code) || /not a database|malformed/.test(msg))
    return `${path} is not a usable SQLite database (corrupt or another kind of file): move it aside and the agent starts a new one.`;
  if (/BUSY|LOCKED/.test(code)) return `${path} is locked by another process (is a second agent running?).`;
  if (/READONLY|CANTOPEN|PERM|AUTH/.test(code) || /EACCES|EROFS|read-only|permission/i.test(msg))
    return `${path} cannot be written (permissions or a read-only filesystem): incidents are kept in memory until it can.`;
  if (/FULL/.test(code))
    return `${path}: the disk is full; incidents are kept in memory until there is room.`;
  return `${path} cannot be used (${code || msg}).`;
}

export class ResilientStore {
  private db?: SqliteStore;
  private pending: IncidentItem[] = [];
  private timer?: NodeJS.Timeout;
  /** The current problem, one sentence; undefined when the database works. */
  problem?: string;
  /** Incidents dropped because the memory queue was full. */
  dropped = 0;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly retention: Retention = {},
    private readonly retryMs = 5000,
    private readonly onProblem: (sentence: string | undefined) => void = () => undefined,
  ) {
    this.open();
  }

  get up(): boolean {
    return this.db !== undefined;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  private open(): void {
    if (this.closed) return;
    try {
      this.db = new SqliteStore(this.path, this.retention);
      if (this.pending.length) this.flush();
      if (this.db) this.setProblem(undefined);
    } catch (err) {
      this.fail(err);
    }
  }

  private setProblem(p: string | undefined): void {
    if (p === this.problem) return;
    this.problem = p;
    this.onProblem(p);
  }

  private fail(err: unknown): void {
    this.setProblem(storeProblem(this.path, err));
    try {
      this.db?.close();
    } catch {
      // already unusable
    }
    this.db = undefined;
    if (!this.timer && !this.closed)
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.open();
      }, this.retryMs).unref();
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    try {
      this.db!.put(batch);
    } catch (err) {
      this.pending = batch;
      this.fail(err);
    }
  }

  /** Stores items; while the database is down they wait in memory and count as accepted. */
  put(items: IncidentItem[]): PutResult {
    if (this.db) {
      try {
        const r = this.db.put(items);
        return r;
      } catch (err) {
        this.fail(err);
      }
    }
    const fresh = items.filter((i) => !this.pending.some((p) => p.id === i.id));
    for (const i of fresh) {
      if (this.pending.length >= MAX_PENDING) {
        this.pending.shift();
        this.dropped++;
      }
      this.pending.push(i);
    }
    return { accepted: fresh.length, duplicates: items.length - fresh.length };
  }

  /** Known already (stored, or waiting to be): a recorder never diagnoses one exit twice. */
  has(id: string): boolean {
    if (this.pending.some((p) => p.id === id)) return true;
    return this.guard(() => this.db!.has(id), false);
  }

  get(id: string): IncidentItem | undefined {
    return this.pending.find((p) => p.id === id) ?? this.read(() => this.db!.get(id));
  }

  query(q: IncidentQuery): IncidentPage {
    return this.read(() => this.db!.query(q));
  }

  countsByDay(q: IncidentQuery): DayCount[] {
    return this.read(() => this.db!.countsByDay(q));
  }

  countBy(q: IncidentQuery, key: CountKey, limit?: number): KeyCount[] {
    return this.read(() => this.db!.countBy(q, key, limit));
  }

  putLimits(reading: NodeLimits): void {
    this.guard(() => this.db!.putLimits(reading), undefined);
  }

  limits(node: string, limit?: number): NodeLimits[] {
    return this.read(() => this.db!.limits(node, limit));
  }

  prune(): number {
    return this.guard(() => this.db!.prune(), 0);
  }

  count(): number | undefined {
    return this.guard(() => this.db!.count(), undefined);
  }

  private guard<T>(f: () => T, fallback: T): T {
    if (!this.db) return fallback;
    try {
      return f();
    } catch (err) {
      this.fail(err);
      return fallback;
    }
  }

  private read<T>(f: () => T): T {
    if (!this.db) throw new StoreUnavailable(this.problem ?? `${this.path} is not open.`);
    try {
      return f();
    } catch (err) {
      if (err instanceof QueryError) throw err;
      this.fail(err);
      throw new StoreUnavailable(this.problem ?? `${this.path} is not open.`);
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.db?.close();
    this.db = undefined;
  }
}
