// `podmortem server --auth tokenreview`: agents push with their own (projected, rotating)
// ServiceAccount token, and the built server asks the TLS stand-in API server (the real Kubernetes
// client, POST authentication.k8s.io/v1 tokenreviews) whose it is. Checked as an operator would: the
// allowed agent's incidents are stored, a rotated token file is picked up by the next push, a
// stranger is told 401 or 403 in one sentence and stores nothing, reviews are cached, and an API
// that refuses the review is a 503 the agent rides out.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pusher, tokenFromFile } from '../../src/agent/push.js';
import { builtCli } from '../lab/harness/index.js';
import { serviceAccountIdentity, startStandin, type Standin } from '../standin/server.mjs';
import { startServer, type RunningServer } from './helpers.js';
import { item } from './items.js';

const AUDIENCE = 'podmortem-server';
const dir = mkdtempSync(join(tmpdir(), 'podmortem-review-'));
const saTokenFile = join(dir, 'sa-token');
const sharedTokenFile = join(dir, 'shared-token');
writeFileSync(sharedTokenFile, 'shared-secret-0123456789\n');

let standin: Standin;
let server: RunningServer;

const post = (token: string | undefined, n: number) =>
  fetch(`${server.url}/api/v1/incidents`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ items: [item(n)] }),
  });
const stored = async (n: number) =>
  (await fetch(`${server.url}/api/v1/incidents/${item(n).id}`)).status === 200;
const reviews = () => standin.count(/\/tokenreviews$/);

async function until(f: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  standin = await startStandin({});
  const tokens = standin.state.reviewTokens;
  tokens.set('agent-token-v1', serviceAccountIdentity('podmortem', 'podmortem-agent', [AUDIENCE]));
  tokens.set('agent-token-apiserver', serviceAccountIdentity('podmortem', 'podmortem-agent'));
  tokens.set('builder-token', serviceAccountIdentity('ci', 'builder', [AUDIENCE]));
  tokens.set('alice-token', {
    username: 'alice@example.com',
    groups: ['system:authenticated'],
    audiences: [AUDIENCE],
  });
  server = await startServer([
    '--store',
    `sqlite://${join(dir, 'fleet.db')}`,
    '--auth',
    'tokenreview',
    '--kubeconfig',
    standin.kubeconfig,
    '--token-audience',
    AUDIENCE,
    '--token-file',
    sharedTokenFile,
  ]);
});
afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  await standin?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('podmortem server --auth tokenreview', () => {
  it('says at start how pushes are verified and whom it allows', () => {
    expect(server.stderr()).toMatch(
      /pushes are verified by TokenReview through .*config \(audience podmortem-server\), allowed: podmortem\/podmortem-agent; the --token-file token is accepted too\./,
    );
  });

  it("stores the allowed agent's push, reads its rotated token file at the next push, and reviews each token once", async () => {
    writeFileSync(saTokenFile, 'agent-token-v1\n');
    const pusher = new Pusher({ server: server.url, token: tokenFromFile(saTokenFile), minBackoffMs: 20 });
    try {
      const before = reviews();
      for (let n = 0; n < 3; n++) {
        pusher.add(item(n));
        expect(await pusher.flush(30_000)).toBe(true);
      }
      expect(pusher.accepted).toBe(3);
      // Three pushes, one review: the answer is cached.
      expect(reviews() - before).toBe(1);
      const review = standin.requests.filter((r) => r.path.endsWith('/tokenreviews')).at(-1);
      expect(review?.method).toBe('POST');

      // The kubelet rotates the projected token: the old one stops working, the file holds the new.
      standin.state.reviewTokens.delete('agent-token-v1');
      standin.state.reviewTokens.set(
        'agent-token-v2',
        serviceAccountIdentity('podmortem', 'podmortem-agent', [AUDIENCE]),
      );
      writeFileSync(saTokenFile, 'agent-token-v2\n');
      pusher.add(item(3));
      expect(await pusher.flush(30_000)).toBe(true);
      expect(pusher.accepted).toBe(4);
      expect(reviews() - before).toBe(2);
      for (let n = 0; n < 4; n++) expect(await stored(n)).toBe(true);
    } finally {
      pusher.stop();
    }
  });

  it('refuses an unknown token, and a token projected for the API server, with 401 and one sentence', async () => {
    const unknown = await post('forged-token', 100);
    expect(unknown.status).toBe(401);
    expect(unknown.headers.get('www-authenticate')).toBe('Bearer realm="podmortem"');
    expect(((await unknown.json()) as { error: string }).error).toBe(
      'The Kubernetes API did not accept this token (TokenReview: [invalid bearer token, token lookup failed]).',
    );
    const wrongAudience = await post('agent-token-apiserver', 101);
    expect(wrongAudience.status).toBe(401);
    expect(((await wrongAudience.json()) as { error: string }).error).toMatch(
      /^The Kubernetes API did not accept this token \(TokenReview: \[invalid bearer token, token audiences \["https:\/\/kubernetes\.default\.svc\.cluster\.local"\] is invalid for the target audiences \["podmortem-server"\]\]\)\.$/,
    );
    const none = await post(undefined, 102);
    expect(none.status).toBe(401);
    for (const n of [100, 101, 102]) expect(await stored(n)).toBe(false);
  });

  it('refuses a ServiceAccount outside the allow-list, and a user that is no ServiceAccount, with 403', async () => {
    const builder = await post('builder-token', 110);
    expect(builder.status).toBe(403);
    expect(((await builder.json()) as { error: string }).error).toBe(
      'ServiceAccount ci/builder may not push incidents here (allowed: podmortem/podmortem-agent; see --allow-serviceaccount).',
    );
    const alice = await post('alice-token', 111);
    expect(alice.status).toBe(403);
    expect(((await alice.json()) as { error: string }).error).toBe(
      'User "alice@example.com" is not a ServiceAccount: only agents\' ServiceAccounts may push.',
    );
    expect(await stored(110)).toBe(false);
    expect(await stored(111)).toBe(false);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/podmortem_server_push_refused_total\{status="403"\} 2/);
  });

  it('still accepts the --token-file token beside reviewed ones, without a review', async () => {
    const before = reviews();
    const r = await post('shared-secret-0123456789', 120);
    expect(r.status).toBe(200);
    expect(reviews()).toBe(before);
    expect(await stored(120)).toBe(true);
  });

  it('answers 503 while the API refuses the review (never cached), and the agent delivers once it is back', async () => {
    standin.state.reviewTokens.set(
      'agent-token-v3',
      serviceAccountIdentity('podmortem', 'podmortem-agent', [AUDIENCE]),
    );
    standin.inject({
      path: /tokenreviews/,
      status: 403,
      times: 2,
      verb: 'create',
      resource: 'tokenreviews',
    });
    const first = await post('agent-token-v3', 130);
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBe('5');
    expect(((await first.json()) as { error: string }).error).toMatch(
      /^The token cannot be verified now: the Kubernetes API refused the TokenReview \(403: tokenreviews is forbidden: User "system:serviceaccount:podmortem:podmortem" cannot create resource "tokenreviews".*\); the server's ServiceAccount needs create on tokenreviews\.authentication\.k8s\.io\.$/,
    );
    writeFileSync(saTokenFile, 'agent-token-v3\n');
    const pusher = new Pusher({
      server: server.url,
      token: tokenFromFile(saTokenFile),
      minBackoffMs: 50,
      maxBackoffMs: 100,
    });
    try {
      pusher.add(item(131));
      // The second refusal reaches the agent, which keeps its incident and retries.
      await until(() => pusher.problem?.includes('503') ?? false, 'the pusher to meet the refusal');
      expect(await pusher.flush(30_000)).toBe(true);
      expect(pusher.accepted).toBe(1);
      expect(await stored(131)).toBe(true);
    } finally {
      pusher.stop();
    }
  });
});

describe('podmortem server --auth refusals at start-up', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    spawnSync(
      process.execPath,
      [builtCli(), 'server', '--listen', '127.0.0.1:0', '--store', `sqlite://${join(dir, 'r.db')}`, ...args],
      { encoding: 'utf8', timeout: 60_000, env },
    );

  it('names what is missing or malformed, in one line, exit 1', () => {
    const noCluster = { PATH: process.env.PATH, HOME: dir };
    const cases: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [
        ['--auth', 'tokenreview'],
        noCluster,
        /--auth tokenreview needs the Kubernetes API: run in a pod with a ServiceAccount, or pass --kubeconfig FILE\./,
      ],
      [
        ['--auth', 'tokenreview', '--kubeconfig', standin.kubeconfig, '--allow-serviceaccount', 'podmortem'],
        process.env,
        /--allow-serviceaccount podmortem: expected NAMESPACE\/NAME \(or NAMESPACE\/\* for all of a namespace\)/,
      ],
      [
        ['--allow-serviceaccount', 'podmortem/podmortem-agent'],
        process.env,
        /--allow-serviceaccount is for --auth tokenreview\./,
      ],
      [['--auth', 'oidc'], process.env, /--auth.*oidc.*(token, tokenreview|Allowed choices)/],
    ];
    for (const [args, env, message] of cases) {
      const r = run(args, env);
      expect(r.status, args.join(' ')).toBe(1);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });
});
