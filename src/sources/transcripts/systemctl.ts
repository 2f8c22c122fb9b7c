// `systemctl show <unit> -p TasksMax[,TasksCurrent]` ("TasksMax=4915", "TasksMax=infinity"): the pids
// limit systemd puts on the unit's cgroup, which the runtime daemon's containers sit under with the
// cgroupfs driver (docker.service, containerd.service). With the unit named, it is a level of the
// chain (/system.slice/<unit>); without it, nothing says which cgroup it limits.
import { basename, limitValue } from './lines.js';
import type { Reader, Sink, TranscriptParser } from './types.js';

const P = 'systemctl';
const LINE = /^Tasks(Max|Current)=(\S{1,24})$/;

export const systemctl: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const a = cmd.argv;
    if (basename(a[0] ?? '') !== 'systemctl' || a[1] !== 'show') return undefined;
    const units = a
      .slice(2)
      .filter((w, i, all) => !w.startsWith('-') && all[i - 1] !== '-p' && all[i - 1] !== '--property');
    return reader(sink, units.length === 1 ? units[0] : undefined);
  },
  forLine(l, sink) {
    if (!LINE.test(l.text.trim())) return undefined;
    const r = reader(sink, undefined);
    r.line(l);
    return r;
  },
};

function reader(sink: Sink, unit: string | undefined): Reader {
  const name =
    unit && /^[\w@.-]{1,128}$/.test(unit) ? (unit.includes('.') ? unit : `${unit}.service`) : undefined;
  return {
    line(l) {
      const m = LINE.exec(l.text.trim());
      if (!m) return /^[A-Z][A-Za-z]{1,40}=/.test(l.text.trim());
      const v = /^\d{20}$/.test(m[2]!) ? null : limitValue(m[2]);
      if (v === undefined) return true;
      if (!name) {
        sink.saw(P, l);
        return true;
      }
      const level = { path: `/system.slice/${name}`, level: 'unit', controller: 'pids' as const };
      // TasksMax of 2^64-1 is how older systemd prints "infinity".
      if (m[1] === 'Max') sink.cgroup(P, l, level, { max: v !== null && v >= 2 ** 53 ? null : v });
      else if (v !== null) sink.cgroup(P, l, level, { current: v });
      return true;
    },
  };
}
