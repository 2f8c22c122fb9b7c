// An hs_err report as the project's evidence: the crashed JVM's limits, thread count and address
// space as ProcessFacts, the node's commit figures and kernel limits as it printed them, the pids and
// memory levels of its own cgroup, and its thread list as a JVM dump the leak namer buckets. Every
// usage is the crashed instance's (`of: 'crashed'`): the JVM printed it while dying.
import type { ThreadDump } from '../../evidence/dumps.js';
import type { HsErrReport } from '../../evidence/hs-err.js';
import type { CgroupLevel, Fact, NodeFacts, ProcessFacts } from '../../evidence/types.js';

/** The node facts an hs_err file shows (what the JVM read from /proc while dying). */
export type HsErrNode = Partial<
  Pick<NodeFacts, 'commitLimit' | 'committedAs' | 'threadsMax' | 'maxMapCount' | 'pidMax' | 'kernelRelease'>
> & { cgroupChains?: CgroupLevel[] };

export interface HsErrFacts {
  process: ProcessFacts;
  node: HsErrNode;
  /** The thread lists, bucketed like a jstack dump. */
  dump?: ThreadDump;
  note: string;
}

/** Where the container section's values come from: the JVM's own cgroup, which it does not name. */
export const HS_ERR_CGROUP = "(the JVM's own cgroup, as its hs_err file printed it)";

export function hsErrFacts(r: HsErrReport): HsErrFacts {
  const process: ProcessFacts = {};
  const node: HsErrNode = {};
  const lim = (name: string): Fact<number | null> | undefined => {
    const l = r.rlimits[name];
    return l && r.rlimitLine ? { value: l.soft, evidence: r.rlimitLine } : undefined;
  };
  const nproc = lim('NPROC');
  const nofile = lim('NOFILE');
  const as = lim('AS');
  if (nproc) process.nprocLimit = nproc;
  if (nofile) process.nofileLimit = nofile;
  if (as) process.asLimit = as;
  if (r.threads?.complete) {
    process.threads = {
      value: r.threads.dump.total,
      evidence: r.threads.evidence,
      of: 'crashed',
    };
  } else if (r.javaThreadList && r.javaThreadList.value > 0) {
    // The list was cut short (or not printed): the SMR line still counts the Java threads, a floor.
    process.threads = { ...r.javaThreadList, of: 'crashed' };
  }
  if (r.virtualSize) process.virtualSize = { ...r.virtualSize, of: 'crashed' };
  const c = r.container;
  if (c.memoryLimit) process.memoryLimit = c.memoryLimit;
  if (r.flags && r.flags.value.length > 0)
    process.command = { value: `java ${r.flags.value.join(' ')}`, evidence: r.flags.evidence };
  if (r.commitLimit && r.committedAs) {
    node.commitLimit = r.commitLimit;
    node.committedAs = r.committedAs;
  }
  if (r.threadsMax) node.threadsMax = r.threadsMax;
  if (r.maxMapCount) node.maxMapCount = r.maxMapCount;
  if (r.pidMax) node.pidMax = r.pidMax;
  const release = r.uname && /^uname:\s?Linux (\S{1,100})/.exec(r.uname.text)?.[1];
  if (release && r.uname) node.kernelRelease = { value: release, evidence: r.uname };
  // Only a finite limit is a level worth weighing: JDK 17 reads pids.max and memory.max of its own
  // cgroup alone, so "unlimited" there says nothing of the pod level above it.
  const chains: CgroupLevel[] = [];
  if (typeof c.pidsMax?.value === 'number')
    chains.push({
      path: HS_ERR_CGROUP,
      level: 'container',
      controller: 'pids',
      max: c.pidsMax.value,
      ...(c.pidsCurrent ? { current: c.pidsCurrent.value } : {}),
      evidence: [c.pidsMax.evidence, ...(c.pidsCurrent ? [c.pidsCurrent.evidence] : [])],
    });
  if (chains.length > 0) node.cgroupChains = chains;
  const dump = r.threads?.complete ? r.threads.dump : undefined;
  return { process, node, ...(dump ? { dump } : {}), note: noteOf(r) };
}

function mib(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GiB` : `${Math.round(n / (1 << 20))} MiB`;
}

/** One sentence per report: what failed, how many threads, the limits and figures that decide. */
function noteOf(r: HsErrReport): string {
  const where = r.header.line ? `${r.source}:${r.header.line}` : r.source;
  const parts: string[] = [];
  const f = r.failure;
  if (f)
    parts.push(
      f.kind === 'gc-thread'
        ? 'it could not create a GC worker thread'
        : f.kind === 'mmap' || f.kind === 'malloc' || f.kind === 'mprotect'
          ? `${f.kind} of ${f.bytes!.toLocaleString('en-US')} bytes failed${f.purpose ? ` (${f.purpose})` : ''}`
          : `it died: ${f.evidence.text}`,
    );
  if (r.location) parts.push(`at ${r.location.text.replace(/, pid=.*$/, '')}`);
  if (r.threads)
    parts.push(
      r.threads.complete
        ? `${r.threads.dump.total.toLocaleString('en-US')} threads listed (${r.threads.java} Java, ${r.threads.other} VM)`
        : `its thread list was cut short by an error after ${r.threads.dump.total} thread${r.threads.dump.total === 1 ? '' : 's'}`,
    );
  const rl = (n: string): string | undefined => {
    const l = r.rlimits[n];
    if (!l) return undefined;
    const v = (x: number | null | undefined): string =>
      x === null || x === undefined ? 'unlimited' : n === 'AS' ? mib(x) : String(x);
    return `${n} ${v(l.soft)}${l.hard !== undefined && l.hard !== l.soft ? `/${v(l.hard)}` : ''}`;
  };
  const limits = ['NPROC', 'NOFILE', 'AS'].map(rl).filter(Boolean);
  if (limits.length > 0) parts.push(`rlimits ${limits.join(', ')}`);
  if (r.virtualSize) parts.push(`virtual size ${mib(r.virtualSize.value)}`);
  const c = r.container;
  if (c.memoryLimit)
    parts.push(
      `container memory limit ${c.memoryLimit.value === null ? 'unlimited' : mib(c.memoryLimit.value)}`,
    );
  if (c.pidsMax)
    parts.push(
      `container tasks ${c.pidsCurrent?.value ?? '?'} of ${c.pidsMax.value === null ? 'unlimited' : c.pidsMax.value}`,
    );
  if (r.commitLimit && r.committedAs)
    parts.push(`node Committed_AS ${mib(r.committedAs.value)} of CommitLimit ${mib(r.commitLimit.value)}`);
  if (r.physical) parts.push(`node memory ${mib(r.physical.free)} free of ${mib(r.physical.total)}`);
  if (r.flags && r.flags.value.length > 0) parts.push(`flags ${r.flags.value.join(' ')}`);
  const jvm = r.jvm ? ` (${r.jvm.text.slice(0, 100)})` : '';
  const saved =
    r.savedAs && !r.rlimitLine && !r.threads
      ? ` Only its header is here; the JVM wrote the whole file to ${r.savedAs}: give that file to podmortem analyze as well (it holds the thread list, the rlimits and the container limits).`
      : '';
  return `JVM fatal error log (hs_err) at ${where}${jvm}: ${parts.join('; ') || 'no details read'}.${saved}`;
}
