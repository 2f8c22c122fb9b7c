// Bundles the compiled CLI (dist/cli/main.js, written by tsc) into one entry file plus lazily loaded
// chunks, in place. Why: a Node process that resolves and reads ~200 small module files spends about
// half of a short run on start-up (issue 10: a 64 MiB log must be analyzed within 1.5x of grep,
// start-up included). Dynamic import() stays lazy: each chunk is read only by the command that needs it.
// Chunks sit beside main.js in dist/cli/ so that `require('../../package.json')` resolves the same.
// Native and heavy packages stay external: they load from node_modules only when a command uses them.
import { build } from 'esbuild';
import { readdirSync, readFileSync, renameSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli');
const out = mkdtempSync(join(tmpdir(), 'podmortem-bundle-'));
const BANNER =
  "import { createRequire as __podmortemRequire } from 'node:module'; const require = __podmortemRequire(import.meta.url);";

try {
  await build({
    // The parallel scan's worker thread loads its own entry, found beside the chunk that starts it
    // (src/pipeline/parallel/scan-log.ts: new URL('./scan-worker.js', import.meta.url)).
    entryPoints: {
      main: join(cli, 'main.js'),
      'scan-worker': join(root, 'dist', 'pipeline', 'parallel', 'scan-worker.js'),
    },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: out,
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
    minifyWhitespace: true,
    minifySyntax: true,
    external: ['better-sqlite3', '@grpc/grpc-js', 'protobufjs', 'pg', 'prom-client', 'playwright-core'],
    // CommonJS dependencies bundled into ESM call require() for Node built-ins.
    banner: { js: BANNER },
  });
  for (const f of readdirSync(out)) {
    asciiComments(join(out, f));
    if (f.endsWith('.js')) dropUnusedBanner(join(out, f));
  }
  for (const f of readdirSync(cli)) if (f.startsWith('chunk-')) rmSync(join(cli, f));
  for (const f of readdirSync(out)) renameSync(join(out, f), join(cli, f));
} finally {
  rmSync(out, { recursive: true, force: true });
}

/**
 * V8 keeps a module's source in memory as long as the module lives, and one non-ASCII character
 * anywhere makes it a two-byte string: the Kubernetes client chunk (6 MB; a few "§" and "—" in the
 * comments esbuild keeps) then costs 12 MB of heap instead of 6. A \uXXXX escape means the same
 * character in a comment, a string, a regex or an identifier; only a template literal's raw text
 * (String.raw, tagged templates) would see the difference. So: comment lines are escaped, lines
 * without a backtick too, and on a line with one only a trailing // comment after plain code.
 */
function asciiComments(file) {
  const text = readFileSync(file, 'utf8');
  if (!/[^\x00-\x7f]/.test(text)) return;
  const escape = (s) =>
    s.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const escaped = text.replace(/^.*[^\x00-\x7f].*$/gm, (line) => {
    if (/^\s*(?:\/\/|\/\*|\*)/.test(line) || !line.includes('`')) return escape(line);
    const comment = /^([^'"`/]*)(\/\/.*)$/.exec(line);
    return comment ? comment[1] + escape(comment[2]) : line;
  });
  writeFileSync(file, escaped);
}

/**
 * The banner goes on every chunk, but most never call require(): each createRequire() cost a run
 * about 0.1 ms of CPU and a short `analyze` loads ~45 chunks (bench/README.md, 2026-11-30).
 */
function dropUnusedBanner(file) {
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf(BANNER + '\n');
  if (at < 0) return;
  const rest = text.slice(0, at) + text.slice(at + BANNER.length + 1);
  if (!/\brequire\b/.test(rest)) writeFileSync(file, rest);
}
