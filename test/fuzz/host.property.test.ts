// Properties of the host readers (readNodeFacts, everything `node --root` and `analyze --node-root`
// read) over a generated hostile snapshot root: every file the readers look at is garbage, an
// out-of-range number, a symlink pointing out of the root (absolute or climbing), a FIFO, a folder, or
// a sparse file of 64 MiB. The readers never throw and never hang, the facts stay bounded, and nothing
// from outside the root reaches them: not the planted secret, and the outside folder's path only in
// the sentence saying a link to it was not followed.
// Each case builds a real tree (FIFOs by mkfifo), so this runs a twentieth of FUZZ.numRuns cases.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { readNodeFacts } from '../../src/sources/host/node-facts.js';
import { FUZZ } from './settings.js';

const base = mkdtempSync(join(tmpdir(), 'pm-fuzz-host-'));
const outside = join(base, 'outside');
mkdirSync(outside);
const SECRET = 'SECRET-3f9a-must-not-appear';
writeFileSync(join(outside, 'secret'), `${SECRET}\n32768\nmax\n`);

const POD = 'pod8c1e5d7a-3f2b-4e91-a6d4-5b0f9c27e813';
const PATHS = [
  'proc/sys/kernel/pid_max',
  'proc/sys/kernel/threads-max',
  'proc/sys/fs/file-max',
  'proc/sys/fs/file-nr',
  'proc/loadavg',
  'proc/meminfo',
  'proc/1/status',
  'proc/1/limits',
  'proc/1/cgroup',
  'proc/1/stat',
  `sys/fs/cgroup/pids/kubepods/burstable/${POD}/pids.max`,
  `sys/fs/cgroup/pids/kubepods/burstable/${POD}/pids.current`,
  `sys/fs/cgroup/pids/kubepods/burstable/${POD}/pids.events`,
  'sys/fs/cgroup/pids/kubepods/pids.max',
  `sys/fs/cgroup/memory/kubepods/burstable/${POD}/memory.limit_in_bytes`,
  'etc/security/limits.conf',
  'etc/security/limits.d/20-nproc.conf',
  'etc/os-release',
  'var/lib/kubelet/config.yaml',
  'var/log/kern.log',
];

type Entry =
  | { kind: 'text'; text: string }
  | { kind: 'link'; to: string }
  | { kind: 'fifo' }
  | { kind: 'dir' }
  | { kind: 'huge' }
  | { kind: 'absent' };

const number = fc.oneof(
  fc.constantFrom(
    '-1',
    '0',
    'max',
    '18446744073709551615',
    '1e309',
    'NaN',
    '0x10',
    '',
    '32768',
    '-4096',
    '4194304\n\n',
  ),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);
const entry: fc.Arbitrary<Entry> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .oneof(
        number,
        fc.string({ maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b).toString('latin1')),
      )
      .map((text) => ({ kind: 'text' as const, text })),
  },
  {
    weight: 2,
    arbitrary: fc
      .constantFrom(
        join(outside, 'secret'),
        '../../../../../../../../outside/secret',
        outside,
        '/etc/shadow',
        '/dev/zero',
        '.',
        'loop',
      )
      .map((to) => ({ kind: 'link' as const, to })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'fifo' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'dir' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'huge' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'absent' as const }) },
);
const tree = fc.tuple(...PATHS.map(() => entry));

let n = 0;
function build(entries: Entry[]): string {
  const root = join(base, `root-${n++}`);
  mkdirSync(root);
  entries.forEach((e, i) => {
    const full = join(root, PATHS[i]!);
    mkdirSync(dirname(full), { recursive: true });
    if (e.kind === 'text') writeFileSync(full, e.text);
    else if (e.kind === 'link')
      symlinkSync(e.to.startsWith('../') ? relative(dirname(full), outside) + '/secret' : e.to, full);
    else if (e.kind === 'fifo') execFileSync('mkfifo', [full]);
    else if (e.kind === 'dir') mkdirSync(full, { recursive: true });
    else if (e.kind === 'huge') {
      writeFileSync(full, `${SECRET.slice(0, 3)}`);
      truncateSync(full, 64 << 20); // sparse: 64 MiB of NULs that cost nothing to make
    }
  });
  return root;
}

test('the host readers never throw or hang on a hostile snapshot, and nothing from outside the root reaches the facts', async () => {
  await fc.assert(
    fc.asyncProperty(tree, async (entries) => {
      const root = build(entries);
      try {
        const facts = await readNodeFacts(root, { podUids: [POD.slice(3)] });
        const text = JSON.stringify(facts);
        expect(text).not.toContain(SECRET);
        // The outside path may be named only where a link to it is refused, never as evidence read.
        expect(JSON.stringify({ ...facts, unreadable: [] })).not.toContain(outside);
        for (const u of facts.unreadable) if (u.includes(outside)) expect(u).toMatch(/not read|not followed/);
        expect(text.length).toBeLessThan(4 << 20);
        for (const l of facts.limits) {
          if (l.max !== null) expect(Number.isFinite(l.max) && l.max >= 0).toBe(true);
          if (l.used !== null) expect(Number.isFinite(l.used) && l.used >= 0).toBe(true);
        }
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    }),
    { ...FUZZ, numRuns: Math.max(20, Math.round(FUZZ.numRuns / 20)) },
  );
}, 600_000);
