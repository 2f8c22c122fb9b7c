// Kernel ceilings as people print them: `sysctl kernel.pid_max` / `sysctl -a | grep` ("kernel.pid_max
// = 32768"), `sysctl -n key` and `cat /proc/sys/kernel/pid_max` (the bare value), `grep . /proc/sys/...`
// ("/proc/sys/kernel/pid_max:32768"), `cat /proc/sys/fs/file-nr` ("allocated unused max",
// linux:fs/file_table.c) and `cat /proc/loadavg` (field 4 "running/total": the node's tasks). These are
// node facts whatever shell printed them: a container shares the node's kernel.
import type { Fact } from '../../evidence/types.js';
import { basename, filesOf } from './lines.js';
import type { Reader, Sink, TLine, TranscriptNode, TranscriptParser } from './types.js';

const P = 'sysctl';
type NumericKey = Exclude<keyof TranscriptNode, 'pamLimits' | 'kernelLines' | 'cgroupChains'>;

const KEYS: Record<string, NumericKey> = {
  'kernel.pid_max': 'pidMax',
  'kernel.threads-max': 'threadsMax',
  'fs.file-max': 'fileMax',
  'fs.nr_open': 'nrOpen',
  'vm.max_map_count': 'maxMapCount',
  'fs.inotify.max_user_instances': 'inotifyMaxUserInstances',
  'fs.inotify.max_user_watches': 'inotifyMaxUserWatches',
};
const KEY_LINE = /^([a-z][\w.-]{1,64})\s{0,8}=\s{0,8}(.{1,80})$/;
const PROC_LINE = /^\/proc\/sys\/([\w/.-]{1,64}):(.{1,80})$/;

export const sysctl: TranscriptParser = {
  id: P,
  forCommand(cmd, sink) {
    const tool = basename(cmd.argv[0] ?? '');
    if (tool === 'sysctl') {
      const keys = cmd.argv.slice(1).filter((a) => !a.startsWith('-') && !a.includes('='));
      const bare = cmd.argv.includes('-n') ? keys : [];
      return reader(
        sink,
        bare.map((k) => k.replace(/\//g, '.')),
      );
    }
    if (['cat', 'head', 'grep'].includes(tool)) {
      const files = filesOf(cmd.argv).filter((f) => /^\/proc\/(sys\/|loadavg$)/.test(f));
      if (files.length === 0) return undefined;
      return reader(sink, files.map(keyOf));
    }
    return undefined;
  },
  forLine(l, sink) {
    const t = l.text.trim();
    const m = KEY_LINE.exec(t) ?? PROC_LINE.exec(t);
    if (!m || !(keyOf(m[1]!) in KEYS || keyOf(m[1]!) === 'fs.file-nr')) return undefined;
    const r = reader(sink, []);
    r.line(l);
    return r;
  },
};

/** "/proc/sys/kernel/pid_max" or "kernel/pid_max" -> "kernel.pid_max"; "/proc/loadavg" stays. */
function keyOf(s: string): string {
  if (s === '/proc/loadavg') return s;
  return s.replace(/^\/proc\/sys\//, '').replace(/\//g, '.');
}

/** Reads "key = value" lines, and bare values for the keys a command named, in order. */
function reader(sink: Sink, bare: string[]): Reader {
  let i = 0;
  return {
    line(l) {
      const t = l.text.trim();
      const m = KEY_LINE.exec(t) ?? PROC_LINE.exec(t);
      if (m) {
        set(sink, l, keyOf(m[1]!), m[2]!.trim());
        return true;
      }
      if (i < bare.length) {
        const ok = set(sink, l, bare[i]!, t);
        i++;
        return ok;
      }
      return false;
    },
  };
}

/** One value; false when it is not a value of that key. */
function set(sink: Sink, l: TLine, key: string, value: string): boolean {
  const node = sink.node;
  if (key === '/proc/loadavg') {
    const m = /^\S{1,16}\s+\S{1,16}\s+\S{1,16}\s+\d{1,12}\/(\d{1,12})\s+\d{1,12}$/.exec(value);
    if (!m) return false;
    node.tasks ??= fact(sink, l, Number(m[1]));
    return true;
  }
  if (key === 'fs.file-nr') {
    const m = /^(\d{1,20})\s+\d{1,20}\s+(\d{1,20})$/.exec(value);
    if (!m) return false;
    node.filesAllocated ??= fact(sink, l, Number(m[1]));
    node.fileMax ??= fact(sink, l, Number(m[2]));
    return true;
  }
  const field = KEYS[key];
  if (!/^\d{1,20}$/.test(value)) return false;
  if (!field) return true; // a sysctl podmortem has no use for
  const v = Number(value);
  if (v < 1) return false;
  (node as Record<string, Fact<number>>)[field] ??= fact(sink, l, v);
  return true;
}

function fact(sink: Sink, l: TLine, value: number): Fact<number> {
  sink.saw(P, l);
  return { value, evidence: sink.ev(l) };
}
