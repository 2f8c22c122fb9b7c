// Reports print what the analysis found and nothing a log can smuggle in: hostile escape
// sequences are shown, never executed; a log line cannot break out of a Markdown code block.
import { describe, expect, it } from 'vitest';
import type { Report } from '../../src/evidence/types.js';
import { render } from '../../src/report/index.js';
import { expectValidReport } from '../schema/report-check.js';

const HOSTILE =
  'runtime: failed to create new OS thread \u001b[2J\u001b]0;pwned\u0007 ``` </pre><script>alert(1)</script>';

const report: Report = {
  schemaVersion: 1,
  incidents: [
    {
      subject: { namespace: 'kube-system', pod: 'calico-node-56bgm', container: 'calico-node', exitCode: 2 },
      signatures: [
        {
          id: 'go.newosproc',
          family: 'go',
          title: 'Go runtime could not create an OS thread',
          fields: { threads: 41, errno: 11 },
          evidence: [{ source: 'calico-node.log', line: 1, text: HOSTILE }],
          count: 1,
        },
      ],
      causes: [
        {
          id: 'kernel.pid_max',
          verdict: 'confirmed',
          summary: 'PID numbers exhausted.',
          reasons: ['32760 tasks of at most 32767 PIDs.'],
          evidence: [{ source: '/proc/loadavg', text: '12.31 11.87 11.02 9/32760 28411' }],
          missing: [],
          remediation: [
            {
              summary: 'Raise pid_max.',
              commands: [
                'sysctl -w kernel.pid_max=4194304',
                '# in config.yaml:\n# evictionHard: { pid.available: "5%" }',
              ],
            },
          ],
          weight: 1,
        },
        {
          id: 'rlimit.nproc',
          verdict: 'ruled-out',
          summary: 'Root is exempt.',
          reasons: ['Real UID 0 outside a user namespace is never limited by RLIMIT_NPROC.'],
          evidence: [],
          missing: [],
          remediation: [{ summary: 'Edit limits.d', commands: ['vi /etc/security/limits.d/20-nproc.conf'] }],
          weight: 0.3,
        },
      ],
      notes: [],
    },
  ],
  node: {
    limits: [{ id: 'kernel.pid_max', scope: 'node', used: 32760, max: 32768, ratio: 1, evidence: [] }],
  },
  findings: [
    {
      kind: 'node',
      node: '10.165.6.26',
      summary: 'On node 10.165.6.26, the likely root incident is kube-system/calico-node-56bgm.',
      incidents: [0],
      root: 0,
      blastRadius: [{ pod: 'shop/checkout-1', why: 'crashed in the same window' }],
      evidence: [],
      next: ['Fix kube-system/calico-node-56bgm first.'],
    },
  ],
  warnings: [],
};

describe('text report', () => {
  it('shows escape sequences as visible text, without colours when not asked', () => {
    const out = render(report, 'text', { color: false });
    expect(out).not.toContain('\u001b');
    expect(out).not.toContain('\u0007');
    expect(out).toContain('\\x1b[2J');
    expect(out).toMatch(/confirmed\s+kernel\.pid_max/);
  });
  it('colours verdicts on a terminal', () => {
    expect(render(report, 'text', { color: true })).toContain('\u001b[');
  });
  it('does not print the fix of a ruled-out cause', () => {
    const out = render(report, 'text', { color: false });
    expect(out).toContain('sysctl -w kernel.pid_max=4194304');
    expect(out).not.toContain('vi /etc/security/limits.d/20-nproc.conf');
  });
});

describe('markdown report', () => {
  const out = render(report, 'markdown', { color: false });
  it('keeps a hostile line inside its code block', () => {
    // The fence around the evidence must be longer than the ``` the log line contains.
    const line = out.split('\n').findIndex((l) => l.includes('pwned'));
    expect(out.split('\n')[line - 1]).toBe('````');
    expect(out).not.toContain('\u001b');
  });
  it('leads with the answer and lists ruled-out ones with their reason', () => {
    expect(out.split('\n')[2]).toBe(
      '**Answer: confirmed `kernel.pid_max`** on kube-system/calico-node-56bgm/calico-node  ',
    );
    expect(out).toContain('| ruled-out | `rlimit.nproc` |');
    expect(out).toContain('Real UID 0 outside a user namespace');
  });
});

describe('commands and findings in markdown and html', () => {
  const md = render(report, 'markdown', { color: false });
  const html = render(report, 'html', { color: false });
  it('keeps the line breaks of a command snippet', () => {
    expect(md).toContain('# in config.yaml:\n# evictionHard: { pid.available: "5%" }');
    expect(md).not.toContain('\\n# evictionHard');
    expect(html).toContain('# in config.yaml:\n# evictionHard: { pid.available: &quot;5%&quot; }');
  });
  it('prints a line two signatures matched once', () => {
    const twice: Report = {
      ...report,
      incidents: [
        {
          ...report.incidents[0]!,
          signatures: ['go.newosproc-fatal', 'go.fatal-error'].map((id) => ({
            id,
            family: 'go',
            title: id,
            fields: {},
            evidence: [{ source: 'calico-node.log', line: 3, text: 'fatal error: newosproc' }],
            count: 1,
          })),
        },
      ],
    };
    const out = render(twice, 'markdown', { color: false });
    expect(out.split('calico-node.log:3: fatal error: newosproc')).toHaveLength(2);
  });
  it('leads with the findings, blast radius included', () => {
    expect(md.indexOf('## Findings')).toBeGreaterThan(-1);
    expect(md.indexOf('## Findings')).toBeLessThan(md.indexOf('## kube-system/calico-node-56bgm'));
    expect(md).toContain('shop/checkout-1: crashed in the same window');
    expect(html).toContain('<h2>Findings</h2>');
    expect(html).toContain('shop/checkout-1: crashed in the same window');
  });
});

describe('html report', () => {
  it('escapes markup from logs', () => {
    const out = render(report, 'html', { color: false });
    expect(out).not.toContain('<script>');
    expect(out).toContain('&lt;script&gt;');
  });
});

describe('json report', () => {
  it('follows the contract shape', () => {
    const j = JSON.parse(render(report, 'json', { color: false }));
    expect(j.schemaVersion).toBe(1);
    expect(j.incidents[0].signatures[0]).toMatchObject({
      id: 'go.newosproc',
      fields: { threads: 41, errno: 11 },
    });
    expect(j.incidents[0].causes.map((c: { id: string }) => c.id)).toEqual([
      'kernel.pid_max',
      'rlimit.nproc',
    ]);
    expect(j.incidents[0].causes[0]).not.toHaveProperty('weight');
    expect(j.node.limits[0]).toMatchObject({ id: 'kernel.pid_max', scope: 'node', used: 32760, max: 32768 });
    expectValidReport(report);
  });
});

describe('whose evidence it is', () => {
  // The EMFILE crash of issue 7: the restarted twin holds 3 descriptors a second after its start;
  // a reader must not take that for what the crashed instance held.
  const whose: Report = {
    ...report,
    incidents: [
      {
        ...report.incidents[0]!,
        causes: [
          {
            ...report.incidents[0]!.causes[0]!,
            id: 'rlimit.nofile',
            evidence: [
              { source: '/proc/4242/fd', text: '3 open descriptors', of: 'restarted' },
              {
                source: 'app.log',
                line: 7,
                text: "OSError: [Errno 24] Too many open files: '/dev/null'",
                of: 'crashed',
              },
              { source: '/proc/sys/fs/file-nr', line: 1, text: '4096 0 9223372036854775807', of: 'node' },
              { source: '/proc/4242/limits', line: 9, text: 'Max open files 64 64 files' },
            ],
          },
        ],
      },
    ],
  };
  const said = {
    text: render(whose, 'text', { color: false }),
    markdown: render(whose, 'markdown', { color: false }),
    html: render(whose, 'html', { color: false }),
  };
  for (const [format, out] of Object.entries(said)) {
    it(`${format}: labels each usage with its instance, and a limit with none`, () => {
      expect(out).toContain('/proc/4242/fd (restarted instance, now): 3 open descriptors');
      expect(out).toContain('app.log:7 (crashed instance): ');
      expect(out).toContain('/proc/sys/fs/file-nr:1 (node, now): 4096');
      expect(out).toContain('/proc/4242/limits:9: Max open files');
    });
  }
  it('the JSON report carries `of` as read', () => {
    const j = JSON.parse(render(whose, 'json', { color: false }));
    expect(j.incidents[0].causes[0].evidence.map((e: { of?: string }) => e.of)).toEqual([
      'restarted',
      'crashed',
      'node',
      undefined,
    ]);
    expectValidReport(whose);
  });
});
