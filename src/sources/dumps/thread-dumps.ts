// Thread and goroutine dumps in a crash log, bucketed in one pass: Go tracebacks (a panic or fatal
// error with GOTRACEBACK=all, SIGQUIT), JVM thread dumps (jstack, kill -3: "Full thread dump") and
// Python faulthandler dumps. A dump of 100,000 goroutines is 100 MB of text; what an engineer wants
// from it is "3,912 goroutines [IO wait] in net/http.(*persistConn).readLoop", as panicparse
// (github.com/maruel/panicparse) buckets them. Here each goroutine or thread keeps only a few
// strings while its frames go by (top frame, entry frame, first frame outside the runtime's
// plumbing, a few flags), and buckets are keyed by state and those frames: linear time, memory
// bounded by the number of buckets (capped), never by the number of goroutines.
import type { Readable } from 'node:stream';
import type { DumpBucket, DumpRuntime, Holding, ThreadDump } from '../../evidence/dumps.js';
import type { Evidence } from '../../evidence/types.js';
import { forEachLogLine, MAX_LINE } from './log-lines.js';

/** Distinct buckets kept per dump; members of others are still counted in `total`. */
const MAX_BUCKETS = 5000;

const GO_HEADER = /^goroutine \d{1,12} (?:[a-z]{1,3}=(?:0x)?[0-9a-f]{1,16} ){0,4}\[([^\]]{1,100})\]:\s*$/;
const GO_CREATED_BY = /^created by (\S{1,1000})/;
const JVM_DUMP_START = /^Full thread dump /;
const JVM_HEADER =
  /^"([^"\n]{0,300})"(?: #\d{1,10})?( daemon)?(?: prio=\d{1,3})? os_prio=-?\d{1,4}[^\n]*? nid=(?:0x[0-9a-f]{1,16}|\d{1,10}) ?(.*)$/;
const JVM_STATE = /^\s{1,8}java\.lang\.Thread\.State: (.{1,100})$/;
const JVM_FRAME = /^\s{1,8}at ([^\s(]{1,1000})\(/;
const PY_HEADER = /^(?:Current thread|Thread) 0x[0-9a-f]{1,16} \(most recent call first\):/;
const PY_FRAME = /^ {2}File "([^"\n]{1,1000})", line \d{1,9} in (\S{1,300})/;
/** Tool prefixes kept in front of a container's own output (kubectl logs --timestamps, compose). */
const PREFIX = /^(?:[\w.-]{1,64} {1,20}\| )?(?:\d{4}-\d\d-\d\dT[\d:.]{1,30}(?:Z|[+-]\d\d:\d\d) )?/;

/** Packages of Go's own plumbing: a goroutine blocked in them is named by the program's frame above. */
const GO_PLUMBING =
  /^(?:runtime|internal\/[\w/]+|syscall|sync|sync\/atomic|time|io|bufio|net|os|os\/signal|context|reflect|golang\.org\/x\/sys\/unix)\./;
/** Goroutines that own a connection for their whole life, whatever they are parked in. */
const SOCKET_OWNERS = /^net\/http\.\(\*(?:persistConn\)\.(?:readLoop|writeLoop)|conn\)\.serve)$/;
const GO_CLOSURE = /\.func\d{1,6}(?:\.\d{1,6})*$/;
const PY_STDLIB = /\/lib\/python\d\.\d{1,2}\/(?!site-packages\/|dist-packages\/)/;

interface Member {
  state: string;
  locked: boolean;
  top?: string;
  last?: string;
  own?: string;
  cgo: boolean;
  poll: boolean;
  header: Evidence;
}

class DumpBuilder {
  total = 0;
  private readonly buckets = new Map<string, DumpBucket>();
  constructor(
    readonly runtime: DumpRuntime,
    readonly source: string,
  ) {}

  add(m: Member): void {
    this.total++;
    const b = this.bucketOf(m);
    const key = `${b.state}\u0000${b.locked ? 1 : 0}\u0000${b.name}\u0000${b.top}`;
    const have = this.buckets.get(key);
    if (have) have.count++;
    else if (this.buckets.size < MAX_BUCKETS) this.buckets.set(key, b);
  }

  private bucketOf(m: Member): DumpBucket {
    const top = m.top ?? '?';
    if (this.runtime === 'go') {
      const state = m.state.split(',')[0]!.trim();
      const entry = m.last ?? top;
      const name = GO_CLOSURE.test(entry) || GO_PLUMBING.test(entry) ? (m.own ?? entry) : entry;
      const holds: Holding =
        state === 'syscall' || m.locked || m.cgo
          ? 'thread'
          : m.poll || SOCKET_OWNERS.test(name)
            ? 'descriptor'
            : 'stack';
      return { count: 1, state, name, top, ...(m.locked ? { locked: true } : {}), holds, first: m.header };
    }
    if (this.runtime === 'jvm') {
      // Every JVM thread is an OS thread; the pool is named by its threads' names.
      return { count: 1, state: m.state, name: m.own ?? '?', top, holds: 'thread', first: m.header };
    }
    return { count: 1, state: '', name: m.own ?? top, top, holds: 'thread', first: m.header };
  }

  result(): ThreadDump {
    const buckets = [...this.buckets.values()].sort((a, b) => b.count - a.count);
    return { runtime: this.runtime, source: this.source, total: this.total, buckets };
  }
}

/** A JVM thread name as a pool pattern: "pool-12-thread-3" -> "pool-N-thread-N", "http-nio-8080-exec-7" -> "http-nio-N-exec-N". */
export function jvmNamePattern(name: string): string {
  return name.replace(/\d+/g, 'N');
}

/** Reads dumps line by line; feed every line of a log in order, then call result(). */
export class ThreadDumpReader {
  private readonly done: ThreadDump[] = [];
  private dump?: DumpBuilder;
  private member?: Member;
  private jvmDump = false;

  constructor(private readonly source: string) {}

  line(rawText: string, lineNo: number): void {
    if (rawText.length > MAX_LINE) return;
    const text = rawText.replace(PREFIX, '');
    const at = (): Evidence => ({ source: this.source, ...(lineNo > 0 ? { line: lineNo } : {}), text });

    let m = GO_HEADER.exec(text);
    if (m) {
      this.startMember('go', {
        state: m[1]!,
        locked: m[1]!.includes('locked to thread'),
        cgo: false,
        poll: false,
        header: at(),
      });
      return;
    }
    if (JVM_DUMP_START.test(text)) {
      this.finishDump();
      this.jvmDump = true;
      return;
    }
    if (this.jvmDump && (m = JVM_HEADER.exec(text))) {
      const tail = m[3]!.replace(/\s*\[0x[0-9a-f]{1,16}\]\s*$/, '').trim();
      this.startMember('jvm', {
        state: tail,
        locked: false,
        own: jvmNamePattern(m[1]!),
        cgo: false,
        poll: false,
        header: at(),
      });
      return;
    }
    if (PY_HEADER.test(text)) {
      this.startMember('python', { state: '', locked: false, cgo: false, poll: false, header: at() });
      return;
    }
    const cur = this.member;
    if (!cur) {
      if (this.jvmDump && /^JNI global refs|^Heap$/.test(text)) {
        this.jvmDump = false;
        this.finishDump();
      }
      return;
    }
    const rt = this.dump!.runtime;
    if (rt === 'go') this.goLine(cur, text);
    else if (rt === 'jvm') this.jvmLine(cur, text);
    else this.pyLine(cur, text);
  }

  private goLine(cur: Member, text: string): void {
    if (text.trim() === '') return this.finishMember();
    if (text.startsWith('\t') || text.startsWith('...')) return;
    const created = GO_CREATED_BY.exec(text);
    if (created) return;
    const paren = text.lastIndexOf('(');
    if (paren <= 0) return this.finishMember(); // not a frame: the dump ended
    const fn = text.slice(0, paren);
    cur.top ??= fn;
    cur.last = fn;
    if (!cur.own && !GO_PLUMBING.test(fn) && !GO_CLOSURE.test(fn)) cur.own = fn;
    if (fn === 'runtime.cgocall' || fn === 'runtime.asmcgocall') cur.cgo = true;
    if (fn === 'internal/poll.runtime_pollWait') cur.poll = true;
  }

  private jvmLine(cur: Member, text: string): void {
    if (text.trim() === '') return this.finishMember();
    const state = JVM_STATE.exec(text);
    if (state) {
      cur.state = state[1]!.trim();
      return;
    }
    const frame = JVM_FRAME.exec(text);
    if (frame) cur.top ??= frame[1]!;
  }

  private pyLine(cur: Member, text: string): void {
    const frame = PY_FRAME.exec(text);
    if (!frame) return this.finishMember();
    const file = frame[1]!;
    const fn = `${file.slice(file.lastIndexOf('/') + 1)}:${frame[2]!}`;
    cur.top ??= fn;
    if (!cur.own && !PY_STDLIB.test(file)) cur.own = fn;
  }

  private startMember(runtime: DumpRuntime, m: Member): void {
    this.finishMember();
    if (this.dump && this.dump.runtime !== runtime) this.finishDump();
    this.dump ??= new DumpBuilder(runtime, this.source);
    this.member = m;
  }

  private finishMember(): void {
    if (this.member && this.dump) this.dump.add(this.member);
    this.member = undefined;
  }

  private finishDump(): void {
    this.finishMember();
    if (this.dump && this.dump.total > 0) this.done.push(this.dump.result());
    this.dump = undefined;
  }

  /**
   * The dumps read, in order. Go prints one traceback per crash and Python one dump; a log that
   * holds several (a crash loop's concatenated logs) gives one each.
   */
  result(): ThreadDump[] {
    this.finishDump();
    return this.done;
  }
}

/** Reads a whole log stream (plain, CRI or Docker json-file lines) and returns its dumps. */
export async function readThreadDumps(stream: Readable, source: string): Promise<ThreadDump[]> {
  const reader = new ThreadDumpReader(source);
  await forEachLogLine(stream, source, (text, n) => reader.line(text, n));
  return reader.result();
}
