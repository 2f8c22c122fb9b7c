// /proc/<pid>/limits (linux:fs/proc/base.c proc_pid_limits): "Limit  Soft Limit  Hard Limit  Units",
// then rows such as "Max processes  4096  4096  processes" and "Max open files  1048576  1048576  files".
// The soft column is the one the kernel enforces. The limits of a process carry over to its restarted
// twin (the same spec starts both), so a pasted table of the container's process is its limits.
// /proc/self/limits read from a shell on the node is the shell's own table: a note, not a fact.
import type { Fact } from '../../evidence/types.js';
import { filesOf, limitValue } from './lines.js';
import type { Reader, Sink, TranscriptParser } from './types.js';

const P = 'proc-limits';
const HEADER = /^Limit\s{1,40}Soft Limit\s{1,40}Hard Limit\s{1,40}Units\s*$/;
const ROW = /^Max (processes|open files)\s{1,40}(\S{1,24})\s{1,40}(\S{1,24})\s{1,40}(processes|files)\s*$/;

export const procLimits: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const files = filesOf(cmd.argv);
    const file = files.find((f) => /^\/proc\/[^/\s]{1,64}\/limits$/.test(f));
    if (!file) return undefined;
    const self = /^\/proc\/(self|\$\$)\/limits$/.test(file);
    return reader(sink, !self || cmd.inContainer);
  },
  forLine(l, sink) {
    const t = l.text.trim();
    if (!HEADER.test(t) && !ROW.test(t)) return undefined;
    const r = reader(sink, true);
    r.line(l);
    return r;
  },
};

function reader(sink: Sink, ofProcess: boolean): Reader {
  return {
    line(l) {
      const t = l.text.trim();
      if (HEADER.test(t)) return true;
      const m = ROW.exec(t);
      if (!m) return /^Max [a-z ]{2,30}\s{1,40}\S{1,24}\s{1,40}\S{1,24}/.test(t);
      const soft = limitValue(m[2]);
      if (soft === undefined) return true;
      const fact: Fact<number | null> = { value: soft, evidence: sink.ev(l) };
      sink.saw(P, l);
      if (!ofProcess) {
        sink.note(
          `The pasted /proc/self/limits (${sink.source}:${l.n}) is the table of the shell that read it, not of the container's process: read /proc/<pid>/limits of the process instead.`,
        );
        return true;
      }
      if (m[1] === 'processes') sink.process.nprocLimit ??= fact;
      else sink.process.nofileLimit ??= fact;
      return true;
    },
  };
}
