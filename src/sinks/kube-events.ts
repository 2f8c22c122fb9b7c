// A Kubernetes Event on the pod for each diagnosed exit (events.k8s.io/v1: type Warning, reason
// CrashDiagnosed, reportingController podmortem.io/agent, the note starting with the top verdict and
// cause id, then its summary and first fix), so `kubectl describe pod` shows why it crashed.
// Deduplicated (one Event per incident: its name derives from the incident id, a repeat answers 409
// and counts as sent) and rate-limited per workload (a crash-looping Deployment does not flood the
// API); queued with bounded retry and back-off while the API server is unreachable. Each request
// is cancelled after REQUEST_TIMEOUT_MS: an API server (or a proxy in front of it) that accepts the
// connection and never answers must not hold the queue forever.
// The request itself goes through an EventPoster (event-poster.ts: node:https, client-node only for
// exec-plugin kubeconfigs), so the agent does not carry client-node's 70 MiB.
import type { EventsV1Event } from '@kubernetes/client-node';
import type { EventPoster } from './event-poster.js';
import type { IncidentItem } from '../store/types.js';
import { workloadOf } from '../store/workload.js';

export const EVENT_REASON = 'CrashDiagnosed';
export const REPORTING_CONTROLLER = 'podmortem.io/agent';

/** Events waiting at most; beyond, the oldest is dropped. */
const MAX_QUEUE = 500;
/** An Event older than this is not worth posting any more. */
const MAX_AGE_MS = 15 * 60_000;
const MAX_BACKOFF_MS = 30_000;
/** Events per workload: a burst of this many, then one per this interval. */
const WORKLOAD_BURST = 3;
const WORKLOAD_INTERVAL_MS = 60_000;
/** The API's limit on an Event's note. */
const MAX_NOTE = 1024;
/** One POST waits at most this long for an answer; then it is cancelled and retried later. */
const REQUEST_TIMEOUT_MS = 10_000;

/** What happened to an Event, for the agent's counters. */
export type EventOutcome = 'posted' | 'failed' | 'dropped';

/** The Event's note: "<verdict> <cause>: <summary> Fix: <first fix>", within the API's 1 KiB. */
export function eventNote(item: IncidentItem): string {
  const top = item.causes[0];
  const s = item.subject;
  let note: string;
  if (top) {
    const fix = top.verdict !== 'ruled-out' ? top.remediation[0]?.summary : undefined;
    note = `${top.verdict} ${top.id}: ${top.summary}${fix ? ` Fix: ${fix}` : ''}`;
  } else {
    const sig = item.signatures[0];
    note = `unexplained: exit code ${s.exitCode ?? 'unknown'}${sig ? ` (${sig.id}: ${sig.title})` : ''}; no cause could be weighed.`;
  }
  return note.length > MAX_NOTE ? `${note.slice(0, MAX_NOTE - 1)}…` : note;
}

export function eventOf(item: IncidentItem, instance: string): EventsV1Event {
  const s = item.subject;
  return {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: {
      name: `${(s.pod ?? 'pod').slice(0, 200)}.pm${item.id.slice(0, 16)}`,
      namespace: s.namespace ?? 'default',
    },
    eventTime: new Date(),
    type: 'Warning',
    reason: EVENT_REASON,
    action: 'Diagnose',
    reportingController: REPORTING_CONTROLLER,
    reportingInstance: `${REPORTING_CONTROLLER}-${instance}`.slice(0, 128),
    regarding: {
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: s.namespace ?? 'default',
      name: s.pod ?? '',
      ...(s.podUid ? { uid: s.podUid } : {}),
      ...(s.container ? { fieldPath: `spec.containers{${s.container}}` } : {}),
    },
    note: eventNote(item),
  };
}

interface Queued {
  event: EventsV1Event;
  queuedAt: number;
  attempts: number;
  notBefore: number;
}

export class EventSink {
  private readonly queue: Queued[] = [];
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private timer?: NodeJS.Timeout;
  private sending = false;
  private closed = false;
  sent = 0;
  dropped = 0;
  limited = 0;
  lastProblem?: string;
  private unreachableSince?: number;

  constructor(
    private readonly poster: EventPoster,
    private readonly instance: string,
    private readonly log: (line: string) => void = () => undefined,
    /** Called for each Event posted, each failed attempt and each Event dropped. */
    private readonly count: (o: EventOutcome) => void = () => undefined,
    private readonly timeoutMs = REQUEST_TIMEOUT_MS,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  /** Queues the Event of one incident, unless its workload is over its rate. */
  add(item: IncidentItem): void {
    const key = `${item.subject.namespace ?? ''}/${workloadOf(item.subject)}`;
    if (!this.take(key)) {
      this.limited++;
      return;
    }
    if (this.queue.length >= MAX_QUEUE) {
      this.queue.shift();
      this.drop();
    }
    this.queue.push({ event: eventOf(item, this.instance), queuedAt: Date.now(), attempts: 0, notBefore: 0 });
    void this.pump();
  }

  private take(key: string): boolean {
    const now = Date.now();
    const b = this.buckets.get(key) ?? { tokens: WORKLOAD_BURST, at: now };
    b.tokens = Math.min(WORKLOAD_BURST, b.tokens + (now - b.at) / WORKLOAD_INTERVAL_MS);
    b.at = now;
    this.buckets.set(key, b);
    if (this.buckets.size > 10_000) this.buckets.clear();
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async pump(): Promise<void> {
    if (this.sending || this.closed) return;
    this.sending = true;
    try {
      while (this.queue.length && !this.closed) {
        const q = this.queue[0]!;
        const wait = q.notBefore - Date.now();
        if (wait > 0) {
          this.schedule(wait);
          return;
        }
        const outcome = await this.send(q.event);
        if (outcome === 'retry') {
          q.attempts++;
          if (Date.now() - q.queuedAt > MAX_AGE_MS) {
            this.queue.shift();
            this.drop();
            continue;
          }
          q.notBefore = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(q.attempts, 8));
          continue;
        }
        this.queue.shift();
        if (outcome === 'sent') {
          this.sent++;
          this.count('posted');
        } else this.drop();
      }
    } finally {
      this.sending = false;
    }
  }

  private drop(): void {
    this.dropped++;
    this.count('dropped');
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pump();
    }, ms);
    this.timer.unref();
  }

  private async send(event: EventsV1Event): Promise<'sent' | 'retry' | 'refused'> {
    const abort = new AbortController();
    const timer = setTimeout(
      () => abort.abort(new Error(`no answer within ${this.timeoutMs / 1000} s`)),
      this.timeoutMs,
    );
    try {
      let answer;
      try {
        answer = await this.poster.post(
          event.metadata!.namespace!,
          event as unknown as Record<string, unknown>,
          abort.signal,
        );
      } catch (caught) {
        const err: unknown = abort.signal.aborted ? abort.signal.reason : caught;
        return this.unreachable(err instanceof Error ? err.message.split('\n')[0]! : String(err));
      }
      const code = answer.status;
      if ((code >= 200 && code < 300) || code === 409) {
        // 409: posted before (an agent restart): the one Event exists
        if (this.unreachableSince !== undefined)
          this.log(
            `Events reach the API server again after ${((Date.now() - this.unreachableSince) / 1000).toFixed(0)} s; the ${this.queue.length} queued are being posted.`,
          );
        this.unreachableSince = undefined;
        this.lastProblem = undefined;
        return 'sent';
      }
      if (code >= 400 && code < 500 && code !== 429 && code !== 408) {
        this.note(
          `the API server refused an Event (HTTP ${code}${answer.message ? `: ${answer.message.slice(0, 200)}` : ''}); check the agent's RBAC (events.k8s.io create).`,
        );
        return 'refused';
      }
      return this.unreachable(`HTTP ${code}`);
    } finally {
      clearTimeout(timer);
    }
  }

  private unreachable(why: string): 'retry' {
    this.count('failed');
    this.unreachableSince ??= Date.now();
    this.note(`Events cannot reach the API server (${why}); they are queued and retried.`);
    return 'retry';
  }

  private note(sentence: string): void {
    if (sentence !== this.lastProblem) this.log(sentence);
    this.lastProblem = sentence;
  }

  /** Resolves when the queue is empty or after `ms`. */
  async flush(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (this.queue.length && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
