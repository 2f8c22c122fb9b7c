#!/usr/bin/env node
// Benchmark: the CPU and memory of `podmortem agent` against its budget (the DaemonSet asks for 10m
// CPU and 80 MiB, and is limited to 1 core and 192 MiB; the memory target is 150 MiB). A private
// dockerd (cgroupfs, json-file logs, no network) runs N sleeping containers in the dockershim layout;
// the agent follows it with the HTTPS stand-in API as its Kubernetes API (so the Event path is
// loaded as in a cluster) and samples every container every --sample-interval seconds.
//   1. idle: nothing exits for --idle-s seconds (the 10 minutes of the budget, compressed);
//   2. storm: --storm containers crash-loop (Docker's restart policy, exit 2 after a crash line)
//      for --storm-s seconds.
// Each phase prints the agent's CPU (utime+stime over wall time, from /proc/<pid>/stat), its RSS
// (mean and peak, sampled every second from /proc/<pid>/status), the V8 heap and external memory
// from its own /metrics, exits recorded and Events posted, beside the load average.
// Needs root, dockerd and busybox; prints why otherwise. Removes everything it made.
// The agent runs with the NODE_OPTIONS of deploy/agent/daemonset.yaml (its heap flags), as on a node.
// With --cpu-prof DIR, V8's CPU profile of the agent is written there when it stops.
//   node bench/agent-budget.mjs [--containers 100] [--idle-s 120] [--storm 50] [--storm-s 60]
//                               [--sample-interval 5] [--cpu-prof DIR] [--node-options '...']
//                               [--json FILE] (also write the figures there, for bench/all.mjs)
/* global process, console, setTimeout, fetch, performance */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startStandin } from '../test/standin/server.mjs';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'dist/cli/main.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CONTAINERS = arg('containers', 100);
const IDLE_S = arg('idle-s', 120);
const STORM = arg('storm', 50);
const STORM_S = arg('storm-s', 60);
const SAMPLE = arg('sample-interval', 5);
const PROFILE_DIR = process.argv.includes('--cpu-prof')
  ? resolve(process.argv[process.argv.indexOf('--cpu-prof') + 1])
  : undefined;
/** The DaemonSet's NODE_OPTIONS value, so the heap measured is the heap deployed (--node-options to try others). */
const NODE_OPTIONS = process.argv.includes('--node-options')
  ? process.argv[process.argv.indexOf('--node-options') + 1]
  : (/name: NODE_OPTIONS\s+value: (.+)/
      .exec(readFileSync(join(REPO, 'deploy/agent/daemonset.yaml'), 'utf8'))?.[1]
      ?.trim() ?? '');
const JSON_OUT = process.argv.includes('--json')
  ? resolve(process.argv[process.argv.indexOf('--json') + 1])
  : undefined;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));
const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

if (process.getuid?.() !== 0 || !busybox || !existsSync('/usr/bin/docker')) {
  const why = 'needs root, dockerd (/usr/bin/docker) and busybox';
  console.log(`bench skipped: ${why}`);
  if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ bench: 'agent', skipped: why }));
  process.exit(0);
}
if (!existsSync(CLI)) {
  console.log('build first: npm run build');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'pm-agent-budget-'));
const sock = join(tmp, 'docker.sock');
const docker = (...args) =>
  execFileSync('/usr/bin/docker', ['-H', `unix://${sock}`, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
const dockerd = spawn(
  'dockerd',
  [
    '--iptables=false',
    '--ip6tables=false',
    '--bridge=none',
    '--data-root',
    join(tmp, 'data'),
    '--exec-root',
    join(tmp, 'exec'),
    '--pidfile',
    join(tmp, 'dockerd.pid'),
    '-H',
    `unix://${sock}`,
    '--exec-opt',
    'native.cgroupdriver=cgroupfs',
    '--storage-driver',
    'overlay2',
    '--log-driver',
    'json-file',
  ],
  { stdio: 'ignore' },
);

/** CPU seconds (user+system) of a process so far. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}
function rssMiB(pid) {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}
const metric = (text, name, labels = '') =>
  Number(new RegExp(`^${name}${labels.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

/** Samples the agent every second for `seconds`; returns CPU share and RSS mean/peak. */
async function watch(pid, url, seconds) {
  const cpu0 = cpuSeconds(pid);
  const t0 = performance.now();
  const rss = [];
  while (performance.now() - t0 < seconds * 1000) {
    rss.push(rssMiB(pid));
    await sleep(1000);
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(pid) - cpu0;
  const text = await (await fetch(`${url}/metrics`)).text();
  return {
    wall,
    cpu,
    share: cpu / wall,
    rssMean: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssPeak: Math.max(...rss),
    heapUsed: metric(text, 'podmortem_agent_nodejs_heap_size_used_bytes') / 1048576,
    heapTotal: metric(text, 'podmortem_agent_nodejs_heap_size_total_bytes') / 1048576,
    external: metric(text, 'podmortem_agent_nodejs_external_memory_bytes') / 1048576,
    sampled: metric(text, 'podmortem_agent_sampled_containers'),
    fullReads: metric(text, 'podmortem_agent_sample_full_reads'),
    recordsRead: metric(text, 'podmortem_agent_runtime_records_read'),
    round: metric(text, 'podmortem_agent_sample_round_seconds'),
    posted: metric(text, 'podmortem_agent_events_total', '{outcome="posted"}'),
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}

function print(phase, r, extra = '') {
  console.log(
    `${phase.padEnd(6)} ${r.wall.toFixed(0)} s: CPU ${r.cpu.toFixed(1)} s = ${(r.share * 1000).toFixed(0)}m` +
      `  RSS mean ${r.rssMean.toFixed(0)} MiB, peak ${r.rssPeak.toFixed(0)} MiB` +
      `  (heap ${r.heapUsed.toFixed(0)}/${r.heapTotal.toFixed(0)} MiB, external ${r.external.toFixed(0)} MiB)` +
      `  sampled ${r.sampled}, last round ${(r.round * 1000).toFixed(0)} ms (${r.fullReads} read in full), ${r.recordsRead} runtime records read since start${extra}  [load ${r.load}]`,
  );
}

let agent;
let standin;
const names = [];
try {
  for (let i = 0; i < 150; i++) {
    try {
      docker('version');
      break;
    } catch {
      await sleep(200);
    }
  }
  const rootfs = join(tmp, 'rootfs');
  for (const d of ['bin', 'tmp', 'proc', 'sys', 'dev', 'etc'])
    mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  chmodSync(join(rootfs, 'bin/busybox'), 0o755);
  for (const a of ['sh', 'sleep', 'echo']) symlinkSync('busybox', join(rootfs, 'bin', a));
  const tar = execFileSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 64 << 20 });
  execFileSync('/usr/bin/docker', ['-H', `unix://${sock}`, 'import', '-', 'pm-budget:1'], { input: tar });

  const run = (ns, i, cmd, restart) => {
    const uid = randomUUID();
    const name = `k8s_app_${ns}-${i}_${ns}_${uid}_0`;
    names.push(name);
    const labels = {
      'io.kubernetes.pod.name': `${ns}-${i}`,
      'io.kubernetes.pod.namespace': ns,
      'io.kubernetes.pod.uid': uid,
      'io.kubernetes.container.name': 'app',
    };
    docker(
      'run',
      '-d',
      '--name',
      name,
      '--network',
      'none',
      ...(restart ? ['--restart', 'always'] : []),
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      'pm-budget:1',
      '/bin/sh',
      '-c',
      cmd,
    );
  };
  const t0 = performance.now();
  for (let i = 0; i < CONTAINERS; i++) run('idle', i, 'exec sleep 86400', false);
  console.log(
    `${CONTAINERS} running containers started in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );

  standin = await startStandin({});
  agent = spawn(
    process.execPath,
    [
      ...(PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', PROFILE_DIR] : []),
      CLI,
      'agent',
      '--listen',
      '127.0.0.1:0',
      '--db',
      join(tmp, 'state/agent.db'),
      '--runtime-endpoint',
      `unix://${sock}`,
      '--node-name',
      'budget',
      '--kubeconfig',
      standin.kubeconfig,
      '--sample-interval',
      String(SAMPLE),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KUBECONFIG: '', NODE_OPTIONS } },
  );
  let err = '';
  agent.stderr.on('data', (c) => (err += c));
  let port;
  for (let i = 0; i < 600 && !port; i++) {
    port = /serving on [^\s]+:(\d+),/.exec(err)?.[1];
    await sleep(50);
  }
  if (!port) throw new Error(`agent did not start: ${err}`);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    if ((await fetch(`${url}/readyz`)).status === 200) break;
    await sleep(100);
  }
  await sleep(2 * SAMPLE * 1000); // the first rounds
  console.log(
    `agent budget on Docker, ${CONTAINERS} running containers, sampling every ${SAMPLE} s, NODE_OPTIONS=${NODE_OPTIONS} (budget: 150 MiB; requests 10m CPU, 80 MiB):`,
  );
  const idle = await watch(agent.pid, url, IDLE_S);
  print('idle', idle);

  const stormExits = async () =>
    (await (await fetch(`${url}/metrics`)).text())
      .split('\n')
      .filter((l) => l.startsWith('podmortem_container_exits_total{') && l.includes('namespace="storm"'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
  const t1 = performance.now();
  for (let i = 0; i < STORM; i++)
    run('storm', i, 'sleep 0.5; echo "fatal error: out of memory" >&2; exit 2', true);
  const startS = (performance.now() - t1) / 1000;
  const before = await stormExits();
  const storm = await watch(agent.pid, url, STORM_S);
  const text = await (await fetch(`${url}/metrics`)).text();
  const exits = (await stormExits()) - before;
  const backlog = metric(text, 'podmortem_agent_exit_backlog');
  const dropped = metric(text, 'podmortem_agent_exits_dropped');
  if (JSON_OUT)
    writeFileSync(
      JSON_OUT,
      JSON.stringify(
        {
          bench: 'agent',
          containers: CONTAINERS,
          sampleInterval: SAMPLE,
          nodeOptions: NODE_OPTIONS,
          idle,
          storm: {
            ...storm,
            crashLooping: STORM,
            exits,
            exitsPerMinute: (exits / storm.wall) * 60,
            backlog,
            dropped,
          },
        },
        null,
        2,
      ),
    );
  print(
    'storm',
    storm,
    `  ${exits} exits recorded in the window (${((exits / storm.wall) * 60).toFixed(0)}/min; ${STORM} crash-looping, started in ${startS.toFixed(0)} s), backlog ${metric(text, 'podmortem_agent_exit_backlog')}, dropped ${metric(text, 'podmortem_agent_exits_dropped')}, Events posted ${storm.posted}`,
  );
} finally {
  if (agent && agent.exitCode === null) {
    const exited = new Promise((r) => agent.once('exit', r));
    agent.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]); // a CPU profile is written as it stops
  }
  await standin?.close();
  for (const n of names) {
    try {
      docker('rm', '-f', n);
    } catch {
      // gone
    }
  }
  dockerd.kill('SIGTERM');
  await sleep(1500);
  try {
    execFileSync('sh', ['-c', `grep -o ' ${tmp}[^ ]*' /proc/mounts | sort -r | xargs -r -n1 umount -l`], {
      stdio: 'ignore',
    });
  } catch {
    // nothing mounted
  }
  rmSync(tmp, { recursive: true, force: true });
}
