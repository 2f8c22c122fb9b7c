// The agent's Event queue against the HTTPS stand-in API through the real client: an API server
// that accepts the request and never answers does not hold the queue (each request is cancelled and
// retried), and while the API server is down the queue stays bounded, dropping the oldest, counted.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventPoster } from '../../src/sinks/event-poster.js';
import { EventSink, type EventOutcome } from '../../src/sinks/kube-events.js';
import type { IncidentItem } from '../../src/store/types.js';
import { startStandin, type Standin } from '../standin/server.mjs';
import { item } from '../server/items.js';
import { until } from './helpers.js';

/** Incident n of its own workload (the sink rate-limits per workload). */
function ofWorkload(n: number): IncidentItem {
  const i = item(n);
  return { ...i, subject: { ...i.subject, pod: `worker${n}-0` } };
}

describe('the Event queue while the API server is away', () => {
  let standin: Standin | undefined;
  let sink: EventSink | undefined;
  afterEach(async () => {
    sink?.close();
    await standin?.close();
  });

  async function sinkFor(s: Standin, timeoutMs: number) {
    const poster = (await eventPoster(s.kubeconfig))!.poster;
    const outcomes: EventOutcome[] = [];
    const lines: string[] = [];
    const made = new EventSink(
      poster,
      'test-node',
      (l) => lines.push(l),
      (o) => outcomes.push(o),
      timeoutMs,
    );
    return { sink: made, outcomes, lines };
  }

  it('cancels a request the API server never answers, keeps the Event, and posts it once it answers', async () => {
    standin = await startStandin({});
    standin.inject({ path: /\/events/, hang: true, times: Infinity });
    const made = await sinkFor(standin, 500);
    sink = made.sink;
    sink.add(ofWorkload(1));
    await until(
      () => standin!.aborted,
      (n) => n >= 2,
      30_000,
      'two cancelled requests',
    );
    expect(sink.pending).toBe(1);
    expect(made.outcomes.filter((o) => o === 'failed').length).toBeGreaterThanOrEqual(2);
    expect(made.lines.join('\n')).toMatch(/Events cannot reach the API server \(no answer within 0\.5 s\)/);
    standin.clearFaults();
    await until(
      () => standin!.state.posted.length,
      (n) => n === 1,
      60_000,
      'the Event posted',
    );
    await until(
      () => sink!.pending,
      (n) => n === 0,
      5_000,
      'an empty queue',
    );
    expect(made.outcomes.filter((o) => o === 'posted')).toHaveLength(1);
    expect(made.lines.at(-1)).toMatch(
      /^Events reach the API server again after \d+ s; the 1 queued are being posted\.$/,
    );
  }, 90_000);

  it('holds at most 500 Events while the API server is down, dropping the oldest and counting them', async () => {
    standin = await startStandin({});
    await standin.down();
    const made = await sinkFor(standin, 2000);
    sink = made.sink;
    for (let n = 0; n < 600; n++) sink.add(ofWorkload(n));
    expect(sink.pending).toBe(500);
    expect(sink.dropped).toBe(100);
    expect(made.outcomes.filter((o) => o === 'dropped')).toHaveLength(100);
    await until(
      () => made.lines.join('\n'),
      (t) => /Events cannot reach the API server \(.*ECONNREFUSED/.test(t),
      30_000,
      'the sentence',
    );
    await standin.up();
    await until(
      () => standin!.state.posted.length,
      (n) => n === 500,
      120_000,
      'every queued Event posted',
    );
    // The oldest 100 were dropped: the first posted is incident 100's.
    expect(standin.state.posted[0]!.regarding?.name).toBe('worker100-0');
    expect(new Set(standin.state.posted.map((e) => e.metadata.name)).size).toBe(500);
  }, 150_000);
});

describe('the Event poster without client-node', () => {
  it('reads a kubeconfig whose CA and token are files beside it (relative paths) and posts through it', async () => {
    const standin = await startStandin({});
    const dir = mkdtempSync(join(tmpdir(), 'pm-poster-'));
    try {
      copyFileSync(join(standin.caDir, 'ca.crt'), join(dir, 'ca.crt'));
      writeFileSync(join(dir, 'token'), 'standin-token-3f9a\n');
      const config = join(dir, 'config');
      writeFileSync(
        config,
        [
          'apiVersion: v1',
          'kind: Config',
          'clusters: [{name: c, cluster: {server: "' + standin.url + '", certificate-authority: ca.crt}}]',
          'users: [{name: u, user: {tokenFile: token}}]',
          'contexts: [{name: x, context: {cluster: c, user: u}}]',
          'current-context: x',
        ].join('\n'),
      );
      const poster = (await eventPoster(config))!.poster;
      const event = {
        metadata: { name: 'p.pm1', namespace: 'lab' },
        eventTime: new Date(),
        reason: 'CrashDiagnosed',
      };
      const answer = await poster.post('lab', event, new AbortController().signal);
      expect(answer.status).toBe(201);
      expect(standin.state.posted.map((e) => e.metadata.name)).toEqual(['p.pm1']);
      // Kubernetes MicroTime: six fractional digits.
      const sent = standin.state.posted[0] as unknown as { eventTime: string };
      expect(sent.eventTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
      // A second post is refused as a duplicate (409), which the sink counts as sent.
      expect((await poster.post('lab', event, new AbortController().signal)).status).toBe(409);
    } finally {
      await standin.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('says in one sentence that a kubeconfig has no current context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-poster-'));
    try {
      writeFileSync(join(dir, 'config'), 'apiVersion: v1\nkind: Config\nclusters: []\n');
      await expect(eventPoster(join(dir, 'config'))).rejects.toThrow(
        /^cannot read the kubeconfig: .*config has no current context\.$/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
