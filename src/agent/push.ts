// The agent's push to a `podmortem server` (--server, --token-file): incidents wait in a bounded
// queue and go in batches; a failure waits and retries with exponential backoff and jitter (a fleet
// of agents must not hammer a server that just came back). The server stores by incident id, so a
// batch sent twice (an answer lost on the way back) costs nothing. The token file is read at every
// attempt: a rotated Secret is picked up without a restart. The same queue carries the node's limit
// readings to POST /api/v1/nodes/{node}/limits (path, key and noun set by the caller).
import { readFileSync } from 'node:fs';
import type { IncidentItem } from '../store/types.js';

export interface PushOptions {
  /** The server's base URL, e.g. http://podmortem-server:9714. */
  server: string;
  /** The bearer token, read at every attempt (a mounted Secret). */
  token: () => string;
  /** Items per request (default 100). */
  batch?: number;
  /** Items waiting at most; beyond it the oldest are dropped and counted (default 10000). */
  maxQueue?: number;
  /** First and longest wait after a failure (default 1 s and 5 min). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** One request's time limit (default 15 s). */
  timeoutMs?: number;
  log?: (line: string) => void;
  /** Where batches go (default /api/v1/incidents). */
  path?: string;
  /** What the items are called in sentences (default "incidents"). */
  noun?: string;
}

/** What a queue item is identified by: sent once per key while it waits. */
export type ItemKey<T> = (item: T) => string;

export const tokenFromFile = (file: string) => () => readFileSync(file, 'utf8').trim();

export class Pusher<T = IncidentItem> {
  private queue: T[] = [];
  private readonly queued = new Set<string>();
  private running?: Promise<void>;
  private wake?: () => void;
  private stopped = false;
  private failures = 0;
  private batchSize: number;
  /** Counters for metrics and tests. */
  accepted = 0;
  duplicates = 0;
  dropped = 0;
  /** The last failure, one sentence; undefined after a success. */
  problem?: string;
  private readonly url: string;

  private readonly noun: string;

  constructor(
    private readonly o: PushOptions,
    private readonly key: ItemKey<T> = (i) => (i as { id: string }).id,
  ) {
    this.url = `${o.server.replace(/\/+$/, '')}${o.path ?? '/api/v1/incidents'}`;
    this.noun = o.noun ?? 'incidents';
    this.batchSize = o.batch ?? 100;
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Queues an item (once per key) and starts sending if idle. */
  add(item: T): void {
    if (this.stopped || this.queued.has(this.key(item))) return;
    if (this.queue.length >= (this.o.maxQueue ?? 10_000)) {
      const old = this.queue.shift()!;
      this.queued.delete(this.key(old));
      this.dropped++;
    }
    this.queue.push(item);
    this.queued.add(this.key(item));
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    while (this.queue.length && !this.stopped) {
      const batch = this.queue.slice(0, this.batchSize);
      // Never a rejection out of here: the agent must keep running whatever a server answers.
      const outcome = await this.send(batch).catch((err: unknown) =>
        this.fail(err instanceof Error ? err.message : String(err)),
      );
      if (outcome === 'done' || outcome === 'drop') {
        this.failures = 0;
        this.queue.splice(0, batch.length);
        for (const i of batch) this.queued.delete(this.key(i));
      } else if (outcome === 'retry') {
        this.failures++;
        await this.sleep(this.backoff());
      }
      // 'smaller': retried at once with half the batch
    }
  }

  private backoff(): number {
    const min = this.o.minBackoffMs ?? 1000;
    const max = this.o.maxBackoffMs ?? 300_000;
    const exp = Math.min(max, min * 2 ** Math.min(this.failures - 1, 20));
    return exp / 2 + Math.random() * (exp / 2);
  }

  private async send(batch: T[]): Promise<'done' | 'drop' | 'retry' | 'smaller'> {
    let token: string;
    try {
      token = this.o.token();
    } catch (err) {
      return this.fail(`the token file cannot be read (${(err as Error).message})`);
    }
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ items: batch }),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      return this.fail(cause?.code ?? cause?.message ?? (err as Error).message);
    }
    const text = await res.text().catch(() => '');
    const error = () => {
      try {
        return (JSON.parse(text) as { error?: string }).error ?? text.slice(0, 200);
      } catch {
        return text.slice(0, 200);
      }
    };
    if (res.ok) {
      let r: { accepted?: unknown; duplicates?: unknown } = {};
      try {
        r = JSON.parse(text) as typeof r;
      } catch {
        // checked below
      }
      if (typeof r.accepted !== 'number' || typeof r.duplicates !== 'number')
        return this.fail(
          `${res.status} with a body that is not the server's answer (is ${this.url} a podmortem server?)`,
        );
      this.accepted += r.accepted;
      this.duplicates += r.duplicates;
      if (this.problem) this.o.log?.(`${this.url}: pushing again.`);
      this.problem = undefined;
      return 'done';
    }
    if (res.status === 413 && batch.length > 1) {
      this.batchSize = Math.max(1, Math.floor(batch.length / 2));
      return 'smaller';
    }
    if (res.status === 400 || res.status === 413) {
      // The server will never take these: keeping them would block every later item.
      this.o.log?.(`${this.url} refused ${batch.length} ${this.noun} for good: ${error()}`);
      this.dropped += batch.length;
      return 'drop';
    }
    return this.fail(`${res.status} ${error()}`);
  }

  private fail(why: string): 'retry' {
    const sentence = `${this.url}: ${why}; ${this.queue.length} ${this.noun} wait, retrying with backoff.`;
    if (sentence !== this.problem) this.o.log?.(sentence);
    this.problem = sentence;
    return 'retry';
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  /** Waits until the queue is empty, at most `ms`; true when everything was sent. */
  async flush(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    this.wake?.(); // a retry waiting out its backoff goes now
    while (this.queue.length && Date.now() < deadline && !this.stopped) {
      await Promise.race([this.running, new Promise((r) => setTimeout(r, 50))]);
    }
    return this.queue.length === 0;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
}
