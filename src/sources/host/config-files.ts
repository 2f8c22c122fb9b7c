// Configuration files of the node that decide limits: PAM limits (limits.conf, limits.d), sysctl
// files, the kubelet config, and which container runtime is installed. Each value keeps its file and
// line. Formats: limits.conf(5) "<domain> <type> <item> <value>"; sysctl.d(5) "key = value" with #/;
// comments and a leading "-" meaning "ignore errors"; the kubelet's KubeletConfiguration
// (k8s:staging/src/k8s.io/kubelet/config/v1beta1/types.go: podPidsLimit, cgroupDriver, evictionHard,
// systemReserved).
import type { Evidence, Fact, NodeFacts, PamLimitLine } from '../../evidence/types.js';
import type { HostRoot, TextRead } from './root.js';

/** A config directory holds a few dozen files; more is not a config directory. */
const MAX_DIR_FILES = 200;

export function readPamLimits(root: HostRoot): PamLimitLine[] {
  const out: PamLimitLine[] = [];
  const files = ['/etc/security/limits.conf', ...confFiles(root, '/etc/security/limits.d')];
  for (const path of files) {
    const r = root.read(path, { quiet: path === '/etc/security/limits.conf' });
    if (!r) continue;
    eachLine(r, (line, n) => {
      const m = /^(\S{1,64})\s+(soft|hard|-)\s+([a-z_]{1,20})\s+(\S{1,32})\s*$/.exec(line);
      if (m)
        out.push({
          domain: m[1]!,
          type: m[2]!,
          item: m[3]!,
          value: m[4]!,
          evidence: { source: path, line: n, text: line },
        });
    });
  }
  return out;
}

/** sysctl settings from every directory systemd-sysctl reads, and /etc/sysctl.conf (order as applied). */
export function readSysctlFiles(root: HostRoot): NonNullable<NodeFacts['sysctlFiles']> {
  const out: NonNullable<NodeFacts['sysctlFiles']> = [];
  const dirs = [
    '/usr/lib/sysctl.d',
    '/lib/sysctl.d',
    '/usr/local/lib/sysctl.d',
    '/run/sysctl.d',
    '/etc/sysctl.d',
  ];
  const files = [...dirs.flatMap((d) => confFiles(root, d)), '/etc/sysctl.conf'];
  for (const path of files) {
    const r = root.read(path, { quiet: true });
    if (!r) continue;
    eachLine(r, (line, n) => {
      const m = /^-?([A-Za-z0-9_.\-/*]{1,128})\s*=\s*(.{0,256}?)\s*$/.exec(line);
      if (m)
        out.push({
          key: m[1]!.replace(/\//g, '.'),
          value: m[2]!,
          evidence: { source: path, line: n, text: line },
        });
    });
  }
  return out;
}

/** Built on the first config file found: YAML and zod load only then (start-up, bench/README.md 2026-11-30). */
async function kubeletConfigParser() {
  const [{ parse }, { z }] = await Promise.all([import('./yaml.js'), import('zod')]);
  const schema = z
    .object({
      podPidsLimit: z.number().int().optional(),
      cgroupDriver: z.string().optional(),
      evictionHard: z.record(z.string(), z.string()).optional(),
      systemReserved: z.record(z.string(), z.string()).optional(),
    })
    .partial();
  return { parse, schema };
}

export async function readKubeletConfig(root: HostRoot): Promise<NodeFacts['kubelet']> {
  const path = '/var/lib/kubelet/config.yaml';
  const r = root.read(path, { quiet: true, maxBytes: 256 * 1024 });
  if (!r) {
    root.note(
      path,
      `${path}: not found (kubeadm writes it; other installers pass kubelet flags such as --pod-max-pids instead).`,
    );
    return undefined;
  }
  const { parse, schema } = await kubeletConfigParser();
  let doc: unknown;
  try {
    doc = parse(r.text, { maxAliasCount: 100 });
  } catch {
    root.note(path, `${path}: not valid YAML; the kubelet settings were not read.`);
    return undefined;
  }
  const parsed = schema.safeParse(doc ?? {});
  if (!parsed.success) {
    root.note(
      path,
      `${path}: not a KubeletConfiguration (${parsed.error.issues[0]?.path.join('.') ?? 'shape'} has the wrong type); its settings were not used.`,
    );
    return { source: path };
  }
  const cfg = parsed.data;
  const at = (key: string, fallback: string): Evidence => {
    const lines = r.text.split('\n');
    const i = lines.findIndex((l) => new RegExp(`^\\s*${key}:`).test(l));
    return i >= 0 ? { source: path, line: i + 1, text: lines[i]!.trim() } : { source: path, text: fallback };
  };
  const out: NonNullable<NodeFacts['kubelet']> = { source: path };
  if (cfg.podPidsLimit !== undefined)
    out.podPidsLimit = {
      value: cfg.podPidsLimit,
      evidence: at('podPidsLimit', `podPidsLimit: ${cfg.podPidsLimit}`),
    };
  if (cfg.cgroupDriver !== undefined)
    out.cgroupDriver = {
      value: cfg.cgroupDriver,
      evidence: at('cgroupDriver', `cgroupDriver: ${cfg.cgroupDriver}`),
    };
  if (cfg.evictionHard)
    out.evictionHard = {
      value: cfg.evictionHard,
      evidence: at('evictionHard', JSON.stringify(cfg.evictionHard)),
    };
  const pid = cfg.systemReserved?.['pid'];
  if (pid !== undefined)
    out.systemReservedPid = { value: pid, evidence: at('\\s*pid', `systemReserved.pid: ${pid}`) };
  return out;
}

/**
 * Kubelet flags that override the config file (flags win over --config in the kubelet): kubeadm's
 * /var/lib/kubelet/kubeadm-flags.env, and the distro environment files of the kubelet unit.
 */
export function applyKubeletFlags(root: HostRoot, kubelet: NodeFacts['kubelet']): NodeFacts['kubelet'] {
  const files = ['/var/lib/kubelet/kubeadm-flags.env', '/etc/sysconfig/kubelet', '/etc/default/kubelet'];
  let out = kubelet;
  for (const path of files) {
    const r = root.read(path, { quiet: true, maxBytes: 64 * 1024 });
    if (!r) continue;
    r.text.split('\n').forEach((line, i) => {
      const ev = (flag: string): Evidence => ({ source: path, line: i + 1, text: flag });
      const pids = /--pod-max-pids[= ](-?\d{1,10})\b/.exec(line);
      const driver = /--cgroup-driver[= ]([a-z]{1,16})\b/.exec(line);
      if (pids || driver) out = out ?? { source: path };
      if (out && pids) out.podPidsLimit = { value: Number(pids[1]), evidence: ev(pids[0]) };
      if (out && driver) out.cgroupDriver = { value: driver[1]!, evidence: ev(driver[0]) };
    });
  }
  return out;
}

/** The container runtime the node shows: Docker first (it runs containerd underneath), then CRI-O, then containerd. */
export function readRuntime(root: HostRoot): Fact<string> | undefined {
  const marks: [string, string][] = [
    ['docker', '/var/lib/docker'],
    ['docker', '/run/docker.sock'],
    ['docker', '/var/run/docker.sock'],
    ['cri-o', '/run/crio/crio.sock'],
    ['cri-o', '/var/lib/crio'],
    ['containerd', '/run/containerd/containerd.sock'],
    ['containerd', '/var/lib/containerd'],
  ];
  for (const [name, path] of marks) {
    if (root.exists(path)) return { value: name, evidence: { source: path, text: `${path} exists` } };
  }
  return undefined;
}

/** *.conf files of a directory in lexical order, as pam_limits and systemd-sysctl read them. */
function confFiles(root: HostRoot, dir: string): string[] {
  const names = root.list(dir, { quiet: true }) ?? [];
  return names
    .filter((n) => n.endsWith('.conf'))
    .sort()
    .slice(0, MAX_DIR_FILES)
    .map((n) => `${dir}/${n}`);
}

function eachLine(r: TextRead, fn: (line: string, n: number) => void): void {
  r.text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) return;
    fn(line.slice(0, 512), i + 1);
  });
}
