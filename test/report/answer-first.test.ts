// The answer first, in every format: an on-call engineer reads the verdict, the cause, whose crash it
// was and the first command to run before anything else, and finds the same line at the end of the
// text report. Undecided reports say what would decide them, never "most likely", and show no fix.
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CauseAssessment, Report } from '../../src/evidence/types.js';
import { render } from '../../src/report/index.js';
import { ensureBuilt } from '../cli/helpers.js';

const DIR = 'examples/calico-node-newosproc';
/** The README's first command. */
const README_COMMAND = [
  'dist/cli/main.js',
  'analyze',
  `${DIR}/calico-node.log`,
  `${DIR}/pod.yaml`,
  '--node-root',
  `${DIR}/node`,
];

function run(args: string[]): string {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  expect(r.status).toBe(0);
  return r.stdout;
}

describe("the calico example (README's first command): verdict and first command in the first 5 lines", () => {
  beforeAll(() => ensureBuilt(), 180_000);
  for (const format of ['text', 'markdown', 'html']) {
    it(format, () => {
      // Markdown's code spans and escapes are not part of what a reader sees.
      const head = run([...README_COMMAND, '--format', format])
        .split('\n')
        .slice(0, 5)
        .join('\n')
        .replace(/[`\\]/g, '');
      expect(head).toContain('confirmed kernel.pid_max');
      expect(head).toContain('sysctl -w kernel.pid_max=4194304');
      expect(head).toContain('kube-system/calico-node-56bgm/calico-node');
    });
  }
  it('json: the first incident’s first cause is the confirmed one and its first command', () => {
    const j = JSON.parse(run([...README_COMMAND, '--format', 'json'])) as Report;
    const top = j.incidents[0]!.causes[0]!;
    expect(top).toMatchObject({ id: 'kernel.pid_max', verdict: 'confirmed' });
    expect(top.remediation[0]!.commands[0]).toBe('sysctl -w kernel.pid_max=4194304');
  });
  it('text: the same answer line closes the report', () => {
    const lines = run(README_COMMAND).trimEnd().split('\n');
    expect(lines.slice(-2)).toEqual([
      'Answer: confirmed kernel.pid_max on kube-system/calico-node-56bgm/calico-node',
      '  run first: sysctl -w kernel.pid_max=4194304',
    ]);
    expect(lines[0]).toBe(lines.at(-2));
  });
});

const possible = (id: string, missing: string, fix: string): CauseAssessment => ({
  id,
  verdict: 'possible',
  summary: `${id} may have been reached.`,
  reasons: [],
  evidence: [],
  missing: [missing],
  remediation: [{ summary: `Raise ${id}.`, commands: [fix] }],
  weight: 1,
});

/** `kubectl logs -p | podmortem analyze`: a log alone, three causes nobody can tell apart. */
const tie: Report = {
  schemaVersion: 1,
  incidents: [
    {
      subject: { source: 'stdin' },
      signatures: [],
      causes: [
        possible('rlimit.nproc', 'cat /proc/PID/limits', 'systemctl daemon-reexec'),
        possible('cgroup.pids', 'cat /sys/fs/cgroup/pids.max', 'kubectl edit kubelet-config'),
        possible('kernel.pid_max', 'cat /proc/sys/kernel/pid_max', 'sysctl -w kernel.pid_max=4194304'),
      ],
      notes: [],
    },
  ],
  warnings: [],
};

describe('an undecided report', () => {
  const out = {
    text: render(tie, 'text', { color: false }),
    markdown: render(tie, 'markdown', { color: false }),
    html: render(tie, 'html', { color: false }),
  };
  for (const [format, shown] of Object.entries(out)) {
    it(`${format}: says undecided, gives the command that would decide, prints no fix`, () => {
      const said = shown.replace(/[`\\]/g, '');
      expect(said).not.toMatch(/most likely/i);
      expect(said).toContain('undecided between rlimit.nproc, cgroup.pids, kernel.pid_max');
      expect(said.split('\n').slice(0, 5).join('\n')).toContain('cat /proc/PID/limits');
      for (const fix of ['systemctl daemon-reexec', 'kubectl edit kubelet-config', 'sysctl -w'])
        expect(said).not.toContain(fix);
      expect(said).toContain('cat /sys/fs/cgroup/pids.max');
    });
  }
});

describe('wrapped text', () => {
  const long: Report = {
    ...tie,
    incidents: [
      {
        ...tie.incidents[0]!,
        causes: [
          {
            ...possible('kernel.pid_max', 'cat /proc/sys/kernel/pid_max', 'x'),
            verdict: 'confirmed',
            reasons: [Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ')],
            remediation: [{ summary: 'Raise it.', commands: [`echo ${'a'.repeat(120)}`] }],
            missing: [`grep -i podPidsLimit /var/lib/kubelet/config.yaml; ${'b'.repeat(60)}`],
          },
        ],
      },
    ],
  };
  const lines = render(long, 'text', { color: false, width: 60 }).split('\n');
  it('stays within the width and continues under its own text', () => {
    const start = lines.findIndex((l) => l.includes('word0 '));
    expect(lines[start]!.startsWith('      · word0')).toBe(true);
    expect(lines[start + 1]!.startsWith('        word')).toBe(true);
    // Commands are the exception: never broken, so they can be pasted.
    for (const l of lines.filter((x) => !/\$ |run first: |to decide: /.test(x)))
      expect(l.length).toBeLessThanOrEqual(60);
  });
  it('never breaks a command', () => {
    expect(lines).toContain(`        $ echo ${'a'.repeat(120)}`);
    expect(lines).toContain(
      `      to decide: grep -i podPidsLimit /var/lib/kubelet/config.yaml; ${'b'.repeat(60)}`,
    );
  });
  it('wraps at 100 columns when stdout is not a terminal', () => {
    const wide = render(long, 'text', { color: false });
    const reason = wide.split('\n').filter((l) => /word\d/.test(l));
    expect(reason.length).toBeGreaterThan(1);
    if (!process.stdout.isTTY) for (const l of reason) expect(l.length).toBeLessThanOrEqual(100);
  });
});

describe('the node limits table', () => {
  it('keeps each row on one line, whatever the width', () => {
    const withLimits: Report = {
      ...tie,
      node: {
        limits: [{ id: 'kernel.pid_max', scope: 'node', used: 32760, max: 32768, ratio: 1, evidence: [] }],
      },
    };
    const lines = render(withLimits, 'text', { color: false, width: 60 }).split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}limit +scope +used \/ max +used% {2}peak, hits/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}kernel\.pid_max +node +32760 \/ 32768 +100\.0%$/),
    );
  });
});
