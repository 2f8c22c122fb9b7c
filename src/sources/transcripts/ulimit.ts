// `ulimit -a` (bash: "max user processes              (-u) 4096"; zsh and busybox ash:
// "-u: processes 4096"; dash: "process 4096", "nofiles 1024") and `ulimit -u` / `ulimit -n` alone.
// ulimit reports the limits of the shell it ran in: inside the container (kubectl/docker exec, a
// container-id prompt) they are the container's, which its crashed instance had too (limits carry
// over); on the node they are the login session's, set by PAM, which containers never inherit. Those
// become a note, not a process fact.
import type { Fact } from '../../evidence/types.js';
import { basename } from './lines.js';
import type { Reader, Sink, TLine, TranscriptParser } from './types.js';
import { limitValue } from './lines.js';

const P = 'ulimit';
const BASH = /^([a-z][a-z ]{1,40}?)\s{1,40}\((?:[a-z0-9 ]{1,20}, )?-([a-zA-Z])\)\s{1,40}(\S{1,24})$/;
const ZSH = /^-([a-zA-Z]):\s{1,4}[a-z][a-z ()]{1,40}?\s{1,40}(\S{1,24})$/;
const DASH = /^(process|nofiles)\s{1,40}(\S{1,24})$/;

export const ulimit: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    if (basename(cmd.argv[0] ?? '') !== 'ulimit') return undefined;
    const flags = cmd.argv.slice(1).join('');
    if (/H/.test(flags)) return undefined; // hard limits; the soft one is enforced
    const single = /^-S?([un])$/.exec(flags)?.[1];
    return reader(sink, cmd.inContainer, single);
  },
  forLine(l, sink) {
    const m = BASH.exec(l.text.trim());
    if (!m || !['u', 'n', 'c', 's', 'v'].includes(m[2]!)) return undefined;
    const r = reader(sink, false, undefined);
    r.line(l);
    return r;
  },
};

function reader(sink: Sink, inContainer: boolean, single: string | undefined): Reader {
  const seen: { flag: string; value: number | null; l: TLine }[] = [];
  return {
    line(l) {
      const t = l.text.trim();
      if (single) {
        const v = limitValue(t);
        if (v === undefined) return false;
        seen.push({ flag: single, value: v, l });
        single = undefined;
        return true;
      }
      const b = BASH.exec(t);
      const z = b ? null : ZSH.exec(t);
      const d = b || z ? null : DASH.exec(t);
      if (!b && !z && !d) return false;
      const flag = b ? b[2]! : z ? z[1]! : d![1] === 'process' ? 'u' : 'n';
      const v = limitValue(b ? b[3] : z ? z[2] : d![2]);
      if (v !== undefined && (flag === 'u' || flag === 'n')) seen.push({ flag, value: v, l });
      return true;
    },
    end() {
      for (const s of seen) {
        const fact: Fact<number | null> = { value: s.value, evidence: sink.ev(s.l) };
        sink.saw(P, s.l);
        if (!inContainer) continue;
        if (s.flag === 'u') sink.process.nprocLimit ??= fact;
        if (s.flag === 'n') sink.process.nofileLimit ??= fact;
      }
      if (!inContainer && seen.length > 0)
        sink.note(
          `The pasted ulimit output (${sink.source}:${seen[0]!.l.n}) shows the limits of the shell it ran in, a login session with its PAM limits, not those of the container: containers inherit their limits from the runtime daemon. Run it in the container (kubectl exec <pod> -- sh -c 'ulimit -a') or read /proc/<pid>/limits of the process.`,
        );
    },
  };
}
