// Kernel log lines pasted from dmesg, journalctl -k or /var/log/messages: the same classifier the node
// reader uses (pids rejections, memory-cgroup and global OOM kills, file-max), on every line of the
// transcript whatever block it sits in, since people paste them anywhere.
import { classifyKernelLine } from '../host/kernel-log.js';
import type { Sink, TLine } from './types.js';

const KEEP = 200;

export function kernelLine(sink: Sink, l: TLine): void {
  const k = classifyKernelLine(l.text, sink.source, l.n);
  if (!k) return;
  const list = (sink.node.kernelLines ??= []);
  if (list.length >= KEEP) list.shift(); // the most recent are kept
  list.push(k);
  sink.saw('kernel-lines', l);
}
