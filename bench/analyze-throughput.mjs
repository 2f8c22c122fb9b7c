#!/usr/bin/env node
// Throughput and memory of `podmortem analyze` on a large realistic log, next to GNU grep -E and
// ripgrep searching the same keyword set (the signatures' prefilter keywords). Prints figures; never
// fails on a time. It fails only when the analysis missed a buried crash (a wrong answer fast is no win).
//
//   npm run bench:analyze                 # 512 MiB, best of 3 runs per tool
//   npm run bench:analyze -- --size 64M --runs 1
//   npm run bench:analyze -- --size 512M,64M   # several logs with buried crashes, one after the other
//   npm run bench:analyze -- --rss-sizes 64M,512M,2G   # peak RSS of analyze at several sizes (flat = streaming)
//   npm run bench:analyze -- --keyword-size 0        # skip the all-keyword log (64 MiB by default)
//   options: --no-build (use dist/ as it is), --keep (keep generated files over 1 GiB),
//     --json FILE (also write the figures there, for bench/all.mjs; what is printed is unchanged)
/* global process, Buffer, console, setInterval, clearInterval */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateKeywordLog, generateLog } from './generate-log.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const GENERATOR_VERSION = 2;
const KEYWORD_GENERATOR_VERSION = 1;

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([KMG]?)i?B?$/i.exec(s);
  if (!m) throw new Error(`not a size: ${s} (use e.g. 64M, 512M, 2G)`);
  const mult = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()];
  return Math.round(Number(m[1]) * mult);
}

function parseArgs(argv) {
  const o = {
    sizes: [512 * 1024 ** 2],
    keywordSize: 64 * 1024 ** 2,
    runs: 3,
    build: true,
    keep: false,
    rssSizes: undefined,
    json: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--size') o.sizes = argv[++i].split(',').map(parseSize);
    else if (a === '--keyword-size') o.keywordSize = argv[i + 1] === '0' ? (i++, 0) : parseSize(argv[++i]);
    else if (a === '--runs') o.runs = Math.max(1, Number(argv[++i]) || 1);
    else if (a === '--no-build') o.build = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--rss-sizes') o.rssSizes = argv[++i].split(',').map(parseSize);
    else if (a === '--json') o.json = argv[++i];
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const mib = (b) => b / 1024 ** 2;
const label = (b) => (b >= 1024 ** 3 ? `${+(b / 1024 ** 3).toFixed(2)}G` : `${Math.round(mib(b))}M`);

/** The log of `size` bytes, generated once and reused while the generator is unchanged. */
async function logFile(size, kind = 'bench') {
  mkdirSync(OUT, { recursive: true });
  const path = join(OUT, `${kind}-${label(size)}.log`);
  const metaPath = path + '.json';
  const version = kind === 'bench' ? GENERATOR_VERSION : KEYWORD_GENERATOR_VERSION;
  if (existsSync(path) && existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
    if (meta.version === version && meta.bytes === statSync(path).size) return { path, kind, ...meta };
  }
  process.stderr.write(`generating ${path} ...\n`);
  const generate = kind === 'bench' ? generateLog : generateKeywordLog;
  const meta = { version, ...(await generate(path, size)) };
  writeFileSync(metaPath, JSON.stringify(meta));
  return { path, kind, ...meta };
}

/**
 * Runs a command, returning wall seconds, CPU seconds (user + system, from /usr/bin/time: on a
 * shared machine the steadier figure), peak RSS (KiB, from /usr/bin/time or VmHWM) and stdout.
 */
function measure(cmd, args, env = {}) {
  const useTime = existsSync('/usr/bin/time');
  const timeOut = join(OUT, `time-${process.pid}.txt`);
  const [c, a] = useTime ? ['/usr/bin/time', ['-f', '%M %U %S', '-o', timeOut, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(c, a, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let hwm = 0;
    const poll = useTime
      ? undefined
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {
            // the process already exited
          }
        }, 10);
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (poll) clearInterval(poll);
      let rssKiB = hwm;
      let cpu = NaN;
      if (useTime && existsSync(timeOut)) {
        const lines = readFileSync(timeOut, 'utf8').trim().split('\n');
        const [rss, user, sys] = lines[lines.length - 1].split(' ').map(Number);
        rssKiB = rss || 0;
        cpu = user + sys;
        rmSync(timeOut, { force: true });
      }
      resolve({
        code,
        seconds,
        cpu,
        rssKiB,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

async function best(runs, fn) {
  let b;
  for (let i = 0; i < runs; i++) {
    const r = await fn();
    if (!b || r.seconds < b.seconds) b = { ...r, rssKiB: Math.max(r.rssKiB, b?.rssKiB ?? 0) };
    else b.rssKiB = Math.max(b.rssKiB, r.rssKiB);
  }
  return b;
}

/**
 * Runs analyze and checks that every buried crash was found at its line (the Go crashes of the
 * realistic log; the PostgreSQL crashes of the all-keyword log, whose routine FATAL and Aborted
 * lines must not show up as generic crashes).
 */
async function runAnalyze(log, env = {}) {
  const wanted = log.kind === 'keywords' ? 'generic.postgres-crash' : 'go.newosproc';
  const r = await measure(
    process.execPath,
    [join(ROOT, 'dist/cli/main.js'), 'analyze', log.path, '--format', 'json'],
    env,
  );
  let found = 'no report';
  try {
    const report = JSON.parse(r.stdout);
    const hits = report.incidents.flatMap((i) => i.signatures);
    const hit = hits.find((s) => s.id === wanted);
    const lines = (hit?.evidence ?? []).map((e) => e.line);
    const ok = hit && hit.count === log.crashLines.length && log.crashLines.every((l) => lines.includes(l));
    const noise = hits.filter((s) => s.id !== wanted).map((s) => `${s.id} x${s.count}`);
    found = !ok
      ? `MISSED: expected lines ${log.crashLines.join(',')}, got ${hit ? `${hit.count} at ${lines.join(',')}` : 'none'}`
      : noise.length > 0
        ? `FALSE HITS: ${noise.join(', ')}`
        : 'ok';
  } catch {
    found = `no JSON report (exit ${r.code}): ${r.stderr.trim().split('\n')[0]}`;
  }
  return { ...r, found };
}

function escapeRegex(k) {
  return k.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function table(rows, header) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => String(r[i]).length)));
  return all
    .map((r) =>
      r
        .map((c, i) =>
          String(c)
            .padStart(i === 0 ? 0 : widths[i])
            .padEnd(i === 0 ? widths[i] : 0),
        )
        .join('  '),
    )
    .join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.build || !existsSync(join(ROOT, 'dist/cli/main.js'))) {
    // The build users get: tsc, then the esbuild bundle (and the parallel scan's worker entry).
    const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed (npm run build)');
  }
  const { SIGNATURES } = await import(join(ROOT, 'dist/knowledge/signatures/index.js'));
  const keywords = [...new Set(SIGNATURES.flatMap((s) => s.keywords))];

  if (opts.rssSizes) {
    const rows = [];
    for (const size of opts.rssSizes) {
      const log = await logFile(size);
      const r = await runAnalyze(log);
      rows.push([
        label(log.bytes),
        r.seconds.toFixed(2),
        (mib(log.bytes) / r.seconds).toFixed(0),
        (r.rssKiB / 1024).toFixed(0),
        r.found,
      ]);
      if (log.bytes > 1024 ** 3 && !opts.keep) rmSync(log.path, { force: true });
    }
    console.log(`podmortem analyze, peak RSS by input size (${keywords.length} keywords)\n`);
    console.log(table(rows, ['size', 'seconds', 'MiB/s', 'peak RSS MiB', 'crashes found']));
    if (rows.some((r) => r[4] !== 'ok')) process.exitCode = 1;
    console.log(
      `\n${availableParallelism()} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    return;
  }

  const patterns = join(OUT, 'keywords.txt');
  mkdirSync(OUT, { recursive: true });
  writeFileSync(patterns, keywords.map(escapeRegex).join('\n') + '\n');
  const logs = [];
  for (const size of opts.sizes) logs.push(await compare(await logFile(size), opts, patterns, keywords));
  if (opts.keywordSize > 0)
    logs.push(await compare(await logFile(opts.keywordSize, 'keywords'), opts, patterns, keywords));
  if (logs.some((l) => !l.ok)) process.exitCode = 1;
  if (opts.json)
    writeFileSync(opts.json, JSON.stringify({ bench: 'analyze', keywords: keywords.length, logs }, null, 2));
}

/**
 * podmortem, grep and rg on one file, back to back; prints the table; returns the figures (the
 * record --json writes), with ok false when analyze was wrong.
 */
async function compare(log, opts, patterns, keywords) {
  const C = { LC_ALL: 'C' }; // grep's fastest mode; the scanner compares bytes too
  // What analyze uses on a file this large: every core up to 4 (scan-log.ts), one below its threshold.
  const threads = log.bytes >= 32 * 1024 ** 2 ? Math.min(4, availableParallelism()) : 1;
  // The second element is the tool's id in the --json record (bench/summary.mjs reads it).
  const tools = [
    [`podmortem analyze (${threads} threads)`, 'analyze', () => runAnalyze(log)],
    // The same scan on this thread only (src/pipeline/parallel/scan-log.ts reads the variable).
    [
      'podmortem analyze (1 thread)',
      'analyze-1-thread',
      () => runAnalyze(log, { PODMORTEM_SCAN_THREADS: '1' }),
    ],
    // The fixed cost every run pays before reading a byte (module loading), to read the row above.
    [
      'podmortem --version',
      'startup',
      () => measure(process.execPath, [join(ROOT, 'dist/cli/main.js'), '--version']),
    ],
    ['grep -E -c (LC_ALL=C)', 'grep', () => measure('grep', ['-E', '-c', '-f', patterns, log.path], C)],
    ['rg -c', 'rg', () => measure('rg', ['-c', '--no-config', '-f', patterns, log.path])],
  ];
  const loadBefore = loadavg();
  const results = [];
  for (const [name, id, fn] of tools) {
    const r = await best(opts.runs, fn);
    if (r.code !== 0 && r.code !== 1) r.found = `exit ${r.code}: ${r.stderr.trim().split('\n')[0]}`;
    results.push({ name, id, ...r });
  }
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const greps = results.filter((r) => /^(grep|rg)/.test(r.name) && (r.code === 0 || r.code === 1));
  const fastest = greps.length ? Math.min(...greps.map((r) => r.seconds)) : NaN;
  const what =
    log.kind === 'keywords' ? 'every line has a keyword (PostgreSQL FATAL, gRPC Aborted)' : 'buried crashes';
  console.log(
    `\n${label(log.bytes)}, ${what} (${log.bytes} bytes, ${log.lines} lines), ${keywords.length} keywords, best of ${opts.runs}, ${availableParallelism()} CPUs, load average ${load}\n`,
  );
  console.log(
    table(
      results.map((r) => [
        r.name,
        r.seconds.toFixed(2),
        Number.isNaN(r.cpu) ? '-' : r.cpu.toFixed(2),
        r.name.includes('version') ? '-' : (mib(log.bytes) / r.seconds).toFixed(0),
        (r.rssKiB / 1024).toFixed(0),
        (r.seconds / fastest).toFixed(2),
        r.found ?? (r.name.includes('version') ? 'startup only' : `${r.stdout.trim()} lines`),
      ]),
      ['tool', 'seconds', 'CPU s', 'MiB/s', 'peak RSS MiB', 'x fastest grep', 'result'],
    ),
  );
  if (log.bytes > 1024 ** 3 && !opts.keep) rmSync(log.path, { force: true });
  return {
    kind: log.kind,
    bytes: log.bytes,
    lines: log.lines,
    runs: opts.runs,
    threads,
    cpus: availableParallelism(),
    load: { before: loadBefore, after: loadavg() },
    ok: results[0].found === 'ok' && results[1].found === 'ok',
    tools: results.map((r) => ({
      id: r.id,
      name: r.name,
      ok: r.code === 0 || r.code === 1,
      seconds: r.seconds,
      cpu: Number.isNaN(r.cpu) ? null : r.cpu,
      rssMiB: r.rssKiB / 1024,
      found: r.found ?? null,
    })),
  };
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
