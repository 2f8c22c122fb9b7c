#!/usr/bin/env node
// Benchmark: exit-to-verdict latency of `podmortem agent`. It starts a private dockerd (cgroupfs,
// json-file logs, no network), imports a busybox image, starts the agent against it, then runs N
// containers in the dockershim layout (k8s_<container>_<pod>_<ns>_<uid>_0 with io.kubernetes.*
// labels) that each print a crash line and exit, staggered over time. For each incident the latency
// is recordedAt (the agent stored it) minus subject.finishedAt (dockerd's finish time), one clock.
// Prints p50, p99 and max, and the agent's RSS at the end; removes everything it made.
// Needs root, dockerd and busybox (the lab's machine); prints why otherwise.
//   node bench/agent-latency.mjs [--crashes 100] [--interval-ms 300]
/* global process, console, setTimeout, fetch */
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
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'dist/cli/main.js');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const CRASHES = arg('crashes', 100);
const INTERVAL = arg('interval-ms', 300);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const busybox = ['/usr/bin/busybox', '/bin/busybox'].find((p) => existsSync(p));

if (process.getuid?.() !== 0 || !busybox || !existsSync('/usr/bin/docker')) {
  console.log('bench skipped: needs root, dockerd (/usr/bin/docker) and busybox');
  process.exit(0);
}
if (!existsSync(CLI)) {
  console.log('build first: npm run build');
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'pm-agent-bench-'));
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
let agent;
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
  execFileSync('/usr/bin/docker', ['-H', `unix://${sock}`, 'import', '-', 'pm-bench:1'], { input: tar });

  agent = spawn(
    process.execPath,
    [
      CLI,
      'agent',
      '--listen',
      '127.0.0.1:0',
      '--db',
      join(tmp, 'state/agent.db'),
      '--runtime-endpoint',
      `unix://${sock}`,
      '--node-name',
      'bench',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KUBECONFIG: '' } },
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

  for (let i = 0; i < CRASHES; i++) {
    const uid = randomUUID();
    const name = `k8s_app_bench-${i}_bench_${uid}_0`;
    names.push(name);
    const labels = {
      'io.kubernetes.pod.name': `bench-${i}`,
      'io.kubernetes.pod.namespace': 'bench',
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
      ...Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
      'pm-bench:1',
      '/bin/sh',
      '-c',
      'sleep 1; echo "fatal error: out of memory" >&2; exit 2',
    );
    await sleep(INTERVAL);
  }
  let items = [];
  for (let i = 0; i < 1200 && items.length < CRASHES; i++) {
    items = (await (await fetch(`${url}/api/v1/incidents?namespace=bench&limit=500`)).json()).items;
    await sleep(100);
  }
  const lat = items
    .map((x) => Date.parse(x.recordedAt) - Date.parse(x.subject.finishedAt))
    .sort((a, b) => a - b);
  const pct = (p) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))];
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${agent.pid}/status`, 'utf8'))?.[1] ?? 0);
  console.log(
    `agent exit-to-verdict latency over ${lat.length} of ${CRASHES} crashes (Docker, one every ${INTERVAL} ms):`,
  );
  console.log(
    `  p50 ${pct(50)} ms   p99 ${pct(99)} ms   max ${lat.at(-1)} ms   (agent RSS ${Math.round(rss / 1024)} MiB)`,
  );
} finally {
  agent?.kill('SIGTERM');
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
