// The built agent with --server and --token-file against the built server, both real processes: the
// history the agent's SQLite already holds reaches the server at start-up, a restart pushes it again
// as duplicates (nothing stored twice), and --server without --token-file is refused in one line.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import type { IncidentPage } from '../../src/store/types.js';
import { builtCli } from '../lab/harness/index.js';
import { startAgent, until } from '../agent/helpers.js';
import { startServer, type RunningServer } from './helpers.js';
import { item } from './items.js';

const dir = mkdtempSync(join(tmpdir(), 'podmortem-agent-push-'));
const root = join(dir, 'root'); // a host with no runtime: the agent serves and pushes, and retries the runtime
const db = join(dir, 'agent', 'agent.db');
const tokenFile = join(dir, 'token');
let server: RunningServer;

beforeAll(async () => {
  mkdirSync(root);
  writeFileSync(tokenFile, 'fleet-token-42\n');
  const store = new SqliteStore(db);
  store.put([item(1, { node: 'n1' }), item(2, { node: 'n1' }), item(3, { node: 'n1' })]);
  store.close();
  server = await startServer(['--store', `sqlite://${join(dir, 'fleet.db')}`, '--token-file', tokenFile]);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stored = async () =>
  ((await (await fetch(`${server.url}/api/v1/incidents?node=n1`)).json()) as IncidentPage).items;
const counter = async (result: string) => {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(
    new RegExp(`podmortem_server_incidents_total\\{result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0,
  );
};

describe('podmortem agent --server', () => {
  it("pushes the node's stored history to the server, and again as duplicates after a restart", async () => {
    const args = [
      '--db',
      db,
      '--root',
      root,
      '--node-name',
      'n1',
      '--server',
      server.url,
      '--token-file',
      tokenFile,
    ];
    const agent = await startAgent(args);
    try {
      const items = await until(stored, (v) => v.length === 3, 30_000, 'three incidents on the server');
      expect(items.map((i) => i.id).sort()).toEqual([1, 2, 3].map((n) => item(n, { node: 'n1' }).id).sort());
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const again = await startAgent(args);
    try {
      await until(
        () => counter('duplicate'),
        (n) => n === 3,
        30_000,
        'three duplicates counted',
      );
      expect(await stored()).toHaveLength(3);
      expect(await counter('accepted')).toBe(3);
    } finally {
      expect(await again.stop()).toBe(0);
    }
  });

  it('refuses --server without --token-file in one line, exit 1', () => {
    const r = spawnSync(
      process.execPath,
      [builtCli(), 'agent', '--root', root, '--db', db, '--server', server.url],
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'podmortem: --server needs --token-file (the bearer token the server expects).',
    ]);
  });
});
