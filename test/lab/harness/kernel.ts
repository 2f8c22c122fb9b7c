// The kernel's own lines about a run (pids rejections, memcg OOM kills), read back from dmesg.
import { spawnSync } from 'node:child_process';

/** The first dmesg line containing `text`, without its timestamp, or undefined (dmesg may be restricted). */
export function kernelLine(text: string): string | undefined {
  const dmesg = spawnSync('dmesg', [], { maxBuffer: 64 << 20 }).stdout?.toString() ?? '';
  const line = dmesg.split('\n').find((l) => l.includes(text));
  return line?.replace(/^\[[^\]]*\]\s*/, '');
}
