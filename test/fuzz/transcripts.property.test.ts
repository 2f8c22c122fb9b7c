// Properties of the transcript parsers (pasted ulimit, sysctl, /proc status and limits, ps, kubectl,
// docker inspect, systemctl output) on hostile input: command lines followed by garbage, numbers out
// of range, escape codes and very long lines never throw, every number that becomes a fact is finite
// and whole, and the facts stay bounded by the input.
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseTranscript } from '../../src/sources/transcripts/index.js';
import { FUZZ } from './settings.js';

const COMMANDS = [
  '$ ulimit -a',
  '$ ulimit -u',
  '# sysctl -a',
  '$ sysctl kernel.pid_max kernel.threads-max',
  '$ cat /proc/1/status',
  '$ cat /proc/1/limits',
  '$ cat /sys/fs/cgroup/pids/pids.max',
  '$ cat /sys/fs/cgroup/pids.events',
  '$ cat /etc/security/limits.conf',
  '$ ps -eLf | wc -l',
  '$ ps aux',
  '$ kubectl describe pod web-1',
  '$ kubectl get pod web-1 -o wide',
  '$ kubectl logs -p web-1',
  '$ docker inspect web',
  '$ systemctl show containerd',
  '$ lsof -p 1 | wc -l',
];
const value = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    'max',
    'unlimited',
    '18446744073709551615',
    '1e309',
    'NaN',
    '-0',
    '0x10',
    '',
    '4096',
  ),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
  fc.string({ maxLength: 12 }),
);
const body = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        'Threads:',
        'Max processes',
        'kernel.pid_max =',
        'nproc',
        'pids.max',
        'max',
        'Restart Count:',
        'Exit Code:',
        'TasksMax=',
      ),
      value,
      value,
    )
    .map((p) => p.join(' ')),
  fc
    .tuple(
      fc.constantFrom('*', 'root', '@wheel'),
      fc.constantFrom('soft', 'hard', '-'),
      fc.constantFrom('nproc', 'nofile'),
      value,
    )
    .map((p) => p.join('\t')),
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '\u001b[2J\u001b[31mred',
    '```',
    '> quoted',
    '   ',
    'Last State: Terminated',
    '  Reason: OOMKilled',
    '{"State":{"ExitCode":"x"}}',
  ),
  fc.nat({ max: 100_000 }).map((n) => 'x'.repeat(n)),
);
const transcript = fc.array(fc.oneof(fc.constantFrom(...COMMANDS), body, body), { maxLength: 60 });

function numbers(v: unknown, out: number[] = []): number[] {
  if (typeof v === 'number') out.push(v);
  else if (Array.isArray(v)) for (const x of v) numbers(x, out);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) numbers(x, out);
  return out;
}

test('the transcript parsers never throw; their numbers are finite and their facts bounded', () => {
  fc.assert(
    fc.property(transcript, (texts) => {
      const lines = texts.map((text, i) => ({ n: i + 1, text }));
      const facts = parseTranscript(lines, 'fuzz.md');
      for (const n of numbers(facts)) expect(Number.isFinite(n)).toBe(true);
      const size = texts.reduce((a, t) => a + t.length + 1, 0);
      expect(JSON.stringify(facts).length).toBeLessThanOrEqual(4096 + 8 * size);
    }),
    FUZZ,
  );
}, 300_000);
