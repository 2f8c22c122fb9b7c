// The kubelet's KubeletConfiguration (/var/lib/kubelet/config.yaml), edited as a YAML document so
// every other key, comment and the file's layout stay as they were. Protection settings the operator
// already chose (systemReserved.pid, evictionHard.pid.available) are kept; podPidsLimit is only
// raised. A config without evictionHard gets the kubelet's default thresholds written beside
// pid.available, since setting evictionHard at all replaces those defaults.
import { isMap, isScalar, parseDocument, type Document, type YAMLMap } from 'yaml';
import { editScript } from './diff.js';
import { KUBELET_EVICTION_DEFAULTS, type KubeletFix } from './table.js';
import type { Change, ChangeReason, NodeTarget } from './types.js';

export const KUBELET_CONFIG = '/var/lib/kubelet/config.yaml';

export interface KubeletWant {
  fix: KubeletFix;
  reasons: ChangeReason[];
}

export function kubeletChange(
  wants: KubeletWant[],
  target: NodeTarget,
  skipped: string[],
  cautions: string[],
): Change | undefined {
  if (wants.length === 0) return undefined;
  const source = target.facts?.kubelet?.source;
  const path = source && /\.ya?ml$/.test(source) ? source : KUBELET_CONFIG;
  const wanted = wants.flatMap((w) => w.fix.set.map((s) => `${s.path.join('.')}: ${s.value}`));
  const byHand = `set ${[...new Set(wanted)].join(', ')} in the kubelet's configuration and restart the kubelet`;
  if (!target.read) {
    skipped.push(
      `kubelet: ${path} was not read (give --root DIR, or --node-root DIR with the node's files), so its change is not planned: ${byHand}.`,
    );
    return undefined;
  }
  const read = target.read(path);
  if (read === null) {
    skipped.push(
      `kubelet: ${path} does not exist on this node (the kubelet takes flags instead, such as --system-reserved, --eviction-hard, --pod-max-pids): ${byHand}.`,
    );
    return undefined;
  }
  if ('error' in read) {
    skipped.push(`kubelet: ${read.error} ${byHand}.`);
    return undefined;
  }
  const doc = parseDocument(read.text);
  if (doc.errors.length > 0 || !isMap(doc.contents)) {
    skipped.push(`kubelet: ${path} is not a YAML mapping (a KubeletConfiguration); ${byHand}.`);
    return undefined;
  }
  const done: string[] = [];
  const reasons: ChangeReason[] = [];
  for (const w of wants) {
    let used = false;
    if (w.fix.onlyIfPodPidsBelow !== undefined) {
      const now = doc.get('podPidsLimit');
      if (typeof now !== 'number' || now <= 0 || now >= w.fix.onlyIfPodPidsBelow) continue;
    }
    for (const s of w.fix.set) {
      const [top, leaf] = s.path;
      if (top === 'podPidsLimit') {
        if (doc.get('podPidsLimit') === s.value) continue;
        setTop(doc, 'podPidsLimit', s.value);
      } else if (top && leaf) {
        if (doc.hasIn([top, leaf])) continue; // the operator's own value stays
        if (!doc.has(top)) {
          // evictionHard replaces the kubelet's defaults as a whole: keep them when adding to it.
          const base = top === 'evictionHard' ? { ...KUBELET_EVICTION_DEFAULTS } : {};
          setTop(doc, top, { ...base, [leaf]: String(s.value) });
        } else if (isMap(doc.get(top))) {
          (doc.get(top) as YAMLMap).set(leaf, String(s.value));
        } else continue;
      } else continue;
      used = true;
      done.push(`${s.path.join('.')}: ${s.value}`);
    }
    if (used) reasons.push(...w.reasons);
  }
  if (done.length === 0) return undefined;
  const opts = { indentSeq: indentsSequences(read.text), lineWidth: 0 };
  const after = keepLayout(read.text, parseDocument(read.text).toString(opts), doc.toString(opts));
  if (after === read.text) return undefined;
  const flags = target.facts?.kubelet?.podPidsLimit?.evidence.source;
  if (flags && !flags.endsWith('.yaml') && done.some((d) => d.startsWith('podPidsLimit')))
    cautions.push(
      `A kubelet flag in ${flags} sets the pod pids limit and wins over ${path}: change it there too.`,
    );
  return {
    kind: 'kubelet-config',
    path,
    before: read.text,
    after,
    why: `Sets ${done.join(', ')} in the kubelet's configuration (the rest of the file is kept); the kubelet reads it when restarted.`,
    reasons,
    restart: 'kubelet',
  };
}

/** A new top-level key, at its alphabetical place when the file's keys are sorted (as kubeadm writes them). */
function setTop(doc: Document, key: string, value: unknown): void {
  const map = doc.contents as YAMLMap;
  if (doc.has(key)) {
    doc.set(key, value);
    return;
  }
  const keys = map.items.map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
  const sorted = keys.every((k, i) => i === 0 || keys[i - 1]! <= k);
  const pair = doc.createPair(key, value);
  const at = sorted ? keys.findIndex((k) => k > key) : -1;
  if (at < 0) map.items.push(pair);
  else map.items.splice(at, 0, pair);
}

/**
 * The YAML printer normalizes a few things it does not keep (the spaces before a trailing comment,
 * some quoting). Lines the edit did not touch are given back as the file had them: the untouched
 * document printed the same way lines up one to one with the original, and the edit script from it
 * to the edited print says which lines are untouched.
 */
function keepLayout(original: string, reprinted: string, edited: string): string {
  const o = original.replace(/\n$/, '').split('\n');
  const r = reprinted.replace(/\n$/, '').split('\n');
  if (o.length !== r.length) return edited;
  const out: string[] = [];
  let i = 0;
  for (const op of editScript(r, edited.replace(/\n$/, '').split('\n'))) {
    if (op.op === '+') out.push(op.line);
    else if (op.op === ' ') out.push(o[i++]!);
    else i++;
  }
  return `${out.join('\n')}\n`;
}

/** kubeadm writes sequences flush with their key ("clusterDNS:\n- 10.96.0.10"); keep whichever the file uses. */
function indentsSequences(text: string): boolean {
  return !/^[^\s#][^\n]*:\n- /m.test(text);
}
