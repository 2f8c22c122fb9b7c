// The database URL (with its password) can come from PODMORTEM_STORE instead of --store, so it never
// shows in the server's command line (`ps`, /proc/<pid>/cmdline); deploy/server relies on it.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers.js';

let running: RunningServer | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('podmortem server --store from PODMORTEM_STORE', () => {
  it('opens the store the environment names, and the URL is not in the command line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-store-env-'));
    const db = join(dir, 'from-env.db');
    running = await startServer([], { PODMORTEM_STORE: `sqlite://${db}` });
    expect(existsSync(db)).toBe(true);
    const cmdline = readFileSync(`/proc/${running.proc.pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain(db);
    const health = await fetch(`${running.url}/readyz`);
    expect(health.status).toBe(200);
  });

  it('--store on the command line wins over the environment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-store-env-'));
    const given = join(dir, 'given.db');
    const env = join(dir, 'env.db');
    running = await startServer(['--store', `sqlite://${given}`], { PODMORTEM_STORE: `sqlite://${env}` });
    expect(existsSync(given)).toBe(true);
    expect(existsSync(env)).toBe(false);
  });
});
