// SIGINT and SIGTERM sent to the real CLI process in the middle of its work: extracting a bundle,
// collecting one, analyzing a long log. "In the middle" is made certain, not timed: the bundle and
// the log come through a FIFO the test holds open after writing part of them, and the collect reads
// a log the stand-in stalls half-way; the signal goes only once the temp folder holds files or the
// reader has taken the bytes. Each ends with the shell's status (130, 143), one line on stderr, no
// report, and no temp file left in TMPDIR or beside -o.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { create } from 'tar';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { node, pod } from '../standin/objects.mjs';
import { startStandin, type Standin } from '../standin/server.mjs';
import { CLI, ensureBuilt, REPO } from './helpers.js';

beforeAll(() => ensureBuilt());

interface Child {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The exit status a shell shows ($?): the code, or 128 + the signal that ended it. */
  exit: Promise<{ code: number }>;
}

/** The built CLI with its own TMPDIR, so what it leaves there is exactly what it created. */
function start(args: string[], tmp: string): Child {
  const proc = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { ...process.env, NO_COLOR: '1', TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  const exit = new Promise<{ code: number }>((done) =>
    proc.on('exit', (code, signal) => done({ code: code ?? 128 + constants.signals[signal!] })),
  );
  return { proc, stdout: () => out, stderr: () => err, exit };
}

/** Every file under dir, relative, depth first. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p).map((f) => join(e.name, f)), `${e.name}/`);
    else out.push(e.name);
  }
  return out;
}

function fifo(path: string): string {
  execFileSync('mkfifo', [path]);
  return path;
}

test('SIGINT while a bundle is being extracted: exit 130, one line, the extraction folder removed', async () => {
  const work = mkdtempSync(join(tmpdir(), 'pm-int-bundle-'));
  const tmp = join(work, 'tmp');
  mkdirSync(tmp);
  // A bundle whose logs are megabytes of incompressible text: its first part holds whole files.
  const src = join(work, 'src');
  mkdirSync(join(src, 'logs'), { recursive: true });
  for (let i = 0; i < 8; i++)
    writeFileSync(join(src, 'logs', `c${i}.log`), randomBytes(1 << 20).toString('base64'));
  const tgz = join(work, 'b.tar.gz');
  await create({ gzip: true, file: tgz, cwd: src }, ['logs']);
  const bytes = readFileSync(tgz);
  const input = fifo(join(work, 'in.tar.gz'));

  const c = start(['analyze', input], tmp);
  const writer = createWriteStream(input);
  writer.on('error', () => {}); // EPIPE once the reader is gone
  writer.write(bytes.subarray(0, bytes.length >> 1)); // half the archive, and the pipe stays open
  // Mid-way: the extraction folder exists and holds at least one file.
  await expect
    .poll(() => filesUnder(tmp).filter((f) => f.endsWith('.log')).length, { timeout: 60_000 })
    .toBeGreaterThan(0);
  c.proc.kill('SIGINT');
  const { code } = await c.exit;
  writer.destroy();
  expect(code).toBe(130);
  expect(c.stderr()).toBe('podmortem: interrupted by SIGINT: stopped, temporary files removed.\n');
  expect(c.stdout()).toBe('');
  expect(filesUnder(tmp)).toEqual([]);
}, 120_000);

let s: Standin;
beforeAll(async () => {
  const p = pod({
    ns: 'shop',
    name: 'slow-0',
    node: 'w1',
    containers: [{ name: 'app', restartCount: 2, lastTerminated: { exitCode: 2 } }],
  });
  s = await startStandin({
    pods: [p],
    nodes: [node('w1')],
    logs: { 'shop/slow-0/app': { previous: 'panic: boom\n'.repeat(200_000) } },
  });
  // The kubelet sends half the log and then nothing: collect is mid-way for as long as the test wants.
  s.state.stalledLogs.add('shop/slow-0/app');
});
afterAll(async () => {
  await s.close();
});

test('SIGTERM while collect is writing a bundle: exit 143, one line, no staging folder and no bundle', async () => {
  const work = mkdtempSync(join(tmpdir(), 'pm-int-collect-'));
  const tmp = join(work, 'tmp');
  const out = join(work, 'out');
  mkdirSync(tmp);
  mkdirSync(out);
  const c = start(['collect', '--kubeconfig', s.kubeconfig, '-n', 'shop', '-o', join(out, 'b.tar.gz')], tmp);
  // Mid-way: the staging folder holds the log being received.
  await expect
    .poll(() => filesUnder(tmp).filter((f) => f.endsWith('.log')).length, { timeout: 60_000 })
    .toBeGreaterThan(0);
  c.proc.kill('SIGTERM');
  const { code } = await c.exit;
  expect(code).toBe(143);
  expect(c.stderr().split('\n').slice(-2)).toEqual([
    'podmortem: interrupted by SIGTERM: stopped, temporary files removed.',
    '',
  ]);
  expect(filesUnder(tmp)).toEqual([]);
  expect(filesUnder(out)).toEqual([]);
}, 120_000);

test('SIGINT while analyze reads a long log: exit 130, one line, no report', async () => {
  const work = mkdtempSync(join(tmpdir(), 'pm-int-analyze-'));
  const tmp = join(work, 'tmp');
  mkdirSync(tmp);
  const input = fifo(join(work, 'crash.log'));
  const c = start(['analyze', input, '-o', join(work, 'report.txt')], tmp);
  const writer = createWriteStream(input);
  writer.on('error', () => {});
  // 4 MiB, far more than a pipe holds: once the write completes, the CLI has read most of it.
  const chunk = Buffer.from('2026-11-29T11:47:29Z INFO still working\n'.repeat(100_000));
  await new Promise<void>((done) => writer.write(chunk, () => done()));
  c.proc.kill('SIGINT');
  const { code } = await c.exit;
  writer.destroy();
  expect(code).toBe(130);
  expect(c.stderr()).toBe('podmortem: interrupted by SIGINT: stopped, temporary files removed.\n');
  expect(readdirSync(work).sort()).toEqual(['crash.log', 'tmp']);
  expect(filesUnder(tmp)).toEqual([]);
}, 120_000);
