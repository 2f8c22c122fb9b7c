// The API client against a misbehaving server (the stand-in's injected faults): a request that never
// answers is cancelled at its timeout (the server sees it closed), a repeated continue token stops
// the listing, and truncated JSON or `items: null` say what they are.
import { afterEach, expect, test } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterApi } from '../../src/sources/cluster/api.js';
import { DEFAULT_RETRY } from '../../src/sources/cluster/retry.js';
import { node, pod } from '../standin/objects.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';

let s: Standin | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const pods = Array.from({ length: 4 }, (_, i) => pod({ ns: 'shop', name: `p-${i}`, node: 'w1' }));
const apiFor = (st: Standin) => {
  const kc = new KubeConfig();
  kc.loadFromFile(st.kubeconfig);
  return new ClusterApi(kc, { ...DEFAULT_RETRY, qps: 0, retries: 0, timeoutMs: 400 });
};
const listAll = async (api: ClusterApi) => {
  const out = [];
  for await (const page of api.listPods({ namespace: 'shop', chunkSize: 2 })) out.push(...page);
  return out;
};

test('a request that never answers is cancelled at its timeout, not left open', async () => {
  s = await startStandin({ pods, nodes: [node('w1')] });
  s.inject({ path: /\/pods/, hang: true });
  await expect(listAll(apiFor(s))).rejects.toThrow(/no answer within 0.4s/);
  await expect.poll(() => s!.aborted, { timeout: 5000 }).toBe(1);
});

test('a server repeating its continue token stops the listing with a sentence', async () => {
  s = await startStandin({ pods, nodes: [node('w1')] }, { repeatContinue: true });
  await expect(listAll(apiFor(s))).rejects.toThrow(/repeated a continue token while listing pods/);
  expect(s.count(/\/pods$/)).toBe(2);
});

test('items: null and truncated JSON say what they are', async () => {
  s = await startStandin({ pods, nodes: [node('w1')] });
  s.inject({ path: /\/pods/, body: '{"kind":"PodList","apiVersion":"v1","metadata":{},"items":null}' });
  await expect(listAll(apiFor(s))).rejects.toThrow(/has no items list/);
  s.inject({ path: /\/pods/, body: '{"kind":"PodList","items":[{"metadata":' });
  await expect(listAll(apiFor(s))).rejects.toThrow(/JSON|Unexpected end/);
});

test('scan: when every attempt to list pods fails, exit 1 with the reason (not a clean report), server text neutralized', async () => {
  const { ensureBuilt, podmortemAsync } = await import('./helpers.js');
  ensureBuilt();
  s = await startStandin({ pods, nodes: [node('w1')] });
  s.inject({ path: /\/pods/, status: 503, times: Infinity });
  const r = await podmortemAsync([
    'scan',
    '--kubeconfig',
    s.kubeconfig,
    '-n',
    'shop',
    '--fail-on',
    'possible',
  ]);
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(
    /failed every attempt to list pods \(HTTP 503 InternalError: .*\); nothing was scanned\.\n$/,
  );
  expect(r.stdout).toBe('');
}, 60_000);

test('server text with escape codes and bidi overrides is shown escaped', async () => {
  const { toProblem } = await import('../../src/sources/cluster/retry.js');
  const p = toProblem({ code: 500, body: { message: 'boom \u001b[2J\u202eevil' } });
  expect(p.message).toBe('boom \\u001b[2J\\u202eevil');
});
