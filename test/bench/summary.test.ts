// `npm run bench`'s summary and README rewrite, on a run recorded on this machine (30 Nov 2026,
// small sizes: test/bench/fixtures/bench-run.json), never by running a bench: the table must carry
// every target figure beside its peers, and README.md must change only between the bench markers.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BEGIN,
  END,
  renderSummary,
  rewriteReadme,
  summaryRows,
  type BenchRun,
} from '../../bench/summary.mjs';

const ROOT = resolve(import.meta.dirname, '../..');
const FIXTURE = join(import.meta.dirname, 'fixtures/bench-run.json');
const recorded = (): BenchRun => JSON.parse(readFileSync(FIXTURE, 'utf8'));
const row = (run: BenchRun, figure: string) => {
  const found = summaryRows(run).find((r) => r.figure.startsWith(figure));
  if (!found) throw new Error(`no row for ${figure}`);
  return found;
};

describe('the summary of a recorded run', () => {
  it('heads the table with the date, the commit, the CPUs and the load average before and after', () => {
    const text = renderSummary(recorded());
    expect(text).toContain('2026-11-30 04:09 UTC, commit 301d824 (with uncommitted changes), 2 CPUs');
    expect(text).toContain('load average 5.44 3.55 7.32 before and 19.55 12.21 9.92 after');
    expect(text).toContain('| figure | podmortem | peers, same run | ratio | target | met |');
  });

  it('puts each analyze figure beside grep and ripgrep, against its target', () => {
    const run = recorded();
    const buried = row(run, 'analyze, 64 MiB log, buried crashes');
    expect(buried.podmortem).toBe('1.57 s (0.96 CPU s), 2 threads; 1 thread 1.51 s (0.83 CPU s)');
    expect(buried.peers).toBe('grep -E 0.99 s (0.44 CPU s), rg 0.40 s (0.17 CPU s)');
    expect(buried).toMatchObject({ ratio: '3.97× rg', target: '≤ 1.5× the faster', met: 'no' });
    const keywords = row(run, 'analyze, 64 MiB log, every line a keyword');
    expect(keywords).toMatchObject({ ratio: '4.07× grep', target: '≤ 3× grep', met: 'no' });
    expect(row(run, 'analyze, peak RSS')).toMatchObject({ podmortem: '126 MiB', met: 'yes' });
  });

  it('holds a 512 MiB log to 1.0x the faster tool, where start-up no longer counts', () => {
    const run = recorded();
    const results = run.results as { analyze: { logs: { bytes: number }[] } };
    results.analyze.logs[0]!.bytes = 512 * 1024 ** 2;
    expect(row(run, 'analyze, 512 MiB log, buried crashes').target).toBe('≤ 1× the faster');
  });

  it('puts node beside ps -eLf, scan beside the kubectl loop, and the agent against its budget', () => {
    const run = recorded();
    expect(row(run, 'node, 10,000 tasks')).toMatchObject({
      peers: 'ps -eLf 1.400 s (0.72 CPU s), 37 MiB',
      ratio: '0.94× wall, 0.81× CPU',
      target: '≤ 0.7× ps -eLf',
      met: 'no',
    });
    expect(row(run, 'scan, 2,000 pods (60 restarting), peak RSS')).toMatchObject({
      podmortem: '113 MiB',
      peers: 'kubectl loop 100 MiB',
      met: 'yes',
    });
    expect(row(run, 'scan, 2,000 pods (60 restarting), API requests per restarting pod')).toMatchObject({
      podmortem: '1.82 (109 requests)',
      peers: 'kubectl loop 2.17 (130)',
      met: 'yes',
    });
    expect(row(run, 'agent idle, 20 running containers, 15 s, CPU')).toMatchObject({
      podmortem: '5.3m',
      met: 'yes',
    });
    expect(row(run, 'agent storm, 50 crash-looping, 20 s, exits')).toMatchObject({
      podmortem: '443 recorded (1320/min), 0 dropped, backlog 1',
      met: 'yes',
    });
  });

  it('says which bench was skipped or not run, and a wrong answer is not met however fast', () => {
    const run = recorded();
    const results = run.results as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    results.node.sizes.push({ size: 50000, skipped: 'does not fit under kernel.pid_max 32768' });
    results.analyze.logs[0].tools[0].found = 'MISSED: expected lines 43208, got none';
    delete results.agent;
    expect(row(run, 'node, 50,000 tasks')).toMatchObject({
      podmortem: 'skipped: does not fit under kernel.pid_max 32768',
      met: '–',
    });
    expect(row(run, 'analyze, 64 MiB log, buried crashes').met).toBe(
      'no: MISSED: expected lines 43208, got none',
    );
    expect(row(run, 'agent').podmortem).toBe('not run');
  });
});

describe('the README rewrite', () => {
  const dirs: string[] = [];
  afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('replaces only the text between the markers of the real README, and twice is once', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = renderSummary(recorded());
    const once = rewriteReadme(readme, block);
    const head = (t: string) => t.slice(0, t.indexOf(BEGIN) + BEGIN.length);
    const tail = (t: string) => t.slice(t.indexOf(END));
    expect(head(once)).toBe(head(readme));
    expect(tail(once)).toBe(tail(readme));
    expect(once).toContain(`${BEGIN}\n${block}\n${END}`);
    expect(rewriteReadme(once, block)).toBe(once);
  });

  it('refuses a README without the markers, or with two blocks', () => {
    expect(() => rewriteReadme('# README\n', 'x')).toThrow(/no <!-- bench:begin -->/);
    expect(() => rewriteReadme(`${END}\n${BEGIN}\n`, 'x')).toThrow(/no <!-- bench:begin -->/);
    expect(() => rewriteReadme(`${BEGIN}\n${END}\n${BEGIN}\n${END}\n`, 'x')).toThrow(/more than one/);
  });

  it('bench/all.mjs --from a recorded run prints the table and rewrites the README it is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-bench-summary-'));
    dirs.push(dir);
    const copy = join(dir, 'README.md');
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    writeFileSync(copy, readme);
    const out = execFileSync(
      process.execPath,
      [join(ROOT, 'bench/all.mjs'), '--from', FIXTURE, '--readme', '--readme-path', copy],
      { encoding: 'utf8' },
    );
    expect(out).toContain('| node, 10,000 tasks (12,548 on the node) |');
    const rewritten = readFileSync(copy, 'utf8');
    expect(rewritten).toBe(rewriteReadme(readme, renderSummary(recorded())));
    expect(rewritten).not.toBe(readme);
  });
});
