#!/usr/bin/env node
// Benchmark: `podmortem node` on a node with 10,000 and 50,000 tasks in hundreds of pids cgroups,
// side by side with `ps -eLf` over the same node. For each size it creates the load itself (N pod
// cgroups under /sys/fs/cgroup/pids/kubepods/burstable, each with pids.max set as the kubelet would
// and one Go process holding size/N threads), measures wall time, CPU time and peak RSS
// (/usr/bin/time) of each command over several runs, interleaved, prints the figures with the load
// average, and removes every process and cgroup it made.
// Needs root and cgroup v1 pids at /sys/fs/cgroup/pids (the lab's machine); prints why otherwise.
// A size that does not fit under kernel.pid_max is skipped and said so, unless --raise-pid-max:
// then pid_max is raised for the run (to the next power of two that fits) and put back after it.
//   node bench/node-audit.mjs [--sizes 10000,50000] [--pods 250] [--runs 5] [--raise-pid-max]
//     [--profile DIR] (one `node --cpu-prof` run of the command per size, written to DIR)
//     [--cli PATH] (another build's dist/cli/main.js) [--report PREFIX] (keep each size's last JSON
//     report as PREFIX-<size>.json, to compare two builds: live counters differ run to run)
//     [--json FILE] (also write each size's medians there, for bench/all.mjs; the printout is unchanged)
/* global process, console, setTimeout */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const PIDS = '/sys/fs/cgroup/pids';
const PID_MAX = '/proc/sys/kernel/pid_max';
const option = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const CLI = resolve(option('cli') ?? join(REPO, 'dist/cli/main.js'));
const DIST = resolve(CLI, '../..');
const SIZES = (option('sizes') ?? '10000,50000').split(',').map(Number);
const PODS = Number(option('pods') ?? 250);
const RUNS = Number(option('runs') ?? 5);
const RAISE = process.argv.includes('--raise-pid-max');
const PROFILE = option('profile');
const REPORT = option('report');
const JSON_OUT = option('json');
/** What --json writes: one record per size, measured or skipped. */
const records = [];

if (process.platform !== 'linux' || process.getuid() !== 0 || !existsSync(PIDS)) {
  const why = 'needs Linux, root and the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids';
  console.log(`bench skipped: ${why}`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ bench: 'node', skipped: why }));
  process.exit(0);
}
if (!existsSync(CLI)) {
  console.log('build first: npm run build');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'podmortem-bench-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tasks = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[1]);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
/** Processes and cgroups of the size being measured; the exit handler kills what is left. */
let children = [];
let made = [];
let pidMaxBefore;

function killChildren() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
function restorePidMax() {
  if (pidMaxBefore === undefined) return;
  writeFileSync(PID_MAX, String(pidMaxBefore));
  console.log(`kernel.pid_max put back to ${readFileSync(PID_MAX, 'utf8').trim()}`);
  pidMaxBefore = undefined;
}
process.on('exit', () => {
  killChildren();
  try {
    restorePidMax();
  } catch (err) {
    console.error(`could not put kernel.pid_max back to ${pidMaxBefore}: ${err.message}`);
  }
});
process.on('SIGINT', () => process.exit(130));

function buildCrashlab() {
  const crashlab = join(tmp, 'crashlab');
  const b = spawnSync('go', ['build', '-o', crashlab, '.'], {
    cwd: join(REPO, 'test/lab/crashlab'),
    env: {
      ...process.env,
      CGO_ENABLED: '0',
      GOFLAGS: '-mod=mod',
      GOPROXY: 'off',
      GOCACHE: join(tmp, 'gocache'),
    },
    encoding: 'utf8',
  });
  if (b.status !== 0) throw new Error(`go build: ${b.stderr}`);
  return crashlab;
}

/** `ps -eLf`, podmortem and the in-process work, each RUNS times, interleaved. */
function measureSize(size, logDir) {
  const measure = (argv) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', ...argv], {
      encoding: 'utf8',
      maxBuffer: 512 << 20,
    });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const m = /TIME ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr);
    return { wall, cpu: Number(m[1]) + Number(m[2]), rssKiB: Number(m[3]), stdout: r.stdout };
  };
  const pm = ['node', CLI, 'node', '--root', '/', '--log-dir', logDir, '--format', 'json'];
  const ps = ['ps', '-eLf'];
  // The reading and diagnosis alone, in a fresh process, without the CLI's start-up: the time and
  // the RSS the node post-mortem itself adds.
  const inproc = `const { nodePostmortem } = await import(${JSON.stringify(join(DIST, 'pipeline/node.js'))});
const rss0 = process.memoryUsage().rss; const t = performance.now(); const cpu0 = process.cpuUsage();
const r = await nodePostmortem({ root: '/', logDir: ${JSON.stringify(logDir)} });
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ ms: performance.now() - t, cpuMs: (cpu.user + cpu.system) / 1000, rssKiB: Math.round((process.memoryUsage().rss - rss0) / 1024) }));`;
  const runs = { podmortem: [], ps: [], work: [], startup: [] };
  const loads = [load()];
  let last;
  for (let i = 0; i < RUNS; i++) {
    last = measure(pm);
    runs.podmortem.push(last);
    runs.ps.push(measure(ps));
    runs.startup.push(measure(['node', CLI, '--version']));
    const w = spawnSync('node', ['--input-type=module', '-e', inproc], { encoding: 'utf8' });
    runs.work.push(JSON.parse(w.stdout));
  }
  loads.push(load());
  if (PROFILE) {
    mkdirSync(PROFILE, { recursive: true });
    spawnSync(
      'node',
      ['--cpu-prof', '--cpu-prof-dir', PROFILE, '--cpu-prof-name', `node-${size}.cpuprofile`, ...pm.slice(1)],
      { stdio: 'ignore' },
    );
    console.log(`profile: ${join(PROFILE, `node-${size}.cpuprofile`)}`);
  }
  const report = JSON.parse(last.stdout);
  if (REPORT) writeFileSync(`${REPORT}-${size}.json`, last.stdout);
  const psLines = runs.ps.at(-1).stdout.split('\n').length - 2;
  const pidsEntries = report.node.limits.filter((l) => l.id === 'cgroup.pids').length;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const wall = (rs) => median(rs.map((r) => r.wall));
  const cpu = (rs) => median(rs.map((r) => r.cpu));
  const row = (name, rs, what) =>
    console.log(
      `| ${name} | ${wall(rs).toFixed(3)} s | ${median(rs.map((r) => r.cpu)).toFixed(2)} s | ${Math.round(median(rs.map((r) => r.rssKiB)) / 1024)} MiB | ${what} |`,
    );
  console.log(`\nload average ${loads.join(' -> ')} (1, 5, 15 min; before -> after), median of ${RUNS} runs`);
  console.log('| command | wall | CPU (user+sys) | peak RSS | reads |');
  console.log('|---|---:|---:|---:|---|');
  row(
    'podmortem node --format json',
    runs.podmortem,
    `${report.node.limits.length} limits (${pidsEntries} pids cgroups kept), tasks per UID, fds, inotify, kernel log, cgroups`,
  );
  row('ps -eLf', runs.ps, `${psLines} task lines`);
  const workMs = median(runs.work.map((w) => w.ms));
  const workRss = median(runs.work.map((w) => w.rssKiB));
  console.log(
    `| of which the work | ${(workMs / 1000).toFixed(3)} s | ${(median(runs.work.map((w) => w.cpuMs)) / 1000).toFixed(2)} s | +${Math.round(workRss / 1024)} MiB | nodePostmortem() after imports, in-process |`,
  );
  row('podmortem --version', runs.startup, 'CLI start-up only');
  const pidMax = report.node.limits.find((l) => l.id === 'kernel.pid_max');
  console.log(
    `podmortem node / ps -eLf: ${(wall(runs.podmortem) / wall(runs.ps)).toFixed(2)}x wall, ${(cpu(runs.podmortem) / cpu(runs.ps)).toFixed(2)}x CPU (target <= 0.7x); podmortem saw ${pidMax?.used} tasks (kernel.pid_max row), ps -eLf printed ${psLines}.`,
  );
  const figures = (rs) => ({
    wall: wall(rs),
    cpu: cpu(rs),
    rssMiB: median(rs.map((r) => r.rssKiB)) / 1024,
  });
  records.push({
    size,
    runs: RUNS,
    tasks: pidMax?.used ?? null,
    psLines,
    load: { before: loads[0], after: loads[1] },
    podmortem: figures(runs.podmortem),
    ps: figures(runs.ps),
    startup: figures(runs.startup),
    work: {
      wall: workMs / 1000,
      cpu: median(runs.work.map((w) => w.cpuMs)) / 1000,
      rssMiB: workRss / 1024,
    },
  });
}

async function runSize(size, crashlab) {
  const threads = Math.max(1, Math.round(size / PODS));
  const before = tasks();
  const pidMax = Number(readFileSync(PID_MAX, 'utf8'));
  // Each Go process adds a few runtime threads of its own; pids are handed out up to pid_max - 1.
  const needed = before + PODS * (threads + 8) + 1000;
  if (needed >= pidMax) {
    if (!RAISE) {
      console.log(
        `\n${size} tasks: skipped, they do not fit under kernel.pid_max ${pidMax} (${before} tasks already). Run with --raise-pid-max to raise it for the run; it is put back afterwards.`,
      );
      records.push({
        size,
        skipped: `does not fit under kernel.pid_max ${pidMax} (run with --raise-pid-max)`,
      });
      return;
    }
    let raised = pidMax;
    while (raised <= needed) raised *= 2;
    pidMaxBefore ??= pidMax;
    writeFileSync(PID_MAX, String(raised));
    console.log(
      `\nkernel.pid_max raised from ${pidMax} to ${readFileSync(PID_MAX, 'utf8').trim()} for ${size} tasks`,
    );
  }
  for (const part of ['/kubepods', '/kubepods/burstable']) {
    if (!existsSync(PIDS + part)) {
      mkdirSync(PIDS + part);
      made.push(PIDS + part);
    }
  }
  for (let i = 0; i < PODS; i++) {
    const dir = `${PIDS}/kubepods/burstable/pod${randomUUID()}`;
    mkdirSync(dir);
    made.push(dir);
    writeFileSync(`${dir}/pids.max`, String(threads * 2 + 16));
    const c = spawn(
      '/bin/sh',
      ['-c', `echo $$ > ${dir}/cgroup.procs && exec "$0" hold ${threads}`, crashlab],
      {
        stdio: 'ignore',
      },
    );
    children.push(c);
  }
  const target = before + PODS * threads;
  for (let i = 0; i < 1200 && tasks() < target; i++) await sleep(100);
  console.log(
    `\n## ${size} tasks: ${PODS} pod cgroups, ${PODS} processes x ${threads} threads; node tasks ${before} -> ${tasks()}`,
  );
  const logDir = join(tmp, 'pods');
  mkdirSync(logDir, { recursive: true });
  try {
    measureSize(size, logDir);
  } finally {
    await teardown();
  }
}

async function teardown() {
  killChildren();
  children = [];
  await sleep(500);
  for (const dir of made.reverse()) {
    for (let i = 0; i < 50; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        await sleep(100); // the killed tasks are still being reaped
      }
    }
  }
  made = [];
}

try {
  const crashlab = buildCrashlab();
  for (const size of SIZES) await runSize(size, crashlab);
  if (JSON_OUT)
    writeFileSync(JSON_OUT, JSON.stringify({ bench: 'node', pods: PODS, sizes: records }, null, 2));
} finally {
  await teardown();
  restorePidMax();
  rmSync(tmp, { recursive: true, force: true });
}
