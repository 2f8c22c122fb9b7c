#!/usr/bin/env node
// `podmortem scan -A` on a stand-in cluster of 10,000 pods on 500 nodes with 300 restarting,
// side by side with the shell loop an operator writes by hand:
//
//   kubectl get pods -A -o json > pods.json
//   jq -r '<containers with restartCount > 0>' pods.json | while read ns pod c; do
//     kubectl logs -p -n "$ns" "$pod" -c "$c" > "logs/$ns.$pod.$c.log"; done
//
// Both talk HTTPS to the same stand-in (test/standin/server.mjs, in this process); each runs as a
// child under GNU time for its peak RSS. Prints wall time, API requests, peak memory, and what each
// ends up knowing. Never fails on a time; fails only when the scan misses the restarting containers.
//
//   node bench/scan-cluster.mjs [--pods 10000] [--nodes 500] [--restarting 300] [--log-kib 64] [--no-build]
//     [--scan-only] (skip the kubectl loop and the rate-limited scan) [--report FILE] (keep the --qps 0 JSON report)
//     [--node-options '--max-old-space-size=80'] (NODE_OPTIONS of the scan) [--verbose] (print the scan's stderr)
//     [--cli PATH] (another build's dist/cli/main.js, to compare two builds on the same cluster)
//     [--json FILE] (also write the figures there, for bench/all.mjs; the printout is unchanged)
/* global process, console */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { event, node, owner, pod } from '../test/standin/objects.mjs';
import { CALICO_LOG } from '../test/standin/scenario.mjs';
import { startStandin } from '../test/standin/server.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const o = {
    pods: 10_000,
    nodes: 500,
    restarting: 300,
    logKiB: 64,
    build: true,
    scanOnly: false,
    report: undefined,
    nodeOptions: undefined,
    verbose: false,
    cli: join(ROOT, 'dist/cli/main.js'),
    json: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--pods') o.pods = Number(argv[++i]);
    else if (a === '--nodes') o.nodes = Number(argv[++i]);
    else if (a === '--restarting') o.restarting = Number(argv[++i]);
    else if (a === '--log-kib') o.logKiB = Number(argv[++i]);
    else if (a === '--no-build') o.build = false;
    else if (a === '--scan-only') o.scanOnly = true;
    else if (a === '--report') o.report = argv[++i];
    else if (a === '--node-options') o.nodeOptions = argv[++i];
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--cli') o.cli = argv[++i];
    else if (a === '--json') o.json = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/**
 * A cluster: Deployments of 10 replicas spread over the nodes. Crashes come by Deployment, as they
 * do: 3 replicas of every k-th Deployment restart (a third OOMKilled, the rest a Go thread crash).
 */
function makeCluster(o) {
  const pods = [];
  const owners = [];
  const events = [];
  const logs = {};
  const crashingDeployments = Math.ceil(o.restarting / 3);
  const everyDep = Math.max(1, Math.floor(o.pods / 10 / crashingDeployments));
  const noise = (i) => {
    const lines = [];
    let size = 0;
    for (let n = 0; size < o.logKiB * 1024; n++) {
      const l = `2026-11-29T11:${String(n % 60).padStart(2, '0')}:00.000Z INFO request id=${i}-${n} path=/api/v1/orders status=200 took=${n % 97}ms`;
      lines.push(l);
      size += l.length + 1;
    }
    return lines.join('\n') + '\n';
  };
  let restarting = 0;
  for (let i = 0; i < o.pods; i++) {
    const dep = `svc-${String(Math.floor(i / 10)).padStart(4, '0')}`;
    const rs = `${dep}-7d9f8c6b5`;
    const ns = `team-${Math.floor(i / 500)}`;
    const name = `${rs}-${String(i).padStart(5, '0')}`.slice(0, 63);
    if (i % 10 === 0)
      owners.push(
        owner('ReplicaSet', ns, rs, { kind: 'Deployment', name: dep }),
        owner('Deployment', ns, dep),
      );
    const crash = Math.floor(i / 10) % everyDep === 0 && i % 10 < 3 && restarting < o.restarting;
    const kind = Math.floor(i / 10 / everyDep) % 3;
    const c = crash
      ? {
          name: 'app',
          restartCount: 3 + (i % 7),
          runAsUser: 1000,
          memoryLimit: '512Mi',
          lastTerminated:
            kind === 0 ? { exitCode: 137, reason: 'OOMKilled' } : { exitCode: 2, reason: 'Error' },
        }
      : { name: 'app', runAsUser: 1000 };
    const p = pod({
      ns,
      name,
      node: `node-${String(i % o.nodes).padStart(3, '0')}`,
      owner: { kind: 'ReplicaSet', name: rs },
      containers: [c],
    });
    pods.push(p);
    if (crash) {
      restarting++;
      logs[`${ns}/${name}/app`] = { previous: noise(i) + (kind === 0 ? '' : CALICO_LOG) };
      events.push(
        event(p, {
          reason: 'BackOff',
          container: 'app',
          count: 5,
          message: 'Back-off restarting failed container app in pod ' + name,
        }),
      );
    }
  }
  const nodes = Array.from({ length: o.nodes }, (_, n) =>
    node(`node-${String(n).padStart(3, '0')}`, {
      kernel: '5.15.0-89-generic',
      osImage: 'Ubuntu 22.04.3 LTS',
      runtime: 'containerd://1.7.2',
      kubelet: 'v1.29.4',
    }),
  );
  return { pods, nodes, owners, events, logs, restarting };
}

/** Runs a command under GNU time; resolves with wall ms, CPU seconds (user + system), peak RSS KiB, stdout. */
function timed(cmd, args, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', 'PEAK_RSS_KIB=%M CPU=%U+%S', cmd, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const m = /PEAK_RSS_KIB=(\d+) CPU=([\d.]+)\+([\d.]+)/.exec(err);
      resolve({
        code,
        ms,
        rssKiB: Number(m?.[1] ?? NaN),
        cpu: Number(m?.[2] ?? NaN) + Number(m?.[3] ?? NaN),
        stdout: out,
        stderr: err.replace(/PEAK_RSS_KIB=.*\n?/, ''),
      });
    });
  });
}

const o = parseArgs(process.argv.slice(2));
if (o.build) spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'ignore' });
const cluster = makeCluster(o);
const s = await startStandin(cluster);
const work = mkdtempSync(join(tmpdir(), 'pm-bench-scan-'));
const scanEnv = o.nodeOptions ? { NODE_OPTIONS: o.nodeOptions } : {};
const loadBefore = loadavg();
try {
  console.log(
    `stand-in cluster: ${o.pods} pods on ${o.nodes} nodes, ${cluster.restarting} restarting (previous logs ~${o.logKiB} KiB each), ${cluster.owners.length} owner objects; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  // Without the client-side rate limit first (--qps 0), then with the defaults.
  const cli = o.cli;
  const scanArgs = (out, extra = []) => [
    cli,
    'scan',
    '--kubeconfig',
    s.kubeconfig,
    '-A',
    ...extra,
    '--format',
    'json',
    '-o',
    out,
  ];
  let before = s.requests.length;
  const unlimited = await timed(
    process.execPath,
    scanArgs(join(work, 'scan0.json'), ['--qps', '0']),
    scanEnv,
  );
  if (unlimited.code !== 0) throw new Error(`scan --qps 0 failed: ${unlimited.stderr}`);
  if (o.verbose) console.error(unlimited.stderr + unlimited.stdout);
  const scanRequests = s.requests.length - before;
  const scanKinds = summarize(s.requests.slice(before));
  if (o.report) copyFileSync(join(work, 'scan0.json'), o.report);
  let scan;
  if (!o.scanOnly) {
    scan = await timed(process.execPath, scanArgs(join(work, 'scan.json')), scanEnv);
    if (scan.code !== 0) throw new Error(`scan failed: ${scan.stderr}`);
  }
  const report = JSON.parse(readFileSync(join(work, 'scan0.json'), 'utf8'));

  let loop;
  let loopRequests = 0;
  if (!o.scanOnly) {
    const script = join(work, 'loop.sh');
    writeFileSync(
      script,
      `set -eu
cd "${work}"
mkdir -p logs
kubectl --kubeconfig "${s.kubeconfig}" get pods -A -o json > pods.json
jq -r '.items[] | .metadata as $m | .status.containerStatuses[]? | select(.restartCount > 0) | "\\($m.namespace) \\($m.name) \\(.name)"' pods.json |
while read ns pod c; do
  kubectl --kubeconfig "${s.kubeconfig}" logs -p -n "$ns" "$pod" -c "$c" > "logs/$ns.$pod.$c.log"
done
ls logs | wc -l
`,
    );
    before = s.requests.length;
    loop = await timed('bash', [script]);
    loopRequests = s.requests.length - before;
    if (loop.code !== 0) throw new Error(`shell loop failed: ${loop.stderr}`);
  }

  const found = report.incidents.length;
  const recognized = report.incidents.filter((i) =>
    i.causes.some((c) => c.verdict === 'confirmed' || c.verdict === 'likely' || c.verdict === 'possible'),
  ).length;
  const replicaFindings = report.findings.filter((f) => f.kind === 'replicas').length;
  const nodeFindings = report.findings.filter((f) => f.kind === 'node').length;
  const oomConfirmed = report.incidents.filter((i) =>
    i.causes.some((c) => c.id === 'memory.cgroup' && c.verdict === 'confirmed'),
  ).length;
  const newosproc = report.incidents.filter((i) => i.signatures.some((h) => h.id === 'go.newosproc')).length;
  const perPod = (req) => (req / cluster.restarting).toFixed(2);
  const row = (name, r, req, what) =>
    `| ${name} | ${(r.ms / 1000).toFixed(1)} s | ${r.cpu.toFixed(2)} s | ${req} | ${perPod(req)} | ${(r.rssKiB / 1024).toFixed(0)} MiB | ${what} |`;
  console.log('');
  console.log(
    '| run | wall time | CPU s (user+sys) | API requests | requests per restarting pod | peak RSS | what it ends up with |',
  );
  console.log('|---|---|---:|---:|---:|---:|---|');
  const what = `${found} crashed containers diagnosed (${recognized} with candidate causes: ${oomConfirmed} memory.cgroup confirmed, ${newosproc} go.newosproc), ${report.findings.length} findings (${replicaFindings} replica groups, ${nodeFindings} node groups)`;
  if (scan) console.log(row('podmortem scan -A', scan, scanRequests, what));
  console.log(
    row(
      'podmortem scan -A --qps 0',
      unlimited,
      scanRequests,
      scan ? 'the same, without the client-side rate limit' : what,
    ),
  );
  if (loop)
    console.log(
      row(
        'kubectl get -o json + kubectl logs -p loop',
        loop,
        loopRequests,
        `${loop.stdout.trim()} log files, no diagnosis, no events/owners/nodes`,
      ),
    );
  console.log('');
  console.log(`podmortem requests by kind: ${scanKinds}`);
  if (o.json) {
    const figures = (r, requests) =>
      r && {
        seconds: r.ms / 1000,
        cpu: r.cpu,
        rssMiB: r.rssKiB / 1024,
        requests,
        requestsPerRestartingPod: requests / cluster.restarting,
      };
    const record = {
      bench: 'scan',
      pods: o.pods,
      nodes: o.nodes,
      restarting: cluster.restarting,
      load: { before: loadBefore, after: loadavg() },
      found,
      findings: report.findings.length,
      scan: figures(scan, scanRequests) ?? null,
      scanUnthrottled: figures(unlimited, scanRequests),
      kubectlLoop: figures(loop, loopRequests) ?? null,
    };
    writeFileSync(o.json, JSON.stringify(record, null, 2));
  }
  if (found !== cluster.restarting) {
    console.error(`WRONG: the scan found ${found} crashed containers, the cluster has ${cluster.restarting}`);
    process.exitCode = 1;
  }
} finally {
  await s.close();
  rmSync(work, { recursive: true, force: true });
}

function summarize(reqs) {
  const kinds = new Map();
  for (const r of reqs) {
    const k = r.path.endsWith('/log')
      ? 'logs'
      : r.path.includes('/events')
        ? 'events'
        : r.path.startsWith('/apis/')
          ? 'owners'
          : r.path.includes('/nodes')
            ? 'nodes'
            : r.path.includes('/pods')
              ? 'pod lists'
              : r.path;
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  return [...kinds].map(([k, n]) => `${k} ${n}`).join(', ');
}
