// `podmortem node` as a user runs it: on this machine (no crashed pods: a clean headroom table whose
// figures are the kernel's), with a Docker socket nobody listens on or odd files (one sentence each,
// exit 0), and with a bad --root (one line, exit 1). A --docker-socket that does not exist is exit 1
// (test/cli/exits.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeNeeding } from '../prerequisites.js';
import { CLI, ensureBuilt, REPO } from './helpers.js';
import { expectValidJsonRun } from '../schema/report-check.js';

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'node', ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, NO_COLOR: '1' },
  });
  expectValidJsonRun(args, r);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let empty: string;
/** A socket file with no listener: Docker's socket on a node where dockerd is stopped. */
let deadSocket: string;

beforeAll(() => {
  try {
    ensureBuilt();
  } catch {
    // tsc emits even when a file elsewhere in the tree does not typecheck yet
  }
  empty = mkdtempSync(join(tmpdir(), 'podmortem-nodecli-'));
  deadSocket = join(empty, 'none.sock');
  // The listener exits without closing: the socket file stays, and connecting is refused.
  spawnSync(process.execPath, [
    '-e',
    `require('net').createServer().listen(${JSON.stringify(deadSocket)}, () => process.exit(0))`,
  ]);
}, 300_000);
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describeNeeding('podmortem node on this machine', ['linux'], () => {
  it("prints a headroom table whose ceilings are the kernel's, and exits 0", () => {
    const r = run(['--log-dir', empty, '--docker-socket', deadSocket]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Node limits');
    const pidMax = readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim();
    const threadsMax = readFileSync('/proc/sys/kernel/threads-max', 'utf8').trim();
    expect(r.stdout).toMatch(new RegExp(`kernel\\.pid_max\\s+node\\s+\\d+ / ${pidMax}\\b`));
    expect(r.stdout).toMatch(new RegExp(`kernel\\.threads-max\\s+node\\s+\\d+ / ${threadsMax}\\b`));
    expect(r.stdout).toMatch(/warning: .*none\.sock: Docker is not listening \(connection refused\)/);
  });

  it('--format json: node.limits tasks agree with ps -eLf taken just before and after', () => {
    const psTasks = () =>
      execFileSync('ps', ['-eLf'], { encoding: 'utf8', maxBuffer: 256 << 20 })
        .trim()
        .split('\n').length - 1;
    const before = psTasks();
    const r = run(['--log-dir', empty, '--docker-socket', deadSocket, '--format', 'json']);
    const after = psTasks();
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      schemaVersion: number;
      incidents: unknown[];
      node: { limits: { id: string; scope: string; used: number; max: number }[] };
    };
    expect(report.schemaVersion).toBe(1);
    expect(report.incidents).toEqual([]);
    const tasks = report.node.limits.find((l) => l.id === 'kernel.pid_max' && l.scope === 'node')!.used;
    // Other jobs start and stop threads meanwhile: the figure must sit within the two ps counts (and a margin).
    const slack = Math.max(30, Math.max(before, after) * 0.1);
    expect(tasks).toBeGreaterThanOrEqual(Math.min(before, after) - slack);
    expect(tasks).toBeLessThanOrEqual(Math.max(before, after) + slack);
  });
});

describe('podmortem node with bad input', () => {
  it('a missing --root is one line and exit 1', () => {
    const r = run(['--root', join(empty, 'nope')]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(/^podmortem: --root .*nope: no such file or directory\.$/m);
  });

  it('a snapshot with a FIFO, garbage and no /proc: one sentence each, exit 0', () => {
    const root = join(empty, 'snap');
    mkdirSync(join(root, 'proc/sys/kernel'), { recursive: true });
    writeFileSync(join(root, 'proc/sys/kernel/pid_max'), '\u0000\u00ffgarbage\n');
    execFileSync('mkfifo', [join(root, 'proc/loadavg')]);
    const r = run(['--root', root]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warning: \/proc\/loadavg: is not a regular file/);
    expect(r.stdout).toMatch(/warning: \/proc\/sys\/kernel\/pid_max: expected a limit/);
    expect(r.stdout).toMatch(/not a live process table/);
    expect(r.stderr).toBe('');
  });
});
