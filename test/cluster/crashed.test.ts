// Which containers a scan picks, on pod objects of the shapes the API returns: restarted, in
// CrashLoopBackOff, terminated with an error; --since keeps the restarts whose last termination is in
// the window (a container crash-looping right now always counts).
import { expect, test } from 'vitest';
import { crashedContainers } from '../../src/sources/cluster/crashed.js';
import { pod } from '../standin/objects.mjs';

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
