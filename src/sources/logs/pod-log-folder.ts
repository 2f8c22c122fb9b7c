// The kubelet's pod log folder: <log-dir>/<namespace>_<pod>_<pod-uid>/<container>/<N>.log, N the
// container's restart count (k8s:pkg/kubelet/kuberuntime/helpers.go BuildContainerLogsDirectory,
// BuildPodLogsDirectory). containerd and CRI-O write CRI lines there; dockershim-era kubelets made
// each N.log a symlink to the Docker json-file log (/var/lib/docker/containers/<id>/<id>-json.log).
// The folder is walked through a HostRoot of its own (the node's /var/log/pods, or an explicit
// --log-dir), so a pod or container folder that is a symlink is never entered; an N.log symlink with
// an absolute target is a *host* path, resolved under the node root; a relative one must stay in the
// log folder.
import type { Readable } from 'node:stream';
import { HostRoot } from '../host/root.js';

const POD_DIR =
  /^([a-z0-9][-a-z0-9.]{0,252})_([a-z0-9][-a-z0-9.]{0,252})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const CONTAINER_DIR = /^[a-z0-9][-a-z0-9]{0,62}$/;
const LOG_FILE = /^(\d{1,6})\.log$/;
const MAX_PODS = 5000;

export interface ContainerLogs {
  namespace: string;
  pod: string;
  podUid: string;
  container: string;
  /** Runs found, oldest first: N, the path shown, the real path (resolved under a root), and how to open it. */
  runs: { attempt: number; shown: string; real: string; open: () => Readable }[];
}

export interface PodLogsRead {
  containers: ContainerLogs[];
  problems: string[];
}

const byNumber = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

/**
 * Crawls the log folder. `logs` is the folder as a root of its own; `node` is the node root that
 * absolute symlink targets are resolved under; `shownDir` is how the folder is named in evidence.
 */
export function readPodLogs(logs: HostRoot, shownDir: string, node: HostRoot): PodLogsRead {
  const out: PodLogsRead = { containers: [], problems: [] };
  if (!logs.usable) {
    out.problems.push(
      `${shownDir}: no such log folder; crashed containers are found through the runtime only.`,
    );
    return out;
  }
  const pods = logs.list('/', { quiet: true, dirsOnly: true });
  if (!pods) {
    out.problems.push(
      `${shownDir}: cannot be listed (permission denied?); crashed containers are found through the runtime only.`,
    );
    return out;
  }
  let podCount = 0;
  for (const podName of pods.sort(byNumber)) {
    const m = POD_DIR.exec(podName);
    if (!m) continue;
    if (++podCount > MAX_PODS) {
      out.problems.push(`${shownDir}: more than ${MAX_PODS} pod folders; the rest were skipped.`);
      break;
    }
    for (const c of (logs.list(`/${podName}`, { quiet: true, dirsOnly: true }) ?? []).sort(byNumber)) {
      if (!CONTAINER_DIR.test(c)) continue;
      const runs: ContainerLogs['runs'] = [];
      for (const f of (logs.list(`/${podName}/${c}`, { quiet: true }) ?? []).sort(byNumber)) {
        const fm = LOG_FILE.exec(f);
        if (!fm) continue; // rotated (N.log.<time>, .gz) files are older than the crash we want
        const shown = `${shownDir}/${podName}/${c}/${f}`;
        const r = resolveLog(`/${podName}/${c}/${f}`, shown, logs, node);
        if ('problem' in r) out.problems.push(r.problem);
        else runs.push({ attempt: Number(fm[1]), shown, real: r.real, open: r.open });
      }
      runs.sort((a, b) => a.attempt - b.attempt);
      if (runs.length > 0)
        out.containers.push({ namespace: m[1]!, pod: m[2]!, podUid: m[3]!, container: c, runs });
    }
  }
  return out;
}

/**
 * One N.log entry as a regular file we may read: a plain file as it is; a symlink with an absolute
 * target through the node root (re-rooted); a relative target only inside the log folder. A sentence
 * instead when it cannot or must not be followed.
 */
function resolveLog(
  path: string,
  shown: string,
  logs: HostRoot,
  node: HostRoot,
): { real: string; open: () => Readable } | { problem: string } {
  const target = logs.readLink(path);
  const [root, hostPath] = target?.startsWith('/') ? [node, target] : [logs, path];
  const r = root.resolve(hostPath);
  if (!r.ok) {
    if (r.code === 'ENOENT')
      return {
        problem: `${shown}${target ? ` -> ${target}` : ''}: the log it points to does not exist any more (the container was removed).`,
      };
    return { problem: `${shown}${target ? ` -> ${target}` : ''}: ${r.reason}` };
  }
  if (!root.isFile(hostPath)) return { problem: `${shown}: not a regular file; not read.` };
  const open = (): Readable => {
    const stream = root.openStream(hostPath);
    if (!stream) throw new Error(`${shown}: vanished or changed while it was read.`);
    return stream;
  };
  return { real: r.real, open };
}
