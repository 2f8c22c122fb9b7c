#!/usr/bin/env node
// Accuracy on real incidents, measured the same way on every corpus: each case's log lines go
// through analyze() (the built dist/, log alone, no node evidence) and the answer is compared with
// what the thread established.
//   recognized      a crash signature was recognized (of every log, then of the logs whose thread
//                   established a cause: a log without a limit need not be recognized)
//   kept            the thread's cause is a candidate that is not ruled out
//   top-3           ... and ranks in the first three
//   precision       live candidates (not ruled out) in the thread's cause family, over all live candidates
//   contradicted    causes confirmed that the thread's causes do not include
//   no-limit        cases whose thread found no resource limit, and how many got a limit confirmed or likely
// Corpora: ../shared/corpus/incidents.jsonl, test/corpus/cases.jsonl (tuned on), test/dev/cases.jsonl
// (public threads tuned on since 30 Nov 2026: the first held-out set, then grown), test/heldout/cases.jsonl
// (never tuned on). `--dist DIR` measures another build (an older commit's dist/).
/* global process, console */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '..');
const distArg = process.argv.indexOf('--dist');
// `--verbose` lists, per case, every live candidate with its verdict and those outside the thread's
// cause family: what lowers the precision.
const verbose = process.argv.includes('--verbose');
const dist = distArg > 0 ? resolve(process.argv[distArg + 1]) : join(root, 'dist');
const { analyze } = await import(pathToFileURL(join(dist, 'pipeline/analyze.js')).href);

const FAMILY = {
  'cgroup.pids': 'tasks',
  'rlimit.nproc': 'tasks',
  'kernel.pid_max': 'tasks',
  'kernel.threads-max': 'tasks',
  'runtime.max-threads': 'tasks',
  'pidns.init-exited': 'tasks',
  'seccomp.clone3': 'tasks',
  'rlimit.nofile': 'files',
  'fs.file-max': 'files',
  'inotify.instances': 'files',
  'inotify.watches': 'files',
  'memory.cgroup': 'memory',
  'memory.node': 'memory',
  'rlimit.as': 'memory',
  'runtime.heap': 'memory',
  'vm.max_map_count': 'memory',
};

const CORPORA = [
  { name: 'shared corpus (../shared/corpus)', file: resolve(root, '../shared/corpus/incidents.jsonl') },
  { name: 'project corpus (test/corpus, tuned on)', file: join(root, 'test/corpus/cases.jsonl') },
  { name: 'dev threads (test/dev, tuned on since 30 Nov)', file: join(root, 'test/dev/cases.jsonl') },
  { name: 'held-out (test/heldout, never tuned on)', file: join(root, 'test/heldout/cases.jsonl') },
];

const pct = (n, d) => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(0)}% (${n}/${d})`);

async function measure(file) {
  const cases = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .filter((c) => !c.prose);
  const dir = mkdtempSync(join(tmpdir(), 'podmortem-accuracy-'));
  const m = {
    cases: 0,
    recognized: 0,
    withCause: 0,
    recognizedWithCause: 0,
    kept: 0,
    top3: 0,
    live: 0,
    liveRight: 0,
    contradicted: [],
    noLimit: 0,
    noLimitRaised: [],
    misses: [],
    outside: [],
  };
  try {
    for (const c of cases) {
      m.cases++;
      const path = join(dir, `${c.id}.log`);
      writeFileSync(path, `${(Array.isArray(c.log) ? c.log : [c.log]).join('\n')}\n`);
      const { report } = await analyze({ inputs: [path] });
      const causes = report.incidents.flatMap((i) => i.causes);
      const recognized = report.incidents.some((i) => i.signatures.length > 0);
      if (recognized) m.recognized++;
      const expected = c.expected ?? [];
      const live = causes.filter((k) => k.verdict !== 'ruled-out');
      const family = expected.length > 0 ? FAMILY[expected[0]] : undefined;
      m.live += live.length;
      m.liveRight += live.filter((k) => family && FAMILY[k.id] === family).length;
      const stray = live.filter((k) => !family || FAMILY[k.id] !== family);
      if (stray.length > 0)
        m.outside.push(
          `${c.id} [${family ?? 'no limit'}; ${live.map((k) => `${k.id}=${k.verdict}`).join(', ')}]: outside ${stray.map((k) => k.id).join(', ')}`,
        );
      for (const k of causes.filter((x) => x.verdict === 'confirmed' && !expected.includes(x.id)))
        m.contradicted.push(`${c.id}: ${k.id}`);
      if (expected.length === 0) {
        m.noLimit++;
        const strong = causes.filter((k) => k.verdict === 'confirmed' || k.verdict === 'likely');
        if (strong.length > 0)
          m.noLimitRaised.push(`${c.id}: ${strong.map((k) => `${k.id}=${k.verdict}`).join(', ')}`);
        continue;
      }
      m.withCause++;
      if (recognized) m.recognizedWithCause++;
      const at = causes.findIndex((k) => k.id === expected[0] && k.verdict !== 'ruled-out');
      if (at >= 0) m.kept++;
      if (at >= 0 && at < 3) m.top3++;
      if (!recognized) m.misses.push(`${c.id}: not recognized`);
      else if (at < 0)
        m.misses.push(
          `${c.id}: ${expected[0]} not kept (${causes.map((k) => `${k.id}=${k.verdict}`).join(', ') || 'no cause'})`,
        );
      else if (at >= 3) m.misses.push(`${c.id}: ${expected[0]} ranked ${at + 1}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return m;
}

console.log(
  `podmortem accuracy (${dist}); load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
for (const { name, file } of CORPORA) {
  if (!existsSync(file)) {
    console.log(`\n${name}: ${file} is missing`);
    continue;
  }
  const m = await measure(file);
  console.log(`\n${name}: ${m.cases} log cases`);
  console.log(`  recognized              ${pct(m.recognized, m.cases)}`);
  console.log(`    of logs with a cause  ${pct(m.recognizedWithCause, m.withCause)}`);
  console.log(`  cause kept as candidate ${pct(m.kept, m.withCause)}`);
  console.log(`  cause in the top 3      ${pct(m.top3, m.withCause)}`);
  console.log(
    `  family precision        ${m.live === 0 ? 'n/a' : (m.liveRight / m.live).toFixed(2)} (${m.liveRight}/${m.live} live candidates)`,
  );
  console.log(
    `  confirmed, contradicted ${m.contradicted.length}${m.contradicted.length ? ` (${m.contradicted.join('; ')})` : ''}`,
  );
  console.log(
    `  no-limit cases with a limit confirmed or likely ${m.noLimitRaised.length}/${m.noLimit}${m.noLimitRaised.length ? ` (${m.noLimitRaised.join('; ')})` : ''}`,
  );
  for (const miss of m.misses) console.log(`  miss: ${miss}`);
  if (verbose) for (const o of m.outside) console.log(`  outside the family: ${o}`);
}
