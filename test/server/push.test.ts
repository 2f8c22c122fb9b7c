// Agents push to `podmortem server` over HTTP: the agent's push module against the built server in a
// child process, on SQLite and on a real PostgreSQL. Checked as an operator would: the server's GET
// returns what was pushed, a second push counts duplicates and stores nothing twice, a wrong token is
// refused (401) and stores nothing, an invalid batch gets one sentence (400), and a server that comes
// up late still receives everything the agent queued meanwhile.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pusher } from '../../src/agent/push.js';
import type { IncidentItem, IncidentPage } from '../../src/store/types.js';
import { runServerCli, startServer, type RunningServer } from './helpers.js';
import { item } from './items.js';
import { IN_CI, postgresMissing, startPostgres, type RunningPostgres } from './pg-harness.js';

const dir = mkdtempSync(join(tmpdir(), 'podmortem-server-'));
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, 'agents-secret-0123456789\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOKEN = 'agents-secret-0123456789';

async function until(f: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function list(url: string, query = ''): Promise<IncidentItem[]> {
  const out: IncidentItem[] = [];
  let next: string | null = null;
  do {
    const r = await fetch(`${url}/api/v1/incidents?limit=100${query}${next ? `&cursor=${next}` : ''}`);
    expect(r.status).toBe(200);
    const page = (await r.json()) as IncidentPage;
    out.push(...page.items);
    next = page.next;
  } while (next);
  return out;
}

const post = (url: string, body: unknown, token = TOKEN) =>
  fetch(`${url}/api/v1/incidents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

function pushScenario(name: string, store: () => string) {
  describe(`podmortem server on ${name}`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer(['--store', store(), '--token-file', tokenFile]);
    });
    afterAll(async () => {
      expect(await server?.stop()).toBe(0);
    });

    it('receives an agent push in batches; the GET returns every item as pushed', async () => {
      const pusher = new Pusher({ server: server.url, token: () => TOKEN, batch: 7 });
      const items = Array.from({ length: 25 }, (_, n) => item(n));
      for (const i of items) pusher.add(i);
      expect(await pusher.flush(30_000)).toBe(true);
      expect({ accepted: pusher.accepted, duplicates: pusher.duplicates, dropped: pusher.dropped }).toEqual({
        accepted: 25,
        duplicates: 0,
        dropped: 0,
      });
      const got = await list(server.url);
      expect(got.map((i) => i.id).sort()).toEqual(items.map((i) => i.id).sort());
      const page = await (await fetch(`${server.url}/?namespace=jobs`)).text();
      expect(page).toContain(`<a href="/incidents/${items[4]!.id}">${items[4]!.subject.pod}</a>`);
      expect(page).toContain('across the fleet');
      expect(page).not.toContain(items[5]!.subject.pod);
      const one = await fetch(`${server.url}/api/v1/incidents/${items[4]!.id}`);
      expect(await one.json()).toEqual(items[4]);
      expect((await list(server.url, '&node=node-1&cause=kernel.pid_max')).map((i) => i.id).sort()).toEqual(
        items
          .filter((_, n) => n % 3 === 1 && n % 4 === 0)
          .map((i) => i.id)
          .sort(),
      );
    });

    it('counts a second push of the same incidents as duplicates and stores nothing twice', async () => {
      const pusher = new Pusher({ server: server.url, token: () => TOKEN });
      for (const n of [3, 4, 25]) pusher.add(item(n));
      expect(await pusher.flush(30_000)).toBe(true);
      expect([pusher.accepted, pusher.duplicates]).toEqual([1, 2]);
      expect(await list(server.url)).toHaveLength(26);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(/podmortem_server_incidents_total\{result="duplicate"\} 2/);
    });

    it('refuses a wrong or missing token with 401 and stores nothing', async () => {
      const r = await post(server.url, { items: [item(900)] }, 'agents-secret-0123456788');
      expect(r.status).toBe(401);
      expect(((await r.json()) as { error: string }).error).toMatch(/bearer token/);
      const none = await fetch(`${server.url}/api/v1/incidents`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ items: [item(900)] }),
      });
      expect(none.status).toBe(401);
      const pusher = new Pusher({
        server: server.url,
        token: () => 'wrong',
        minBackoffMs: 20,
        maxBackoffMs: 50,
      });
      pusher.add(item(901));
      await until(() => pusher.problem !== undefined, 'the pusher to report the refusal');
      expect(pusher.problem).toMatch(/401 A valid bearer token is required/);
      expect(pusher.pending).toBe(1); // kept for when the token is right
      pusher.stop();
      expect(await fetch(`${server.url}/api/v1/incidents/${item(900).id}`).then((x) => x.status)).toBe(404);
      expect(await fetch(`${server.url}/api/v1/incidents/${item(901).id}`).then((x) => x.status)).toBe(404);
    });

    it('answers an invalid batch with 400 and one sentence, storing none of it', async () => {
      const cases: [unknown, RegExp][] = [
        ['{"items": [', /^The body is not valid JSON\.$/],
        [{ incidents: [] }, /^The body must be \{ "items": \[incident\.\.\.\] \}\.$/],
        [{ items: [item(910), { ...item(911), id: '../etc' }] }, /^items\[1\]\.id must be the incident id/],
        [{ items: [{ ...item(912), causes: 'x' }] }, /^items\[0\]\.causes must be an array\.$/],
        [
          { items: [{ ...item(913), recordedAt: 'soon' }] },
          /^items\[0\]\.recordedAt must be an RFC 3339 time\.$/,
        ],
      ];
      for (const [body, sentence] of cases) {
        const r = await post(server.url, body);
        expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
        expect(((await r.json()) as { error: string }).error).toMatch(sentence);
      }
      expect(await fetch(`${server.url}/api/v1/incidents/${item(910).id}`).then((x) => x.status)).toBe(404);
    });

    it('refuses a body over the bound with 413 before reading it all', async () => {
      const r = await post(server.url, `{"items": ["${'x'.repeat(17 << 20)}"]}`);
      expect(r.status).toBe(413);
      expect(((await r.json()) as { error: string }).error).toBe('A batch is at most 16 MiB.');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    });
  });
}

pushScenario('SQLite', () => `sqlite://${join(dir, 'fleet.db')}`);

const pgWhy = postgresMissing();
if (pgWhy && IN_CI)
  describe('podmortem server on PostgreSQL', () => {
    it('has PostgreSQL on this machine', () => {
      throw new Error(`CI=true and this machine lacks ${pgWhy}: .ci/run must install it.`);
    });
  });
else if (!pgWhy) {
  let pgServer: RunningPostgres;
  beforeAll(async () => {
    pgServer = await startPostgres();
  });
  afterAll(() => pgServer?.stop());
  pushScenario('PostgreSQL', () => pgServer.url);

  it('answers 503 while PostgreSQL is down, and the agent delivers what waited once it is back', async () => {
    const server = await startServer(['--store', pgServer.url, '--token-file', tokenFile]);
    const pusher = new Pusher({
      server: server.url,
      token: () => TOKEN,
      minBackoffMs: 50,
      maxBackoffMs: 200,
    });
    let down = false;
    try {
      pgServer.pause();
      down = true;
      const r = await post(server.url, { items: [item(4000)] });
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: string }).error).toMatch(
        /^PostgreSQL at postgres:\/\/podmortem@127\.0\.0\.1:\d+\/postgres: .+\.$/,
      );
      expect((await fetch(`${server.url}/api/v1/incidents`)).status).toBe(503);
      for (let n = 4001; n < 4004; n++) pusher.add(item(n));
      await until(() => pusher.problem?.includes('503') ?? false, 'the pusher to meet the outage');
      expect(pusher.pending).toBe(3);
      pgServer.resume();
      down = false;
      expect(await pusher.flush(30_000)).toBe(true);
      expect(pusher.accepted).toBe(3);
      expect(await list(server.url, '&since=2026-11-29T04:06:41Z&until=2026-11-29T04:06:44Z')).toHaveLength(
        3,
      );
    } finally {
      pusher.stop();
      if (down) pgServer.resume();
      expect(await server.stop()).toBe(0);
    }
  });

  it('two server replicas on one PostgreSQL store an incident pushed to both once', async () => {
    const [r1, r2] = await Promise.all([
      startServer(['--store', pgServer.url, '--token-file', tokenFile]),
      startServer(['--store', pgServer.url, '--token-file', tokenFile]),
    ]);
    try {
      const batch = { items: Array.from({ length: 40 }, (_, n) => item(1000 + n)) };
      const answers = await Promise.all([post(r1.url, batch), post(r2.url, batch)]);
      const counts = (await Promise.all(answers.map((a) => a.json()))) as {
        accepted: number;
        duplicates: number;
      }[];
      expect(counts[0]!.accepted + counts[1]!.accepted).toBe(40);
      expect(counts[0]!.duplicates + counts[1]!.duplicates).toBe(40);
      expect(await list(r2.url, '&since=2026-11-29T03:16:40Z&until=2026-11-29T03:17:20Z')).toHaveLength(40);
    } finally {
      expect(await r1.stop()).toBe(0);
      expect(await r2.stop()).toBe(0);
    }
  });
}

describe('the agent side of a push', () => {
  it('keeps what it could not send and delivers it once the server is up', async () => {
    // A port nobody listens on yet: the server starts there after the pusher has failed.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const lines: string[] = [];
    const pusher = new Pusher({
      server: `http://127.0.0.1:${port}/`,
      token: () => TOKEN,
      minBackoffMs: 50,
      maxBackoffMs: 200,
      log: (l) => lines.push(l),
    });
    for (let n = 0; n < 5; n++) pusher.add(item(2000 + n));
    await until(() => pusher.problem !== undefined, 'the first failure');
    expect(pusher.problem).toMatch(/ECONNREFUSED; 5 incidents wait, retrying with backoff\.$/);
    const late = await startServer([
      '--store',
      `sqlite://${join(dir, 'late.db')}`,
      '--token-file',
      tokenFile,
      '--listen',
      `127.0.0.1:${port}`,
    ]);
    try {
      expect(await pusher.flush(30_000)).toBe(true);
      expect(pusher.accepted).toBe(5);
      expect(pusher.problem).toBeUndefined();
      expect(lines.at(-1)).toMatch(/pushing again\.$/);
      expect(await list(late.url)).toHaveLength(5);
    } finally {
      pusher.stop();
      expect(await late.stop()).toBe(0);
    }
  });

  it('keeps its queue when a URL answers 200 with something else than a podmortem server', async () => {
    const other = createHttpServer((_req, res) => res.end('<html>welcome</html>'));
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const port = (other.address() as { port: number }).port;
    const pusher = new Pusher({ server: `http://127.0.0.1:${port}`, token: () => TOKEN, minBackoffMs: 50 });
    try {
      pusher.add(item(5000));
      await until(() => pusher.problem !== undefined, 'the pusher to notice');
      expect(pusher.problem).toMatch(
        /200 with a body that is not the server's answer \(is .* a podmortem server\?\)/,
      );
      expect([pusher.pending, pusher.accepted]).toEqual([1, 0]);
    } finally {
      pusher.stop();
      await new Promise((r) => other.close(r));
    }
  });

  it('drops the oldest beyond its bound and counts them', () => {
    const pusher = new Pusher({
      server: 'http://127.0.0.1:9',
      token: () => TOKEN,
      maxQueue: 3,
      minBackoffMs: 60_000,
    });
    for (let n = 0; n < 5; n++) pusher.add(item(3000 + n));
    pusher.add(item(3004)); // already queued: once per id
    expect([pusher.pending, pusher.dropped]).toEqual([3, 2]);
    pusher.stop();
  });
});

describe('podmortem server refusals at start-up', () => {
  it('names a --store it does not understand, in one line', () => {
    const r = runServerCli(['--store', 'mysql://x', '--listen', '127.0.0.1:0']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--store mysql:\/\/x: expected sqlite:\/\/\/PATH .* or postgres:\/\//);
  });

  it('names an empty or missing token file, in one line', () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    for (const [file, msg] of [
      [empty, 'the file is empty'],
      [join(dir, 'absent'), 'absent'],
    ] as const) {
      const r = runServerCli(['--store', `sqlite://${join(dir, 'x.db')}`, '--token-file', file]);
      expect(r.status).toBe(1);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(msg);
    }
  });
});
