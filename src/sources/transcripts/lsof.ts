// `lsof` listings (COMMAND PID [TID TASKCMD] USER FD TYPE DEVICE SIZE/OFF NODE NAME) and counts
// (`lsof -p N | wc -l`, `ls /proc/N/fd | wc -l`). Open files are usage of the process as it was when
// listed, usually the restarted twin: never the crashed instance's count, so they become a note that
// says whose they are, not a fact a cause would argue from. Newer lsof lists a row per thread (TID
// column set); those rows are not counted twice.
import { basename, filesOf } from './lines.js';
import type { Reader, Sink, TLine, TranscriptParser } from './types.js';

const P = 'lsof';
const HEADER =
  /^COMMAND\s+PID\s+(TID\s+(TASKCMD\s+)?)?USER\s+FD\s+TYPE\s+DEVICE\s+SIZE\/OFF\s+NODE\s+NAME\s*$/;

export const lsof: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const tool = basename(cmd.argv[0] ?? '');
    const fdDir = tool === 'ls' && filesOf(cmd.argv).some((f) => /^\/proc\/[^/\s]{1,64}\/fd\/?$/.test(f));
    if (tool !== 'lsof' && !fdDir) return undefined;
    if (cmd.pipes.some((p) => p[0] === 'wc' && p.includes('-l'))) {
      const pid = /^\/proc\/([^/\s]{1,64})\/fd/.exec(filesOf(cmd.argv)[0] ?? '')?.[1] ?? pidOption(cmd.argv);
      return counted(sink, pid, cmd.text);
    }
    return tool === 'lsof' ? listing(sink) : undefined;
  },
  forLine(l, sink) {
    if (!HEADER.test(l.text.trim())) return undefined;
    const r = listing(sink);
    r.line(l);
    return r;
  },
};

function pidOption(argv: string[]): string | undefined {
  const i = argv.indexOf('-p');
  return i >= 0 ? argv[i + 1] : undefined;
}

function counted(sink: Sink, pid: string | undefined, text: string): Reader {
  let done = false;
  return {
    line(l) {
      const m = done ? null : /^(\d{1,9})$/.exec(l.text.trim());
      if (!m) return false;
      done = true;
      sink.saw(P, l);
      sink.note(
        `The pasted count "${text.slice(0, 120)}" (${sink.source}:${l.n}) gives ${m[1]} open files${pid ? ` for PID ${pid}` : ''} when it ran: usage of the process then (a restarted twin starts from zero), not of the crashed instance; compare it with "Max open files" in /proc/<pid>/limits.`,
      );
      return true;
    },
  };
}

function listing(sink: Sink): Reader {
  let tidColumn = false;
  const perPid = new Map<string, { command: string; files: number }>();
  let first: TLine | undefined;
  return {
    line(l) {
      const t = l.text.trim();
      const h = HEADER.exec(t);
      if (h) {
        tidColumn = h[1] !== undefined;
        first ??= l;
        return true;
      }
      const f = t.split(/\s+/, 12);
      if (f.length < 8 || !/^\d{1,10}$/.test(f[1] ?? '')) return false;
      // With a TID column, a thread's row has a number there; the process's own row does not.
      if (tidColumn && /^\d{1,10}$/.test(f[2] ?? '') && f.length >= 10) return true;
      first ??= l;
      const e = perPid.get(f[1]!) ?? { command: f[0]!, files: 0 };
      e.files++;
      if (perPid.size < 10_000 || perPid.has(f[1]!)) perPid.set(f[1]!, e);
      return true;
    },
    end() {
      if (!first || perPid.size === 0) return;
      sink.saw(P, first);
      const [pid, top] = [...perPid].sort((a, b) => b[1].files - a[1].files)[0]!;
      sink.note(
        `The pasted lsof listing (${sink.source}:${first.n}) shows ${top.files} open files for PID ${pid} (${top.command})${perPid.size > 1 ? `, the most of ${perPid.size} processes` : ''}: usage when it was listed, not of the crashed instance.`,
      );
    },
  };
}
