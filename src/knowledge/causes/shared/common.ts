// Small helpers every cause module shares: reading the fields and lines of the signatures that
// raised a cause, the node's limit entries and kernel lines, and ratios worded the same way in every
// report. No reasoning lives here; each cause module makes its own argument.
import type {
  CgroupLevel,
  Evidence,
  KernelLine,
  LimitUsage,
  NodeFacts,
  SignatureHit,
  Usage,
} from '../../../evidence/types.js';
import type { CauseContext } from '../../types.js';

/** The "why" of every raise, once each, in the order the signatures raised them. */
export function raisedWhy(ctx: CauseContext): string[] {
  return [...new Set(ctx.raisedBy.map((r) => r.raise.why))];
}

/** Every signature of the incident, those that raised this cause first. */
export function allHits(ctx: CauseContext): SignatureHit[] {
  const raising = ctx.raisedBy.map((r) => r.signature);
  return [...new Set([...raising, ...ctx.incident.signatures])];
}

/** The first numeric value of a field among the raising signatures (then any signature of the incident). */
export function numberField(
  ctx: CauseContext,
  name: string,
): { value: number; hit: SignatureHit } | undefined {
  for (const hit of allHits(ctx)) {
    const v = hit.fields[name];
    if (typeof v === 'number' && Number.isFinite(v)) return { value: v, hit };
  }
  return undefined;
}

export function stringField(
  ctx: CauseContext,
  name: string,
): { value: string; hit: SignatureHit } | undefined {
  for (const hit of allHits(ctx)) {
    const v = hit.fields[name];
    if (typeof v === 'string' && v !== '') return { value: v, hit };
  }
  return undefined;
}

/** The errno the raising signatures extracted (11, 12, 1, 24, 28...), when one did. */
export function errnoOf(ctx: CauseContext): { value: number; hit: SignatureHit } | undefined {
  for (const { signature } of ctx.raisedBy) {
    const v = signature.fields.errno;
    if (typeof v === 'number') return { value: v, hit: signature };
  }
  return undefined;
}

/**
 * The crashed process's own thread count: as the crash printed it ("have N already"), else a
 * recorder's last sample. The restarted twin's count is not the crashed one's: see restartedThreads.
 */
export function threadsOf(ctx: CauseContext): { value: number; evidence: Evidence } | undefined {
  const f = numberField(ctx, 'threads');
  if (f) return { value: f.value, evidence: firstEvidence(f.hit) };
  const t = crashedUsage(ctx.process.threads);
  return t ? { value: t.value, evidence: t.evidence } : undefined;
}

/** The restarted twin's thread count, when that is all there is (to quote, never to argue from). */
export function restartedThreads(ctx: CauseContext): Usage | undefined {
  if (numberField(ctx, 'threads')) return undefined;
  const t = ctx.process.threads;
  return t?.of === 'restarted' ? t : undefined;
}

/**
 * A usage that can argue about the crash: the crashed instance's (a recorder's last sample) or the
 * node's. The restarted twin's usage a second after a restart says nothing about what the crashed
 * instance held, so it never makes a cause unlikely.
 */
export function crashedUsage(u: Usage | undefined): Usage | undefined {
  return u && u.of !== 'restarted' ? u : undefined;
}

/** The sentence that quotes the restarted twin's usage without arguing from it. */
export function restartedSaid(u: Usage, what: string, limit?: number | null): string {
  return `The restarted instance holds ${u.value} ${what}${typeof limit === 'number' ? ` of the same limit ${limit} (limits carry over: the same spec starts both)` : ''}; that is its usage now, not what the crashed instance held, so it neither confirms nor excludes this cause.`;
}

export function firstEvidence(hit: SignatureHit): Evidence {
  return hit.evidence[0] ?? { source: hit.id, text: hit.title };
}

/** The first evidence line of each raising signature: the crash lines the cause rests on. */
export function raisingEvidence(ctx: CauseContext): Evidence[] {
  const seen = new Set<SignatureHit>();
  const out: Evidence[] = [];
  for (const { signature } of ctx.raisedBy) {
    if (seen.has(signature)) continue;
    seen.add(signature);
    out.push(firstEvidence(signature));
  }
  return out;
}

/** Signature hits whose evidence text matches a pattern (for proofs that are in the words of the line). */
export function hitsWithText(
  ctx: CauseContext,
  pattern: RegExp,
): { hit: SignatureHit; evidence: Evidence; match: RegExpExecArray }[] {
  const out: { hit: SignatureHit; evidence: Evidence; match: RegExpExecArray }[] = [];
  for (const hit of allHits(ctx)) {
    for (const ev of hit.evidence) {
      const m = pattern.exec(ev.text);
      if (m) {
        out.push({ hit, evidence: ev, match: m });
        break;
      }
    }
  }
  return out;
}

/** Signature hits whose id matches (ids are the signature modules'; match loosely, e.g. /oom/). */
export function hitsWithId(ctx: CauseContext, pattern: RegExp): SignatureHit[] {
  return allHits(ctx).filter((h) => pattern.test(h.id));
}

/** The node's limit entries for one cause id (node.limits, filled by the host reader). */
export function limitsOf(node: NodeFacts | undefined, id: string): LimitUsage[] {
  return node?.limits.filter((l) => l.id === id) ?? [];
}

export function kernelLinesOf(node: NodeFacts | undefined, kinds: KernelLine['kind'][]): KernelLine[] {
  return node?.kernelLines?.filter((k) => kinds.includes(k.kind)) ?? [];
}

export function chainOf(node: NodeFacts | undefined, controller: CgroupLevel['controller']): CgroupLevel[] {
  return node?.cgroupChains?.filter((l) => l.controller === controller) ?? [];
}

/** "1234/4096 (30.1%)" */
export function usage(used: number, max: number): string {
  return `${used}/${max} (${max > 0 ? ((used / max) * 100).toFixed(1) : '100'}%)`;
}

/** True when two cgroup paths name the same cgroup, allowing one to be a mount-relative suffix of the other. */
export function sameCgroup(a: string, b: string): boolean {
  const x = a.replace(/\/+$/, '');
  const y = b.replace(/\/+$/, '');
  if (x === '' || y === '') return false;
  return x === y || x.endsWith(`/${y.replace(/^\//, '')}`) || y.endsWith(`/${x.replace(/^\//, '')}`);
}

/** Human size: 805306368 -> "768 MiB". */
export function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${Number.isInteger(v) ? v : v.toFixed(1)} ${units[i]}`;
}

/** The same command to get node evidence, offered by every cause that lacks it. */
export const RUN_ON_NODE = 'podmortem node (on the node), or podmortem analyze --node-root / with the log';

const LEVEL_NAMES: Record<string, [one: string, many: string]> = {
  container: ['the container scope', 'container scopes'],
  pod: ['the pod', 'pod levels'],
  qos: ['the QoS class', 'QoS classes'],
  kubepods: ['kubepods', 'kubepods levels'],
  unit: ['the runtime unit', 'runtime units'],
  other: ['another level', 'other levels'],
};

/**
 * The levels of a cgroup chain, each kind named once in chain order, with a count where a kind
 * repeats (a pod has a scope per container, the pause sandbox's included): "2 container scopes,
 * the pod and kubepods".
 */
export function levelNames(levels: Pick<CgroupLevel, 'level'>[]): string {
  const counts = new Map<string, number>();
  for (const l of levels) counts.set(l.level, (counts.get(l.level) ?? 0) + 1);
  const parts = [...counts].map(([level, n]) => {
    const [one, many] = LEVEL_NAMES[level] ?? [level, `${level} levels`];
    return n === 1 ? one : `${n} ${many}`;
  });
  return parts.length <= 1
    ? (parts[0] ?? '')
    : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** A sentence continued after a colon: "…was reached: the kernel logged…" (a leading "The"/"A"/"An" lowercased, names kept). */
export function afterColon(sentence: string): string {
  return sentence.replace(/^(The|A|An) /, (w) => w.toLowerCase());
}
