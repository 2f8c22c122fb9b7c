// Bad input through the built CLI, as a user would feed it: every case ends with exit status 0 or 1,
// at most one clear `podmortem:` sentence on stderr, never a stack trace, never a hang (the spawn
// timeout in helpers.ts is only a safety net).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, podmortem, type Run } from './helpers.js';

const CRASH = 'runtime: failed to create new OS thread (have 41 already; errno=11)'; // shared/seed/calico-node-restart.md
const dir = mkdtempSync(join(tmpdir(), 'pm-robust-'));
const file = (name: string, content: string | Buffer): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};

/** Garbage that a real mistake produces: random bytes with NULs (a core file, a gzip read as text). */
function garbage(n: number): Buffer {
  const b = Buffer.alloc(n);
  let s = 7;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

function expectCalm(r: Run): void {
  expect(r.status === 0 || r.status === 1, `exit status ${r.status}, stderr: ${r.stderr}`).toBe(true);
  expect(r.stdout + r.stderr).not.toMatch(/^\s{4}at /m); // no stack frames
  expect(r.stderr).not.toMatch(/internal error/);
}

/** Exactly one error sentence; commander may add its "(run with --help for usage)" hint after it. */
function oneErrorLine(r: Run): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => l.startsWith('podmortem: '));
  expect(errors, r.stderr).toHaveLength(1);
  expect(
    lines.filter((l) => !l.startsWith('podmortem: ') && l !== '(run with --help for usage)'),
    r.stderr,
  ).toEqual([]);
  return errors[0]!;
}

beforeAll(() => ensureBuilt());

describe('analyze on bad input', () => {
  it('garbage bytes: analyzed, flagged as binary, exit 0, nothing on stderr', () => {
    const r = podmortem(['analyze', file('core.bin', garbage(300_000)), '--format', 'json']);
    expectCalm(r);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout).warnings.join(' ')).toMatch(/binary data/);
  });

  it('a 20 MB line without newline, then the crash: found at line 2', () => {
    const r = podmortem([
      'analyze',
      file('huge.log', 'A'.repeat(20 << 20) + '\n' + CRASH + '\n'),
      '--format',
      'json',
    ]);
    expectCalm(r);
    expect(r.status).toBe(0);
    const sig = JSON.parse(r.stdout).incidents[0].signatures.find(
      (s: { id: string }) => s.id === 'go.newosproc',
    );
    expect(sig.evidence[0]).toMatchObject({ line: 2, text: CRASH });
  });

  it('a 3 MiB line repeating the crash every 200 KiB counts as one occurrence, at line 1', () => {
    const piece = CRASH + ' ' + 'x'.repeat(200 * 1024);
    const r = podmortem(['analyze', file('repeats.log', piece.repeat(15) + '\nend\n'), '--format', 'json']);
    expectCalm(r);
    const sig = JSON.parse(r.stdout).incidents[0].signatures.find(
      (s: { id: string }) => s.id === 'go.newosproc',
    );
    expect(sig.count).toBe(1);
    expect(sig.evidence.map((e: { line: number }) => e.line)).toEqual([1]);
  });

  it('a log where every line is a crash line: every line counted once', () => {
    const n = 200_000;
    const r = podmortem(['analyze', file('all-hits.log', (CRASH + '\n').repeat(n)), '--format', 'json']);
    expectCalm(r);
    expect(r.status).toBe(0);
    const sig = JSON.parse(r.stdout).incidents[0].signatures.find(
      (s: { id: string }) => s.id === 'go.newosproc',
    );
    expect(sig.count).toBe(n);
  });

  it('invalid UTF-8 around the crash: recognized, exit 0', () => {
    const bytes = Buffer.concat([
      Buffer.from([0xff, 0xfe, 0x80, 0x0a]),
      Buffer.from(CRASH),
      Buffer.from([0xc3, 0x0a]),
    ]);
    const r = podmortem(['analyze', '-', '--format', 'json'], { input: bytes });
    expectCalm(r);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).incidents[0].signatures[0].evidence[0].line).toBe(2);
  });

  it('empty stdin: exit 0, the report says the input was empty', () => {
    const r = podmortem(['analyze'], { input: '' });
    expectCalm(r);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/stdin: empty input/);
  });

  it('a missing file: exit 1, one sentence', () => {
    const missing = join(dir, 'nope.log');
    const r = podmortem(['analyze', missing]);
    expectCalm(r);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r)).toBe(`podmortem: ${missing}: no such file or directory.`);
  });

  it('a folder with nothing in it: exit 1, one sentence', () => {
    const empty = mkdtempSync(join(tmpdir(), 'pm-robust-empty-'));
    const r = podmortem(['analyze', empty]);
    expectCalm(r);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r)).toBe(`podmortem: ${empty}: no log files in this folder.`);
  });

  it('--format bogus: exit 1, one sentence naming the allowed formats', () => {
    const r = podmortem(['analyze', '--format', 'bogus', file('ok.log', CRASH)]);
    expectCalm(r);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r)).toMatch(/--format.*bogus.*json/);
    expect(r.stdout).toBe('');
  });

  it('--uid abc: exit 1, one sentence', () => {
    const r = podmortem(['analyze', '--uid', 'abc', '-'], { input: CRASH });
    expectCalm(r);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r)).toMatch(/--uid.*abc/);
  });

  it('one unreadable input among good ones: the good one is still analyzed, exit 1', () => {
    const missing = join(dir, 'gone.log');
    const r = podmortem(['analyze', missing, file('good.log', CRASH + '\n'), '--format', 'json']);
    expectCalm(r);
    expect(r.status).toBe(1);
    expect(oneErrorLine(r)).toBe(`podmortem: ${missing}: no such file or directory.`);
    expect(JSON.parse(r.stdout).incidents).toHaveLength(1);
  });
});
