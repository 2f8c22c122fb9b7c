// /proc/<pid>/status (linux:fs/proc/array.c): "Uid:\t<real>\t<effective>\t<saved>\t<fs>" gives the
// real UID, the one RLIMIT_NPROC counts; "Threads:\t41" is the live process's thread count. A pasted
// status is read now, from a running process (the restarted twin), so its thread count is not the
// crashed instance's and is left out; the UID carries over (the same spec starts both). The status of
// /proc/self from a shell on the node is the shell's: not the process's.
import { filesOf } from './lines.js';
import type { Reader, Sink, TranscriptParser } from './types.js';

const P = 'proc-status';
const UID = /^Uid:\s{1,8}(\d{1,10})\s{1,8}(\d{1,10})\s{1,8}(\d{1,10})\s{1,8}(\d{1,10})\s*$/;
const FIELD = /^[A-Za-z_]{2,32}:\s/;

export const procStatus: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const file = filesOf(cmd.argv).find((f) => /^\/proc\/[^/\s]{1,64}\/status$/.test(f));
    if (!file) return undefined;
    const self = /^\/proc\/(self|\$\$)\/status$/.test(file);
    return reader(sink, !self || cmd.inContainer);
  },
  forLine(l, sink) {
    if (!UID.test(l.text.trim())) return undefined;
    const r = reader(sink, true);
    r.line(l);
    return r;
  },
};

function reader(sink: Sink, ofProcess: boolean): Reader {
  return {
    line(l) {
      const t = l.text.trim();
      const m = UID.exec(t);
      if (m) {
        if (ofProcess && !sink.process.realUid) {
          sink.process.realUid = { value: Number(m[1]), evidence: sink.ev(l) };
          sink.saw(P, l);
        }
        return true;
      }
      return FIELD.test(t);
    },
  };
}
