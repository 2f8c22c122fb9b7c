#!/usr/bin/env node
// The fixed cost of a CLI run (issue 10): CPU seconds (user + system, /usr/bin/time) of short runs,
// median of N, with Node alone beside them and, for the 64 MiB log, grep -E and ripgrep. With
// --before DIR (another checkout, built: DIR/dist/cli/main.js) each case runs both builds in turn,
// interleaved, so a shared machine's load falls on both alike, and their reports must be identical.
// Usage: node bench/startup.mjs [--runs 15] [--before /tmp/base]
// Needs bench/out/bench-64M.log and keywords.txt (npm run bench writes them); skips that row without.
/* global process, console */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const RUNS = Number(arg('--runs', '15'));
const BEFORE = arg('--before');
const builds = [['after', join(ROOT, 'dist/cli/main.js')]];
if (BEFORE) builds.unshift(['before', join(resolve(BEFORE), 'dist/cli/main.js')]);

const tmp = mkdtempSync(join(tmpdir(), 'podmortem-startup-'));
const oneLine = join(tmp, 'one-line.log');
writeFileSync(oneLine, 'FATAL: something happened\n');
const big = join(ROOT, 'bench/out/bench-64M.log');
const patterns = join(ROOT, 'bench/out/keywords.txt');

/** CPU seconds and stdout of one run. */
function run(cmd, args) {
  const out = join(tmp, 'time');
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', out, cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    env: { ...process.env, NO_COLOR: '1' },
  });
  const [user, sys] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { cpu: user + sys, stdout: r.stdout };
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const cases = [
  ['--version', ['--version']],
  ['analyze one-line log', ['analyze', oneLine]],
  ['node --format json', ['node', '--format', 'json']],
];
if (existsSync(big)) cases.push(['analyze 64 MiB', ['analyze', big, '--format', 'json']]);
const peers = [['node -e 0', process.execPath, ['-e', '0']]];
if (existsSync(big) && existsSync(patterns)) {
  peers.push(['grep -E -c (LC_ALL=C) 64 MiB', 'env', ['LC_ALL=C', 'grep', '-E', '-c', '-f', patterns, big]]);
  peers.push(['rg -c 64 MiB', 'rg', ['-c', '--no-config', '-f', patterns, big]]);
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `${RUNS} runs each, interleaved; ${availableParallelism()} CPUs, load average ${load()} at start`,
);
const rows = [];
let differ = false;
for (const [name, args] of cases) {
  const cpu = Object.fromEntries(builds.map(([b]) => [b, []]));
  const outputs = {};
  for (let i = 0; i < RUNS; i++)
    for (const [b, main] of builds) {
      const r = run(process.execPath, [main, ...args]);
      cpu[b].push(r.cpu);
      // `node` reads live /proc: its report moves between runs; compared on the first run only.
      outputs[b] ??= r.stdout;
    }
  if (BEFORE && name !== 'node --format json' && outputs.before !== outputs.after) {
    differ = true;
    console.log(`${name}: the reports differ between before and after`);
  }
  rows.push([name, ...builds.map(([b]) => median(cpu[b]).toFixed(3))]);
}
for (const [name, cmd, args] of peers) {
  const cpu = [];
  for (let i = 0; i < RUNS; i++) cpu.push(run(cmd, args).cpu);
  rows.push([name, ...builds.map(() => median(cpu).toFixed(3))]);
}
const head = ['run (median CPU s)', ...builds.map(([b]) => b)];
const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
for (const r of [head, ...rows])
  console.log(r.map((c, i) => (i ? c.padStart(width[i]) : c.padEnd(width[i]))).join('  '));
console.log(`load average ${load()} at end`);
rmSync(tmp, { recursive: true, force: true });
if (differ) process.exitCode = 1;
