// The analyze and explain commands as a user drives them: formats, files written, exit codes.
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, podmortem } from './helpers.js';

const SEED_LOG = [
  'runtime: failed to create new OS thread (have 41 already; errno=11)',
  'runtime: may need to increase max user processes (ulimit -u)',
  'fatal error: newosproc',
  '',
  'runtime stack:',
  'runtime.throw(0x1aa0343, 0x9)',
].join('\n');

beforeAll(() => ensureBuilt());

describe('podmortem analyze', () => {
  it('reads standard input by default and recognizes the Go thread failure', () => {
    const r = podmortem(['analyze', '--format', 'json'], { input: SEED_LOG });
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.incidents).toHaveLength(1);
    const sig = j.incidents[0].signatures.find((s: { id: string }) => s.id === 'go.newosproc');
    expect(sig.fields).toMatchObject({ threads: 41, errno: 11, errnoName: 'EAGAIN' });
    expect(sig.evidence[0]).toEqual({ source: 'stdin', line: 1, text: SEED_LOG.split('\n')[0] });
  });

  it('writes the report to --output and nothing to stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-out-'));
    const log = join(dir, 'crash.log');
    writeFileSync(log, SEED_LOG);
    const out = join(dir, 'report.md');
    const r = podmortem(['analyze', log, '--format', 'markdown', '--output', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('# podmortem report');
    expect(md).toContain('`go.newosproc`');
  });

  it('says so in one line when the output file cannot be written', () => {
    const r = podmortem(['analyze', '--output', '/nonexistent-dir/x/report.txt'], { input: SEED_LOG });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('/nonexistent-dir/x/report.txt');
    expect(existsSync('/nonexistent-dir')).toBe(false);
  });

  it('exits 2 with --fail-on when a cause reaches the verdict, 0 otherwise', () => {
    expect(podmortem(['analyze', '--fail-on', 'possible'], { input: SEED_LOG }).status).toBe(2);
    expect(podmortem(['analyze', '--fail-on', 'confirmed'], { input: SEED_LOG }).status).toBe(0);
  });

  it('rules RLIMIT_NPROC out when told the process ran as UID 0', () => {
    const j = JSON.parse(
      podmortem(['analyze', '--uid', '0', '--format', 'json'], { input: SEED_LOG }).stdout,
    );
    const nproc = j.incidents[0].causes.find((c: { id: string }) => c.id === 'rlimit.nproc');
    expect(nproc.verdict).toBe('ruled-out');
  });

  it('reports a missing input in one sentence and still analyzes the others, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-miss-'));
    const log = join(dir, 'crash.log');
    writeFileSync(log, SEED_LOG);
    const r = podmortem(['analyze', join(dir, 'nope.log'), log, '--format', 'json']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/nope\.log: no such file or directory\./);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(r.stdout).incidents).toHaveLength(1);
  });

  it('teaches in --help', () => {
    const r = podmortem(['analyze', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--node-root');
    expect(r.stdout).toContain('Examples:');
  });
});

describe('podmortem explain', () => {
  it('prints a cause page with how to confirm, fix and sources', () => {
    const r = podmortem(['explain', 'kernel.pid_max']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('How to confirm:');
    expect(r.stdout).toContain('How to fix:');
    expect(r.stdout).toContain('torvalds/linux');
  });
  it('lists every id without an argument', () => {
    const r = podmortem(['explain']);
    expect(r.stdout).toContain('kernel.pid_max');
    expect(r.stdout).toContain('go.newosproc');
  });
  it('refuses an unknown id in one line, exit 1', () => {
    const r = podmortem(['explain', 'no.such']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('podmortem: unknown id "no.such"; run "podmortem explain" for the list.\n');
  });
});
