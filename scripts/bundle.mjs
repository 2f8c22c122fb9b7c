// Bundles the compiled CLI (dist/cli/main.js, written by tsc) into one entry file plus lazily loaded
// chunks, in place. Why: a Node process that resolves and reads ~200 small module files spends about
// half of a short run on start-up (issue 10: a 64 MiB log must be analyzed within 1.5x of grep,
// start-up included). Dynamic import() stays lazy: each chunk is read only by the command that needs it.
// Chunks sit beside main.js in dist/cli/ so that `require('../../package.json')` resolves the same.
// Native and heavy packages stay external: they load from node_modules only when a command uses them.
import { build } from 'esbuild';
import { readdirSync, renameSync, rmSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

const root = resolve(import.meta.dirname, '..');
const cli = join(root, 'dist', 'cli');
const out = mkdtempSync(join(tmpdir(), 'podmortem-bundle-'));

try {
  await build({
    entryPoints: { main: join(cli, 'main.js') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: out,
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
    external: [
      'better-sqlite3',
      '@grpc/grpc-js',
      'protobufjs',
      'pg',
      '@kubernetes/client-node',
      'prom-client',
      'playwright-core',
    ],
    // CommonJS dependencies bundled into ESM call require() for Node built-ins.
    banner: {
      js: "import { createRequire as __podmortemRequire } from 'node:module'; const require = __podmortemRequire(import.meta.url);",
    },
  });
  for (const f of readdirSync(cli)) if (f.startsWith('chunk-')) rmSync(join(cli, f));
  for (const f of readdirSync(out)) renameSync(join(out, f), join(cli, f));
} finally {
  rmSync(out, { recursive: true, force: true });
}
