// The three line formats a container log comes in, detected per line so mixed files work:
// CRI (`<RFC3339 time> <stdout|stderr> <P|F> <message>`, written by containerd and CRI-O under
// /var/log/pods), Docker json-file (`{"log":"...\n","stream":"stderr","time":"..."}`, dockershim-era
// nodes), and plain text (`kubectl logs -p` output, files pasted into tickets).

import type { LogLine } from '../../evidence/types.js';

export type { LogLine };

// Linear: fixed-width date, then non-space runs separated by single spaces.
const CRI = /^(\d{4}-\d\d-\d\dT[0-9:.]+(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) ?/;

export function decodeLogLine(bytes: Buffer, source: string, line: number, truncated: boolean): LogLine {
  const raw = bytes.toString('utf8');
  if (raw.startsWith('{') && raw.includes('"log"')) {
    const parsed = parseDockerLine(raw);
    if (parsed) return { source, line, truncated, format: 'docker', ...parsed };
  }
  const m = CRI.exec(raw);
  if (m) {
    return {
      source,
      line,
      truncated,
      format: 'cri',
      time: m[1],
      stream: m[2],
      text: raw.slice(m[0].length),
    };
  }
  return { source, line, truncated, format: 'plain', text: raw };
}

function parseDockerLine(raw: string): { text: string; stream?: string; time?: string } | undefined {
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (typeof o.log !== 'string') return undefined;
    return {
      text: o.log.replace(/\r?\n$/, ''),
      ...(typeof o.stream === 'string' ? { stream: o.stream } : {}),
      ...(typeof o.time === 'string' ? { time: o.time } : {}),
    };
  } catch {
    return undefined; // a truncated or broken JSON line is read as plain text
  }
}
