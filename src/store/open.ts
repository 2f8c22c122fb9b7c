// --store as the server takes it: sqlite:///PATH (the embedded default, one file) or
// postgres://... (a fleet: several server replicas share it). PostgreSQL's client is loaded only
// when asked for, so the agent and the SQLite server never load it.
import { SqliteStore } from './sqlite.js';
import { StoreUnavailable, type IncidentStore } from './types.js';

export interface OpenedStore {
  store: IncidentStore;
  /** What it is, for the log (no password). */
  describe: string;
  /** undefined when the store answers; else one sentence for /readyz. */
  problem: () => Promise<string | undefined>;
  /** Deletes what retention no longer keeps. */
  prune: () => Promise<number>;
}

export class StoreSpecError extends Error {}

export async function openStore(spec: string): Promise<OpenedStore> {
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const { PgStore, redactUrl } = await import('./postgres.js');
    const store = await PgStore.open(spec);
    return {
      store,
      describe: `PostgreSQL at ${redactUrl(spec)}`,
      problem: () => store.problem(),
      prune: () => store.prune(),
    };
  }
  const m = /^sqlite:\/\/(\/.+)$/.exec(spec);
  if (!m)
    throw new StoreSpecError(
      `--store ${spec}: expected sqlite:///PATH (such as sqlite:///var/lib/podmortem/server.db) or postgres://USER:PASSWORD@HOST:PORT/DB.`,
    );
  const path = decodeURIComponent(m[1]!);
  let store: SqliteStore;
  try {
    // 4 GiB: written out, because 4 << 30 overflows 32 bits to 0 (which pruned everything).
    store = new SqliteStore(path, { maxBytes: 4 * 1024 ** 3, maxAgeMs: 90 * 24 * 3600_000 });
  } catch (err) {
    throw new StoreUnavailable(`--store ${spec}: ${err instanceof Error ? err.message : String(err)}.`);
  }
  return {
    store,
    describe: `SQLite at ${path}`,
    problem: () => Promise.resolve(undefined),
    prune: () => Promise.resolve(store.prune()),
  };
}
