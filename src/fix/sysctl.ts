// sysctl changes: the running value (/proc/sys/<key>, what `sysctl -w` writes) and the file that
// keeps it across reboots. A setting already made in a file under /etc is edited in place (a new
// file beside it could sort before it and lose at boot); otherwise the cause's own /etc/sysctl.d
// file is written. A limit is only ever raised: a node already above the value is left alone.
import type { Change, ChangeReason, NodeTarget } from './types.js';

export interface SysctlWant {
  key: string;
  value: number;
  /** File name under /etc/sysctl.d when no /etc file sets the key already. */
  file: string;
  reasons: ChangeReason[];
}

/** /proc/sys/kernel/pid_max for kernel.pid_max (sysctl.d(5): dots and slashes both separate). */
export function procSysPath(key: string): string {
  return `/proc/sys/${key.replace(/\./g, '/')}`;
}

function reasonText(r: ChangeReason): string {
  return `${r.cause} ${r.verdict} on ${r.subject}`;
}

/** A line of a sysctl file that sets `key` (with an optional leading "-", either separator). */
function setsKey(line: string, key: string): boolean {
  const m = /^\s*-?([A-Za-z0-9_.\-/*]+)\s*=/.exec(line);
  return !!m && m[1]!.replace(/\//g, '.') === key;
}

export function sysctlChanges(wants: SysctlWant[], target: NodeTarget, skipped: string[]): Change[] {
  const changes: Change[] = [];
  // Files edited by several keys (inotify instances and watches share 90-inotify.conf): one change each.
  const files = new Map<string, { before: string | null; lines: string[]; keys: SysctlWant[] }>();
  for (const want of wants) {
    const live = liveChange(want, target, skipped);
    if (live) changes.push(live);
    const path = persistentPath(want, target);
    if (path === undefined) continue; // a file already keeps a value at least as high
    let file = files.get(path);
    if (!file) {
      const read = target.read?.(path) ?? null;
      if (read && 'error' in read) {
        skipped.push(`${want.key}: ${read.error} The file that keeps it at boot was not planned.`);
        continue;
      }
      const before = read ? read.text : null;
      file = {
        before,
        lines: before === null || before === '' ? [] : before.replace(/\n$/, '').split('\n'),
        keys: [],
      };
      files.set(path, file);
    }
    file.keys.push(want);
    const setting = `${want.key} = ${want.value}`;
    const at = findLast(file.lines, (l) => setsKey(l, want.key));
    if (at >= 0) file.lines[at] = setting;
    else file.lines.push(`# podmortem fix: ${want.reasons.map(reasonText).join('; ')}`, setting);
  }
  for (const [path, f] of files) {
    const after = `${f.lines.join('\n')}\n`;
    if (after === f.before) continue;
    changes.push({
      kind: 'sysctl-file',
      path,
      before: f.before,
      after,
      why: `Keeps ${f.keys.map((k) => `${k.key} = ${k.value}`).join(', ')} across reboots (systemd-sysctl and sysctl --system read it at boot).`,
      reasons: f.keys.flatMap((k) => k.reasons),
    });
  }
  return changes;
}

/** The running value, raised now: undefined when the node already runs with at least the value. */
function liveChange(want: SysctlWant, target: NodeTarget, skipped: string[]): Change | undefined {
  const path = procSysPath(want.key);
  const read = target.read?.(path);
  if (read && 'error' in read) {
    skipped.push(`${want.key}: ${read.error} The running value was not planned.`);
    return undefined;
  }
  const current = read ? Number(read.text.trim()) : NaN;
  if (Number.isFinite(current) && current >= want.value) return undefined;
  return {
    kind: 'sysctl-live',
    path,
    before: read ? read.text : null,
    after: `${want.value}\n`,
    why: `Raises ${want.key}${Number.isFinite(current) ? ` from ${current}` : ''} to ${want.value} now, for every process on the node (what sysctl -w does).`,
    reasons: want.reasons,
    command: `sysctl -w ${want.key}=${want.value}`,
  };
}

/**
 * Where the value is kept at boot: the last /etc file that sets the key (edited in place), else the
 * cause's own file under /etc/sysctl.d; undefined when the file that wins already sets it high enough.
 */
function persistentPath(want: SysctlWant, target: NodeTarget): string | undefined {
  const set = (target.facts?.sysctlFiles ?? []).filter((s) => s.key === want.key);
  const winning = set[set.length - 1];
  if (winning && Number(winning.value) >= want.value) return undefined;
  const inEtc = set.filter((s) => s.evidence.source.startsWith('/etc/'));
  const edited = inEtc[inEtc.length - 1]?.evidence.source;
  if (edited) return edited;
  // systemd-sysctl applies every directory's files in the order of their names: a vendor file named
  // after ours (99-...) would set the old value again at boot, so ours is named to come after it.
  const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
  const later = set.some((s) => base(s.evidence.source) >= want.file);
  return `/etc/sysctl.d/${later ? `99-zz-${want.file.replace(/^\d+-/, '')}` : want.file}`;
}

function findLast<T>(xs: T[], f: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (f(xs[i]!)) return i;
  return -1;
}
