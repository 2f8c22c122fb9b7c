// limits.conf(5) lines, "<domain> <type> <item> <value>", from a pasted /etc/security/limits.conf or
// limits.d/*.conf (`cat`, or the lines alone). pam_limits applies them to login sessions only
// (login, sshd, su, sudo); the notes say why they never reach a container. Comment lines in the
// middle of a pasted file do not end it.
import type { PamLimitLine } from '../../evidence/types.js';
import { filesOf } from './lines.js';
import type { Reader, Sink, TranscriptParser } from './types.js';

const P = 'pam-limits';
const ITEMS =
  'core|data|fsize|memlock|nofile|rss|stack|cpu|nproc|as|maxlogins|maxsyslogins|nonewprivs|priority|locks|sigpending|msgqueue|nice|rtprio';
const LINE = new RegExp(
  `^([*%@]?[\\w.:%-]{0,64}|\\*)\\s{1,40}(soft|hard|-)\\s{1,40}(${ITEMS})\\s{1,40}(\\d{1,19}|unlimited|infinity|-1)\\s*$`,
);

export const pamLimits: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const file = filesOf(cmd.argv).find((f) => /^\/etc\/security\/limits(\.conf|\.d\/)/.test(f));
    if (!file) return undefined;
    return reader(sink, file);
  },
  forLine(l, sink) {
    if (!LINE.test(l.text.trim())) return undefined;
    const r = reader(sink);
    r.line(l);
    return r;
  },
};

function reader(sink: Sink, file?: string): Reader {
  return {
    keepsBlank: file !== undefined,
    line(l) {
      const t = l.text.trim();
      if (t.startsWith('#')) return true;
      const m = LINE.exec(t);
      if (!m) return false;
      const out: PamLimitLine = {
        domain: m[1]!,
        type: m[2]!,
        item: m[3]!,
        value: m[4]!,
        evidence: sink.ev(l),
      };
      const list = (sink.node.pamLimits ??= []);
      if (list.length < 500) list.push(out);
      sink.saw(P, l);
      if (file) {
        const lines = sink.files.get(file) ?? [];
        if (lines.length < 100) lines.push(l.n);
        sink.files.set(file, lines);
      }
      return true;
    },
  };
}
