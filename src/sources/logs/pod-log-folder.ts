// The kubelet's pod log folder: <log-dir>/<namespace>_<pod>_<pod-uid>/<container>/<N>.log, N the
// container's restart count (k8s:pkg/kubelet/kuberuntime/helpers.go BuildContainerLogsDirectory,
// BuildPodLogsDirectory). containerd and CRI-O write CRI lines there; dockershim-era kubelets made
// each N.log a symlink to the Docker json-file log (/var/lib/docker/containers/<id>/<id>-json.log).
// A symlink target is a *host* path: it is re-rooted under --root and never followed out of it.
import { lstatSync, readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve as resolvePath, sep } from 'node:path';
import type { HostRoot } from '../host/root.js';

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
  /** Runs found, oldest first: N and the real path to read (symlinks resolved under the root). */
  runs: { attempt: number; shown: string; real: string }[];
}

export interface PodLogsRead {
  containers: ContainerLogs[];
  problems: string[];
}

function list(dir: string): string[] | undefined {
  try {
    return readdirSync(dir).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch {
    return undefined;
  }
}

/**
 * Resolves one N.log entry to a regular file we may read: a plain file as it is; a symlink with an
 * absolute target through the host root (re-rooted); a relative target only when it stays in the
 * log folder. Returns a sentence instead when it cannot or must not be followed.
 */
function resolveLog(
  path: string,
  shown: string,
  logDirReal: string,
  root: HostRoot,
): { real: string } | { problem: string } {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return { problem: `${shown}: vanished while the log folder was read.` };
  }
  let real = path;
  if (st.isSymbolicLink()) {
    let target: string;
    try {
      target = readlinkSync(path);
    } catch {
      return { problem: `${shown}: the symbolic link cannot be read.` };
    }
    if (target.startsWith('/')) {
      const r = root.resolve(target);
      if (!r.ok) return { problem: `${shown} -> ${target}: ${r.reason}` };
      real = r.real;
    } else {
      real = resolvePath(dirname(path), target);
      let canonical: string;
      try {
        canonical = realpathSync(real);
      } catch {
        return { problem: `${shown} -> ${target}: the target does not exist (the container was removed).` };
      }
      if (!canonical.startsWith(logDirReal + sep))
        return { problem: `${shown} -> ${target}: leads out of the log folder; not followed.` };
      real = canonical;
    }
  }
  try {
    if (!statSync(real).isFile()) return { problem: `${shown}: not a regular file; not read.` };
  } catch {
    return { problem: `${shown}: the log it points to does not exist any more (the container was removed).` };
  }
  return { real };
}

/** Crawls the log folder. `logDir` is a real path (an explicit --log-dir, or <root>/var/log/pods resolved). */
export function readPodLogs(logDir: string, shownDir: string, root: HostRoot): PodLogsRead {
  const out: PodLogsRead = { containers: [], problems: [] };
  let logDirReal: string;
  try {
    logDirReal = realpathSync(logDir);
  } catch {
    out.problems.push(
      `${shownDir}: no such log folder; crashed containers are found through the runtime only.`,
    );
    return out;
  }
  const pods = list(logDirReal);
  if (!pods) {
    out.problems.push(
      `${shownDir}: cannot be listed (permission denied?); crashed containers are found through the runtime only.`,
    );
    return out;
  }
  let podCount = 0;
  for (const podName of pods) {
    const m = POD_DIR.exec(podName);
    if (!m) continue;
    if (++podCount > MAX_PODS) {
      out.problems.push(`${shownDir}: more than ${MAX_PODS} pod folders; the rest were skipped.`);
      break;
    }
    const podDir = join(logDirReal, podName);
    for (const c of list(podDir) ?? []) {
      if (!CONTAINER_DIR.test(c)) continue;
      const cDir = join(podDir, c);
      const runs: ContainerLogs['runs'] = [];
      for (const f of list(cDir) ?? []) {
        const fm = LOG_FILE.exec(f);
        if (!fm) continue; // rotated (N.log.<time>, .gz) files are older than the crash we want
        const shown = `${shownDir}/${podName}/${c}/${f}`;
        const r = resolveLog(join(cDir, f), shown, logDirReal, root);
        if ('problem' in r) out.problems.push(r.problem);
        else runs.push({ attempt: Number(fm[1]), shown, real: r.real });
      }
      runs.sort((a, b) => a.attempt - b.attempt);
      if (runs.length > 0)
        out.containers.push({ namespace: m[1]!, pod: m[2]!, podUid: m[3]!, container: c, runs });
    }
  }
  return out;
}
