// `kubectl get pod [-o wide]` rows: the pod, its status, its restart count and (wide) its node.
// Columns (k8s:staging/src/k8s.io/kubectl printers, pod columns): NAME READY STATUS RESTARTS AGE, then
// IP NODE NOMINATED NODE READINESS GATES with -o wide; NAMESPACE first with -A. Since 1.22 RESTARTS
// reads "21 (3m ago)". Rows are read after the command (even when `| grep` removed the header), or
// after a header line pasted without the command.
import type { PodRow, Reader, TranscriptParser } from './types.js';
import { optionOf } from './lines.js';

const HEADER = /^(NAMESPACE\s+)?NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE(\s+IP\s+NODE\b)?/;
const POD_NAME = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
const READY = /^\d{1,3}\/\d{1,3}$/;

export const kubectlGetPod: TranscriptParser = {
  id: 'kubectl-get-pod',
  forCommand(cmd, sink) {
    const a = cmd.argv;
    if (!['kubectl', 'oc'].includes(a[0]!) || cmd.inContainer) return undefined;
    const get = a.indexOf('get');
    if (get < 0 || !/^(po|pod|pods)(\/.*)?$/.test(a[get + 1] ?? '')) return undefined;
    const all = a.includes('-A') || a.includes('--all-namespaces');
    const namespace = all ? undefined : optionOf(a, '-n', '--namespace');
    // -o json/yaml/name print no rows.
    const output = optionOf(a, '-o', '--output');
    if (output !== undefined && output !== 'wide') return undefined;
    return rows(sink, { namespace, withNamespace: all });
  },
  forLine(l, sink) {
    const m = HEADER.exec(l.text.trim());
    if (!m) return undefined;
    return rows(sink, { withNamespace: m[1] !== undefined });
  },
};

function rows(
  sink: Parameters<NonNullable<TranscriptParser['forLine']>>[1],
  opts: { namespace?: string | undefined; withNamespace: boolean },
): Reader {
  return {
    line(l) {
      const t = l.text.trim();
      if (HEADER.test(t)) return true;
      const row = parseRow(t, opts.withNamespace);
      if (!row) return false;
      const ns = row.namespace ?? opts.namespace;
      const r: PodRow = { ...row, ...(ns ? { namespace: ns } : {}), evidence: sink.ev(l) };
      if (sink.pods.length < 10_000) sink.pods.push(r);
      sink.saw('kubectl-get-pod', l);
      return true;
    },
  };
}

/** One row, by shape: [namespace] name ready status restarts age [ip node ...]. */
export function parseRow(t: string, withNamespace: boolean): Omit<PodRow, 'evidence'> | undefined {
  // "21 (3m ago)" is one column.
  const tokens = t
    .replace(/(\d) \((\d{1,6}[a-z]{1,2}(?:\d{1,6}[a-z]{1,2})? ago)\)/g, '$1')
    .split(/\s+/)
    .slice(0, 16);
  const at = withNamespace ? 2 : READY.test(tokens[1] ?? '') ? 1 : READY.test(tokens[2] ?? '') ? 2 : -1;
  if (at < 1 || !READY.test(tokens[at] ?? '')) return undefined;
  const pod = tokens[at - 1]!;
  const namespace = at === 2 ? tokens[0] : undefined;
  const status = tokens[at + 1];
  const restarts = tokens[at + 2];
  if (!POD_NAME.test(pod) || !status || !/^[A-Za-z][\w:-]{0,63}$/.test(status)) return undefined;
  if (!restarts || !/^\d{1,9}$/.test(restarts)) return undefined;
  if (namespace !== undefined && !POD_NAME.test(namespace)) return undefined;
  const age = tokens[at + 3];
  if (!age || !/^(\d{1,6}[smhdy]){1,3}$|^<(unknown|invalid)>$/.test(age)) return undefined;
  // -o wide: IP (or <none>) then the node name.
  const ip = tokens[at + 4];
  const node = tokens[at + 5];
  const wide =
    ip !== undefined &&
    (/^[\d.:a-f]{2,45}$/.test(ip) || ip === '<none>') &&
    node &&
    /^[A-Za-z0-9][\w.-]{0,252}$/.test(node);
  return {
    pod,
    ...(namespace ? { namespace } : {}),
    status,
    restarts: Number(restarts),
    ...(wide ? { node } : {}),
  };
}
