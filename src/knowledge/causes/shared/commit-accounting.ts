// The kernel's commit accounting, read from the node: whether it can have refused the mmap or fork
// that failed. mm/util.c __vm_enough_memory: mode 1 (OVERCOMMIT_ALWAYS) accepts everything; mode 0
// (the heuristic) refuses a single request larger than RAM plus swap; mode 2 refuses once
// Committed_AS plus the request passes CommitLimit (swap + overcommit_ratio% of RAM, or
// overcommit_kbytes). fork asks again for every private writable mapping of the parent
// (kernel/fork.c dup_mmap), so a parent the size of the remaining headroom cannot fork.
// Sources: Documentation/mm/overcommit-accounting.rst, proc_sys_vm(5).
import type { Evidence } from '../../../evidence/types.js';
import type { CauseContext } from '../../types.js';
import { bytes, errnoOf, numberField } from './common.js';

export interface CommitReading {
  /** likely: mode 2 and Committed_AS within 10% of CommitLimit; unlikely: mode 1; possible otherwise. */
  verdict: 'likely' | 'possible' | 'unlikely';
  summary: string;
  reasons: string[];
  evidence: Evidence[];
}

/**
 * What the node's overcommit settings say about a failed fork or mmap; undefined when no such
 * failure raised the cause (a thread's clone copies no address space) or nothing was read.
 * `mmapFailed`: the process itself reported a failed mmap (Go "out of memory").
 */
export function commitAccounting(ctx: CauseContext, mmapFailed: boolean): CommitReading | undefined {
  const node = ctx.node;
  const mode = node?.overcommitMemory;
  const errno = errnoOf(ctx);
  // A pure-Go thread's clone (newosproc) maps nothing: its ENOMEM is kernel memory, not commit.
  const threadClone = ctx.raisedBy.every((r) => /newosproc/.test(r.signature.id));
  const refusal = mmapFailed || (errno?.value === 12 && !threadClone) || (!errno && !threadClone);
  if (!refusal) return undefined;
  if (!mode) return atTheCrash(ctx);
  const evidence: Evidence[] = [mode.evidence];
  if (mode.value === 1) {
    return {
      verdict: 'unlikely',
      summary: 'vm.overcommit_memory is 1: the node commits every request.',
      reasons: [
        'With vm.overcommit_memory=1 __vm_enough_memory accepts every mmap and fork, so the commit accounting did not refuse it: look at RLIMIT_AS, a dead pid-namespace init, or kernel memory.',
      ],
      evidence,
    };
  }
  const limit = node.commitLimit;
  const committed = node.committedAs;
  if (mode.value === 2) {
    if (limit && committed) {
      evidence.push(limit.evidence, committed.evidence);
      const ratio = committed.value / limit.value;
      const head = Math.max(0, limit.value - committed.value);
      const said = `vm.overcommit_memory is 2 (strict) and Committed_AS is ${bytes(committed.value)} of CommitLimit ${bytes(limit.value)} (${(ratio * 100).toFixed(1)}%): any fork or mmap needing more than the ${bytes(head)} left is refused with ENOMEM.`;
      return {
        verdict: ratio >= 0.9 ? 'likely' : 'possible',
        summary:
          ratio >= 0.9
            ? `The node's strict commit accounting is nearly exhausted: ${bytes(committed.value)} committed of ${bytes(limit.value)}.`
            : 'The node uses strict commit accounting; a fork of a large parent can still pass CommitLimit.',
        reasons: [
          said,
          "fork commits the parent's private writable memory again for the child (kernel/fork.c dup_mmap), so a parent larger than the headroom cannot fork even with free RAM.",
          committed.evidence.of === 'crashed'
            ? 'These figures are the copy of /proc/meminfo the crashed process printed as it died.'
            : "These figures are the node's when they were read, not at the crash.",
        ],
        evidence,
      };
    }
    return {
      verdict: 'possible',
      summary: 'The node uses strict commit accounting (vm.overcommit_memory=2).',
      reasons: [
        'vm.overcommit_memory is 2: a fork or mmap is refused with ENOMEM once Committed_AS would pass CommitLimit (swap + overcommit_ratio% of RAM); /proc/meminfo was not read to say how close it is.',
      ],
      evidence,
    };
  }
  return {
    verdict: 'possible',
    summary: 'The node uses the overcommit heuristic (vm.overcommit_memory=0).',
    reasons: [
      'vm.overcommit_memory is 0 (the heuristic): one request larger than RAM plus swap is refused, such as a fork of a parent with that much private writable memory (older kernels, CentOS 7 among them, also counted free memory and page cache: a large Redis at BGSAVE failed with free RAM left).',
    ],
    evidence,
  };
}

/**
 * Without the overcommit mode, the commit figures the crashed process printed as it died (an hs_err
 * file's /proc/meminfo copy) still decide one thing: strict accounting (mode 2) keeps Committed_AS
 * at or under CommitLimit, so a Committed_AS above it means the node was not in mode 2, and a
 * headroom larger than the failed request means mode 2 would have granted it. Either way the commit
 * accounting refused nothing the heuristic would not (only one request larger than RAM plus swap).
 */
function atTheCrash(ctx: CauseContext): CommitReading | undefined {
  const limit = ctx.node?.commitLimit;
  const committed = ctx.node?.committedAs;
  if (!limit || !committed || committed.evidence.of !== 'crashed') return undefined;
  const asked = numberField(ctx, 'bytes')?.value;
  const evidence = [limit.evidence, committed.evidence];
  const figures = `At the crash the node had Committed_AS ${bytes(committed.value)} of CommitLimit ${bytes(limit.value)} (the copy of /proc/meminfo the process printed as it died)`;
  if (committed.value > limit.value)
    return {
      verdict: 'unlikely',
      summary: 'Committed_AS was above CommitLimit at the crash: the node was not in strict overcommit mode.',
      reasons: [
        `${figures}: strict accounting (vm.overcommit_memory=2) never lets Committed_AS pass CommitLimit, so the node ran the heuristic or mode 1, which refuse only a single request larger than RAM plus swap${asked !== undefined ? `, not ${bytes(asked)}` : ''}.`,
      ],
      evidence,
    };
  const head = limit.value - committed.value;
  if (asked !== undefined && asked < head)
    return {
      verdict: 'unlikely',
      summary: `The node had ${bytes(head)} of commit headroom at the crash, more than the ${bytes(asked)} asked for.`,
      reasons: [
        `${figures}: ${bytes(head)} left, more than the ${bytes(asked)} that failed, so even strict accounting (vm.overcommit_memory=2) would have granted it; the heuristic refuses only a request larger than RAM plus swap.`,
      ],
      evidence,
    };
  return {
    verdict: 'possible',
    summary: `Committed_AS was ${bytes(committed.value)} of CommitLimit ${bytes(limit.value)} at the crash.`,
    reasons: [
      `${figures}: under vm.overcommit_memory=2 ${bytes(head)} was left${asked !== undefined ? ` for a request of ${bytes(asked)}` : ''}; the mode itself was not printed.`,
    ],
    evidence,
  };
}
