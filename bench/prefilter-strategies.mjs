#!/usr/bin/env node
// Why the scanner's prefilter is Wu-Manber: the candidate strategies for "find any of N literal
// keywords in raw bytes", timed in-process on the benchmark log with the signatures' real keywords.
//   node bench/prefilter-strategies.mjs [bench/out/bench-64M.log]   (needs dist/: npm run build)
/* global process, Buffer, console */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const file = process.argv[2] ?? join(ROOT, 'bench/out/bench-64M.log');
const { SIGNATURES } = await import(join(ROOT, 'dist/knowledge/signatures/index.js'));
const { Prefilter } = await import(join(ROOT, 'dist/sources/logs/prefilter.js'));
const keywords = [...new Set(SIGNATURES.flatMap((s) => s.keywords))];
const buf = readFileSync(file);
const CHUNK = 1 << 20;
const esc = (k) => k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Counts hits chunk by chunk, resuming after each hit, as the scanner does. */
function perChunk(findIn) {
  let n = 0;
  for (let c = 0; c < buf.length; c += CHUNK) n += findIn(c, Math.min(buf.length, c + CHUNK));
  return n;
}

const strategies = {
  'Wu-Manber on bytes (the scanner)': () => {
    const pf = new Prefilter(keywords);
    return perChunk((from, to) => {
      let n = 0;
      for (let at = pf.find(buf, from, to); at !== -1; at = pf.find(buf, at + 1, to)) n++;
      return n;
    });
  },
  'one RegExp alternation on latin1 (before)': () => {
    const re = new RegExp(
      [...keywords]
        .sort((a, b) => b.length - a.length)
        .map(esc)
        .join('|'),
      'g',
    );
    return perChunk((from, to) => {
      const s = buf.toString('latin1', from, to);
      let n = 0;
      re.lastIndex = 0;
      while (re.exec(s)) n++;
      return n;
    });
  },
  'Buffer.indexOf per keyword': () => {
    const kb = keywords.map((k) => Buffer.from(k));
    return perChunk((from, to) => {
      const sub = buf.subarray(from, to);
      let n = 0;
      for (const k of kb) for (let p = sub.indexOf(k); p !== -1; p = sub.indexOf(k, p + 1)) n++;
      return n;
    });
  },
  'latin1 conversion alone': () =>
    perChunk((from, to) => (buf.toString('latin1', from, to).length > 0 ? 0 : 1)),
  'newline count by indexOf alone': () =>
    perChunk((from, to) => {
      let n = 0;
      for (let p = buf.indexOf(10, from); p !== -1 && p < to; p = buf.indexOf(10, p + 1)) n++;
      return n;
    }),
};

console.log(
  `${file}: ${(buf.length / 2 ** 20).toFixed(0)} MiB, ${keywords.length} keywords (shortest ${Math.min(...keywords.map((k) => Buffer.byteLength(k)))} bytes), best of 3\n`,
);
for (const [name, run] of Object.entries(strategies)) {
  let best = Infinity;
  let hits = 0;
  for (let i = 0; i < 3; i++) {
    const t = process.hrtime.bigint();
    hits = run();
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  console.log(
    `${name.padEnd(44)} ${(buf.length / 2 ** 20 / best).toFixed(0).padStart(6)} MiB/s  (${hits} hits)`,
  );
}
