// `podmortem scan` and `podmortem collect` as a user runs them (the built CLI) against the stand-in,
// plus kubectl against the same stand-in to show it answers like a real API server.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Standin } from '../standin/server.mjs';
import { describeNeeding } from '../prerequisites.js';
import { expectValidReport } from '../schema/report-check.js';
import { CLI, ensureBuilt, podmortemAsync, scenarioStandin } from './helpers.js';

let s: Standin;
const dir = mkdtempSync(join(tmpdir(), 'pm-cluster-cli-'));
beforeAll(async () => {
  ensureBuilt();
  s = await scenarioStandin();
});
afterAll(async () => {
  await s.close();
});

describe('podmortem scan (CLI)', () => {
  test('scans the cluster: exit 0, findings in the JSON report, a summary line on stderr', async () => {
    // --qps 10 (bursts of 20) makes the client wait for its rate limit during this scan.
    const r = await podmortemAsync([
      'scan',
      '--kubeconfig',
      s.kubeconfig,
      '-A',
      '--format',
      'json',
      '--qps',
      '10',
    ]);
    expect(r.stderr).toMatch(
      /37 pod\(s\) listed in 1 page\(s\), 6 crashed container\(s\), \d+ API request\(s\), 1 refused by RBAC/,
    );
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schemaVersion).toBe(1);
    expect(report.findings.map((f: { kind: string }) => f.kind).sort()).toEqual([
      'missing-evidence',
      'node',
      'replicas',
    ]);
    // Not a terminal: no progress line escapes into stderr.
    expect(r.stderr).not.toContain('\x1b[2K');
  });

  test('the text report puts the answers first, then the findings', async () => {
    const r = await podmortemAsync(['scan', '--kubeconfig', s.kubeconfig, '-A']);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('Answers (')).toBe(true);
    expect(r.stdout).toContain('\nFindings\n');
    expect(r.stdout).toContain('the likely root incident is kube-system/calico-node-56bgm');
    expect(r.stdout).toContain('· shop/web-6d8f7b9c5-k7p2w: running but not Ready on the same node');
  });

  test('KUBECONFIG and --context are honoured; the context namespace is the default scope', async () => {
    const r = await podmortemAsync(['scan', '--context', 'other', '--format', 'json'], {
      KUBECONFIG: s.kubeconfig,
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).incidents).toEqual([]); // namespace "default" has no crash
    expect(r.stderr).toContain('namespace default: 15 pod(s)');
  });

  test('bad usage and an unreachable cluster: exit 1 with one line, no stack trace', async () => {
    const unknownCtx = await podmortemAsync(['scan', '--kubeconfig', s.kubeconfig, '--context', 'nope']);
    expect(unknownCtx.status).toBe(1);
    expect(unknownCtx.stderr.trim()).toBe(
      `podmortem: context "nope" is not in ${s.kubeconfig} (known: standin, other).`,
    );

    const since = await podmortemAsync(['scan', '--kubeconfig', s.kubeconfig, '--since', 'yesterday']);
    expect(since.status).toBe(1);
    expect(since.stderr).toContain('a duration such as 30m, 2h or 1d');

    const dead = join(dir, 'dead.kubeconfig');
    writeFileSync(
      dead,
      (await import('node:fs')).readFileSync(s.kubeconfig, 'utf8').replace(s.url, 'https://127.0.0.1:1'),
    );
    const down = await podmortemAsync(['scan', '--kubeconfig', dead, '-A']);
    expect(down.status).toBe(1);
    expect(down.stderr.trim().split('\n')).toHaveLength(1);
    expect(down.stderr).toContain('cannot reach the API server at https://127.0.0.1:1');
    expect(down.stderr).not.toMatch(/\n\s+at /);
  });

  test('--help teaches with examples', async () => {
    const r = await podmortemAsync(['scan', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('podmortem scan -n kube-system --since 2h');
    expect(r.stdout).toContain('--node-evidence <dir>');
  });
});

describe('podmortem collect, then analyze the bundle', () => {
  test('analyze BUNDLE gives the same incidents and findings as the live scan', async () => {
    const bundle = join(dir, 'incident.tar.gz');
    const c = await podmortemAsync(['collect', '--kubeconfig', s.kubeconfig, '-A', '-o', bundle]);
    expect(c.status).toBe(0);
    expect(c.stdout).toContain(`Wrote ${bundle}: 6 crashed container(s), 5 log(s)`);
    const live = await podmortemAsync(['scan', '--kubeconfig', s.kubeconfig, '-A', '--format', 'json']);
    const offline = await podmortemAsync(['analyze', bundle, '--format', 'json']);
    expect(offline.status).toBe(0);
    const a = JSON.parse(live.stdout);
    const b = JSON.parse(offline.stdout);
    expect(b.incidents.length).toBe(6);
    expect(b.incidents).toEqual(a.incidents);
    expect(b.findings).toEqual(a.findings);
  });

  test('a bundle that is not one is refused in one sentence', async () => {
    const bad = join(dir, 'garbage.tar.gz');
    writeFileSync(bad, 'this is not gzip');
    const r = await podmortemAsync(['analyze', bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('not a readable .tar.gz bundle');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// .ci/run installs Debian's kubernetes-client (kubectl 1.20) where kubectl is missing: CI always runs this.
describeNeeding('the stand-in is faithful enough for kubectl', ['kubectl'], () => {
  test("kubectl get pods -A (paginated) and kubectl logs -p read it; a forbidden log gets kubectl's own error", async () => {
    const kubectl = (...args: string[]) =>
      promisify(execFile)('kubectl', ['--kubeconfig', s.kubeconfig, ...args]);
    const before = s.count(/^\/api\/v1\/pods$/);
    const names = (await kubectl('get', 'pods', '-A', '-o', 'name', '--chunk-size=10')).stdout
      .trim()
      .split('\n');
    expect(names).toHaveLength(37);
    expect(names).toContain('pod/calico-node-56bgm');
    expect(s.count(/^\/api\/v1\/pods$/) - before).toBe(4); // kubectl followed the continue tokens too
    const log = (await kubectl('logs', '-p', '-n', 'kube-system', 'calico-node-56bgm')).stdout;
    expect(log.split('\n')[0]).toBe('runtime: failed to create new OS thread (have 41 already; errno=11)');
    const refused = await kubectl('logs', '-p', '-n', 'payments', 'ledger-0').catch(
      (e: { stderr: string }) => e,
    );
    expect((refused as { stderr: string }).stderr).toContain(
      'Error from server (Forbidden): pods "ledger-0" is forbidden: User "system:serviceaccount:podmortem:podmortem" cannot get resource "pods/log" in API group "" in the namespace "payments"',
    );
  });
});

describe('progress on a terminal', () => {
  test('on a TTY, stderr shows a progress line that is cleared before the report', async () => {
    // util-linux script(1) gives the CLI a pseudo-terminal, as an operator's shell does.
    const out = join(dir, 'report.json');
    const cmd = `${process.execPath} ${CLI} scan --kubeconfig ${s.kubeconfig} -A --chunk-size 5 --format json -o ${out}`;
    const r = await promisify(execFile)('script', ['-qec', cmd, '/dev/null'], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.stdout).toContain('listing pods: 5');
    expect(r.stdout).toMatch(/crashed containers read 6\/6/);
    expect(r.stdout).toContain('\r\x1b[2K');
    expect(JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')).incidents).toHaveLength(6);
    expectValidReport((await import('node:fs')).readFileSync(out, 'utf8'));
  });
});
