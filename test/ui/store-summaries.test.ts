// The store's summaries behind the UI's charts and count tables, on the agent's SQLite store: counts
// per UTC day and top cause, counts by node/cause/workload, the list's filters applied, a window of
// 30 days by default and never over 92, a bounded number of groups; and an agent's existing database
// (schema 1) gains the UI's indexes when opened.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION, SqliteStore } from '../../src/store/sqlite.js';
import { QueryError, type IncidentItem } from '../../src/store/types.js';
import { item } from '../server/items.js';

const DAY = 86_400_000;
const dir = mkdtempSync(join(tmpdir(), 'podmortem-summaries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** item(n) moved to `daysAgo` days before the end of the window, with its top cause. */
function at(n: number, end: number, daysAgo: number, cause?: string): IncidentItem {
  const base = item(n, cause ? { cause } : {});
  const finishedAt = new Date(end - daysAgo * DAY - 1000).toISOString();
  return { ...base, subject: { ...base.subject, finishedAt } };
}

describe('summaries on SQLite', () => {
  const end = Date.UTC(2026, 10, 30);
  const until = new Date(end).toISOString();
  const store = new SqliteStore(':memory:');
  const noCause = { ...at(9, end, 0), causes: [] } as IncidentItem;
  store.put([
    at(1, end, 0, 'kernel.pid_max'),
    at(2, end, 0, 'kernel.pid_max'),
    at(3, end, 1, 'rlimit.nofile'),
    at(5, end, 29, 'rlimit.nofile'),
    at(6, end, 31, 'rlimit.nofile'), // outside the default 30 days
    at(7, end, 100, 'rlimit.nofile'), // outside even the widest window
    noCause,
  ]);

  it('counts per UTC day and top cause over the last 30 days by default', () => {
    expect(store.countsByDay({ until })).toEqual([
      { day: '2026-10-31', cause: 'rlimit.nofile', count: 1 },
      { day: '2026-11-28', cause: 'rlimit.nofile', count: 1 },
      { day: '2026-11-29', cause: '', count: 1 },
      { day: '2026-11-29', cause: 'kernel.pid_max', count: 2 },
    ]);
  });

  it('applies the filters and clamps the window to 92 days', () => {
    const since = new Date(end - 200 * DAY).toISOString();
    expect(store.countsByDay({ since, until, cause: 'rlimit.nofile' }).map((d) => d.count)).toEqual([
      1, 1, 1,
    ]);
    expect(store.countsByDay({ until, node: item(1).node }).reduce((n, d) => n + d.count, 0)).toBe(1);
    expect(() => store.countsByDay({ since: until, until })).toThrow(QueryError);
  });

  it('counts by key, most first, at most `limit` groups', () => {
    const byCause = store.countBy({ until }, 'cause');
    expect(byCause.map((k) => [k.key, k.count])).toEqual([
      ['kernel.pid_max', 2],
      ['rlimit.nofile', 2],
      ['', 1],
    ]);
    expect(byCause[0]!.last).toBe(new Date(end - 1000).toISOString());
    expect(store.countBy({ until }, 'node', 1)).toHaveLength(1);
    expect(store.countBy({ until, cluster: 'prod' }, 'cluster')).toEqual([
      { key: 'prod', count: 5, last: new Date(end - 1000).toISOString() },
    ]);
  });

  it('adds the UI indexes to an agent database of schema 1', () => {
    const path = join(dir, 'agent.db');
    new SqliteStore(path).close();
    const raw = new Database(path);
    // Schema 1 as it shipped: without the UI's indexes (2) nor the cause rows' exit time (3).
    raw.exec(
      'DROP INDEX incidents_cluster; DROP INDEX incidents_at_cause; DROP INDEX incident_causes_at; DROP INDEX incident_causes_verdict_at; ALTER TABLE incident_causes DROP COLUMN at',
    );
    raw.pragma('user_version = 1');
    raw.close();
    new SqliteStore(path).close();
    const again = new Database(path);
    const names = (
      again.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as { name: string }[]
    ).map((r) => r.name);
    expect(names).toEqual(
      expect.arrayContaining(['incidents_cluster', 'incidents_at_cause', 'incident_causes_at']),
    );
    expect(again.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    again.close();
  });
});
