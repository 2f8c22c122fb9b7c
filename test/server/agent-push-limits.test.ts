// The built agent with --server pushes its node's limit readings to the built server (SQLite store,
// and PostgreSQL when installed), both real processes: the server's GET /api/v1/nodes/{node}/limits
// then answers what the agent's own does, and its node page shows each limit with its headroom. The
// new POST is refused without a token (401) and for a body that is not readings (400), in one sentence.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headroom } from '../../src/report/page/limits.js';
import type { NodeLimits } from '../../src/store/types.js';
import { startAgent, until } from '../agent/helpers.js';
import { startServer, type RunningServer } from './helpers.js';
import { IN_CI, postgresMissing, startPostgres, type RunningPostgres } from './pg-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'podmortem-agent-push-limits-'));
// A node root with the kernel's task limits and no runtime: the agent reads its limits from it.
const root = join(dir, 'root');
const tokenFile = join(dir, 'token');
const TOKEN = 'fleet-token-77';

beforeAll(() => {
  mkdirSync(join(root, 'proc', 'sys', 'kernel'), { recursive: true });
  writeFileSync(join(root, 'proc', 'sys', 'kernel', 'pid_max'), '32768\n');
  writeFileSync(join(root, 'proc', 'sys', 'kernel', 'threads-max'), '63000\n');
  writeFileSync(join(root, 'proc', 'loadavg'), '0.50 0.40 0.30 3/30000 29999\n');
  writeFileSync(tokenFile, `${TOKEN}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const post = (url: string, body: string, token?: string) =>
  fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body,
  });

function pushesLimits(name: string, store: () => string) {
  describe(`podmortem agent --server pushes limit readings (${name})`, () => {
    let server: RunningServer;
    const node = `node-${name}`;
    beforeAll(async () => {
      server = await startServer(['--store', store(), '--token-file', tokenFile]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('refuses a push without a token (401) and a body that is not readings (400), in one sentence', async () => {
      const url = `${server.url}/api/v1/nodes/${node}/limits`;
      const anonymous = await post(url, '{"items":[]}');
      expect(anonymous.status).toBe(401);
      expect(((await anonymous.json()) as { error: string }).error).toBe(
        'A valid bearer token is required (Authorization: Bearer <token>).',
      );
      for (const [body, error] of [
        ['{"items": [', 'The body is not valid JSON.'],
        [
          '{"limits": []}',
          'The body must be { "items": [reading...] } with at most 100 readings of { node, recordedAt, limits }.',
        ],
        [
          JSON.stringify({ items: [{ node, recordedAt: 'yesterday', limits: [] }] }),
          'items[0].recordedAt: must be an RFC 3339 time.',
        ],
        [
          JSON.stringify({
            items: [{ node: 'elsewhere', recordedAt: new Date().toISOString(), limits: [] }],
          }),
          `items[0].node is "elsewhere", not the node of the URL (${node}).`,
        ],
      ]) {
        const r = await post(url, body!, TOKEN);
        expect(r.status, body).toBe(400);
        const said = ((await r.json()) as { error: string }).error;
        expect(said).toBe(error);
        expect(said.split('\n')).toHaveLength(1);
      }
      // Nothing refused was stored.
      expect((await fetch(url)).status).toBe(404);
    });

    it("makes the server answer the agent's readings and show their headroom on its node page", async () => {
      const agent = await startAgent([
        '--db',
        join(dir, `${name}-agent.db`),
        '--root',
        root,
        '--node-name',
        node,
        '--server',
        server.url,
        '--token-file',
        tokenFile,
      ]);
      try {
        const own = (await until(
          async () => (await fetch(`${agent.url}/api/v1/nodes/${node}/limits`)).json() as Promise<NodeLimits>,
          (r) => Array.isArray(r.limits),
          30_000,
          "the agent's own reading",
        )) as NodeLimits;
        const pidMax = own.limits.find((l) => l.id === 'kernel.pid_max');
        expect(pidMax?.max).toBe(32768);
        const onServer = await until(
          () => fetch(`${server.url}/api/v1/nodes/${node}/limits`),
          (r) => r.status === 200,
          30_000,
          'the reading on the server',
        );
        expect(await onServer.json()).toEqual(own);
        const page = await (await fetch(`${server.url}/nodes/${node}`)).text();
        expect(page).toContain('<code>kernel.pid_max</code>');
        expect(page).toContain(`<td class="num">${headroom(pidMax!)}</td>`);
        expect(page).not.toContain('No limit reading was recorded');
      } finally {
        expect(await agent.stop()).toBe(0);
      }
    });
  });
}

pushesLimits('sqlite', () => `sqlite://${join(dir, 'fleet.db')}`);

const why = postgresMissing();
if (why && IN_CI)
  describe('limit readings in PostgreSQL', () => {
    it('has PostgreSQL on this machine', () => {
      throw new Error(`CI=true and this machine lacks ${why}: .ci/run must install it.`);
    });
  });
else if (!why) {
  let pg: RunningPostgres | undefined;
  let url = '';
  beforeAll(async () => {
    pg = await startPostgres();
    url = pg.url;
  });
  afterAll(() => pg?.stop());
  pushesLimits('postgres', () => url);
}
