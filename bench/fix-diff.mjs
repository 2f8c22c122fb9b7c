// The diff `podmortem fix` prints, on kubelet-config-sized and larger files: time and peak heap for a
// few edits (the usual case) and for files that are not alike (the bounded whole-file fallback).
// Figures only; prints the load average beside them (the machine is shared). Needs dist/ (npm run build).
/* global process, console */
import { loadavg } from 'node:os';
import { unifiedDiff } from '../dist/fix/diff.js';

function file(lines, tag) {
  return Array.from({ length: lines }, (_, i) => `key${i}: ${tag}${i % 7}`).join('\n') + '\n';
}

function measure(name, before, after, runs = 5) {
  const times = [];
  let heap = 0;
  for (let r = 0; r < runs; r++) {
    globalThis.gc?.();
    const h0 = process.memoryUsage().heapUsed;
    const t0 = process.hrtime.bigint();
    const d = unifiedDiff('/f', before, after);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    heap = Math.max(heap, process.memoryUsage().heapUsed - h0);
    if (d.length === 0) throw new Error('empty diff');
  }
  times.sort((a, b) => a - b);
  console.log(
    `${name.padEnd(46)} median ${times[runs >> 1].toFixed(1).padStart(8)} ms   heap +${(heap / 2 ** 20).toFixed(1)} MiB`,
  );
}

console.log(
  `load average: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const n of [40, 1000, 30000]) {
  const before = file(n, 'a');
  const after = before
    .replace('key3: a3\n', 'key3: a3\nevictionHard:\n  pid.available: 5%\n')
    .replace(/\n$/, '\nsystemReserved:\n  pid: "1000"\n');
  measure(`${n} lines, 2 insertions`, before, after);
}
for (const n of [1000, 30000]) measure(`${n} lines, every line different`, file(n, 'a'), file(n, 'b'));
