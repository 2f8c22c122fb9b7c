#!/usr/bin/env node
// `npm run bench`: every benchmark of issue 10 in turn (analyze, node, scan, agent), each printing
// its own tables as when run alone, then one summary table of every target figure beside its peers
// and its target, with the date, the machine (CPUs, load average before and after) and the commit.
// Each bench writes its figures with --json; the run record (all of them) goes to bench/out/
// bench-summary.json, and --readme rewrites README.md's summary between the bench markers from it.
//
//   npm run bench                               # all four, about 10 minutes on 2 idle cores
//   npm run bench -- --readme                   # and rewrite README.md's summary table
//   npm run bench -- --only analyze,scan        # some of them
//   npm run bench -- --from bench/out/bench-summary.json [--readme]   # re-render a recorded run
//   sizes and durations, passed to the benches:
//     --analyze-sizes 512M,64M --keyword-size 64M --runs 3        (bench/analyze-throughput.mjs)
//     --node-sizes 10000,50000 --node-runs 5 --no-raise-pid-max  (bench/node-audit.mjs)
//     --pods 10000 --restarting 300                               (bench/scan-cluster.mjs)
//     --idle-s 120 --storm-s 60                                   (bench/agent-budget.mjs)
//     --analyze-args '...' --node-args '...' --scan-args '...' --agent-args '...' (anything else)
//   --json FILE (where the run record goes), --no-build (use dist/ as it is),
//   --readme-path FILE (the README to rewrite, README.md by default)
/* global process, console */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderSummary, rewriteReadme } from './summary.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BENCHES = ['analyze', 'node', 'scan', 'agent'];

function parseArgs(argv) {
  const o = {
    only: BENCHES,
    analyzeSizes: '512M,64M',
    keywordSize: '64M',
    runs: '3',
    nodeSizes: '10000,50000',
    nodeRuns: '5',
    raisePidMax: true,
    pods: '10000',
    restarting: '300',
    idleS: '120',
    stormS: '60',
    extra: { analyze: [], node: [], scan: [], agent: [] },
    json: join(ROOT, 'bench/out/bench-summary.json'),
    from: undefined,
    readme: false,
    readmePath: join(ROOT, 'README.md'),
    build: true,
  };
  const value = (i) => {
    if (argv[i + 1] === undefined) throw new Error(`${argv[i]} needs a value`);
    return argv[i + 1];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      // The comment at the top of this file is the help: one text, never two to keep in step.
      const own = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n');
      const head = own.slice(
        1,
        own.findIndex((l, n) => n > 0 && !l.startsWith('//')),
      );
      process.stdout.write(`${head.map((l) => l.replace(/^\/\/ ?/, '')).join('\n')}\n`);
      process.exit(0);
    }
    const extra = /^--(analyze|node|scan|agent)-args$/.exec(a);
    if (extra) o.extra[extra[1]] = value(i++).split(/\s+/).filter(Boolean);
    else if (a === '--only') {
      o.only = value(i++).split(',');
      const unknown = o.only.filter((b) => !BENCHES.includes(b));
      if (unknown.length)
        throw new Error(`--only: no bench named ${unknown.join(', ')} (${BENCHES.join(', ')})`);
    } else if (a === '--analyze-sizes') o.analyzeSizes = value(i++);
    else if (a === '--keyword-size') o.keywordSize = value(i++);
    else if (a === '--runs') o.runs = value(i++);
    else if (a === '--node-sizes') o.nodeSizes = value(i++);
    else if (a === '--node-runs') o.nodeRuns = value(i++);
    else if (a === '--no-raise-pid-max') o.raisePidMax = false;
    else if (a === '--pods') o.pods = value(i++);
    else if (a === '--restarting') o.restarting = value(i++);
    else if (a === '--idle-s') o.idleS = value(i++);
    else if (a === '--storm-s') o.stormS = value(i++);
    else if (a === '--json') o.json = resolve(value(i++));
    else if (a === '--from') o.from = resolve(value(i++));
    else if (a === '--readme') o.readme = true;
    else if (a === '--readme-path') o.readmePath = resolve(value(i++));
    else if (a === '--no-build') o.build = false;
    else throw new Error(`unknown option ${a} (see the comment at the top of bench/all.mjs)`);
  }
  return o;
}

/** Each bench's script and arguments; the build is done once here, so each is told not to. */
function command(bench, o, jsonFile) {
  const json = ['--json', jsonFile];
  switch (bench) {
    case 'analyze':
      return [
        'analyze-throughput.mjs',
        ['--no-build', '--size', o.analyzeSizes, '--keyword-size', o.keywordSize, '--runs', o.runs, ...json],
      ];
    case 'node':
      return [
        'node-audit.mjs',
        [
          '--sizes',
          o.nodeSizes,
          '--runs',
          o.nodeRuns,
          ...(o.raisePidMax ? ['--raise-pid-max'] : []),
          ...json,
        ],
      ];
    case 'scan':
      return ['scan-cluster.mjs', ['--no-build', '--pods', o.pods, '--restarting', o.restarting, ...json]];
    case 'agent':
      return ['agent-budget.mjs', ['--idle-s', o.idleS, '--storm-s', o.stormS, ...json]];
  }
}

/** Runs one bench with its output on this terminal; resolves with its --json record or why there is none. */
function runBench(bench, o) {
  const jsonFile = join(ROOT, 'bench/out', `bench-${bench}.json`);
  rmSync(jsonFile, { force: true });
  const [script, args] = command(bench, o, jsonFile);
  const argv = [join(ROOT, 'bench', script), ...args, ...o.extra[bench]];
  console.log(`\n# ${bench}: node bench/${script} ${argv.slice(1).join(' ')}\n`);
  return new Promise((done) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: 'inherit' });
    child.on('error', (err) => done({ code: 1, result: { failed: err.message } }));
    child.on('close', (code, signal) => {
      const exit = signal ? `killed by ${signal}` : `exit ${code}`;
      if (!existsSync(jsonFile)) return done({ code: code || 1, result: { failed: `${exit}, no figures` } });
      const result = JSON.parse(readFileSync(jsonFile, 'utf8'));
      // A bench that printed figures but exited non-zero found a wrong answer (a missed crash): say so.
      done({ code, result: code === 0 ? result : { ...result, exit } });
    });
  });
}

/** An argument as a shell would need it, so the command printed with the figures can be run again. */
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

function git(...args) {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : '';
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  let run;
  if (o.from) {
    run = JSON.parse(readFileSync(o.from, 'utf8'));
  } else {
    if (o.build) {
      const b = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
      if (b.status !== 0) throw new Error('the build failed (npm run build)');
    }
    mkdirSync(join(ROOT, 'bench/out'), { recursive: true });
    run = {
      date: new Date().toISOString(),
      command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).map(quote).join(' ')}` : ''}`,
      commit: git('rev-parse', '--short', 'HEAD') || 'unknown',
      dirty: git('status', '--porcelain', '--untracked-files=no') !== '',
      cpus: availableParallelism(),
      load: { before: loadavg(), after: undefined },
      results: {},
    };
    for (const bench of BENCHES.filter((b) => o.only.includes(b))) {
      const { code, result } = await runBench(bench, o);
      run.results[bench] = result;
      if (code !== 0) process.exitCode = 1;
    }
    run.load.after = loadavg();
    mkdirSync(dirname(o.json), { recursive: true });
    writeFileSync(o.json, JSON.stringify(run, null, 2) + '\n');
  }
  const block = renderSummary(run);
  console.log(`\n# Summary\n\n${block}\n`);
  if (!o.from) console.log(`run record: ${o.json}`);
  if (o.readme) {
    writeFileSync(o.readmePath, rewriteReadme(readFileSync(o.readmePath, 'utf8'), block));
    console.log(`${o.readmePath}: the summary between the bench markers is rewritten`);
  }
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
