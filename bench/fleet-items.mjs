// Incident items as a fleet's agents push them, made up but shaped like the real ones: 3 clusters,
// 300 nodes, 60 namespaces holding 600 workloads (both skewed: a few noisy teams crash most, as in
// any fleet), the contract's cause ids with 1 to 3 candidates and a ruled-out one, verdicts mostly
// confirmed/likely, one in ten unexplained, finish times spread over the last 30 days, and
// evidence, missing steps and fixes of realistic length (about 2.5 KB of JSON per item).
// Deterministic for a seed, so two runs (and SQLite and PostgreSQL) hold the same fleet.
import { createHash } from 'node:crypto';

export const CAUSES = [
  'memory.cgroup',
  'memory.cgroup',
  'memory.cgroup',
  'memory.node',
  'runtime.heap',
  'runtime.heap',
  'cgroup.pids',
  'kernel.pid_max',
  'rlimit.nproc',
  'rlimit.nofile',
  'rlimit.nofile',
  'kernel.threads-max',
  'vm.max_map_count',
  'runtime.max-threads',
  'fs.file-max',
  'inotify.instances',
  'inotify.watches',
  'seccomp.clone3',
  'pidns.init-exited',
];
export const CAUSE_IDS = [...new Set(CAUSES)];
export const VERDICTS = ['confirmed', 'likely', 'possible', 'unlikely'];
const VERDICT_WEIGHTS = [0.4, 0.3, 0.22, 0.08];

export const CLUSTERS = ['prod-eu', 'prod-us', 'staging'];
export const NODES = Array.from(
  { length: 300 },
  (_, i) => `ip-10-0-${i >> 4}-${(i * 37) % 250}.ec2.internal`,
);
export const NAMESPACES = Array.from({ length: 60 }, (_, i) => `team-${String(i).padStart(2, '0')}`);
/** Ten workloads per namespace: "<namespace>/<name>". */
export const WORKLOADS = NAMESPACES.flatMap((ns, i) =>
  ['api', 'worker', 'web', 'cron', 'ingest', 'search', 'cache', 'auth', 'billing', 'export'].map(
    (w) => `${ns}/${w}-${i}`,
  ),
);

export const DAY_MS = 24 * 3600_000;

/** mulberry32: small, fast, deterministic. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An index in [0, n) skewed like Zipf (s about 1): index 0 is the noisiest. */
function skewed(r, n) {
  return Math.min(n - 1, Math.floor(Math.exp(r() * Math.log(n + 1)) - 1));
}

function pick(r, weights) {
  let x = r();
  for (let i = 0; i < weights.length; i++) if ((x -= weights[i]) < 0) return i;
  return weights.length - 1;
}

const hex = (s) => createHash('sha256').update(s).digest('hex');

function cause(id, verdict, n) {
  return {
    id,
    verdict,
    summary: `${id}: the limit was at ${90 + (n % 10)} % when the container exited; the process could not create what it needed.`,
    reasons: [`the kernel counter for ${id} moved at the exit`, 'the log names the failing call'],
    evidence: [
      { of: 'node', source: `/proc/sys/${id.replace('.', '/')}`, text: String(32768 + (n % 1000)) },
      {
        of: 'crashed',
        source: 'app.log',
        line: 40 + (n % 300),
        text: `fatal error: ${id} exhausted (errno=11, EAGAIN) after ${n % 5000} requests in flight`,
      },
    ],
    missing: verdict === 'possible' ? [`kubectl debug node/… -- cat /proc/sys/${id.replace('.', '/')}`] : [],
    remediation: [
      {
        summary: `Raise ${id} for this workload, or lower what it uses.`,
        commands: [`kubectl set resources deploy/app --limits=memory=${512 + (n % 8) * 128}Mi`],
      },
    ],
  };
}

/**
 * Item number n of a fleet, deterministic for (seed, n). `now` anchors the 30 days.
 * @returns the item as an agent pushes it
 */
export function fleetItem(n, now, seed = 1) {
  const r = rng(seed * 1_000_003 + n);
  const workload = WORKLOADS[skewed(r, WORKLOADS.length)];
  const [namespace, name] = workload.split('/');
  const node = NODES[Math.floor(r() * NODES.length)];
  const cluster = CLUSTERS[pick(r, [0.5, 0.35, 0.15])];
  const finished = now - Math.floor(r() * 30 * DAY_MS);
  const finishedAt = new Date(Math.floor(finished / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  const podHash = hex(`${workload}${Math.floor(finished / DAY_MS)}`);
  const pod = `${name}-${podHash.slice(0, 9).replace(/[0-9]/g, (d) => 'bcdfghjkl'[d])}-${podHash.slice(9, 14)}`;
  const podUid = `${podHash.slice(0, 8)}-${podHash.slice(8, 12)}-4${podHash.slice(13, 16)}-a${podHash.slice(17, 20)}-${podHash.slice(20, 32)}`;
  const container = r() < 0.8 ? 'app' : 'sidecar';
  const unexplained = r() < 0.1;
  const causes = [];
  if (!unexplained) {
    const k = 1 + Math.floor(r() * 3);
    const seen = new Set();
    for (let i = 0; i < k; i++) {
      const id = CAUSES[Math.floor(r() * CAUSES.length)];
      if (seen.has(id)) continue;
      seen.add(id);
      // Sorted most likely first: later candidates never beat the first.
      const v = i === 0 ? pick(r, VERDICT_WEIGHTS) : Math.min(3, 1 + Math.floor(r() * 3));
      causes.push(cause(id, VERDICTS[v], n));
    }
    causes.push({
      ...cause('rlimit.nproc', 'ruled-out', n),
      reasons: ['RLIMIT_NPROC is never enforced for real UID 0'],
    });
  }
  return {
    id: hex(`${podUid}\n${container}\n${finishedAt}\n${n}`).slice(0, 24),
    node,
    cluster,
    recordedAt: new Date(finished + 400 + Math.floor(r() * 3000)).toISOString(),
    subject: {
      namespace,
      pod,
      container,
      podUid,
      node,
      restartCount: 1 + Math.floor(r() * 40),
      exitCode: r() < 0.5 ? 137 : 2,
      finishedAt,
      owner: `Deployment ${namespace}/${name}`,
      source: 'agent',
    },
    signatures: [
      {
        id: 'go.newosproc',
        title: 'Go could not create an OS thread',
        fields: { threads: 41 + (n % 200), errno: 11, errnoName: 'EAGAIN' },
        evidence: [
          {
            of: 'crashed',
            source: `${container}.log`,
            line: 1 + (n % 90),
            text: `runtime: failed to create new OS thread (have ${41 + (n % 200)} already; errno=11)`,
          },
        ],
      },
    ],
    causes,
    notes: [],
  };
}
