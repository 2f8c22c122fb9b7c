#!/usr/bin/env node
// Benchmark: `podmortem node` on a node with 10,000+ tasks in hundreds of pids cgroups, side by side
// with `ps -eLf` over the same node. It creates the load itself (N pod cgroups under
// /sys/fs/cgroup/pids/kubepods/burstable, each with pids.max set as the kubelet would and one Go
// process holding T threads), measures wall time and peak RSS (/usr/bin/time -f when installed) of
// each command over several runs, prints the figures, and removes every process and cgroup it made.
// Needs root and cgroup v1 pids at /sys/fs/cgroup/pids (the lab's machine); prints why otherwise.
//   node bench/node-audit.mjs [--pods 250] [--threads 40] [--runs 5]
/* global process, console, setTimeout */
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'dist/cli/main.js');
const PIDS = '/sys/fs/cgroup/pids';
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PODS = arg('pods', 250);
const THREADS = arg('threads', 40);
const RUNS = arg('runs', 5);

if (process.platform !== 'linux' || process.getuid() !== 0 || !existsSync(PIDS)) {
  console.log('bench skipped: needs Linux, root and the cgroup v1 pids hierarchy at /sys/fs/cgroup/pids');
  process.exit(0);
}
if (!existsSync(CLI)) {
  console.log('build first: npx tsc -p tsconfig.build.json');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'podmortem-bench-'));
const made = [];
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tasks = () => Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3].split('/')[1]);

function cleanup() {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

async function main() {
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

  const before = tasks();
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
    writeFileSync(`${dir}/pids.max`, String(THREADS * 2 + 16));
    const c = spawn(
      '/bin/sh',
      ['-c', `echo $$ > ${dir}/cgroup.procs && exec "$0" hold ${THREADS}`, crashlab],
      { stdio: 'ignore' },
    );
    children.push(c);
  }
  const target = before + PODS * THREADS;
  for (let i = 0; i < 600 && tasks() < target; i++) await sleep(100);
  const loaded = tasks();
  console.log(
    `load: ${PODS} pod cgroups, ${PODS} processes x ${THREADS} threads; node tasks ${before} -> ${loaded}`,
  );

  const logDir = join(tmp, 'pods');
  mkdirSync(logDir);
  const haveTime = existsSync('/usr/bin/time');
  const measure = (argv) => {
    const full = haveTime ? ['/usr/bin/time', '-f', '%e %M', ...argv] : argv;
    const t0 = process.hrtime.bigint();
    const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', maxBuffer: 512 << 20 });
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const m = haveTime ? /(\d+\.\d+) (\d+)\s*$/.exec(r.stderr) : null;
    return { wall, rssKiB: m ? Number(m[2]) : null, stdout: r.stdout, status: r.status };
  };
  const pm = ['node', CLI, 'node', '--root', '/', '--log-dir', logDir, '--format', 'json'];
  const ps = ['ps', '-eLf'];
  // The reading and diagnosis alone, in a fresh process, without the CLI's module loading (every
  // command is imported at start-up, @kubernetes/client-node included): the time and the RSS the
  // node post-mortem itself adds.
  const inproc = `const { nodePostmortem } = await import(${JSON.stringify(join(REPO, 'dist/pipeline/node.js'))});
const rss0 = process.memoryUsage().rss; const t = performance.now();
const r = await nodePostmortem({ root: '/', logDir: ${JSON.stringify(logDir)} });
console.log(JSON.stringify({ ms: performance.now() - t, rssKiB: Math.round((process.memoryUsage().rss - rss0) / 1024), limits: r.report.node.limits.length }));`;
  const runs = { podmortem: [], ps: [], work: [] };
  let last;
  for (let i = 0; i < RUNS; i++) {
    last = measure(pm);
    runs.podmortem.push(last);
    runs.ps.push(measure(ps));
    const w = spawnSync('node', ['--input-type=module', '-e', inproc], { encoding: 'utf8' });
    runs.work.push(JSON.parse(w.stdout));
  }
  const report = JSON.parse(last.stdout);
  const psLines = runs.ps.at(-1).stdout.split('\n').length - 2;
  const pidsEntries = report.node.limits.filter((l) => l.id === 'cgroup.pids').length;
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (name, rs, what) =>
    console.log(
      `${name.padEnd(16)} ${median(rs.map((r) => r.wall))
        .toFixed(3)
        .padStart(8)} s   ${String(median(rs.map((r) => r.rssKiB ?? 0))).padStart(8)} KiB   ${what}`,
    );
  console.log(
    `\n${'command'.padEnd(16)} ${'median'.padStart(8)}     ${'max RSS'.padStart(8)}       reads (median of ${RUNS} runs)`,
  );
  row(
    'podmortem node',
    runs.podmortem,
    `${report.node.limits.length} limits (${pidsEntries} pids cgroups kept), tasks per UID, fds, inotify, kernel log, cgroups`,
  );
  row('ps -eLf', runs.ps, `${psLines} task lines`);
  const workMs = median(runs.work.map((w) => w.ms));
  const workRss = median(runs.work.map((w) => w.rssKiB));
  console.log(
    `${'  of which work'.padEnd(16)} ${(workMs / 1000).toFixed(3).padStart(8)} s   ${String(workMs ? workRss : 0).padStart(8)} KiB   nodePostmortem() alone: RSS added after imports (module loading excluded)`,
  );
  const startup = measure(['node', CLI, '--version']);
  console.log(
    `${'  CLI start-up'.padEnd(16)} ${startup.wall.toFixed(3).padStart(8)} s   ${String(startup.rssKiB ?? 0).padStart(8)} KiB   podmortem --version (imports every command)`,
  );
  const pidMax = report.node.limits.find((l) => l.id === 'kernel.pid_max');
  console.log(`\npodmortem saw ${pidMax?.used} tasks (kernel.pid_max row); ps -eLf printed ${psLines}.`);
}

try {
  await main();
} finally {
  cleanup();
  await sleep(500);
  for (const dir of made.reverse()) {
    for (let i = 0; i < 20; i++) {
      try {
        rmdirSync(dir);
        break;
      } catch {
        await sleep(100); // the killed tasks are still being reaped
      }
    }
  }
  rmSync(tmp, { recursive: true, force: true });
}
