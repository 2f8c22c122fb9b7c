// The memory facts that memory.cgroup, memory.node and runtime.heap weigh against each other: who
// killed the process (the memcg OOM killer, the global one, or nobody: the runtime gave up on its
// own heap), read from the kubelet's termination reason, kernel lines and memcg counters.
// Source: limits.md §5.3 (torvalds/linux:mm/oom_kill.c messages, containerd's OOMKilled reason).
import type { CgroupLevel, Evidence } from '../../../evidence/types.js';
import type { CauseContext } from '../../types.js';
import { oomKilledSentence } from './fixes-by-runtime.js';
import { chainOf, firstEvidence, hitsWithText, kernelLinesOf, numberField, sameCgroup } from './common.js';

/** The word OOMKilled as a reason, not docker inspect's "OOMKilled": false. */
const OOMKILLED_TRUE = /\bOOMKilled\b(?!"?\s{0,5}[:=]\s{0,5}false\b)/;
const OOMKILLED_FALSE = /\bOOMKilled"?\s{0,5}[:=]\s{0,5}false\b/;

export const MEMCG_LINE = /Memory cgroup out of memory|CONSTRAINT_MEMCG/;
/** A global OOM: "Out of memory: Kill(ed) process" without "Memory cgroup", or the summary line with CONSTRAINT_NONE. */
export const GLOBAL_OOM_LINE = /\bOut of memory: Kill|CONSTRAINT_NONE/;
/** Go: mmap failed inside the process (RLIMIT_AS, overcommit), not a memcg kill (which is silent). */
export const GO_OOM_LINE = /fatal error: out of memory|runtime: out of memory/;
/** Messages a runtime prints when its own heap cap is reached. */
export const RUNTIME_HEAP_LINE =
  /java\.lang\.OutOfMemoryError: (?:Java heap space|GC overhead limit exceeded|Metaspace|Direct buffer memory|Requested array size exceeds VM limit)|JavaScript heap out of memory|Reached heap limit/;

export interface Proof {
  reason: string;
  evidence: Evidence[];
}

export interface MemoryFacts {
  /** Proofs of a memory-cgroup OOM kill (the kubelet's OOMKilled, a memcg kernel line, memcg counters). */
  memcg: Proof[];
  /** memory.failcnt > 0 on cgroup v1 without an oom_kill counter: the limit was touched, a kill is not shown. */
  limitReached: Proof[];
  /** Proofs of a global (node) OOM kill. */
  global: Proof[];
  /** The kubelet said OOMKilled (one of the memcg proofs, kept apart: it also follows a global kill on cgroup v2). */
  oomKilled?: Proof;
  /** docker inspect's "OOMKilled": false: the runtime saw no OOM event of the container's memory cgroup. */
  notOomKilled?: Evidence;
  /** Exit 137 (SIGKILL) seen without the OOMKilled reason. */
  sigkill?: Evidence;
  goOom?: Evidence;
  runtimeHeap?: { evidence: Evidence; what: string };
  /** The tightest memory level with a limit, for headroom arguments. */
  tightest?: { level: CgroupLevel & { max: number }; used: number };
}

export function memoryFacts(ctx: CauseContext): MemoryFacts {
  const s = ctx.incident.subject;
  const node = ctx.node;
  const out: MemoryFacts = { memcg: [], global: [], limitReached: [] };
  const subjectEv = (text: string): Evidence => ({ source: s.source ?? 'pod status', text });

  // "OOMKilled": false (docker inspect) names the word and says the opposite.
  const reasonHit = hitsWithText(ctx, OOMKILLED_TRUE)[0];
  const notOom = hitsWithText(ctx, OOMKILLED_FALSE)[0];
  if (notOom && !reasonHit && s.reason !== 'OOMKilled') out.notOomKilled = notOom.evidence;
  if (s.reason === 'OOMKilled' || reasonHit) {
    out.oomKilled = {
      reason: oomKilledSentence(node?.runtime?.value),
      evidence: [
        reasonHit?.evidence ??
          subjectEv(
            `lastState.terminated.reason: OOMKilled${s.exitCode !== undefined ? `, exitCode: ${s.exitCode}` : ''}`,
          ),
      ],
    };
    out.memcg.push(out.oomKilled);
  }
  for (const { evidence } of hitsWithText(ctx, MEMCG_LINE)) {
    out.memcg.push({
      reason: `The kernel logged a memory-cgroup OOM kill: "${clip(evidence.text)}".`,
      evidence: [evidence],
    });
  }
  for (const { evidence } of hitsWithText(ctx, GLOBAL_OOM_LINE)) {
    if (MEMCG_LINE.test(evidence.text)) continue;
    out.global.push({
      reason: `The kernel logged a node-wide OOM kill: "${clip(evidence.text)}".`,
      evidence: [evidence],
    });
  }
  // A kill is this container's when the kernel names its container or pod cgroup (or something below
  // them); a kill under kubepods or a QoS level may have hit any pod.
  const ownPaths = chainOf(node, 'memory')
    .filter((l) => l.level === 'container' || l.level === 'pod')
    .map((l) => l.path.replace(/\/+$/, ''));
  const ours = (cg: string | undefined): boolean =>
    !!cg &&
    (ownPaths.some((p) => sameCgroup(p, cg) || cg.startsWith(`${p}/`)) ||
      (!!s.podUid && cg.replace(/_/g, '-').includes(s.podUid.replace(/_/g, '-'))));
  for (const k of kernelLinesOf(node, ['memcg-oom', 'global-oom'])) {
    const memcg = k.kind === 'memcg-oom' || MEMCG_LINE.test(k.evidence.text);
    // The agent ties a line naming no cgroup ("Killed process N") to the crashed instance by its pid.
    if (memcg && (ours(k.cgroup) || k.evidence.of === 'crashed')) {
      out.memcg.push({
        reason: k.cgroup
          ? `The node's kernel log shows a memory-cgroup OOM kill in ${k.cgroup}, this container's cgroup.`
          : `The node's kernel log shows the memory-cgroup OOM kill of the crashed instance's process: "${clip(k.evidence.text)}".`,
        evidence: [k.evidence],
      });
    } else if (!memcg && (k.kind === 'global-oom' || GLOBAL_OOM_LINE.test(k.evidence.text))) {
      out.global.push({
        reason: `The node's kernel log shows a node-wide OOM kill: "${clip(k.evidence.text)}".`,
        evidence: [k.evidence],
      });
    }
  }
  for (const l of chainOf(node, 'memory')) {
    // cgroup v1 before 4.13 has no oom_kill counter: the host reader falls back to memory.failcnt, which
    // counts every time usage touched the limit (page-cache reclaim included), not kills.
    const failcnt = l.evidence.some((e) => e.source.endsWith('memory.failcnt'));
    if (failcnt && (l.events ?? 0) > 0) {
      out.limitReached.push({
        reason: `memory.failcnt of the ${l.level} memory cgroup ${l.path} is ${l.events}: usage reached the limit${typeof l.max === 'number' ? ` of ${l.max} bytes` : ''} that many times, but without an oom_kill counter (kernel < 4.13) that does not prove a kill (page-cache reclaim counts too).`,
        evidence: l.evidence,
      });
    } else if ((l.events ?? 0) > 0) {
      out.memcg.push({
        reason: `The ${l.level} memory cgroup ${l.path} recorded ${l.events} OOM kill(s) (memory.events oom_kill on v2, memory.oom_control oom_kill on v1)${typeof l.max === 'number' ? ` against a limit of ${l.max} bytes` : ''}.`,
        evidence: l.evidence,
      });
    }
    if (typeof l.max === 'number') {
      const used = Math.max(l.current ?? 0, l.peak ?? 0);
      const t = out.tightest;
      if (!t || used / l.max > t.used / t.level.max)
        out.tightest = { level: l as CgroupLevel & { max: number }, used };
    }
  }
  const exitField = numberField(ctx, 'exitCode');
  const exit137 =
    s.exitCode === 137
      ? subjectEv('exitCode: 137')
      : exitField?.value === 137
        ? firstEvidence(exitField.hit)
        : hitsWithText(ctx, /\bexit(?:ed)?(?: with)?(?: code| status)?:? *137\b/i)[0]?.evidence;
  if (exit137 && !out.oomKilled) out.sigkill = exit137;
  const go = hitsWithText(ctx, GO_OOM_LINE)[0];
  if (go) out.goOom = go.evidence;
  const heap = hitsWithText(ctx, RUNTIME_HEAP_LINE)[0];
  if (heap) out.runtimeHeap = { evidence: heap.evidence, what: heap.match[0] };
  return out;
}

function clip(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
