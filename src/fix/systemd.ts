// systemd drop-ins for the units containers inherit their limits from (the runtime's own: docker and
// containerd, CRI-O): /etc/systemd/system/<unit>.d/podmortem-limits.conf with a [Service] section.
// Settings already in that file are kept; ours replace a line of the same name. Running containers
// keep the limits they were started with: the unit is restarted and the pods recreated afterwards.
import { DROPIN_FILE } from './table.js';
import type { Change, ChangeReason, NodeTarget } from './types.js';

export interface DropInWant {
  unit: string;
  setting: string;
  value: string;
  reasons: ChangeReason[];
}

export function dropInPath(unit: string): string {
  return `/etc/systemd/system/${unit}.d/${DROPIN_FILE}`;
}

export function dropInChanges(wants: DropInWant[], target: NodeTarget, skipped: string[]): Change[] {
  const byUnit = new Map<string, DropInWant[]>();
  for (const w of wants) byUnit.set(w.unit, [...(byUnit.get(w.unit) ?? []), w]);
  const changes: Change[] = [];
  for (const [unit, ws] of byUnit) {
    const path = dropInPath(unit);
    const read = target.read?.(path) ?? null;
    if (read && 'error' in read) {
      skipped.push(`${unit}: ${read.error} Its drop-in was not planned.`);
      continue;
    }
    const before = read ? read.text : null;
    const lines = before ? before.replace(/\n$/, '').split('\n') : [];
    if (!lines.some((l) => /^\s*\[Service\]\s*$/.test(l)))
      lines.push(
        ...(lines.length === 0 ? [`# podmortem fix: limits the containers of ${unit} inherit`] : []),
        '[Service]',
      );
    for (const w of ws) {
      const line = `${w.setting}=${w.value}`;
      const at = lines.findIndex((l) => l.trim().startsWith(`${w.setting}=`));
      if (at >= 0) lines[at] = line;
      else lines.splice(serviceEnd(lines), 0, line);
    }
    const after = `${lines.join('\n')}\n`;
    if (after === before) continue;
    changes.push({
      kind: 'systemd-dropin',
      path,
      before,
      after,
      why: `Sets ${ws.map((w) => `${w.setting}=${w.value}`).join(', ')} on ${unit}: containers it starts inherit it once the unit is restarted and the pods recreated.`,
      reasons: ws.flatMap((w) => w.reasons),
      restart: unit,
      daemonReload: true,
    });
  }
  return changes;
}

/** The index after the [Service] section's last line (before the next section, or the end). */
function serviceEnd(lines: string[]): number {
  const start = lines.findIndex((l) => /^\s*\[Service\]\s*$/.test(l));
  let i = start + 1;
  while (i < lines.length && !/^\s*\[/.test(lines[i]!)) i++;
  // Keep a trailing blank line of the section after the new setting.
  while (i > start + 1 && lines[i - 1]!.trim() === '') i--;
  return i;
}
