// Cancelling the API client (what SIGINT does to a scan) against the stand-in through the real
// client: a cancel during a backoff ends it at once and no further request reaches the server; a
// cancel while the rate limiter holds the next attempt starts no request; a request in flight is
// closed at the server. Nothing here waits on the clock: the backoffs are ten minutes long, so a
// cancel that did not cut them would fail the test by its timeout.
import { afterEach, expect, test } from 'vitest';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterApi } from '../../src/sources/cluster/api.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../../src/sources/cluster/retry.js';
import { node, pod } from '../standin/objects.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';

let s: Standin | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const TEN_MINUTES = 600_000;
const apiFor = (st: Standin, policy: Partial<RetryPolicy>, cancel: AbortSignal) => {
  const kc = new KubeConfig();
  kc.loadFromFile(st.kubeconfig);
  return new ClusterApi(
    kc,
    { ...DEFAULT_RETRY, qps: 0, maxRetryAfterMs: 2 * TEN_MINUTES, ...policy },
    cancel,
  );
};
const start = () => startStandin({ pods: [pod({ ns: 'shop', name: 'p', node: 'w1' })], nodes: [node('w1')] });
/** Lets every pending callback and socket event run, so a request that was going to start has. */
const settle = () => new Promise((r) => setTimeout(r, 200));

test('a cancel during a backoff ends it at once and fires no other request', async () => {
  s = await start();
  s.inject({ path: /\/pods\/p$/, status: 429, retryAfter: TEN_MINUTES / 1000, times: Infinity });
  const cancel = new AbortController();
  const api = apiFor(s, { retries: 4 }, cancel.signal);
  const read = api.pod('shop', 'p');
  await expect.poll(() => api.counters.retries).toBe(1); // the 429 came back; the ten-minute wait began
  cancel.abort();
  await expect(read).rejects.toThrow('the request was cancelled');
  await settle();
  expect(s.count(/\/pods\/p$/)).toBe(1);
});

test('a cancel while the rate limiter holds the next attempt starts no request', async () => {
  s = await start();
  s.inject({ path: /\/pods\/p$/, status: 503 });
  const cancel = new AbortController();
  // One request per ten minutes: the retry after the 503 waits in the limiter, not in the backoff.
  const api = apiFor(s, { qps: 1 / 600, burst: 1, baseDelayMs: 1, maxDelayMs: 1 }, cancel.signal);
  const read = api.pod('shop', 'p');
  await expect.poll(() => api.counters.retries).toBe(1);
  await settle(); // the 1 ms backoff is over: the attempt is queued in the limiter
  cancel.abort();
  await expect(read).rejects.toThrow('the request was cancelled');
  await settle();
  expect(s.count(/\/pods\/p$/)).toBe(1);
}, 20_000);

test('a cancel closes the request in flight and does not retry it', async () => {
  s = await start();
  s.inject({ path: /\/pods\/p$/, hang: true, times: Infinity });
  const cancel = new AbortController();
  const api = apiFor(s, { retries: 4, timeoutMs: TEN_MINUTES }, cancel.signal);
  const read = api.pod('shop', 'p');
  await expect.poll(() => s!.count(/\/pods\/p$/)).toBe(1);
  cancel.abort();
  await expect(read).rejects.toThrow('the request was cancelled');
  await expect.poll(() => s!.aborted).toBe(1);
  await settle();
  expect(s.count(/\/pods\/p$/)).toBe(1);
  expect(api.counters.retries).toBe(0);
});
