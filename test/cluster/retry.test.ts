// The request discipline on its own: the token bucket lets a burst through and then spaces the rest
// (checked on fake timers: no wall clock), the pool never exceeds its bound, and a refusal is not
// retried while a 503 is.
import { afterEach, expect, test, vi } from 'vitest';
import { ApiError, DEFAULT_RETRY, pool, RateLimiter, withRetry } from '../../src/sources/cluster/retry.js';

afterEach(() => {
  vi.useRealTimers();
});

test('the rate limiter passes a burst at once, then one request per 1/qps seconds', async () => {
  vi.useFakeTimers();
  const limiter = new RateLimiter(2, 3); // 2 per second, bursts of 3
  const passed: number[] = [];
  for (let i = 0; i < 5; i++) void limiter.take().then(() => passed.push(i));
  await vi.advanceTimersByTimeAsync(0);
  expect(passed).toEqual([0, 1, 2]);
  await vi.advanceTimersByTimeAsync(499);
  expect(passed).toEqual([0, 1, 2]);
  await vi.advanceTimersByTimeAsync(1);
  expect(passed).toEqual([0, 1, 2, 3]);
  await vi.advanceTimersByTimeAsync(500);
  expect(passed).toEqual([0, 1, 2, 3, 4]);
});

test('the pool keeps at most its limit in flight and returns results in input order', async () => {
  let inFlight = 0;
  let most = 0;
  const out = await pool([5, 1, 4, 2, 3, 0, 6, 7, 8, 9], 3, async (n) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((r) => setImmediate(r));
    inFlight--;
    return n * 10;
  });
  expect(most).toBe(3);
  expect(out).toEqual([50, 10, 40, 20, 30, 0, 60, 70, 80, 90]);
});

test('a 403 is an answer (no retry); a 503 is retried; the Status message is kept', async () => {
  const counters = { requests: 0, retries: 0 };
  const policy = { ...DEFAULT_RETRY, qps: 0, baseDelayMs: 1, maxDelayMs: 2 };
  const forbidden = {
    code: 403,
    body: {
      kind: 'Status',
      reason: 'Forbidden',
      message: 'pods is forbidden: User "u" cannot list resource "pods"',
    },
    headers: {},
  };
  const err = await withRetry(() => Promise.reject(forbidden), policy, counters).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect((err as ApiError).problem).toMatchObject({
    status: 403,
    reason: 'Forbidden',
    message: 'pods is forbidden: User "u" cannot list resource "pods"',
  });
  expect(counters).toEqual({ requests: 1, retries: 0 });

  let calls = 0;
  const ok = await withRetry(
    () =>
      ++calls < 3
        ? Promise.reject({
            code: 503,
            body: '{"kind":"Status","reason":"ServiceUnavailable","message":"etcd"}',
            headers: {},
          })
        : Promise.resolve('ok'),
    policy,
    counters,
  );
  expect(ok).toBe('ok');
  expect(counters).toEqual({ requests: 4, retries: 2 });
});
