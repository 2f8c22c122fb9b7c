// `ps` listings: the header names the columns (USER/UID, PID, PPID, NLWP/THCNT, STAT/S, COMMAND/CMD),
// so `ps aux`, `ps -ef`, `ps -eLf` and `ps -eo ...` are read alike; `<defunct>` or a Z state marks a
// zombie, which keeps its PID, and counts toward pid_max, the pids cgroup and the UID's RLIMIT_NPROC,
// until its parent reaps it. Zombies per parent and per user become a note. `ps -eLf | wc -l` and
// `ps auxH | wc -l` on the node count its tasks (threads included, minus the header line).
import { basename } from './lines.js';
import type { Reader, Sink, TLine, TranscriptParser } from './types.js';

const P = 'ps';
const HEADER = /^(?:F\s+S\s+)?(USER|UID|RUSER|RUID)\s+PID\b.{0,300}\b(COMMAND|CMD|COMM)\s*$/;
const ZOMBIE = /<defunct>\s*$/;

export const ps: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    if (basename(cmd.argv[0] ?? '') !== 'ps') return undefined;
    const flags = cmd.argv.slice(1).join(' ');
    const counting = cmd.pipes.some((p) => p[0] === 'wc' && p.includes('-l'));
    if (counting) {
      // Threads are listed with -L, -T, H or m; otherwise the count is of processes, not tasks.
      const threads = /(^|\s)-\w*[LT]|(^|\s)\w*[Hm]\w*(\s|$)/.test(flags);
      const grepped = cmd.pipes.some((p) => /grep/.test(p[0] ?? ''));
      return count(sink, threads && !grepped && !cmd.inContainer);
    }
    return listing(sink, undefined);
  },
  forLine(l, sink) {
    const h = HEADER.exec(l.text.trim());
    if (!h) return undefined;
    const r = listing(sink, undefined);
    r.line(l);
    return r;
  },
};

function count(sink: Sink, nodeTasks: boolean): Reader {
  let done = false;
  return {
    line(l) {
      if (done) return false;
      const m = /^(\d{1,9})$/.exec(l.text.trim());
      if (!m) return false;
      done = true;
      sink.saw(P, l);
      // The last count wins: several `| wc -l` in a row watch it change, and the latest is nearest the crash.
      if (nodeTasks) sink.node.tasks = { value: Math.max(0, Number(m[1]) - 1), evidence: sink.ev(l) };
      return true;
    },
  };
}

interface Columns {
  user?: number;
  pid?: number;
  ppid?: number;
  nlwp?: number;
  stat?: number;
}

function listing(sink: Sink, given: Columns | undefined): Reader {
  let cols = given;
  let rows = 0;
  let threads = 0;
  let first: TLine | undefined;
  const zombiesByParent = new Map<string, number>();
  const zombiesByUser = new Map<string, number>();
  let zombies = 0;
  return {
    line(l) {
      const t = l.text.trim();
      const h = HEADER.exec(t);
      if (h) {
        const names = t.split(/\s+/);
        const at = (...n: string[]) => {
          const i = names.findIndex((x) => n.includes(x));
          return i >= 0 ? i : undefined;
        };
        cols = {
          ...opt('user', at('USER', 'UID', 'RUSER', 'RUID')),
          ...opt('pid', at('PID')),
          ...opt('ppid', at('PPID')),
          ...opt('nlwp', at('NLWP', 'THCNT')),
          ...opt('stat', at('STAT', 'S')),
        };
        first ??= l;
        return true;
      }
      const f = t.split(/\s+/, 24);
      // A row starts with a user (or UID) then a numeric PID, or with the F S columns of ps -l.
      if (f.length < 4) return false;
      const c = cols ?? { user: 0, pid: 1 };
      if (!/^\d{1,10}$/.test(f[c.pid ?? 1] ?? '')) return false;
      rows++;
      first ??= l;
      const n = c.nlwp !== undefined ? Number(f[c.nlwp]) : 1;
      threads += Number.isFinite(n) && n > 0 ? Math.min(n, 1e7) : 1;
      const stat = c.stat !== undefined ? (f[c.stat] ?? '') : '';
      if (ZOMBIE.test(t) || /^Z/.test(stat)) {
        zombies++;
        const user = c.user !== undefined ? f[c.user] : undefined;
        const parent = c.ppid !== undefined ? f[c.ppid] : undefined;
        if (user && zombiesByUser.size < 10_000) zombiesByUser.set(user, (zombiesByUser.get(user) ?? 0) + 1);
        if (parent && zombiesByParent.size < 10_000)
          zombiesByParent.set(parent, (zombiesByParent.get(parent) ?? 0) + 1);
      }
      return true;
    },
    end() {
      if (!first || rows === 0) return;
      sink.saw(P, first);
      if (zombies === 0) return;
      const top = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1])[0];
      const parent = top(zombiesByParent);
      const user = top(zombiesByUser);
      sink.note(
        `The pasted ps listing (${sink.source}:${first.n}) shows ${zombies} <defunct> zombie${zombies === 1 ? '' : 's'} among ${rows} processes (${threads} tasks)` +
          `${parent ? `, ${parent[1]} of them children of PID ${parent[0]}` : ''}${user ? `, ${user[1]} owned by ${user[0]}` : ''}: a zombie keeps its PID until its parent reaps it, and counts toward kernel.pid_max, the pids cgroup and its UID's RLIMIT_NPROC. A PID 1 that never calls wait() (no tini or dumb-init) leaves them behind.`,
      );
    },
  };
}

function opt<K extends keyof Columns>(k: K, v: number | undefined): Partial<Columns> {
  return v === undefined ? {} : { [k]: v };
}
