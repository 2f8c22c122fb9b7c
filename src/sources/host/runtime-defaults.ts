// What the Docker daemon gives every container unless the container says otherwise: a pids limit
// (default-pids-limit; RHEL's docker-1.13.1-94 set 4096) and rlimits (default-ulimits). They are
// where a "4096" or a "1024" in a container comes from, so a report names them beside the causes.
// Read from /etc/docker/daemon.json and, on RHEL/CentOS 7's packaged docker, /etc/sysconfig/docker.
import type { Evidence, Fact, NodeFacts } from '../../evidence/types.js';
import { evidenceOf, type HostRoot } from './root.js';

type RuntimeDefaults = NonNullable<NodeFacts['runtimeDefaults']>;

/** Built when a daemon.json is found: zod loads only then (start-up, bench/README.md 2026-11-30). */
async function daemonJsonSchema() {
  const { z } = await import('zod');
  const ulimit = z.object({ Name: z.string().optional(), Soft: z.number().int(), Hard: z.number().int() });
  return z
    .object({
      'default-pids-limit': z.number().int(),
      'default-ulimits': z.record(z.string(), ulimit),
    })
    .partial();
}

// OPTIONS='--selinux-enabled --default-pids-limit=4096 --default-ulimit nofile=1024:4096'
const PIDS_FLAG = /--default-pids-limit[= ](-?\d{1,10})/;
const ULIMIT_FLAG = /--default-ulimit[= ]([a-z]{2,12})=(-?\d{1,20})(?::(-?\d{1,20}))?/g;

export async function readRuntimeDefaults(root: HostRoot): Promise<RuntimeDefaults | undefined> {
  const out: RuntimeDefaults = { ulimits: [] };
  const json = root.read('/etc/docker/daemon.json', { quiet: true });
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json.text);
    } catch {
      root.note(
        '/etc/docker/daemon.json',
        '/etc/docker/daemon.json: not valid JSON; the daemon defaults in it were not read.',
      );
    }
    const d = (await daemonJsonSchema()).safeParse(parsed);
    if (d.success) {
      const pids = d.data['default-pids-limit'];
      if (pids !== undefined) out.pidsLimit = fact(pids, lineOf(json, '"default-pids-limit"'));
      for (const [name, u] of Object.entries(d.data['default-ulimits'] ?? {})) {
        out.ulimits.push({ name, soft: u.Soft, hard: u.Hard, evidence: lineOf(json, `"${name}"`) });
      }
    }
  }
  const sys = root.read('/etc/sysconfig/docker', { quiet: true });
  if (sys) {
    sys.text.split('\n').forEach((line, i) => {
      if (line.trimStart().startsWith('#')) return;
      const ev = evidenceOf(sys, i + 1);
      const p = PIDS_FLAG.exec(line);
      if (p) out.pidsLimit = fact(Number(p[1]), ev);
      for (const m of line.matchAll(ULIMIT_FLAG)) {
        out.ulimits.push({ name: m[1]!, soft: Number(m[2]), hard: Number(m[3] ?? m[2]), evidence: ev });
      }
    });
  }
  return out.pidsLimit || out.ulimits.length > 0 ? out : undefined;
}

function fact(n: number, evidence: Evidence): Fact<number | null> {
  // Docker reads 0 and -1 as "no limit".
  return { value: n > 0 ? n : null, evidence };
}

/** The line of a JSON file that holds a key, as evidence (the whole file when it is one line). */
function lineOf(read: Parameters<typeof evidenceOf>[0], needle: string): Evidence {
  const i = read.text.split('\n').findIndex((l) => l.includes(needle));
  return i >= 0 ? evidenceOf(read, i + 1) : evidenceOf(read);
}
