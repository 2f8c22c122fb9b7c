// How the scan behaves toward an API server under load: 429 and 5xx are retried with exponential
// backoff and jitter, Retry-After is honoured (capped), a request that hangs is abandoned after a
// timeout and retried; 403/404/400 are answers, not failures, and come back as an ApiProblem that the
// caller turns into missing evidence. Work runs through a small pool so at most N requests are in
// flight, the client-go default being a QPS of 5 with bursts of 10 (k8s.io/client-go/rest/config.go).

export interface ApiProblem {
  /** HTTP status; 0 when the server could not be reached or did not answer in time. */
  status: number;
  /** Status.reason (Forbidden, NotFound, TooManyRequests...) or a network error code. */
  reason: string;
  /** The server's Status.message, or a sentence of ours. */
  message: string;
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(readonly problem: ApiProblem) {
    super(problem.message);
    this.name = 'ApiError';
  }
}

export interface RetryPolicy {
  /** Steady request rate (requests per second) and burst of the client-side token bucket; 0 = none. */
  qps: number;
  burst: number;
  retries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After we wait; beyond it the request fails with the server's answer. */
  maxRetryAfterMs: number;
  timeoutMs: number;
}

/**
 * client-go's defaults are QPS 5 / burst 10 (k8s.io/client-go/rest/config.go), which many tools
 * raise to 50 / 100 for read-heavy work; a scan is a burst of reads, so it takes the raised values.
 */
export const DEFAULT_RETRY: RetryPolicy = {
  qps: 50,
  burst: 100,
  retries: 4,
  baseDelayMs: 250,
  maxDelayMs: 8000,
  maxRetryAfterMs: 30_000,
  timeoutMs: 30_000,
};

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NET = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'timeout', 'EAI_AGAIN']);

export function isRetryable(p: ApiProblem): boolean {
  return RETRYABLE_STATUS.has(p.status) || (p.status === 0 && RETRYABLE_NET.has(p.reason));
}

/** Turns whatever the client threw (ApiException, node-fetch FetchError, our timeout) into an ApiProblem. */
export function toProblem(err: unknown): ApiProblem {
  const p = rawProblem(err);
  // Server text reaches a terminal: control, bidirectional and invisible characters are shown escaped.
  return { ...p, reason: neutral(p.reason).slice(0, 100), message: neutral(p.message).slice(0, 2000) };
}

export function neutral(s: string): string {
  return s.replace(
    /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function rawProblem(err: unknown): ApiProblem {
  if (err instanceof ApiError) return err.problem;
  const e = err as {
    code?: unknown;
    body?: unknown;
    headers?: Record<string, string>;
    errno?: string;
    message?: string;
    type?: string;
  };
  if (typeof e?.code === 'number') {
    const body = parseBody(e.body);
    const ra = e.headers?.['retry-after'] ?? e.headers?.['Retry-After'];
    const retryAfter = ra !== undefined && /^\d{1,6}$/.test(String(ra)) ? Number(ra) : undefined;
    return {
      status: e.code,
      reason: body?.reason ?? statusReason(e.code),
      message: body?.message ?? `the API server answered HTTP ${e.code}`,
      ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    };
  }
  const code = typeof e?.code === 'string' ? e.code : (e?.errno ?? e?.type ?? 'error');
  const msg = e?.message ?? String(err);
  return { status: 0, reason: code, message: msg.split('\n')[0]! };
}

function parseBody(body: unknown): { reason?: string; message?: string } | undefined {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return undefined;
    }
  }
  if (typeof b !== 'object' || b === null) return undefined;
  const o = b as { reason?: unknown; message?: unknown };
  return {
    ...(typeof o.reason === 'string' ? { reason: o.reason } : {}),
    ...(typeof o.message === 'string' ? { message: o.message } : {}),
  };
}

function statusReason(code: number): string {
  return (
    {
      400: 'BadRequest',
      401: 'Unauthorized',
      403: 'Forbidden',
      404: 'NotFound',
      429: 'TooManyRequests',
      500: 'InternalError',
      503: 'ServiceUnavailable',
      504: 'Timeout',
    }[code] ?? `HTTP${code}`
  );
}

// Not unref'd: a CLI waiting out a backoff or its rate limit has nothing else keeping it alive.
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The problem of a request given up because the caller cancelled (SIGINT, the agent stopping). */
export function cancelled(): ApiError {
  return new ApiError({ status: 0, reason: 'cancelled', message: 'the request was cancelled' });
}

/** Waits for `p` (a turn of the rate limiter), or rejects at once when `signal` fires first. */
function unlessCancelled(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(cancelled());
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** A backoff that ends at once, rejecting, when `signal` fires: a cancelled scan waits for nothing. */
function sleepUnless(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return sleep(ms);
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(cancelled());
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export interface RetryCounters {
  requests: number;
  retries: number;
}

/** A token bucket: at most `burst` requests at once, then `qps` per second (client-go's flowcontrol). */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly qps: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  /** Resolves when the next request may go; callers are served in order. */
  take(): Promise<void> {
    if (this.qps <= 0) return Promise.resolve();
    const turn = this.queue.then(async () => {
      const now = Date.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.qps);
      this.last = now;
      if (this.tokens < 1) {
        await sleep(((1 - this.tokens) / this.qps) * 1000);
        this.tokens = 1;
        this.last = Date.now();
      }
      this.tokens -= 1;
    });
    this.queue = turn;
    return turn;
  }
}

/**
 * Runs one API request with timeout, retries and backoff; throws ApiError with the final problem.
 * The request gets an AbortSignal that fires at the timeout, so an abandoned request is cancelled
 * (its socket closed) rather than left running and keeping the process alive. `cancel` (the
 * caller's: SIGINT, the agent stopping) aborts the request in flight, ends a backoff at once, and
 * is checked again right before each attempt, so no request starts once it has fired.
 */
export async function withRetry<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  policy: RetryPolicy,
  counters: RetryCounters,
  limiter?: RateLimiter,
  cancel?: AbortSignal,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    if (limiter) await unlessCancelled(limiter.take(), cancel);
    // The backoff or the rate limit may have ended in the same turn as the cancel: check last.
    if (cancel?.aborted) throw cancelled();
    counters.requests++;
    let timer: NodeJS.Timeout | undefined;
    const abort = new AbortController();
    const onCancel = () => abort.abort(cancelled());
    cancel?.addEventListener('abort', onCancel, { once: true });
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new ApiError({
            status: 0,
            reason: 'timeout',
            message: `no answer within ${policy.timeoutMs / 1000}s`,
          });
          abort.abort(err);
          reject(err);
        }, policy.timeoutMs);
      });
      return await Promise.race([fn(abort.signal), timeout]);
    } catch (err) {
      if (cancel?.aborted) throw cancelled();
      const p = toProblem(abort.signal.aborted ? abort.signal.reason : err);
      if (!isRetryable(p) || attempt >= policy.retries) throw new ApiError(p);
      const backoff =
        Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      const wait = p.retryAfterSeconds !== undefined ? p.retryAfterSeconds * 1000 : backoff;
      if (wait > policy.maxRetryAfterMs) throw new ApiError(p);
      counters.retries++;
      cancel?.removeEventListener('abort', onCancel);
      await sleepUnless(wait, cancel);
    } finally {
      if (timer) clearTimeout(timer);
      cancel?.removeEventListener('abort', onCancel);
    }
  }
}

/** Runs fn over items with at most `limit` in flight; results keep the input order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
