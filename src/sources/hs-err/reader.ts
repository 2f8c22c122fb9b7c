// HotSpot fatal error logs (hs_err_pid<N>.log), line by line: the file itself given to analyze, a copy
// in a bundle or collect directory, or the file pasted into a log or a ticket. An hs_err file is
// tens of KB to several MB (memory maps, every thread, the heap's regions); what decides the cause
// fits in a few dozen values: the "#" header (what could not be allocated), the thread lists (how
// many threads, by name pattern), the rlimit line, the /proc/meminfo copy (CommitLimit,
// Committed_AS), "Process Memory" (Virtual Size), the kernel limits the JVM printed and the
// "container (cgroup) information" section. Only those are kept: memory is bounded by the number
// of thread-name buckets (capped), never by the size of the file.
// Format: openjdk/jdk:src/hotspot/share/utilities/vmError.cpp (the sections, in order),
// src/hotspot/os/linux/os_linux.cpp (rlimit, meminfo, Process Memory, /proc/sys limits),
// src/hotspot/os/linux/cgroupSubsystem_linux.cpp / osContainer_linux.cpp (the container section).
import type { Readable } from 'node:stream';
import type { DumpBucket } from '../../evidence/dumps.js';
import type { HsErrFailure, HsErrReport, HsErrRlimit } from '../../evidence/hs-err.js';
import type { Evidence } from '../../evidence/types.js';
import { jvmNamePattern } from '../dumps/thread-dumps.js';
import { forEachLogLine, MAX_LINE } from '../dumps/log-lines.js';

/** Reports kept per log (a crash loop's log can hold one per restart); the first is the one diagnosed. */
const MAX_REPORTS = 4;
/** Distinct thread-name buckets kept per report; threads of others are still counted. */
const MAX_BUCKETS = 5000;
const MAX_FLAGS = 64;
const KIB = 1024;

/** Tool prefixes and quoting kept in front of a pasted line (kubectl --timestamps, compose, "> " replies). */
const PREFIX =
  /^(?:[\w.-]{1,64} {1,20}\| )?(?:\d{4}-\d\d-\d\dT[\d:.]{1,30}(?:Z|[+-]\d\d:\d\d) )?(?:\s{0,3}>\s?){0,4}/;
const HEADER =
  /^#\s{1,3}(?:There is insufficient memory for the Java Runtime Environment to continue|A fatal error has been detected by the Java Runtime Environment)/;
const BANNER = /^-{10,20}\s{1,4}(?:S U M M A R Y|T H R E A D|P R O C E S S|S Y S T E M)\s{1,4}-{3,20}$/;
const NATIVE =
  /^#\s{1,3}Native memory allocation \((mmap|malloc|mprotect)\) failed to (?:map|allocate|protect) (\d{1,20}) bytes(?: for ([^\n]{1,200}?))?\.?(?: Error detail: ([^\n]{1,200}?))?\.?\s*$/;
const GC_THREAD = /^#\s{1,3}Cannot create (?:worker )?GC thread\. Out of system resources\./;
const SIGNAL = /^#\s{1,3}(SIG[A-Z]{2,6}) \(0x[0-9a-f]{1,4}\) at pc=/;
const LOCATION = /^#\s{1,3}((?:Out of Memory Error|Internal Error) \([^)\n]{1,200}\)[^\n]{0,200})$/;
const OTHER_ERROR = /^#\s{1,3}((?:fatal error|guarantee\([^\n]{0,200}\) failed|Error): [^\n]{1,300})$/;
const SAVED_AS = /^#\s{1,3}(\/\S{0,500}hs_err\S{0,200})$/;
/** "# Java VM: OpenJDK 64-Bit Server VM (17.0.15+6-Debian-1deb12u1, mixed mode, ...)": the VM and its exact build. */
const JAVA_VM = /^#\s{1,3}Java VM:\s*([^(\n]{1,100}?)\s*\(([^,)\n]{1,100})/;
const VM_INFO = /^vm_info: (\S[^\n]{0,300})$/;
const COMMAND_LINE = /^Command Line:\s*([^\n]*)$/;
const THREAD =
  /^\s{0,4}(=>)?\s{0,2}0x[0-9a-f]{1,16}\s{1,4}(?:\(exited\)\s{1,4})?(\w{1,40})\s{1,4}(?:"([^"\n]{0,16000})"\s{1,4})?\[(_thread_\w{1,30})?/;
const THREADS_END = /^(?:Threads with active compile tasks:|VM state:|VM Mutex\/Monitor|Heap address:)/;
/** "Threads class SMR info": the Java thread count, printed even when the list after it is cut short. */
const SMR_LIST = /^_java_thread_list=0x[0-9a-f]{1,16}, length=(\d{1,9}),/;
const UNAME = /^uname:\s?(\S[^\n]{0,300})$/;
const RLIMIT = /^rlimit(?: \(soft\/hard\))?:\s*(\S[^\n]{0,1000})$/;
const MEMINFO_LINE = /^(CommitLimit|Committed_AS|MemAvailable):\s+(\d{1,15}) kB$/;
const VIRTUAL = /^Virtual Size: (\d{1,15})K/;
/** Some JDK 17 builds print the value on the next line. */
const PROC_SYS =
  /^\/proc\/sys\/(kernel\/threads-max|vm\/max_map_count|kernel\/pid_max) \([^)\n]{0,120}\):(?: (\d{1,15}))?$/;
const MEMORY = /^Memory: \d{1,6}k page, physical (\d{1,15})k\((\d{1,15})k free\)/;
const CONTAINER_LINE = /^([a-z_ ]{3,60}): ([^\n]{1,100})$/;
/** Runtime flags that name a file or run a command: left out with the system properties. */
const UNKEPT_FLAG = /^-XX:(?:ErrorFile|HeapDumpPath|OnError|OnOutOfMemoryError|LogFile|Flags)=/;

/** HotSpot thread states as an operator reads them. */
const STATES: Record<string, string> = {
  _thread_blocked: 'blocked',
  _thread_blocked_trans: 'blocked',
  _thread_in_native: 'in native code',
  _thread_in_native_trans: 'in native code',
  _thread_in_vm: 'in the VM',
  _thread_in_vm_trans: 'in the VM',
  _thread_in_Java: 'running Java',
  _thread_new: 'new',
};

type Section = 'head' | 'threads' | 'meminfo' | 'container' | 'other';

class ReportBuilder {
  readonly r: HsErrReport;
  section: Section = 'head';
  java = 0;
  other = 0;
  threadsAt?: Evidence;
  threadsCut = false;
  /** A /proc/sys limit whose value is on the next line. */
  pending?: { key: string; header: string };
  readonly buckets = new Map<string, DumpBucket>();

  constructor(source: string, header: Evidence) {
    this.r = { source, header, flagsDropped: 0, rlimits: {}, container: {} };
  }

  thread(kind: string, name: string | undefined, state: string | undefined, at: Evidence): void {
    if (kind === 'JavaThread') this.java++;
    else this.other++;
    // JDK 8 prints some VM threads without a name ("VMThread [stack: ...]"): the kind names them.
    const pattern = name === undefined ? kind : jvmNamePattern(name);
    const shown = kind === 'JavaThread' ? (state ? (STATES[state] ?? state) : 'Java thread') : kind;
    const key = `${pattern}\u0000${shown}`;
    const have = this.buckets.get(key);
    if (have) have.count++;
    else if (this.buckets.size < MAX_BUCKETS)
      this.buckets.set(key, { count: 1, state: shown, name: pattern, top: '?', holds: 'thread', first: at });
  }

  result(): HsErrReport {
    const total = this.java + this.other;
    if (total > 0 && this.threadsAt) {
      const buckets = [...this.buckets.values()].sort((a, b) => b.count - a.count);
      this.r.threads = {
        java: this.java,
        other: this.other,
        complete: !this.threadsCut,
        dump: { runtime: 'jvm', source: this.r.source, total, buckets },
        evidence: {
          ...this.threadsAt,
          text: `${this.threadsAt.text} (${this.java} Java thread${this.java === 1 ? '' : 's'} and ${this.other} other thread${this.other === 1 ? '' : 's'} listed${this.threadsCut ? ' before the list was cut short by an error' : ''})`,
        },
      };
    }
    return this.r;
  }
}

/** Reads hs_err reports line by line; feed every line of a log in order, then call result(). */
export class HsErrReader {
  private readonly done: HsErrReport[] = [];
  private cur?: ReportBuilder;

  constructor(private readonly source: string) {}

  line(rawText: string, lineNo: number): void {
    if (rawText.length > MAX_LINE) return;
    // Some pastes join the file's lines with "," (a JSON array printed as text): one trailing comma is dropped.
    const text = rawText.replace(PREFIX, '').trimEnd().replace(/,$/, '');
    const at = (shown = text): Evidence => ({
      source: this.source,
      ...(lineNo > 0 ? { line: lineNo } : {}),
      text: shown.slice(0, 512),
      of: 'crashed',
    });
    if (HEADER.test(text)) {
      // HotSpot prints the header on the console, then the whole file after it when it cannot write
      // one ("Can not save log file, dump to screen"): a header still in its "#" lines is the same report.
      if (this.cur?.section === 'head' && !this.cur.r.rlimitLine) return;
      this.finish();
      if (this.done.length < MAX_REPORTS) this.cur = new ReportBuilder(this.source, at());
      return;
    }
    // A paste that starts at a section banner ("---------------  S Y S T E M  ---------------") is an hs_err file too.
    if (!this.cur && BANNER.test(text) && this.done.length < MAX_REPORTS)
      this.cur = new ReportBuilder(this.source, at());
    const b = this.cur;
    if (!b) return;
    if (text === 'END.') return this.finish();
    if (b.section === 'head' && text.startsWith('#')) return this.headLine(b, text, at);
    if (b.section === 'threads') {
      const t = THREAD.exec(text);
      if (t) return b.thread(t[2]!, t[3], t[4], at());
      // HotSpot crashed again while listing threads: the list is cut short and counts nothing.
      if (text.startsWith('[error occurred during error reporting')) b.threadsCut = true;
      if (THREADS_END.test(text)) b.section = 'other';
      if (!text.startsWith('Other Threads:')) return;
    }
    if (b.section === 'meminfo') {
      if (text === '') b.section = 'other';
      else return this.meminfo(b, text, at);
    }
    if (b.section === 'container') {
      if (text === '') b.section = 'other';
      else return this.container(b, text, at);
    }
    this.anyLine(b, text, at);
  }

  private headLine(b: ReportBuilder, text: string, at: (s?: string) => Evidence): void {
    const r = b.r;
    let m: RegExpExecArray | null;
    if ((m = NATIVE.exec(text))) {
      const purpose = m[3] ?? m[4];
      r.failure = {
        kind: m[1] as 'mmap' | 'malloc' | 'mprotect',
        bytes: Number(m[2]),
        ...(purpose ? { purpose } : {}),
        evidence: at(text.replace(/^#\s+/, '')),
      };
    } else if (GC_THREAD.test(text)) {
      r.failure = { kind: 'gc-thread', evidence: at(text.replace(/^#\s+/, '')) };
    } else if ((m = SIGNAL.exec(text))) {
      r.failure ??= { kind: 'signal', purpose: m[1]!, evidence: at(text.replace(/^#\s+/, '')) };
    } else if ((m = LOCATION.exec(text))) {
      r.location = at(m[1]!);
    } else if ((m = OTHER_ERROR.exec(text))) {
      r.failure ??= { kind: 'other', purpose: m[1]!, evidence: at(m[1]!) } satisfies HsErrFailure;
    } else if ((m = SAVED_AS.exec(text))) {
      r.savedAs = m[1]!;
    } else if ((m = JAVA_VM.exec(text))) {
      r.jvm = at(`${m[1]!} ${m[2]!}`);
    }
  }

  private anyLine(b: ReportBuilder, text: string, at: (s?: string) => Evidence): void {
    const r = b.r;
    const pending = b.pending;
    b.pending = undefined;
    let m: RegExpExecArray | null;
    if (text.startsWith('---------------')) {
      b.section = 'other';
    } else if (text.startsWith('Java Threads:') || text.startsWith('Other Threads:')) {
      b.section = 'threads';
      b.threadsAt ??= at();
    } else if ((m = COMMAND_LINE.exec(text))) {
      this.flags(r, m[1]!, at);
    } else if ((m = SMR_LIST.exec(text))) {
      r.javaThreadList = { value: Number(m[1]), evidence: at() };
    } else if ((m = UNAME.exec(text))) {
      r.uname = at();
    } else if ((m = RLIMIT.exec(text))) {
      r.rlimits = parseRlimits(m[1]!);
      r.rlimitLine = at();
    } else if (text === '/proc/meminfo:') {
      b.section = 'meminfo';
    } else if (text === 'container (cgroup) information:') {
      b.section = 'container';
    } else if ((m = VIRTUAL.exec(text))) {
      r.virtualSize = { value: Number(m[1]) * KIB, evidence: at() };
    } else if ((m = PROC_SYS.exec(text))) {
      if (m[2] === undefined) b.pending = { key: m[1]!, header: text };
      else this.procSys(r, m[1]!, Number(m[2]), at());
    } else if (pending && /^\d{1,15}$/.test(text)) {
      this.procSys(r, pending.key, Number(text), at(`${pending.header} ${text}`));
    } else if ((m = MEMORY.exec(text))) {
      r.physical = { total: Number(m[1]) * KIB, free: Number(m[2]) * KIB, evidence: at() };
    } else if ((m = VM_INFO.exec(text))) {
      r.jvm ??= at(m[1]!.replace(/\s*\(([^)\n]{1,100})\).*$/, ' $1'));
    }
  }

  private procSys(r: HsErrReport, key: string, value: number, evidence: Evidence): void {
    const fact = { value, evidence };
    if (key === 'kernel/threads-max') r.threadsMax = fact;
    else if (key === 'vm/max_map_count') r.maxMapCount = fact;
    else r.pidMax = fact;
  }

  private meminfo(b: ReportBuilder, text: string, at: () => Evidence): void {
    const m = MEMINFO_LINE.exec(text);
    if (!m) return;
    const fact = { value: Number(m[2]) * KIB, evidence: at() };
    if (m[1] === 'CommitLimit') b.r.commitLimit = fact;
    else if (m[1] === 'Committed_AS') b.r.committedAs = fact;
    else b.r.memAvailable = fact;
  }

  private container(b: ReportBuilder, text: string, at: () => Evidence): void {
    const m = CONTAINER_LINE.exec(text);
    if (!m) return;
    const c = b.r.container;
    const key = m[1]!;
    const value = m[2]!.trim();
    if (key === 'container_type') c.type = value;
    else if (key === 'memory_limit_in_bytes') {
      const v = containerValue(value, true);
      if (v !== undefined) c.memoryLimit = { value: v, evidence: at() };
    } else if (key === 'memory_usage_in_bytes') {
      const v = containerValue(value, true);
      if (typeof v === 'number') c.memoryUsage = { value: v, evidence: at() };
    } else if (key === 'maximum number of tasks') {
      const v = containerValue(value, false);
      if (v !== undefined) c.pidsMax = { value: v, evidence: at() };
    } else if (key === 'current number of tasks') {
      const v = containerValue(value, false);
      if (typeof v === 'number') c.pidsCurrent = { value: v, evidence: at() };
    } else if (key === 'active_processor_count') {
      const v = containerValue(value, false);
      if (typeof v === 'number') c.processors = { value: v, evidence: at() };
    }
  }

  /** Keeps the runtime flags only: a command line holds system properties, paths and arguments that can be secrets. */
  private flags(r: HsErrReport, line: string, at: (s?: string) => Evidence): void {
    const words = line.split(/\s+/).filter(Boolean);
    const kept = words.filter((w) => /^-X/.test(w) && !UNKEPT_FLAG.test(w)).slice(0, MAX_FLAGS);
    const keptFlags = kept.map((w) => w.slice(0, 200));
    r.flagsDropped = words.length - keptFlags.length;
    const dropped =
      r.flagsDropped > 0
        ? ` (${r.flagsDropped} other argument${r.flagsDropped === 1 ? '' : 's'} left out)`
        : '';
    r.flags = { value: keptFlags, evidence: at(`Command Line: ${keptFlags.join(' ')}${dropped}`) };
  }

  private finish(): void {
    if (this.cur) this.done.push(this.cur.result());
    this.cur = undefined;
  }

  /** The reports read, in order (a report cut short by the end of the log is kept as far as it went). */
  result(): HsErrReport[] {
    this.finish();
    return this.done;
  }
}

/** "STACK 8192k/infinity , CORE 0k/infinity , NPROC 4096/4096 , ..." (JDK 11+) or "STACK 8192k, NPROC 4096, ..." (JDK 8). */
export function parseRlimits(text: string): Record<string, HsErrRlimit> {
  const out: Record<string, HsErrRlimit> = {};
  for (const item of text.split(',')) {
    const m = /^([A-Z]{2,10}) (\S{1,30}?)(?:\/(\S{1,30}))?$/.exec(item.trim());
    if (!m) continue;
    const soft = rlimitValue(m[2]!);
    if (soft === undefined) continue;
    const hard = m[3] === undefined ? undefined : rlimitValue(m[3]);
    out[m[1]!] = { soft, ...(hard !== undefined ? { hard } : {}) };
  }
  return out;
}

/** "infinity" -> null, "8192k" -> bytes, "4096" -> 4096; undefined when unreadable. */
function rlimitValue(v: string): number | null | undefined {
  if (v === 'infinity' || v === 'unlimited') return null;
  const m = /^(\d{1,20})(k?)$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * (m[2] ? KIB : 1);
}

/** "unlimited"/"-1" -> null, "524288 k" -> bytes, "536870912" -> as is; "not supported" -> undefined. */
function containerValue(v: string, sized: boolean): number | null | undefined {
  if (v === 'unlimited' || v === 'max' || v === '-1') return null;
  const m = /^(\d{1,20})( k)?$/.exec(v);
  if (!m) return undefined;
  return Number(m[1]) * (sized && m[2] ? KIB : 1);
}

/** Reads a whole log stream (plain, CRI or Docker json-file lines) and returns its hs_err reports. */
export async function readHsErr(stream: Readable, source: string): Promise<HsErrReport[]> {
  const reader = new HsErrReader(source);
  await forEachLogLine(stream, source, (text, n) => reader.line(text, n));
  return reader.result();
}
