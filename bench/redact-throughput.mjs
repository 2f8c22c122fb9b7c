#!/usr/bin/env node
// Throughput of the redactor (dist/redact/redact.js) on plain log text and on crafted lines that
// target each rule, in MB/s and µs per byte. Prints figures; never fails on a time.
//
//   npm run build && node bench/redact-throughput.mjs [--mib 4] [--runs 3]
/* global process, console */
import { performance } from 'node:perf_hooks';
import { Redactor } from '../dist/redact/redact.js';
import { bytesOf, craftedLines, MiB, plainLog } from './redact-crafted.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i === -1 ? dflt : Number(args[i + 1]);
};
const mib = opt('--mib', 4);
const runs = opt('--runs', 3);

function measure(text, asLines) {
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const red = new Redactor();
    const t0 = performance.now();
    if (asLines) for (const l of text.split('\n')) red.line(l);
    else red.line(text);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const rows = [];
const plain = plainLog(mib * MiB);
rows.push(['plain log lines', bytesOf(plain), measure(plain, true)]);
// Crafted shapes: one line each, at the stream's 1 MiB line limit (longer lines are cut to it).
for (const [name, line] of Object.entries(craftedLines(MiB)))
  rows.push([`crafted: ${name}`, bytesOf(line), measure(line, false)]);

console.log(`redactor throughput (best of ${runs}; node ${process.version})`);
console.log(
  'input'.padEnd(28) +
    'bytes'.padStart(10) +
    'ms'.padStart(10) +
    'MB/s'.padStart(10) +
    'µs/byte'.padStart(10),
);
for (const [name, bytes, ms] of rows) {
  console.log(
    name.padEnd(28) +
      String(bytes).padStart(10) +
      ms.toFixed(1).padStart(10) +
      (bytes / 1e6 / (ms / 1000)).toFixed(1).padStart(10) +
      ((ms * 1000) / bytes).toFixed(4).padStart(10),
  );
}
