#!/usr/bin/env node
// Time and peak memory of `analyze` on hs_err files with ever longer thread lists: the real RLIMIT_NPROC
// pool-leak file (test/sources/hs-err/fixtures) with its "Java Threads:" list grown to N threads. The
// reader keeps one counter per thread-name pattern, so peak RSS should stay flat as N grows. Prints
// figures with the load average; fails only when the answer is wrong (the thread count or the verdict).
//
//   npm run build && node bench/hs-err.mjs            # 10k, 100k, 1M threads
//   node bench/hs-err.mjs --threads 1000,50000
/* global process, console */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, createWriteStream } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURE = join(ROOT, 'test/sources/hs-err/fixtures/jdk17-nproc-pool-leak.log');
const arg = process.argv.indexOf('--threads');
const SIZES = (arg > 0 ? process.argv[arg + 1] : '10000,100000,1000000').split(',').map(Number);

async function write(file, n) {
  const lines = readFileSync(FIXTURE, 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith('Java Threads:'));
  const out = createWriteStream(file);
  const put = (s) => (out.write(s) ? Promise.resolve() : new Promise((r) => out.once('drain', r)));
  for (const l of lines.slice(0, at + 1)) await put(`${l}\n`);
  for (let i = 0; i < n; i++)
    await put(
      `  0x00007fd5fc${(i % 0xffffff).toString(16).padStart(6, '0')} JavaThread "pool-${i}-thread-1" [_thread_blocked, id=${i}, stack(0x00007fd600763000,0x00007fd6007a3000)]\n`,
    );
  for (const l of lines.slice(at + 1).filter((l) => !/JavaThread "pool-/.test(l))) await put(`${l}\n`);
  await new Promise((r) => out.end(r));
}

const CHILD = `
import { analyze } from ${JSON.stringify(join(ROOT, 'dist/pipeline/analyze.js'))};
const t = process.hrtime.bigint();
const { report } = await analyze({ inputs: [process.argv[1]] });
const ms = Number(process.hrtime.bigint() - t) / 1e6;
const i = report.incidents[0];
const nproc = i.causes.find((c) => c.id === 'rlimit.nproc');
console.log(JSON.stringify({ ms, rss: process.resourceUsage().maxRSS, verdict: nproc?.verdict, note: i.notes.find((n) => n.startsWith('JVM fatal')) }));
`;

const dir = mkdtempSync(join(tmpdir(), 'podmortem-bench-hs-err-'));
try {
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (${process.env.CI ? 'CI' : 'local'})`,
  );
  console.log('threads      file MiB   analyze s   peak RSS MiB');
  for (const n of SIZES) {
    const file = join(dir, `hs_err_pid${n}.log`);
    await write(file, n);
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, file], { encoding: 'utf8' });
    if (run.status !== 0) throw new Error(run.stderr);
    const r = JSON.parse(run.stdout.trim().split('\n').pop());
    // The leak fixture's own 9 non-pool threads stay in the list.
    const listed = n + 9;
    if (!r.note?.includes(`${listed.toLocaleString('en-US')} threads listed`))
      throw new Error(`wrong thread count for ${n}: ${r.note}`);
    const mib = (statSync(file).size / 2 ** 20).toFixed(1);
    console.log(
      `${String(n).padStart(9)}  ${mib.padStart(9)}  ${(r.ms / 1000).toFixed(2).padStart(10)}  ${(r.rss / 1024).toFixed(0).padStart(13)}   (rlimit.nproc ${r.verdict})`,
    );
    rmSync(file);
  }
  console.log(
    `load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
