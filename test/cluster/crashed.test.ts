// Which containers a scan picks, on pod objects of the shapes the API returns: restarted, in
// CrashLoopBackOff, terminated with an error; --since keeps the restarts whose last termination is in
// the window (a container crash-looping right now always counts).
import { expect, test } from 'vitest';
import { crashedContainers } from '../../src/sources/cluster/crashed.js';
import { pod } from '../standin/objects.mjs';
import type { WireObject } from '../../src/sources/cluster/wire.js';
import { FUZZ } from '../fuzz/settings.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const HOUR = 3_600_000;

test('restarted, crash-looping and failed containers are picked; healthy ones are not', () => {
  const p = pod({
    ns: 'shop',
    name: 'multi',
    node: 'n1',
    containers: [
      {
        name: 'restarted',
        restartCount: 2,
        lastTerminated: { exitCode: 2, finishedAt: '2026-11-29T11:30:00Z' },
      },
      {
        name: 'looping',
        restartCount: 9,
        waiting: 'CrashLoopBackOff',
        lastTerminated: { exitCode: 1, finishedAt: '2026-11-28T01:00:00Z' },
      },
      { name: 'healthy' },
    ],
  });
  const picked = crashedContainers(p, { now: NOW });
  expect(picked.map((c) => c.container)).toEqual(['restarted', 'looping']);
  expect(picked[1]).toMatchObject({ why: '9 restarts, CrashLoopBackOff', previous: true, node: 'n1' });
});

test('a Job container that failed without restarting is read from its own log, not the previous one', () => {
  const p = pod({ ns: 'batch', name: 'report-28', node: 'n1', containers: [{ name: 'job' }] });
  p.status.containerStatuses[0].state = {
    terminated: { exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-11-29T11:59:00Z' },
  };
  expect(crashedContainers(p, { now: NOW })).toEqual([
    {
      namespace: 'batch',
      pod: 'report-28',
      container: 'job',
      node: 'n1',
      why: 'terminated with exit 137',
      finishedAt: '2026-11-29T11:59:00Z',
      previous: false,
    },
  ]);
});

test('--since keeps recent terminations and crash loops, drops old restarts', () => {
  const p = pod({
    ns: 'shop',
    name: 'x',
    node: 'n1',
    containers: [
      {
        name: 'recent',
        restartCount: 1,
        lastTerminated: { exitCode: 2, finishedAt: '2026-11-29T11:00:00Z' },
      },
      { name: 'old', restartCount: 1, lastTerminated: { exitCode: 2, finishedAt: '2026-11-28T11:00:00Z' } },
      {
        name: 'looping',
        restartCount: 40,
        waiting: 'CrashLoopBackOff',
        lastTerminated: { exitCode: 1, finishedAt: '2026-11-20T11:00:00Z' },
      },
    ],
  });
  expect(crashedContainers(p, { now: NOW, sinceMs: 2 * HOUR }).map((c) => c.container)).toEqual([
    'recent',
    'looping',
  ]);
});

test('garbage is not a pod and picks nothing', () => {
  for (const v of [
    null,
    42,
    'pod',
    { metadata: {} },
    { metadata: { name: 'x' }, status: { containerStatuses: 'no' } },
  ]) {
    expect(crashedContainers(v)).toEqual([]);
  }
});

// The scan drops healthy pods before converting them (mayHaveCrashedOrBeNotReady on the server's
// JSON): it must never drop one the exact tests would keep, whatever odd values the server sends.
test('the cheap test on raw JSON never drops a pod that crashed or is not ready', async () => {
  const fc = (await import('fast-check')).default;
  const { mayHaveCrashedOrBeNotReady } = await import('../../src/sources/cluster/crashed.js');
  const odd = fc.constantFrom(undefined, null, 0, 1, 3, -1, '0', '', 'x', true, [], {});
  const terminated = fc.oneof(
    odd,
    fc.record(
      { exitCode: odd, reason: fc.constantFrom(undefined, 'Error', 'Completed') },
      { requiredKeys: [] },
    ),
  );
  const status = fc.oneof(
    odd,
    fc.record(
      {
        name: fc.constantFrom('app', undefined),
        restartCount: odd,
        state: fc.oneof(
          odd,
          fc.record(
            {
              waiting: fc.oneof(
                odd,
                fc.record({ reason: fc.constantFrom('CrashLoopBackOff', 'ImagePullBackOff', undefined) }),
              ),
              terminated,
            },
            { requiredKeys: [] },
          ),
        ),
        lastState: fc.oneof(odd, fc.record({ terminated }, { requiredKeys: [] })),
      },
      { requiredKeys: [] },
    ),
  );
  const raw = fc.record(
    {
      metadata: fc.constantFrom({ name: 'p', namespace: 'shop' }, { name: 'p' }, undefined, null),
      spec: fc.constantFrom({ nodeName: 'n1' }, undefined),
      status: fc.oneof(
        odd,
        fc.record(
          {
            phase: fc.constantFrom('Running', 'Pending', undefined),
            conditions: fc.oneof(
              odd,
              fc.array(
                fc.record({
                  type: fc.constantFrom('Ready', 'PodScheduled'),
                  status: fc.constantFrom('True', 'False', 'Unknown'),
                }),
              ),
            ),
            containerStatuses: fc.oneof(odd, fc.array(status, { maxLength: 3 })),
            initContainerStatuses: fc.oneof(odd, fc.array(status, { maxLength: 2 })),
          },
          { requiredKeys: [] },
        ),
      ),
    },
    { requiredKeys: [] },
  );
  fc.assert(
    fc.property(raw, (p) => {
      // The scan reads the server's JSON as it is (no typed conversion): the exact tests see `p` too.
      const wire = p as unknown as WireObject & { status?: { phase?: unknown; conditions?: unknown } };
      const crashed = crashedContainers(wire, { now: NOW }).length > 0;
      const notReady =
        wire?.status?.phase === 'Running' &&
        Array.isArray(wire.status.conditions) &&
        (wire.status.conditions as unknown[]).some(
          (c) =>
            (c as { type?: string } | null)?.type === 'Ready' &&
            (c as { status?: string }).status === 'False',
        );
      if (crashed || notReady) expect(mayHaveCrashedOrBeNotReady(p)).toBe(true);
    }),
    { numRuns: 3000, seed: FUZZ.seed },
  );
  // And it does drop the pods a scan meets most: running, ready, never restarted.
  expect(
    mayHaveCrashedOrBeNotReady(pod({ ns: 'shop', name: 'ok', node: 'n1', containers: [{ name: 'app' }] })),
  ).toBe(false);
});
