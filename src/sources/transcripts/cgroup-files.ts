// Cgroup files printed with `cat` (or `grep . files`, or `head` with its "==> file <==" headers):
// pids.max, pids.current, pids.events ("max 12"), memory.max, memory.events ("oom_kill 3"), and their
// cgroup v1 names memory.limit_in_bytes and memory.oom_control ("oom_kill 3"). The level goes into a
// cgroup chain only when its path is shown: /sys/fs/cgroup[/<controller>]/<path>/<file>, or
// /sys/fs/cgroup/<file> read inside the container (its cgroup namespace root is its own cgroup).
// Sources: linux:Documentation/admin-guide/cgroup-v2.rst (pids, memory), kernel/cgroup/pids.c.
import type { CgroupLevel } from '../../evidence/types.js';
import { levelOf } from '../host/cgroups.js';
import { basename, filesOf, limitValue } from './lines.js';
import type { Reader, Sink, TLine, TranscriptParser } from './types.js';

const P = 'cgroup-files';
const FILES = /^(pids\.(?:max|current|events)|memory\.(?:max|events|limit_in_bytes|oom_control))$/;
const GREP =
  /^(\/sys\/fs\/cgroup\/\S{0,4000}?)\/?(pids\.(?:max|current|events)|memory\.(?:max|events|limit_in_bytes|oom_control)):(.{1,64})$/;
const HEAD = /^==> (\S{1,4096}) <==$/;

export const cgroupFiles: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const tool = basename(cmd.argv[0] ?? '');
    if (!['cat', 'head', 'tail', 'grep', 'egrep'].includes(tool)) return undefined;
    const files = filesOf(cmd.argv).filter((f) => FILES.test(basename(f)));
    if (files.length === 0) return undefined;
    return reader(sink, files, cmd.inContainer);
  },
  forLine(l, sink) {
    if (!GREP.test(l.text.trim())) return undefined;
    const r = reader(sink, [], false);
    r.line(l);
    return r;
  },
};

function reader(sink: Sink, files: string[], inContainer: boolean): Reader {
  let i = 0; // which file of `cat a b c` the output is at
  let current: string | undefined = files[0];
  const next = (): void => {
    i++;
    current = files[i];
  };
  const feed = (l: TLine): boolean => {
    const t = l.text.trim();
    const g = GREP.exec(t);
    if (g) {
      value(sink, l, `${g[1]}/${g[2]}`, g[3]!.trim(), inContainer);
      return true;
    }
    const h = HEAD.exec(t);
    if (h) {
      current = h[1];
      return true;
    }
    if (!current) return false;
    if (/events|oom_control/.test(basename(current))) {
      if (/^[a-z_]{1,32} \d{1,19}$/.test(t)) {
        value(sink, l, current, t, inContainer);
        return true;
      }
      // The next file of `cat a b c` starts.
      if (i + 1 >= files.length) return false;
      next();
      return feed(l);
    }
    if (limitValue(t) === undefined) return false;
    value(sink, l, current, t, inContainer);
    next();
    return true;
  };
  return { line: feed };
}

/** One value of one file, into the level its path names. */
function value(sink: Sink, l: TLine, file: string, text: string, inContainer: boolean): void {
  const name = basename(file);
  const path = cgroupPath(file, inContainer);
  if (path === undefined) return; // a relative path: which cgroup it is cannot be told
  const controller = name.startsWith('pids') ? 'pids' : 'memory';
  const segments = path.split('/').filter(Boolean);
  const level =
    inContainer && segments.length === 0 ? 'container' : levelOf(segments[segments.length - 1] ?? '', true);
  const base: Omit<CgroupLevel, 'evidence' | 'max' | 'current' | 'events'> = { path, level, controller };
  if (name === 'pids.max' || name === 'memory.max' || name === 'memory.limit_in_bytes') {
    let max = limitValue(text);
    // cgroup v1 prints "no limit" as a page-rounded LONG_MAX.
    if (name === 'memory.limit_in_bytes' && typeof max === 'number' && max >= 2 ** 62) max = null;
    if (max !== undefined) sink.cgroup(P, l, base, { max });
  } else if (name === 'pids.current') {
    const v = limitValue(text);
    if (typeof v === 'number') sink.cgroup(P, l, base, { current: v });
  } else {
    // pids.events "max N"; memory.events and v1 memory.oom_control "oom_kill N".
    const m = /^(max|oom_kill) (\d{1,19})$/.exec(text);
    if (m && (m[1] === 'max') === (controller === 'pids')) sink.cgroup(P, l, base, { events: Number(m[2]) });
  }
}

/** The cgroup path a file names: /sys/fs/cgroup/pids/kubepods/x/pids.max -> /kubepods/x. */
export function cgroupPath(file: string, inContainer: boolean): string | undefined {
  const m = /^\/sys\/fs\/cgroup(?:\/(?:pids|memory|unified)(?=\/))?(\/.*)?\/[^/]+$/.exec(file);
  if (!m) return undefined;
  const path = m[1] ?? '/';
  if (path === '/' && !inContainer) return '/';
  return path;
}
