// Builds dist/ once before any test file runs: the CLI tests run what users run (node dist/cli/main.js),
// and test files run in parallel workers, so none of them may rebuild dist/ under the others.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  const cwd = resolve(import.meta.dirname, '..');
  execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd, stdio: 'inherit', timeout: 300_000 });
  // The same bundling step as `npm run build`: the tests run the CLI users get.
  execFileSync(process.execPath, ['scripts/bundle.mjs'], { cwd, stdio: 'inherit', timeout: 120_000 });
}
